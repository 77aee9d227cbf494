"""How fresh and how big the data is, and whether the feed or its sync needs attention.

Reports keep "now" = the latest poll (SPEC); this module tells how far that lags the real
clock and whether the newest sync failed. It returns facts; the dashboard words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from loop_core.bootstrap import SAMPLE_SOURCE
from loop_core.polls import latest_poll
from loop_core.sqlfiles import load_sql
from loop_core.sync import SyncOutcome

MAX_AGE = timedelta(hours=2)


@dataclass(frozen=True)
class Freshness:
    """The size of the data and its newest poll; ``latest_poll`` is the report's default
    "now" and ``data_version`` changes with every load (caches key on it)."""

    latest_poll: datetime | None
    polls: int
    stores: int
    data_version: int
    last_load: datetime | None
    sample_only: bool  # every load so far was the built-in sample


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes with every load; cheap enough to ask on every rerun."""
    with con.cursor() as cur:
        row = cur.execute(load_sql("dashboard/data_version")).fetchone()
    return int(row[0]) if row else 0


def freshness(con: duckdb.DuckDBPyConnection) -> Freshness:
    """The latest poll, the latest load and the size of the data."""
    with con.cursor() as cur:
        row = cur.execute(load_sql("dashboard/freshness"), [SAMPLE_SOURCE]).fetchone()
    assert row is not None  # aggregates always return one row
    return Freshness(
        latest_poll=row[0],
        polls=int(row[1]),
        stores=int(row[2]),
        data_version=int(row[3]),
        last_load=row[4],
        sample_only=bool(row[5]),
    )


@dataclass(frozen=True)
class FailedSync:
    """The newest finished sync run, when it did not end ok."""

    finished_at: datetime
    partly: bool  # some files loaded, others failed (outcome "partial")
    message: str


@dataclass(frozen=True)
class Staleness:
    """The data's age against the wall clock and the newest sync's outcome."""

    now: datetime  # the wall-clock instant these figures were taken at (UTC)
    latest_poll: datetime | None
    lag: timedelta | None  # now - latest_poll
    polls_stale: bool  # no poll at all, or the newest is more than max_age old
    failed_sync: FailedSync | None

    @property
    def is_stale(self) -> bool:
        """True when the dashboard should warn."""
        return self.polls_stale or self.failed_sync is not None


def staleness(
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    *,
    max_age: timedelta = MAX_AGE,
) -> Staleness:
    """Measure the data's lag behind ``now`` (default: the wall clock) and the last sync.

    Stale when the newest poll is more than ``max_age`` (2 hours) older than ``now``, when
    there is none, or when the newest finished sync failed wholly or for some files.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    latest = latest_poll(con)
    with con.cursor() as cur:
        last = cur.execute(
            "SELECT finished_at, outcome, message FROM sync_runs "
            "WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    lag = None if latest is None else now - latest
    failed = None
    if last is not None and last[1] in (SyncOutcome.FAILED.value, SyncOutcome.PARTIAL.value):
        failed = FailedSync(
            finished_at=last[0],
            partly=last[1] == SyncOutcome.PARTIAL.value,
            message=str(last[2] or ""),
        )
    return Staleness(
        now=now,
        latest_poll=latest,
        lag=lag,
        polls_stale=lag is None or lag > max_age,
        failed_sync=failed,
    )
