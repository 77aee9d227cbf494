"""The uptime report (SPEC.md "The report"): exact microseconds, then the rounded CSV."""

from __future__ import annotations

from datetime import datetime

import duckdb

from loop_core import observations
from loop_core.errors import NoDataError
from loop_core.models import ReportResult
from loop_core.polls import latest_poll
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import parse_query_instant
from loop_core.transaction import transaction

REPORT_COLUMNS = [
    "store_id",
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
]
# The six figures of a row (every column after store_id).
REPORT_FIGURES = tuple(REPORT_COLUMNS[1:])

MicrosecondRow = tuple[str, int, int, int, int, int, int, bool]


def unguarded_id(cell: str) -> str:
    """The store id a report CSV cell stands for. The CSV's spreadsheet guard (macro
    spreadsheet_safe in sql/rules/macros.sql) gives a risky id one leading apostrophe, and
    an id that starts with an apostrophe gets one too, so dropping one gives it back."""
    return cell[1:] if cell.startswith("'") else cell


def resolve_as_of(
    con: duckdb.DuckDBPyConnection, as_of: datetime | str | None = None
) -> datetime | None:
    """The report's "now": ``as_of`` if given, else the latest poll (None on an empty db)."""
    if as_of is not None:
        return parse_query_instant(as_of)
    return latest_poll(con)


def _compute_us(cur: duckdb.DuckDBPyConnection, as_of: datetime | None) -> None:
    # report/observations.part.sql is the start shared with the timeline's report/spans.part.sql.
    params = observations.prepare(cur, as_of, points=True)
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE report_us AS {observations.query('report')}", params
    )


def report_microseconds(
    con: duckdb.DuckDBPyConnection, as_of: datetime | str | None = None
) -> list[MicrosecondRow]:
    """Unrounded figures: (store_id, up hour/day/week, down hour/day/week, has_observations)."""
    when = parse_query_instant(as_of) if as_of is not None else None
    with con.cursor() as cur, transaction(cur):
        _compute_us(cur, when)
        rows = cur.execute("SELECT * FROM report_us ORDER BY store_id").fetchall()
    return [
        (str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]), bool(r[7]))
        for r in rows
    ]


def compute_report(
    con: duckdb.DuckDBPyConnection, as_of: datetime | str | None = None
) -> ReportResult:
    """Compute the SPEC report. ``as_of`` overrides "now" (default: the latest poll).

    Raises ``NoDataError`` when no poll was ever loaded and no ``as_of`` is given: there is
    no "now" to measure from.
    """
    now = resolve_as_of(con, as_of)
    if now is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    # One transaction: every statement reads the same snapshot, even when a load commits
    # new polls, hours or a rebuilt interval cache while the report runs.
    with con.cursor() as cur, transaction(cur):
        _compute_us(cur, now)
        lines = standard_lines(cur)
        unobserved = tuple(
            str(r[0])
            for r in cur.execute(
                "SELECT store_id FROM report_us WHERE NOT has_observations ORDER BY store_id"
            ).fetchall()
        )
    return ReportResult(
        as_of=now,
        csv="\n".join([",".join(REPORT_COLUMNS), *lines, ""]),
        row_count=len(lines),
        stores_without_observations=len(unobserved),
        unobserved_store_ids=unobserved,
    )


def fill_report_us(cur: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    """Fill the temp table ``report_us`` on ``cur`` with the report as of ``as_of`` (the
    caller holds the transaction): the start other figures build on (loop_core.context)."""
    _compute_us(cur, as_of)


def standard_lines(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The standard CSV's lines (without the header) from ``report_us`` on ``cur``."""
    return [str(r[0]) for r in cur.execute(load_sql("report/report_csv")).fetchall()]
