"""The start that the report and the timeline share: business intervals and observations.

``intervals.sql`` fills the temp table ``business_window`` on the caller's cursor;
``observations.sql`` is then the first part of the report's and of the spans' query. Temp
tables belong to one cursor, so concurrent reports never see each other's. Which polls are
observations was decided when they were loaded (``derived.py``).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from loop_core.sqlfiles import load_sql


def prepare(
    cur: duckdb.DuckDBPyConnection,
    as_of: datetime | None,
    store_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[object]:
    """Fill the temp table for this range and return the parameters of observations.sql."""
    params: list[object] = [as_of, store_id, start, end]
    intervals = load_sql("params") + load_sql("intervals")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE business_window AS {intervals}", params)
    return params


def query(tail: str) -> str:
    """params.sql and observations.sql, then the CTEs and final SELECT of ``sql/<tail>.sql``."""
    return load_sql("params") + load_sql("observations") + load_sql(tail)
