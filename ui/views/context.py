"""Store context on the Fleet page: the rollup per group with week-over-week deltas, the
stores below their uptime target, the remaining downtime budget, the biggest changes and
the weekly trend, all shaped from ``loop_core.context`` (a store_context frame filtered by
the caller's store set first, so every figure counts the same stores)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

import pandas as pd

from loop_core import context
from ui.views.groups import value_label

# The grid draws a missing value as a faint "None"; the CSV leaves the cell blank.
LOST_REVENUE_NOTE = ("Estimated from the given hourly rate: downtime hours × the stores feed's "
                     "hourly_revenue. No value (None, never 0) without a rate.")
ROLLUP_TABLE_COLUMNS = ["group", "stores", "uptime_pct_last_week", "uptime_pct_change",
                        "downtime_h_last_week", "downtime_h_change", "lost_revenue_last_week",
                        "stores_below_target", "budget_left_h", "offline_now"]
BELOW_TARGET_COLUMNS = ["store_id", "name", "uptime_pct_last_week", "uptime_target",
                        "downtime_h_last_week", "budget_left_h", "lost_revenue_last_week"]
CHANGES_COLUMNS = ["store_id", "name", "downtime_h_last_week", "downtime_h_last_week_previous",
                   "downtime_h_last_week_change", "uptime_pct_last_week_change"]
# The rollup CSV's header: the table's columns with their units.
ROLLUP_CSV_HEADER = {
    "group": "group", "stores": "stores", "uptime_pct_last_week": "uptime_pct_last_week",
    "uptime_pct_change": "uptime_pct_change_points",
    "downtime_h_last_week": "downtime_hours_last_week",
    "downtime_h_change": "downtime_hours_change",
    "lost_revenue_last_week": "estimated_lost_revenue_last_week",
    "stores_below_target": "stores_below_target",
    "budget_left_h": "downtime_budget_left_hours", "offline_now": "offline_now",
}


def only(frame: pd.DataFrame, store_ids: Collection[str] | None) -> pd.DataFrame:
    """The rows of ``store_ids`` (None: every row)."""
    if store_ids is None:
        return frame
    return frame[frame["store_id"].isin(list(store_ids))].reset_index(drop=True)


@dataclass(frozen=True)
class FleetContext:
    """The chosen stores' money, targets and week over week (None: no value, never 0)."""

    stores: int
    uptime_pct_last_week: float | None
    uptime_pct_change: float | None  # points, against the week before
    lost_revenue_last_week: float | None  # None when no store has a rate
    lost_revenue_change: float | None
    stores_with_rate: int
    stores_below_target: int
    budget_left_h: float  # the stores' weekly budgets left, summed (negative: overspent)
    stores_over_budget: int
    below_target: pd.DataFrame  # BELOW_TARGET_COLUMNS, furthest below its target first
    biggest_changes: pd.DataFrame  # CHANGES_COLUMNS, the largest |downtime change| first


def _value(number: float) -> float | None:
    return None if math.isnan(number) else number


def fleet_context(frame: pd.DataFrame, top: int = 10) -> FleetContext:
    """KPIs and lists over a ``context.store_context`` frame already narrowed to the chosen
    stores (its ``*_previous`` columns are the week before)."""
    totals = context.fleet_totals(frame)
    below = frame[frame["below_target"]].assign(
        gap=lambda f: f["uptime_pct_last_week"] - f["uptime_target"])
    below = below.sort_values(["gap", "store_id"]).loc[:, BELOW_TARGET_COLUMNS]
    changed = frame[frame["downtime_h_last_week_change"].abs() > 0].assign(
        size=lambda f: f["downtime_h_last_week_change"].abs())
    changed = changed.sort_values(["size", "store_id"], ascending=[False, True]).head(top)
    return FleetContext(
        stores=totals.stores,
        uptime_pct_last_week=_value(totals.uptime_pct),
        uptime_pct_change=_value(totals.uptime_pct_change),
        lost_revenue_last_week=_value(totals.lost_revenue),
        lost_revenue_change=_value(totals.lost_revenue - totals.lost_revenue_previous),
        stores_with_rate=int(frame["hourly_revenue"].notna().sum()),
        stores_below_target=totals.stores_below_target,
        budget_left_h=float(frame["budget_left_h"].sum()),
        stores_over_budget=int((frame["budget_left_h"] < 0).sum()),
        below_target=below.reset_index(drop=True),
        biggest_changes=changed.loc[:, CHANGES_COLUMNS].reset_index(drop=True),
    )


def rollup_table(frame: pd.DataFrame, by: str,
                 offline_ids: Collection[str] = ()) -> pd.DataFrame:
    """``context.group_rollup`` of the chosen stores by ``by`` ('' listed as ``(not given)``),
    with the change in uptime % (points) and downtime hours against the week before: the
    same stores' ``*_previous`` figures rolled up the same way (NaN where a group had no
    business time then)."""
    now = context.group_rollup(frame, by, offline_ids).set_index("group")
    before = frame.assign(uptime_h_last_week=frame["uptime_h_last_week_previous"],
                          downtime_h_last_week=frame["downtime_h_last_week_previous"],
                          lost_revenue_last_week=frame["lost_revenue_last_week_previous"])
    then = context.group_rollup(before, by).set_index("group")
    now["uptime_pct_change"] = now["uptime_pct_last_week"] - then["uptime_pct_last_week"]
    now["downtime_h_change"] = now["downtime_h_last_week"] - then["downtime_h_last_week"]
    table = now.reset_index()
    table["group"] = [value_label(str(g)) for g in table["group"]]
    return table.loc[:, ROLLUP_TABLE_COLUMNS]


def rollup_csv(table: pd.DataFrame, safe_cells: Callable[[list[str]], list[str]]) -> str:
    """The rollup table as CSV: figures with 2 decimals, blank where there is no value,
    group names through ``safe_cells`` (the engine's spreadsheet guard)."""
    out = table.loc[:, ROLLUP_TABLE_COLUMNS].rename(columns=ROLLUP_CSV_HEADER)
    out["group"] = safe_cells([str(g) for g in out["group"]])
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, float_format="%.2f", lineterminator="\n")
    return buffer.getvalue()


def weekly_trend(trend: pd.DataFrame) -> pd.DataFrame:
    """``context.weekly_trend`` for the chart: the weeks with business time, with a label
    per week (its last day, UTC) and whether the history covers the whole week."""
    shown = trend[trend["uptime_pct"].notna()].copy()
    shown["label"] = [f"week to {pd.Timestamp(w):%a %d %b}" for w in shown["week_end"]]
    return shown.reset_index(drop=True)
