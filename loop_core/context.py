"""Store context (docs/RULES.md "Store context"): the report's figures with the stores feed's
names, regions and brands beside them, as uptime %, against a target, priced with the
feed's hourly revenue, and compared with the week before.

Every figure comes from the report's own microseconds (``report_us``, loop_core.report) as
of the report's now; "the week before" is the same computation as of now - 7 days. The
stores feed never changes a report figure: the extended CSV starts with the standard CSV's
lines, byte for byte. Hours are floats here; rounding is the CSV's and the screen's
business. NaN means "no value", never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from loop_core.errors import NoDataError
from loop_core.report import (
    REPORT_COLUMNS,
    fill_report_us,
    resolve_as_of,
    standard_lines,
)
from loop_core.sqlfiles import load_sql
from loop_core.transaction import transaction

DEFAULT_TARGET_PCT = 99.0
WEEK = timedelta(days=7)
GROUP_KEYS = ("region", "brand", "timezone")

# The standard report's columns, then the context's (context/extended_tail.sql writes them
# in this order). Hours like the standard report; % and money with 2 decimals.
EXTENDED_COLUMNS: tuple[str, ...] = (
    *REPORT_COLUMNS,
    "name",
    "region",
    "brand",
    "timezone",
    "hourly_revenue",
    "uptime_target",
    "uptime_pct_last_day",
    "uptime_pct_last_week",
    "below_target",
    "budget_left_last_week",
    "lost_revenue_last_day",
    "lost_revenue_last_week",
    "uptime_pct_last_week_previous",
    "downtime_last_week_previous",
    "downtime_last_week_change",
    "lost_revenue_last_week_previous",
)

ROLLUP_COLUMNS = (
    "group",
    "stores",
    "uptime_pct_last_week",
    "downtime_h_last_week",
    "lost_revenue_last_week",
    "stores_below_target",
    "offline_now",
    "budget_left_h",
)

TREND_COLUMNS = ("week_end", "uptime_pct", "business_h", "full_week")


@dataclass(frozen=True)
class ExtendedReport:
    """The standard report's CSV and its extended twin, computed from one snapshot."""

    as_of: datetime
    csv: str
    extended_csv: str
    row_count: int
    stores: pd.DataFrame  # the store_context frame the extended CSV was written from


@dataclass(frozen=True)
class FleetTotals:
    """A store_context frame summed up (NaN: no value): last week and the week before."""

    stores: int
    stores_below_target: int
    uptime_pct: float
    uptime_pct_previous: float
    downtime_h: float
    downtime_h_previous: float
    lost_revenue: float  # over the stores with a rate; NaN if none has one
    lost_revenue_previous: float

    @property
    def uptime_pct_change(self) -> float:
        """This week's uptime % minus the week before's, in points."""
        return self.uptime_pct - self.uptime_pct_previous


def _now(con: duckdb.DuckDBPyConnection, as_of: datetime | str | None) -> datetime:
    now = resolve_as_of(con, as_of)
    if now is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    return now


def _fill_context(
    cur: duckdb.DuckDBPyConnection, now: datetime, default_target: float,
    with_now: Callable[[], None] | None = None,
) -> None:
    # The report as of now, kept aside (``with_now`` runs while report_us still holds
    # it); then the week before.
    fill_report_us(cur, now)
    cur.execute("CREATE OR REPLACE TEMP TABLE context_current AS SELECT * FROM report_us")
    if with_now is not None:
        with_now()
    fill_report_us(cur, now - WEEK)
    cur.execute("CREATE OR REPLACE TEMP TABLE context_previous AS SELECT * FROM report_us")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE context_rows AS {load_sql('context/store_context')}",
        [default_target],
    )


