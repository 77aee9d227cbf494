"""The Store drill-down: finding a store, its report figures, and its timeline shaped for
the charts (local and UTC times, uptime per local day, the weekly hours table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd

from loop_core.incidents import Incident
from loop_core.models import ReportResult, StoreTimeline
from loop_core.report import REPORT_FIGURES
from loop_core.status import StoreStatus
from ui.formatting import DAY_NAMES

HOURS_COLUMNS = ["day", "local", "utc", "utc_offset"]
DAILY_COLUMNS = ["local_date", "uptime_h", "downtime_h", "uptime_pct"]


def find_stores(result: ReportResult, text: str, limit: int = 20) -> list[str]:
    """Store ids of the report containing ``text`` (case-insensitive), prefix matches first."""
    needle = text.strip().lower()
    if not needle:
        return []
    ids = result.rows["store_id"].astype(str)
    hits = ids[ids.str.lower().str.contains(needle, regex=False)]
    starts = hits[hits.str.lower().str.startswith(needle)]
    first = set(starts)
    ordered = list(starts) + [s for s in hits if s not in first]
    return ordered[:limit]


def store_figures(result: ReportResult, store_id: str) -> dict[str, float] | None:
    """The store's six figures, exactly as in its report row; None if it is not in the report."""
    match = result.rows[result.rows["store_id"] == store_id]
    if match.empty:
        return None
    row = match.iloc[0]
    return {column: float(row[column]) for column in REPORT_FIGURES}


@dataclass(frozen=True)
class StoreView:
    """The drill-down of one store over a range, with times in UTC and store-local."""

    timeline: StoreTimeline
    business: pd.DataFrame  # start_utc, end_utc, start_local, end_local (naive local)
    polls: pd.DataFrame  # timestamp_utc, timestamp_local (naive), status, in_hours
    spans: pd.DataFrame  # start_utc, end_utc, start_local, end_local, status, minutes
    daily: pd.DataFrame  # local_date, uptime_h, downtime_h, uptime_pct
    hours: pd.DataFrame  # day, local, utc, utc_offset: the weekly schedule as text
    hours_reference: date | None  # the local date the hours' week ends on (None: 24x7)
    open_24x7: bool


def _to_local(values: pd.Series, zone: str) -> pd.Series:
    utc = pd.to_datetime(values, utc=True)
    return utc.dt.tz_convert(zone).dt.tz_localize(None)


