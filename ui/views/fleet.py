"""The Fleet overview: KPIs, the weekly uptime distribution, the worst stores and downtime
by store-local hour, all derived from the engine's report and spans (so they agree)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from loop_core.models import ReportResult
from ui.formatting import DAY_NAMES, WINDOWS


@dataclass(frozen=True)
class FleetOverview:
    """Fleet KPIs and per-store figures derived from one report."""

    as_of: datetime
    stores: int  # stores in the report (with at least one poll at or before as-of)
    stores_without_data: int  # no poll inside their business hours: all figures 0
    uptime_pct: dict[str, float | None]  # window -> % of business time up, None if no time
    weekly_uptime: pd.DataFrame  # store_id, uptime_pct_week (stores with business time)
    uptime_bins: pd.DataFrame  # band ("95–100 %"), low, high, stores: 5-point bands, 100 included
    worst: pd.DataFrame  # store_id, name, uptime_pct_week, downtime_last_week, _day, _hour
    # Every store with downtime last week, in the same order and columns as ``worst`` (its
    # first rows): the "show all" table.
    with_downtime: pd.DataFrame

    @property
    def worst_caption(self) -> str:
        """How many of the stores with downtime the capped list shows, e.g. "15 of 16
        stores with downtime last week"."""
        total = len(self.with_downtime)
        if total == 0:
            return "No store had downtime last week."
        return f"{len(self.worst):,} of {total:,} stores with downtime last week"


def fleet_uptime_pct(rows: pd.DataFrame) -> dict[str, float | None]:
    """Per window, the share of all stores' business time that was up (None: no time)."""
    shares: dict[str, float | None] = {}
    for window in WINDOWS:
        up = float(rows[f"uptime_last_{window}"].sum())
        total = up + float(rows[f"downtime_last_{window}"].sum())
        shares[window] = None if total <= 0 else round(100.0 * up / total, 2)
    return shares


def weekly_uptime_pct(rows: pd.DataFrame) -> pd.Series:
    """Each store's uptime last week in % of its business time (NaN: no business time)."""
    business = rows["uptime_last_week"] + rows["downtime_last_week"]
    return (100.0 * rows["uptime_last_week"] / business.where(business > 0)).round(2)


def fleet_overview(result: ReportResult, top: int = 15,
                   names: Mapping[str, str] | None = None,
                   store_ids: Collection[str] | None = None) -> FleetOverview:
    """KPIs, the weekly uptime distribution and the ``top`` stores with most downtime
    (with their ``names``, id -> name from the stores feed; '' without one), over the
    report's stores or only ``store_ids`` (the page's filter)."""
    rows = result.rows
    unobserved: Collection[str] = result.unobserved_store_ids
    if store_ids is not None:
        rows = rows[rows["store_id"].isin(list(store_ids))].reset_index(drop=True)
        unobserved = set(unobserved) & set(store_ids)
    rows = rows.assign(uptime_pct_week=weekly_uptime_pct(rows))
    weekly = rows.loc[rows["uptime_pct_week"].notna(), ["store_id", "uptime_pct_week"]]
    down = (
        rows[rows["downtime_last_week"] > 0]
        .sort_values(["downtime_last_week", "downtime_last_day", "store_id"],
                     ascending=[False, False, True])
        .loc[:, ["store_id", "uptime_pct_week", "downtime_last_week", "downtime_last_day",
                 "downtime_last_hour"]]
        .reset_index(drop=True)
    )
    down.insert(1, "name", [(names or {}).get(str(s), "") for s in down["store_id"]])
    return FleetOverview(
        as_of=result.as_of,
        stores=len(rows),
        stores_without_data=len(unobserved),
        uptime_pct=fleet_uptime_pct(rows),
        weekly_uptime=weekly.reset_index(drop=True),
        uptime_bins=uptime_bins(weekly["uptime_pct_week"]),
        worst=down.head(top),
        with_downtime=down,
    )


def uptime_bins(pct: pd.Series, width: int = 5) -> pd.DataFrame:
    """Stores per band of ``width`` points; the last band includes 100 %."""
    lows = list(range(0, 100, width))
    index = (pct // width).clip(upper=len(lows) - 1).astype("int64")
    counts = index.value_counts().reindex(range(len(lows)), fill_value=0)
    return pd.DataFrame({
        "band": [f"{lo}–{lo + width} %" for lo in lows],
        "low": lows,
        "high": [lo + width for lo in lows],
        "stores": counts.to_numpy(),
    })


@dataclass(frozen=True)
class FleetDowntime:
    """Fleet downtime by store-local hour of week and per store-local day."""

    as_of: datetime
    by_hour_of_week: pd.DataFrame  # day_of_week (0=Mon), local_hour, up_h, down_h, downtime_pct
    heatmap: pd.DataFrame  # 7 rows (Mon..Sun) x 24 columns (0..23): downtime %, NaN = no time
    per_day: pd.DataFrame  # local_date, up_h, down_h, uptime_pct, downtime_pct


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    known = frame["up_h"] + frame["down_h"]
    frame["downtime_pct"] = (100.0 * frame["down_h"] / known.where(known > 0)).round(2)
    frame["uptime_pct"] = (100.0 - frame["downtime_pct"]).round(2)
    return frame


def fleet_downtime(cells: pd.DataFrame, as_of: datetime) -> FleetDowntime:
    """Shape the engine's hours per local date and hour (``timeline.downtime_by_local_hour``)
    into the heatmap by hour of week and the per-day trend."""
    by_how = _shares(cells.groupby(["day_of_week", "local_hour"], as_index=False)[
        ["up_h", "down_h"]].sum())
    heatmap = (
        by_how.pivot(index="day_of_week", columns="local_hour", values="downtime_pct")
        .reindex(index=range(7), columns=range(24))
    )
    heatmap.index = pd.Index(list(DAY_NAMES), name="day")
    per_day = _shares(cells.groupby("local_date", as_index=False)[["up_h", "down_h"]].sum())
    return FleetDowntime(
        as_of=as_of,
        by_hour_of_week=by_how.loc[:, ["day_of_week", "local_hour", "up_h", "down_h",
                                       "downtime_pct"]],
        heatmap=heatmap,
        per_day=per_day.loc[:, ["local_date", "up_h", "down_h", "uptime_pct", "downtime_pct"]],
    )
