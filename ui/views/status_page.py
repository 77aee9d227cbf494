"""The status page: one row per store (or region, or time zone), one cell per store-local
day of the last N days, coloured by that day's business-hours uptime, like the 90-day bars
of public status pages. From the engine's days (``loop_core.daily.store_days``), which are
the report's own spans cut at local midnights."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from loop_core.daily import StoreDays
from ui.formatting import DAY_NAMES

DAYS = 30  # the days the page shows, today (so far) included
PAGE_SIZE = 50
US_PER_H = 3_600_000_000
GROUPINGS = {"store": "Stores", "region": "Regions", "zone": "Time zones"}
NO_REGION = "(no region)"
GROUPS_OF_STORES = ("region", "zone")  # the groupings whose rows sum stores
# What a cell without an uptime figure means; the chart greys them.
CLOSED = "closed"  # no business time that day
NO_STATUS = "no status"  # business time, but no observation ever: nothing is known
BEFORE_FIRST_POLL = "before first poll"  # the day ended before the store was first polled
MEASURED = "measured"
ROW_COLUMNS = ["key", "label", "stores", "business_h", "up_h", "down_h", "uptime_pct",
               "down_days", "worst_day_pct"]
CELL_COLUMNS = ["key", "label", "local_date", "business_h", "up_h", "down_h", "uptime_pct",
                "incidents", "longest_h", "state", "hover", "store_id", "start", "end"]


@dataclass(frozen=True)
class StatusGrid:
    """Every row's figures over the days and every cell, sorted worst first; cached per
    data version and grouping, then paged by :func:`status_page`."""

    as_of: datetime
    days: int
    grouping: str  # a key of GROUPINGS
    dates: list[date]  # every local date of any row, in order
    rows: pd.DataFrame  # ROW_COLUMNS, worst first (no figure at all last)
    cells: pd.DataFrame  # CELL_COLUMNS but hover and label: one per row and local date
    search_text: pd.Series  # per row (aligned with ``rows``): what the search box matches
    # Per store row (aligned with ``rows``; empty for group rows): the store's group for
    # each grouping but "store", so a group's cell can open its stores (``within``).
    groups: pd.DataFrame


@dataclass(frozen=True)
class StatusPage:
    """The rows of one page and their cells, with hover text (small: cached per page)."""

    as_of: datetime
    grouping: str
    dates: list[date]  # the grid's local dates: every page has the same columns
    matches: int  # rows matching the search
    page: int  # 1-based, clamped to the pages there are
    pages: int
    rows: pd.DataFrame  # ROW_COLUMNS of this page, worst first
    cells: pd.DataFrame  # CELL_COLUMNS of this page's rows
    within: tuple[str, str] | None = None  # (grouping, group): only that group's stores

    @property
    def without_regions(self) -> bool:
        """Rows by region, and no store has one: the stores feed gave none."""
        return self.grouping == "region" and bool(self.rows["key"].eq(NO_REGION).all())


def _pct(up: pd.Series, down: pd.Series) -> pd.Series:
    known = up + down
    return (100.0 * up / known.where(known > 0)).round(2)


def _cell_state(frame: pd.DataFrame) -> pd.Series:
    state = pd.Series(MEASURED, index=frame.index, dtype=object)
    state[frame["up_h"] + frame["down_h"] <= 0] = NO_STATUS
    state[frame["business_h"] <= 0] = CLOSED
    state[frame["before_first_poll"].astype(bool) & (state != CLOSED)] = BEFORE_FIRST_POLL
    return state


def _group_keys(found: StoreDays, grouping: str, regions: Mapping[str, str]) -> pd.Series:
    if grouping == "store":
        return found.frame["store_id"].astype(str)
    if grouping == "region":
        given = found.frame["store_id"].map(dict(regions)).astype(object)
        return given.where(given.notna(), NO_REGION).astype(str)
    if grouping == "zone":
        return found.frame["zone"].astype(str)
    raise ValueError(f"unknown grouping {grouping!r}")


def status_grid(found: StoreDays, grouping: str = "store",
                names: Mapping[str, str] | None = None,
                regions: Mapping[str, str] | None = None) -> StatusGrid:
    """The engine's store days shaped per row (a store, or a region or time zone summing its
    stores' days by local date), sorted worst first: lowest uptime over the days, then most
    downtime. Days before a store's first poll count nowhere (the rules give them its first
    status; a status page would show an uptime nobody measured)."""
    names = names or {}
    regions = regions or {}
    frame = found.frame.copy()
    frame["key"] = _group_keys(found, grouping, regions)
    for column in ("business", "up", "down", "longest_incident"):
        frame[f"{column}_h"] = frame[f"{column}_us"].astype("int64") / US_PER_H
    counted = ~frame["before_first_poll"].astype(bool)
    for column in ("up_h", "down_h", "incidents"):
        frame[column] = frame[column].where(counted, 0)
    frame["longest_incident_h"] = frame["longest_incident_h"].where(counted, 0.0)
    # Dates stay datetime64 here (420,000 Python dates cost a second); a page's cells get
    # Python dates (status_page).
    frame["local_date"] = pd.to_datetime(frame["local_date"])
    keys = ["key", "local_date"]
    frame = frame.rename(columns={"longest_incident_h": "longest_h", "day_start_utc": "start",
                                  "day_end_utc": "end"})
    if grouping == "store":  # one row per store and date already, in that order
        cells = frame.loc[:, [*keys, "business_h", "up_h", "down_h", "incidents", "longest_h",
                              "before_first_poll", "store_id", "start", "end"]]
    else:  # a group's day: its stores' days of that local date; a cell opens no store
        cells = frame.groupby(keys, as_index=False).agg(
            business_h=("business_h", "sum"), up_h=("up_h", "sum"), down_h=("down_h", "sum"),
            incidents=("incidents", "sum"), longest_h=("longest_h", "max"),
            before_first_poll=("before_first_poll", "all"),
            start=("start", "min"), end=("end", "max"),
        ).assign(store_id=None).sort_values(keys)
    cells["uptime_pct"] = _pct(cells["up_h"], cells["down_h"])
    cells["state"] = _cell_state(cells)
    cells["down_day"] = (cells["down_h"] > 0).astype("int64")
    per_row = cells.groupby("key", as_index=False).agg(
        business_h=("business_h", "sum"), up_h=("up_h", "sum"), down_h=("down_h", "sum"),
        down_days=("down_day", "sum"),
        worst_day_pct=("uptime_pct", "min"),
    )
    per_row["stores"] = 1 if grouping == "store" else \
        per_row["key"].map(frame.groupby("key")["store_id"].nunique()).astype("int64")
    per_row["uptime_pct"] = _pct(per_row["up_h"], per_row["down_h"])
    if grouping == "store":
        per_row["label"] = [_store_label(k, names.get(k)) for k in per_row["key"]]
        search = [f"{k} {names.get(k, '')}".lower() for k in per_row["key"]]
        for kind in GROUPS_OF_STORES:  # a store's group is the same on every day
            per_row[kind] = per_row["key"].map(_group_keys(found, kind, regions)
                                               .groupby(found.frame["store_id"]).first())
    else:
        per_row["label"] = per_row["key"]
        search = list(per_row["key"].str.lower())
        for kind in GROUPS_OF_STORES:
            per_row[kind] = ""
    per_row["search"] = search
    per_row = per_row.sort_values(
        ["uptime_pct", "down_h", "key"], ascending=[True, False, True], na_position="last",
    ).reset_index(drop=True)
    return StatusGrid(
        as_of=found.as_of, days=found.days, grouping=grouping,
        dates=sorted(pd.Timestamp(d).date() for d in cells["local_date"].unique()),
        rows=per_row.loc[:, ROW_COLUMNS],
        cells=cells.reset_index(drop=True).loc[
            :, [c for c in CELL_COLUMNS if c not in ("hover", "label")]],
        search_text=per_row["search"],
        groups=per_row.loc[:, list(GROUPS_OF_STORES)],
    )


def _store_label(store_id: str, name: str | None) -> str:
    return f"{name} · {store_id}" if name else store_id


def status_page(grid: StatusGrid, contains: str = "", page: int = 1,
                page_size: int = PAGE_SIZE, within: tuple[str, str] | None = None) -> StatusPage:
    """The ``page``-th ``page_size`` rows (worst first) whose id, name or group contains
    ``contains`` (case-insensitive), with each cell's hover text. ``within`` (a grouping
    of GROUPS_OF_STORES and one of its groups) keeps only that group's stores, on a grid of
    stores."""
    needle = contains.strip().lower()
    hit = grid.search_text.str.contains(needle, regex=False) if needle else \
        pd.Series(True, index=grid.rows.index)
    if within is not None and grid.grouping == "store":
        hit &= grid.groups[within[0]].eq(within[1])
    else:
        within = None
    matching = grid.rows[hit.to_numpy()]
    pages = max(1, math.ceil(len(matching) / page_size))
    page = min(max(1, page), pages)
    rows = matching.iloc[(page - 1) * page_size: page * page_size].reset_index(drop=True)
    cells = grid.cells[grid.cells["key"].isin(set(rows["key"]))].copy()
    cells["local_date"] = cells["local_date"].dt.date
    cells["label"] = cells["key"].map(dict(zip(rows["key"], rows["label"], strict=True)))
    cells["hover"] = [_hover(c, grid.grouping)
                      for c in cells.astype({"local_date": object}).itertuples(index=False)]
    return StatusPage(as_of=grid.as_of, grouping=grid.grouping, dates=grid.dates,
                      matches=len(matching), page=page, pages=pages, rows=rows,
                      cells=cells.loc[:, CELL_COLUMNS].reset_index(drop=True), within=within)


def cell_target(page: StatusPage, row: int, column: int) -> tuple[str, str, str] | None:
    """What a click on the cell of the page's ``row`` and the ``column``-th date opens: the
    store and the day's UTC bounds (ISO 8601), or None (a group's cell, or no such cell)."""
    if not (0 <= row < len(page.rows) and 0 <= column < len(page.dates)):
        return None
    cells = page.cells
    hit = cells[(cells["key"] == page.rows["key"].iloc[row])
                & (cells["local_date"] == page.dates[column])]
    if hit.empty or hit["store_id"].isna().iloc[0]:
        return None
    cell = hit.iloc[0]
    return (str(cell["store_id"]), pd.Timestamp(cell["start"]).isoformat(),
            pd.Timestamp(cell["end"]).isoformat())


def group_target(page: StatusPage, row: int, column: int) -> tuple[str, str, date] | None:
    """What a click on a group's cell opens: its stores on that day, as the grouping, the
    group and the local date; None on a page of stores (``cell_target``) or off the grid."""
    if page.grouping == "store" or not (0 <= row < len(page.rows)
                                        and 0 <= column < len(page.dates)):
        return None
    return page.grouping, str(page.rows["key"].iloc[row]), page.dates[column]


def _hours(value: float) -> str:
    return f"{value:.2f} h"


def _hover(cell: object, grouping: str) -> str:
    """One cell's figures for the chart's tooltip, a line each (the chart shows each line
    as text: ids, names and regions show as written). Short: a page has 1,500."""
    c: Any = cell
    day: date = c.local_date
    lines = [str(c.key), f"{DAY_NAMES[day.weekday()]} {day:%Y-%m-%d}"]
    if c.state == CLOSED:
        lines.append("Closed: no business hours")
    elif c.state == BEFORE_FIRST_POLL:
        lines.append("Before the store's first poll")
    elif c.state == NO_STATUS:
        lines.append(f"{_hours(c.business_h)} business time, no status known")
    else:
        lines.append(f"Uptime {c.uptime_pct:.2f} % of {_hours(c.business_h)}")
        lines.append(f"Up {_hours(c.up_h)} · down {_hours(c.down_h)}")
        lines.append(f"{int(c.incidents)} incident{'' if c.incidents == 1 else 's'}"
                     + (f", longest {_hours(c.longest_h)}" if c.incidents else ""))
    return "\n".join(lines)
