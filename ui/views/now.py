"""The Now view: how many stores are in each status, the offline-while-open triage list,
and the stores whose status is unknown, from the engine's status and incidents."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import pandas as pd

from loop_core.incidents import Incident
from loop_core.status import StoreState, StoreStatus
from ui.formatting import format_lag
from ui.views.groups import name_matches

TRIAGE_COLUMNS = ["store_id", "name", "link", "downtime_min", "since_local", "since_utc",
                  "poll_age", "closes_local", "zone"]
UNKNOWN_COLUMNS = ["store_id", "name", "link", "why", "latest_observation_utc"]


@dataclass(frozen=True)
class NowView:
    """The fleet at one instant."""

    at: datetime
    counts: dict[StoreState, int]  # every state, 0 included
    offline: pd.DataFrame  # TRIAGE_COLUMNS, most downtime so far first
    unknown: pd.DataFrame  # UNKNOWN_COLUMNS


def store_link(store_id: str) -> str:
    """The drill-down's address for a store (the id is URL-encoded, never markup)."""
    return f"/store?store_id={quote(store_id, safe='')}"


def _local(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    local = pd.Timestamp(value).tz_convert(zone)
    return f"{local:%a %d %b %H:%M}"


def _why_unknown(row: StoreStatus, at: datetime) -> str:
    if row.latest_observation is None:
        return "no poll inside its business hours yet"
    return f"no poll inside its business hours for {format_lag(at - row.latest_observation)}"


def now_view(rows: list[StoreStatus], ongoing: list[Incident], at: datetime,
             contains: str = "", names: Mapping[str, str] | None = None,
             store_ids: Collection[str] | None = None) -> NowView:
    """Shape the engine's status rows (and its incidents, for the downtime so far) for the
    page; ``store_ids`` (the page's group filter) keeps only those stores, counts included;
    ``contains`` filters the lists by store id or name (case-insensitive); ``names`` (id ->
    name, from the stores feed) fills the name columns ('' without one)."""
    names = names or {}
    if store_ids is not None:
        kept = set(store_ids)
        rows = [r for r in rows if r.store_id in kept]
    counts = dict.fromkeys(StoreState, 0)
    for row in rows:
        counts[row.status] += 1
    down_so_far = {i.store_id: i.downtime_us for i in ongoing if i.ended_at is None}
    found = name_matches([r.store_id for r in rows], names, contains)
    shown = [r for r in rows if r.store_id in found]
    offline = pd.DataFrame(
        [
            {
                "store_id": r.store_id,
                "name": names.get(r.store_id, ""),
                "since_local": _local(r.since, r.zone),
                "since_utc": r.since,
                "downtime_min": round(down_so_far.get(r.store_id, 0) / 60_000_000, 1),
                "poll_age": format_lag(at - r.latest_poll),
                "closes_local": _local(r.closes_at, r.zone) or "not within 8 days",
                "zone": r.zone,
                "link": store_link(r.store_id),
            }
            for r in shown if r.status is StoreState.OFFLINE
        ],
        columns=TRIAGE_COLUMNS,
    )
    offline = offline.sort_values(["downtime_min", "store_id"], ascending=[False, True],
                                  ignore_index=True)
    unknown = pd.DataFrame(
        [
            {
                "store_id": r.store_id,
                "name": names.get(r.store_id, ""),
                "why": _why_unknown(r, at),
                "latest_observation_utc": r.latest_observation,
                "link": store_link(r.store_id),
            }
            for r in shown if r.status is StoreState.UNKNOWN
        ],
        columns=UNKNOWN_COLUMNS,
    )
    return NowView(at, counts, offline, unknown)
