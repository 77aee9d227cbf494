"""Special hours on the dashboard's terms (SPEC "Special hours"): how many stores have
special hours on their local date of an instant. A store's own special dates come with its
timeline (:func:`loop_core.timeline.store_timeline`); the rule itself is in the one
business-time macro (``rules/macros.sql``), which every figure follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from loop_core.sqlfiles import load_sql
from loop_core.timeutil import parse_query_instant


@dataclass(frozen=True)
class SpecialToday:
    """Polled stores with special-hours rows on their own local date of an instant."""

    closed: int  # closed all day
    special_hours: int  # open on special hours

    @property
    def stores(self) -> int:
        """Both together."""
        return self.closed + self.special_hours


def special_today(con: duckdb.DuckDBPyConnection, at: datetime | str) -> SpecialToday:
    """How many polled stores are closed, or open on special hours, on their local date of
    ``at`` (each store in its own zone)."""
    with con.cursor() as cur:
        row = cur.execute(load_sql("dashboard/special_today"), [parse_query_instant(at)]
                          ).fetchone()
    assert row is not None
    return SpecialToday(int(row[0]), int(row[1]))
