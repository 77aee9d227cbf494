"""How many examples each property test draws.

The counts written in the tests are what CI runs: together they keep ``make test`` inside
its ten minutes on two cores. A deeper run multiplies every count::

    LOOP_TEST_DEPTH=10 .venv/bin/python -m pytest -n auto tests/

Hypothesis keeps every failing example it finds in ``.hypothesis/`` and replays it first on
the next run, so a failure a deep run found stays covered by the short runs that follow.
"""

from __future__ import annotations

import os

_KEY = "LOOP_TEST_DEPTH"


def _depth() -> float:
    raw = os.environ.get(_KEY, "1")
    try:
        depth = float(raw)
    except ValueError:
        raise ValueError(f"{_KEY} must be a positive number, not {raw!r}") from None
    if not depth > 0:
        raise ValueError(f"{_KEY} must be a positive number, not {raw!r}")
    return depth


DEPTH = _depth()


def examples(ci: int) -> int:
    """The number of examples to draw: ``ci`` in CI, ``ci`` times ``LOOP_TEST_DEPTH`` else."""
    return max(1, round(ci * DEPTH))
