"""The stores feed's attributes on the dashboard's terms (SPEC "Feeds": stores). They are
descriptive only: no report, timeline or status figure reads them."""

from __future__ import annotations

import duckdb
import pandas as pd

from loop_core.sqlfiles import load_sql


def store_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Store id -> name, for the stores the stores feed names (empty without the feed)."""
    with con.cursor() as cur:
        return {str(r[0]): str(r[1]) for r in cur.execute(load_sql("stores/names")).fetchall()}


GROUP_COLUMNS = ("store_id", "name", "region", "brand", "timezone")


def store_groups(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every known store's ``GROUP_COLUMNS``, by store id: name, region and brand from the
    stores feed ('' where it says nothing), and the effective timezone (America/Chicago
    when none or an invalid one is given)."""
    with con.cursor() as cur:
        frame = cur.execute(load_sql("stores/groups")).df()
    return frame.astype("string").loc[:, list(GROUP_COLUMNS)]


def spreadsheet_safe(con: duckdb.DuckDBPyConnection, values: list[str]) -> list[str]:
    """``values`` as CSV cells a spreadsheet shows as text (the rule is macro
    spreadsheet_safe in sql/rules/macros.sql, written once), in the same order."""
    with con.cursor() as cur:
        rows = cur.execute(load_sql("stores/spreadsheet_safe"), [values]).fetchall()
    return [str(r[0]) for r in rows]


def store_regions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Store id -> region, for the stores the stores feed gives one (empty without it)."""
    groups = store_groups(con)
    given = groups[groups["region"] != ""]
    return dict(zip(given["store_id"].astype(str), given["region"].astype(str), strict=True))
