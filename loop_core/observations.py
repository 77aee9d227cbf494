"""The start that the report and the timeline share: business intervals and observations.

``report/intervals.part.sql`` (or ``report/intervals_cached.part.sql``, when ``interval_cache``
covers the range) fills the temp table ``business_window`` on the caller's cursor;
``report/observations.part.sql`` is then the first part of the report's and of the spans' query.
Temp tables belong to one cursor, so concurrent reports never see each other's. Which polls are
observations was decided when they were loaded (``derived.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from loop_core import archive, derived
from loop_core.polls import latest_poll
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import epoch_us


def prepare(
    cur: duckdb.DuckDBPyConnection,
    as_of: datetime | None,
    store_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    points: bool = False,
) -> list[object]:
    """Fill the temp table for this range.

    Return the parameters of report/observations.part.sql. With ``points``, its
    observations may come from ``observation_points`` (only for the queries that read
    nothing of ``sequenced`` but the status changes and each store's first and last
    status: the report and the fleet's hours).
    """
    params: list[object] = [as_of, store_id, start, end, points]
    source = "report/intervals.part"
    if as_of is not None:
        # The same range report/params.part.sql derives: [from, to), by default the week before now.
        lo = start if start is not None else as_of - timedelta(days=7)
        hi = end if end is not None else as_of
        if derived.cache_covers(cur, epoch_us(lo), epoch_us(hi)):
            source = "report/intervals_cached.part"
    # What the polls step needs of the archive, for the same range.
    now = as_of if as_of is not None else latest_poll(cur)
    week_before = None if now is None else now - timedelta(days=7)
    archive.stage(cur, now, start if start is not None else week_before, store_id)
    intervals = load_sql("report/params.part") + load_sql(source)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE business_window AS {intervals}", params)
    return params



def query(*tails: str) -> str:
    """report/params.part.sql and report/observations.part.sql, then the CTEs and final
    SELECT of ``sql/report/<tail>.part.sql`` for each tail in turn (a tail naming its
    folder, ``daily/store_days``, is ``sql/<tail>.part.sql``)."""
    return (load_sql("report/params.part") + load_sql("report/observations.part")
            + "".join(load_sql(f"{tail if '/' in tail else 'report/' + tail}.part")
                      for tail in tails))
