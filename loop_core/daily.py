"""Each store's business-hours figures per store-local date over the last N days: the
status page's cells.

The report's own spans (``report/runs.part.sql`` after ``report/observations.part.sql``,
which also reads the Parquet archive) cut at each store's local midnights
(``daily/store_days.part.sql``): nothing is interpolated twice, and a store's days add up
to its spans over the whole range, to the microsecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from loop_core import observations
from loop_core.errors import InvalidParameterError, NoDataError
from loop_core.report import resolve_as_of
from loop_core.sqlfiles import load_sql
from loop_core.transaction import transaction

DAY_COLUMNS = ["store_id", "zone", "local_date", "day_start_utc", "day_end_utc", "business_us",
               "up_us", "down_us", "incidents", "longest_incident_us", "before_first_poll"]
MAX_DAYS = 400


@dataclass(frozen=True)
class StoreDays:
    """One row per store and local date (DAY_COLUMNS), by store id then date."""

    as_of: datetime  # "now": the last day ends here
    days: int
    start: datetime  # the earliest day's start over the stores' zones
    frame: pd.DataFrame


def store_days(
    con: duckdb.DuckDBPyConnection,
    days: int = 30,
    as_of: datetime | str | None = None,
    store_id: str | None = None,
) -> StoreDays:
    """Per store (or only ``store_id``) and each of its last ``days`` local dates up to now
    (today so far): the day's UTC bounds (the last one ends at now), business, up and down
    time in microseconds, the incidents owning business time that day and the most of it
    one of them owns, and whether the day ended before the store's first poll (the rules
    still give it the first observation's status). up + down = business on every day of
    a store with observations; a store with none has business time only. Raises
    ``NoDataError`` without polls."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidParameterError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    now = resolve_as_of(con, as_of)
    if now is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    with con.cursor() as cur, transaction(cur):  # one snapshot, as in report.py
        row = cur.execute(load_sql("daily/range_start"), [now, days, store_id]).fetchone()
        start = row[0] if row is not None else None
        if start is None:  # no such store: nothing to cut into days
            return StoreDays(now, days, now, pd.DataFrame(columns=DAY_COLUMNS))
        params = observations.prepare(cur, now, store_id, start, now)
        frame = cur.execute(observations.query("runs", "daily/store_days"),
                            [*params, days]).df()
    return StoreDays(now, days, start, frame if len(frame.columns) else
                     pd.DataFrame(columns=DAY_COLUMNS))
