"""The stores feed's attributes on the dashboard's terms (SPEC "Feeds": stores). They are
descriptive only: no report, timeline or status figure reads them."""

from __future__ import annotations

import duckdb

from loop_core.sqlfiles import load_sql


def store_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Store id -> name, for the stores the stores feed names (empty without the feed)."""
    with con.cursor() as cur:
        return {str(r[0]): str(r[1]) for r in cur.execute(load_sql("stores/names")).fetchall()}


def store_regions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Store id -> region, for the stores the stores feed gives one (empty without it)."""
    with con.cursor() as cur:
        return {str(r[0]): str(r[1]) for r in cur.execute(load_sql("stores/regions")).fetchall()}