def store_context(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    *,
    default_target_pct: float = DEFAULT_TARGET_PCT,
) -> pd.DataFrame:
    """One row per store of the report as of ``as_of`` (default: the latest poll), sorted
    by store_id, with the columns of docs/ENGINE_API.md "Store context".

    Raises ``NoDataError`` when no poll was ever loaded and no ``as_of`` is given.
    """
    now = _now(con, as_of)
    with con.cursor() as cur, transaction(cur):
        _fill_context(cur, now, default_target_pct)
        frame = cur.execute("SELECT * FROM context_rows ORDER BY store_id").df()
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    # NULL figures become NaN (float columns), flags plain bools, text plain str.
    for column in frame.columns:
        if column in ("below_target", "target_from_feed"):
            frame[column] = frame[column].astype(bool)
        elif column in ("store_id", "name", "region", "brand", "timezone"):
            frame[column] = frame[column].astype(str)
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def extended_report(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    *,
    default_target_pct: float = DEFAULT_TARGET_PCT,
    on_standard: Callable[[datetime, str, int], None] | None = None,
) -> ExtendedReport:
    """The standard CSV and the extended CSV as of ``as_of``, both from one transaction:
    the extended CSV's first columns are the standard CSV's lines, byte for byte.

    ``on_standard(as_of, csv, row_count)`` is called with the standard CSV as soon as it
    is known, before the week before is computed (about half the time): a report job
    completes then, and its extended twin follows."""
    now = _now(con, as_of)
    lines: list[str] = []

    def standard_known() -> None:
        lines.extend(standard_lines(cur))
        if on_standard is not None:
            on_standard(now, _csv(REPORT_COLUMNS, lines), len(lines))

    with con.cursor() as cur, transaction(cur):
        _fill_context(cur, now, default_target_pct, standard_known)
        tails = [str(r[0]) for r in cur.execute(load_sql("context/extended_tail")).fetchall()]
        frame = cur.execute("SELECT * FROM context_rows ORDER BY store_id").df()
    # Both come from the report as of now, in store_id order (one row per store each).
    if len(tails) != len(lines):  # pragma: no cover - a broken query, not bad data
        raise AssertionError("the extended columns do not match the report's rows")
    return ExtendedReport(
        as_of=now,
        csv=_csv(REPORT_COLUMNS, lines),
        extended_csv=_csv(EXTENDED_COLUMNS,
                          [f"{a},{b}" for a, b in zip(lines, tails, strict=True)]),
        row_count=len(lines),
        stores=_typed(frame),
    )


def _csv(columns: Sequence[str], lines: list[str]) -> str:
    # As report.compute_report writes it: a header, the lines, a final newline.
    return "\n".join([",".join(columns), *lines, ""])


def extended_csv(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    *,
    default_target_pct: float = DEFAULT_TARGET_PCT,
) -> str:
    """The extended CSV (:data:`EXTENDED_COLUMNS`): the standard report's columns with
    their very values, then the store's context, 2 decimals, spreadsheet-safe."""
    return extended_report(con, as_of, default_target_pct=default_target_pct).extended_csv


