"""What was loaded and what was kept aside: the load log, rejected rows, data-quality findings."""

from __future__ import annotations

import duckdb
import pandas as pd

from loop_core.sqlfiles import load_sql

QUALITY_PROBLEMS = ("invalid_timezone", "no_timezone", "no_hours", "special_unknown_store",
                    "special_far_date")


def load_history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The newest loads: load_id, loaded_at, feed, file_name, source, rows_read, rows_loaded,
    rows_duplicate, rows_rejected, duration_s."""
    with con.cursor() as cur:
        return cur.execute(load_sql("dashboard/load_history"), [limit]).df()


def rejected_rows(
    con: duckdb.DuckDBPyConnection, limit: int | None = None, *, for_csv: bool = False
) -> pd.DataFrame:
    """Rejected rows (load_id, loaded_at, feed, file_name, line, raw, reason), newest load
    first, their texts as they were (``for_csv``: spreadsheet-safe); ``limit=None``: all."""
    with con.cursor() as cur:
        return cur.execute(load_sql("dashboard/rejects"), [for_csv, limit]).df()


def rejected_rows_csv(con: duckdb.DuckDBPyConnection) -> str:
    """All rejected rows as spreadsheet-safe CSV text (the download of the Data page)."""
    return str(rejected_rows(con, for_csv=True).to_csv(index=False))


def quality_findings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per store and problem (one of QUALITY_PROBLEMS): store_id, problem,
    zone_given (the invalid zone name, for invalid_timezone), dates (the special dates
    concerned, for the special_* problems)."""
    with con.cursor() as cur:
        return cur.execute(load_sql("dashboard/quality")).df()
