"""How fresh the data is: the latest poll against the wall clock, and the last syncs.

Reports keep "now" = the latest poll (SPEC); this module only tells the dashboard how far
that lags the real clock and whether the sync is in trouble.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from loop_core.sync import SyncOutcome

MAX_AGE = timedelta(hours=2)


@dataclass(frozen=True)
class Staleness:
    """The data's age and the sync's health, with a warning when either needs attention."""

    now: datetime  # the wall-clock instant these figures were taken at (UTC)
    latest_poll: datetime | None  # the newest timestamp_utc in store_status
    lag: timedelta | None  # now − latest_poll
    last_sync_at: datetime | None  # when the newest finished sync run ended
    last_sync_outcome: str | None  # ok | partial | failed
    last_sync_message: str | None
    last_successful_sync_at: datetime | None  # the newest run that ended ok
    warning: str | None  # None when all is well

    @property
    def is_stale(self) -> bool:
        """True when the dashboard should show a warning."""
        return self.warning is not None


def staleness(
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    *,
    max_age: timedelta = MAX_AGE,
) -> Staleness:
    """Measure the data's lag behind ``now`` (default: the wall clock) and the last syncs.

    Warns when the newest finished sync failed (wholly or for some files), or when the
    newest poll is more than ``max_age`` (2 hours) older than ``now``.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with con.cursor() as cur:
        poll_row = cur.execute("SELECT max(timestamp_utc) FROM store_status").fetchone()
        last_row = cur.execute(
            "SELECT finished_at, outcome, message FROM sync_runs "
            "WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        ok_row = cur.execute(
            "SELECT max(finished_at) FROM sync_runs WHERE outcome = ?", [SyncOutcome.OK.value]
        ).fetchone()
    latest_poll: datetime | None = poll_row[0] if poll_row else None
    lag = now - latest_poll if latest_poll is not None else None
    last_at, last_outcome, last_message = last_row if last_row else (None, None, None)

    warnings = []
    if last_outcome in (SyncOutcome.FAILED.value, SyncOutcome.PARTIAL.value):
        what = "failed" if last_outcome == SyncOutcome.FAILED.value else "partly failed"
        warnings.append(f"the last sync ({last_at:%Y-%m-%d %H:%M} UTC) {what}: {last_message}")
    if latest_poll is None:
        warnings.append("there are no polls yet")
    elif lag is not None and lag > max_age:
        warnings.append(
            f"the newest poll ({latest_poll:%Y-%m-%d %H:%M} UTC) is {format_lag(lag)} old"
        )
    return Staleness(
        now=now,
        latest_poll=latest_poll,
        lag=lag,
        last_sync_at=last_at,
        last_sync_outcome=None if last_outcome is None else str(last_outcome),
        last_sync_message=None if last_message is None else str(last_message),
        last_successful_sync_at=ok_row[0] if ok_row else None,
        warning="; ".join(warnings) or None,
    )


def format_lag(lag: timedelta) -> str:
    """A short human duration: ``45 min``, ``3 h 05 min``, ``2 d 4 h``."""
    minutes = int(lag.total_seconds() // 60)
    if minutes < 0:
        return "0 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