def _with_local(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    frame = frame.copy()
    for stem in ("start", "end"):
        frame[f"{stem}_utc"] = pd.to_datetime(frame[f"{stem}_utc"], utc=True)
        frame[f"{stem}_local"] = _to_local(frame[f"{stem}_utc"], zone)
    return frame


def spans_by_local_day(spans: pd.DataFrame) -> pd.DataFrame:
    """Split spans at local midnight and sum hours per local date and status."""
    if spans.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    pieces: list[tuple[date, str, float]] = []
    for start, end, status in spans[["start_local", "end_local", "status"]].itertuples(index=False):
        cursor = start
        while cursor < end:
            midnight = pd.Timestamp(datetime.combine(cursor.date() + timedelta(days=1), time()))
            stop = min(end, midnight)
            pieces.append((cursor.date(), str(status), (stop - cursor).total_seconds() / 3600))
            cursor = stop
    frame = pd.DataFrame(pieces, columns=["local_date", "status", "hours"])
    table = frame.pivot_table(index="local_date", columns="status", values="hours",
                              aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=["active", "inactive"], fill_value=0.0)
    daily = pd.DataFrame({
        "local_date": table.index,
        "uptime_h": table["active"].round(2).to_numpy(),
        "downtime_h": table["inactive"].round(2).to_numpy(),
    })
    total = daily["uptime_h"] + daily["downtime_h"]
    daily["uptime_pct"] = (100.0 * daily["uptime_h"] / total.where(total > 0)).round(1)
    return daily.reset_index(drop=True)


def _end_text(on: date, end: datetime, *, with_day: bool) -> str:
    """How an interval's end reads next to its start: ``14:30``, ``24:00`` (midnight ending
    the start's day) or ``02:00 (+1 d)`` / ``Tue 02:00`` (a later day)."""
    if end.date() == on:
        return f"{end:%H:%M}"
    if end.date() == on + timedelta(days=1) and end.time() == time():
        return "24:00"
    return f"{DAY_NAMES[end.weekday()]} {end:%H:%M}" if with_day else f"{end:%H:%M} (+1 d)"


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(int(minutes)), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def weekly_hours_table(hours: pd.DataFrame) -> pd.DataFrame:
    """One row per weekday from the engine's placed hours rows (``StoreTimeline.hours``):
    its intervals in local time, in UTC on that week, and the zone's UTC offset(s)."""
    per_day: dict[int, dict[str, list[str]]] = {}
    ordered = hours.sort_values(["day_of_week", "start_time_local"])
    for row in ordered.to_dict("records"):  # plain values, typed Any: read each as needed
        start_local = pd.Timestamp(row["start_local"]).to_pydatetime()
        end_local = pd.Timestamp(row["end_local"]).to_pydatetime()
        start_utc = pd.Timestamp(row["start_utc"]).tz_convert("UTC").to_pydatetime()
        end_utc = pd.Timestamp(row["end_utc"]).tz_convert("UTC").to_pydatetime()
        entry = per_day.setdefault(int(row["day_of_week"]), {"local": [], "utc": [], "offset": []})
        on = start_local.date()
        entry["local"].append(
            f"{start_local:%H:%M}–{_end_text(on, end_local, with_day=False)}")
        entry["utc"].append(
            f"{DAY_NAMES[start_utc.weekday()]} {start_utc:%H:%M}–"
            + _end_text(start_utc.date(), end_utc, with_day=True))
        entry["offset"].append(_offset_text(int(row["utc_offset_minutes"])))
    rows = [
        {"day": DAY_NAMES[day], "local": ", ".join(e["local"]), "utc": ", ".join(e["utc"]),
         "utc_offset": ", ".join(dict.fromkeys(e["offset"]))}
        for day, e in sorted(per_day.items())
    ]
    return pd.DataFrame(rows, columns=HOURS_COLUMNS)


def store_incidents(found: list[Incident], zone: str, range_end: datetime) -> pd.DataFrame:
    """The store's incidents in the range as bars: start_utc, end_utc (an ongoing one runs
    to the end of the range), start_local, end_local, minutes, state."""
    frame = pd.DataFrame(
        [{"start_utc": i.started_at, "end_utc": i.ended_at or range_end,
          "minutes": i.downtime_minutes, "state": "ongoing" if i.ended_at is None else "ended"}
         for i in found],
        columns=["start_utc", "end_utc", "minutes", "state"],
    )
    return _with_local(frame, zone) if len(frame) else frame.assign(start_local=[], end_local=[])


def status_line(row: StoreStatus | None) -> str | None:
    """The badge's text: "Offline since Mon 09:40 (America/New_York)", or None."""
    if row is None:
        return None
    if row.since is None:
        return row.status.capitalize()
    local = pd.Timestamp(row.since).tz_convert(row.zone)
    return f"{row.status.capitalize()} since {local:%a %d %b %H:%M} ({row.zone})"


def store_view(tl: StoreTimeline) -> StoreView:
    """The engine's timeline with local times, daily uptime and its hours table."""
    zone = tl.timezone
    polls = tl.polls.copy()
    polls["timestamp_utc"] = pd.to_datetime(polls["timestamp_utc"], utc=True)
    polls["timestamp_local"] = _to_local(polls["timestamp_utc"], zone)
    spans = _with_local(tl.spans, zone)
    spans["minutes"] = ((spans["end_utc"] - spans["start_utc"]).dt.total_seconds() / 60).round(1)
    open_24x7 = tl.hours.empty
    return StoreView(
        timeline=tl,
        business=_with_local(tl.business, zone),
        polls=polls,
        spans=spans,
        daily=spans_by_local_day(spans),
        hours=weekly_hours_table(tl.hours),
        hours_reference=None if open_24x7 else pd.Timestamp(tl.hours["week_ends"].iloc[0]).date(),
        open_24x7=open_24x7,
    )
