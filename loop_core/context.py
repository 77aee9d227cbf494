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
from loop_core.evidence import fill_evidence_us
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
    # The evidence behind the figures (loop_core/evidence.py, docs/RULES.md "Evidence").
    "observations_last_hour",
    "observations_last_day",
    "observations_last_week",
    "latest_observation_at",
    "latest_observation_active",
    "coverage_pct_last_hour",
    "coverage_pct_last_day",
    "coverage_pct_last_week",
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


@dataclass(frozen=True)
class WeekTotals:
    """Each store's uptime and downtime in each of the last weeks the stored history
    reaches, from the report as of each week's end: what the fleet trend sums for any
    choice of stores (:func:`trend_of`). ``frame`` has ``week_end, store_id`` (categorical),
    ``up_us, down_us`` (exact microseconds, int64); ``weeks`` lists (week_end, full_week), oldest
    first, including weeks none of whose stores is in the report."""

    weeks: tuple[tuple[datetime, bool], ...]
    frame: pd.DataFrame


def _now(con: duckdb.DuckDBPyConnection, as_of: datetime | str | None) -> datetime:
    now = resolve_as_of(con, as_of)
    if now is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    return now


def _fill_context(
    cur: duckdb.DuckDBPyConnection, now: datetime, default_target: float,
    with_now: Callable[[], None] | None = None,
    with_previous: Callable[[], None] | None = None,
) -> None:
    # The report as of now, kept aside (``with_now`` runs while report_us still holds
    # it); then the week before (``with_previous`` likewise).
    fill_report_us(cur, now)
    cur.execute("CREATE OR REPLACE TEMP TABLE context_current AS SELECT * FROM report_us")
    if with_now is not None:
        with_now()
    fill_report_us(cur, now - WEEK)
    cur.execute("CREATE OR REPLACE TEMP TABLE context_previous AS SELECT * FROM report_us")
    if with_previous is not None:
        with_previous()
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
        fill_evidence_us(cur, now)
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


class _WeekCollector:
    """Reads the per-store weekly totals of report_us once a week's report is in it (the
    caller fills it as of each week's end in turn, newest first, in one transaction)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, now: datetime, weeks: int) -> None:
        self.cur = cur
        self.first = cur.execute(load_sql("context/history_start")).fetchall()[0][0]
        # Weeks that end after the stored history starts: newer ones first.
        self.ends = [now - k * WEEK for k in range(max(0, weeks))
                     if self.first is not None and self.first < now - k * WEEK]
        self.parts: list[pd.DataFrame] = []

    def read(self) -> None:
        """Keep the totals of the next week (report_us holds its report)."""
        end = self.ends[len(self.parts)]
        part = self.cur.execute(load_sql("context/week_totals")).df()
        part.insert(0, "week_end", end)
        self.parts.append(part)

    def fill_rest(self) -> None:
        """Compute and read the weeks not read yet."""
        for end in self.ends[len(self.parts):]:
            fill_report_us(self.cur, end)
            self.read()

    def totals(self) -> WeekTotals:
        parts = self.parts[::-1]  # oldest first
        frame = (pd.concat(parts, ignore_index=True) if parts else
                 pd.DataFrame(columns=["week_end", "store_id", "up_us", "down_us"]))
        # Categorical ids: a filter's isin() over them is ~10x faster than over strings.
        frame = frame.astype({"store_id": "category", "up_us": "int64", "down_us": "int64"})
        weeks = tuple((end, self.first <= end - WEEK) for end in self.ends[::-1])
        return WeekTotals(weeks=weeks, frame=frame)


def week_totals(
    con: duckdb.DuckDBPyConnection, weeks: int = 8, as_of: datetime | str | None = None,
) -> WeekTotals:
    """Each store's weekly uptime and downtime over the last ``weeks`` weeks that end
    after the stored history starts (as_of, as_of - 7 d, ...; default as_of: the latest
    poll), one report per week in one transaction."""
    now = _now(con, as_of)
    with con.cursor() as cur, transaction(cur):
        collector = _WeekCollector(cur, now, weeks)
        collector.fill_rest()
    return collector.totals()


def context_and_week_totals(
    con: duckdb.DuckDBPyConnection,
    weeks: int = 8,
    as_of: datetime | str | None = None,
    *,
    default_target_pct: float = DEFAULT_TARGET_PCT,
) -> tuple[pd.DataFrame, WeekTotals]:
    """:func:`store_context` and :func:`week_totals` from one transaction: the context's two
    reports (as of now and now - 7 days) are the trend's two newest weeks, computed once."""
    now = _now(con, as_of)
    with con.cursor() as cur, transaction(cur):
        collector = _WeekCollector(cur, now, weeks)

        def read_week() -> None:
            if len(collector.parts) < len(collector.ends):
                collector.read()

        _fill_context(cur, now, default_target_pct, read_week, read_week)
        frame = cur.execute("SELECT * FROM context_rows ORDER BY store_id").df()
        collector.fill_rest()
    return _typed(frame), collector.totals()


def trend_of(
    con: duckdb.DuckDBPyConnection, totals: WeekTotals,
    store_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """The fleet trend (:data:`TREND_COLUMNS`, oldest first) of ``store_ids`` (None: every
    store) summed from ``totals``: the chosen stores' microseconds per week, uptime % by
    macro uptime_pct (business-time weighted; NaN without business time)."""
    frame = totals.frame
    if store_ids is not None:
        frame = frame[frame["store_id"].isin(list(store_ids))]
    sums = frame.groupby("week_end")[["up_us", "down_us"]].sum()
    ends = [end for end, _ in totals.weeks]
    up = [int(sums["up_us"].get(end, 0)) for end in ends]
    down = [int(sums["down_us"].get(end, 0)) for end in ends]
    with con.cursor() as cur:
        pcts = [r[0] for r in cur.execute(load_sql("context/trend_pct"), [up, down]).fetchall()]
    rows = [(end, float("nan") if pct is None else float(pct), (u + d) / 3_600_000_000, full)
            for (end, full), u, d, pct in zip(totals.weeks, up, down, pcts, strict=True)]
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS)).astype(
        {"uptime_pct": float, "business_h": float, "full_week": bool})


def weekly_trend(
    con: duckdb.DuckDBPyConnection,
    weeks: int = 8,
    as_of: datetime | str | None = None,
    store_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """Fleet uptime % of each of the last ``weeks`` weeks, oldest first: ``week_end`` (as_of,
    as_of - 7 d, ...), ``uptime_pct`` (business-time weighted over the stores, or over
    ``store_ids``), ``business_h`` and ``full_week`` (the stored history covers the whole
    week). Only weeks that end after the stored history starts are listed.
    :func:`trend_of` over :func:`week_totals`: a caller that asks for several choices of
    stores keeps the totals and sums them for each."""
    return trend_of(con, week_totals(con, weeks, as_of), store_ids)