def group_rollup(
    frame: pd.DataFrame, by: str, offline_ids: Collection[str] = ()
) -> pd.DataFrame:
    """One row per value of ``by`` (one of :data:`GROUP_KEYS`; '' is a group of its own)
    over a :func:`store_context` frame, sorted by group, with :data:`ROLLUP_COLUMNS`.

    Uptime % is weighted by business time (the groups' uptime over their business time,
    the rule of macro uptime_pct); lost revenue sums the stores that have a rate (NaN when
    none has); offline_now counts the group's stores among ``offline_ids``; budget_left_h
    sums the budgets of the stores that have one (a group is below target when it is
    negative). No fleet row: the groups' sums are the sums of their stores.
    """
    if by not in GROUP_KEYS:
        raise ValueError(f"group by one of {', '.join(GROUP_KEYS)}, not {by!r}")
    offline = set(offline_ids)
    work = pd.DataFrame({
        "group": frame[by].astype(str),
        "up": frame["uptime_h_last_week"].astype(float),
        "down": frame["downtime_h_last_week"].astype(float),
        "lost": frame["lost_revenue_last_week"].astype(float),
        "below": frame["below_target"].astype(bool).astype(int),
        "offline": frame["store_id"].astype(str).isin(offline).astype(int),
        "budget": frame["budget_left_h"].astype(float),
    })
    grouped = work.groupby("group", sort=True)
    out = pd.DataFrame({
        "stores": grouped.size(),
        "up": grouped["up"].sum(),
        "downtime_h_last_week": grouped["down"].sum(),
        "lost_revenue_last_week": grouped["lost"].sum(min_count=1),
        "stores_below_target": grouped["below"].sum(),
        "offline_now": grouped["offline"].sum(),
        "budget_left_h": grouped["budget"].sum(min_count=1),
    })
    out["uptime_pct_last_week"] = _weighted_pct(out["up"], out["downtime_h_last_week"])
    out = out.reset_index()
    out["stores"] = out["stores"].astype(int)
    out["stores_below_target"] = out["stores_below_target"].astype(int)
    out["offline_now"] = out["offline_now"].astype(int)
    return out[list(ROLLUP_COLUMNS)].reset_index(drop=True)


def _weighted_pct(up: pd.Series, down: pd.Series) -> pd.Series:
    # Macro uptime_pct over sums of hours: NaN without business time.
    business = up + down
    return (100.0 * up / business).where(business > 0)


def fleet_totals(frame: pd.DataFrame) -> FleetTotals:
    """The whole frame (the fleet, or the stores a caller kept) summed up like a group of
    :func:`group_rollup`, for last week and the week before."""
    def pct(up: str, down: str) -> float:
        return float(_weighted_pct(pd.Series([frame[up].sum(min_count=1)]),
                                   pd.Series([frame[down].sum(min_count=1)])).iloc[0])

    return FleetTotals(
        stores=len(frame),
        stores_below_target=int(frame["below_target"].sum()),
        uptime_pct=pct("uptime_h_last_week", "downtime_h_last_week"),
        uptime_pct_previous=pct("uptime_h_last_week_previous", "downtime_h_last_week_previous"),
        downtime_h=float(frame["downtime_h_last_week"].sum()),
        downtime_h_previous=float(frame["downtime_h_last_week_previous"].sum(min_count=1)),
        lost_revenue=float(frame["lost_revenue_last_week"].sum(min_count=1)),
        lost_revenue_previous=float(frame["lost_revenue_last_week_previous"].sum(min_count=1)),
    )


def weekly_trend(
    con: duckdb.DuckDBPyConnection,
    weeks: int = 8,
    as_of: datetime | str | None = None,
    store_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """Fleet uptime % of each of the last ``weeks`` weeks, oldest first: ``week_end`` (as_of,
    as_of - 7 d, ...), ``uptime_pct`` (business-time weighted over the stores, or over
    ``store_ids``), ``business_h`` and ``full_week`` (the stored history covers the whole
    week). Only weeks that end after the stored history starts are listed."""
    now = _now(con, as_of)
    only = None if store_ids is None else sorted(str(s) for s in store_ids)
    rows: list[tuple[datetime, float, float, bool]] = []
    with con.cursor() as cur, transaction(cur):
        first = cur.execute(load_sql("context/history_start")).fetchall()[0][0]
        for k in range(max(0, weeks)):
            end = now - k * WEEK
            if first is None or first >= end:
                break  # this week and older ones have no history
            fill_report_us(cur, end)
            found = cur.execute(load_sql("context/week_totals"), [only]).fetchone()
            assert found is not None
            up_us, down_us, pct = found
            rows.append((end, float("nan") if pct is None else float(pct),
                         (int(up_us) + int(down_us)) / 3_600_000_000, first <= end - WEEK))
    rows.reverse()
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS)).astype(
        {"uptime_pct": float, "business_h": float, "full_week": bool})
