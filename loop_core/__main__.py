"""Entry point for ``python -m loop_core``."""

import sys

from loop_core.cli import main

sys.exit(main())
