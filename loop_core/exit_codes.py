"""The exit statuses of ``python -m loop_core`` commands, one definition for all of them."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FILES_FAILED = 1  # sync: some file failed, the rest was done; alerts: a delivery failed
EXIT_ERROR = 2  # nothing was done: bad arguments or settings, database in use, no data
EXIT_REFUSED = 3  # ingest: a feed file was refused as a whole (the others still loaded)
