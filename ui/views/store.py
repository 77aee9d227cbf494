"""The Store drill-down: finding a store, its report figures, and its timeline shaped for
the charts (local and UTC times, uptime per local day, the weekly hours table)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd

from loop_core.errors import InvalidParameterError
from loop_core.incidents import Incident
from loop_core.models import ReportResult, StoreTimeline
from loop_core.report import REPORT_FIGURES
from loop_core.status import StoreStatus
from loop_core.timeutil import parse_query_instant
from ui.formatting import DAY_NAMES, code_span

HOURS_COLUMNS = ["day", "local", "utc", "utc_offset"]
SPECIAL_COLUMNS = ["date", "local", "utc", "when"]
SPECIAL_DAY_COLUMNS = ["local_date", "label", "closed", "day_start_utc", "day_end_utc",
                       "day_start_local", "day_end_local"]
DAILY_COLUMNS = ["local_date", "uptime_h", "downtime_h", "uptime_pct"]
CLOSED_SPECIAL = "closed (special)"
# Ranges longer than this draw only the polls that matter as markers (a week's 160+ polls
# overlap into a solid band): see ``poll_markers``.
FULL_POLLS_UP_TO = timedelta(days=2)


def find_stores(result: ReportResult, text: str, limit: int = 20,
                names: Mapping[str, str] | None = None) -> list[str]:
    """Store ids of the report whose id contains ``text`` (case-insensitive), prefix matches
    first, then those whose name (``names``: id -> name, stores feed) contains it."""
    needle = text.strip().lower()
    if not needle:
        return []
    ids = result.rows["store_id"].astype(str)
    hits = ids[ids.str.lower().str.contains(needle, regex=False)]
    starts = hits[hits.str.lower().str.startswith(needle)]
    first = set(starts)
    ordered = list(starts) + [s for s in hits if s not in first]
    if names:
        seen = set(ordered)
        named = sorted((name.lower(), s) for s, name in names.items()
                       if needle in name.lower() and s not in seen)
        in_report = set(ids)
        ordered += [s for _, s in named if s in in_report]
    return ordered[:limit]


US_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class RangeFigures:
    """A store's uptime and downtime over the range the drill-down shows, summed from the
    engine's interpolated spans (business time with a known status only), rounded half up
    to hundredths of an hour like the report's CSV."""

    uptime_h: float
    downtime_h: float
    uptime_pct: float | None  # None: no business time with a known status in the range


def _hours(us: int) -> float:
    return ((us * 100 + US_PER_HOUR // 2) // US_PER_HOUR) / 100  # half up, as report_csv.sql


def range_figures(spans: pd.DataFrame) -> RangeFigures:
    """Uptime, downtime and uptime % over the range of ``StoreView.spans``."""
    totals = {"active": 0, "inactive": 0}
    for start, end, status in spans[["start_utc", "end_utc", "status"]].itertuples(index=False):
        # Whole microseconds, as the report counts them.
        totals[str(status)] += (pd.Timestamp(end) - pd.Timestamp(start)) // pd.Timedelta(1, "us")
    known = totals["active"] + totals["inactive"]
    return RangeFigures(
        uptime_h=_hours(totals["active"]),
        downtime_h=_hours(totals["inactive"]),
        uptime_pct=None if known == 0 else round(100.0 * totals["active"] / known, 1),
    )


def local_dates(as_of: datetime, zone: str, days: int = 7) -> tuple[date, date]:
    """The default dates of the custom range: the ``days`` local dates (in ``zone``) up to
    the one holding ``as_of``."""
    last = pd.Timestamp(as_of).tz_convert(zone).date()
    return last - timedelta(days=days - 1), last


def local_dates_range(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants of the local dates ``first``..``last`` (inclusive) in ``zone``: from
    the first date's local midnight to the midnight after the last (a midnight that a
    daylight-saving jump skips starts at the first instant after it; a repeated one, the
    first time it occurs). The one place where the picker's dates become instants."""
    if last < first:
        first, last = last, first

    def midnight(day: date) -> datetime:
        local = pd.Timestamp(datetime.combine(day, time())).tz_localize(
            zone, nonexistent="shift_forward", ambiguous=True)
        return local.tz_convert("UTC").to_pydatetime()

    return midnight(first), midnight(last + timedelta(days=1))


def store_label(store_id: str, names: Mapping[str, str]) -> str:
    """A button's or link's label for a store: its name and its id as code spans (a label
    is markdown; a code span shows the stores feed's text exactly as written)."""
    name = names.get(store_id, "")
    return (f"{code_span(name)} " if name else "") + code_span(store_id)


def store_hover_label(store_id: str, names: Mapping[str, str]) -> str:
    """``Store 123 · Pizza, Austin``, as written: the timeline's Vega tooltip shows its
    values as text (vega-tooltip escapes them), never as HTML."""
    name = names.get(store_id, "")
    return f"Store {store_id}" + (f" · {name}" if name else "")


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
    # start_utc, end_utc, start_local, end_local (naive local), special: each piece of
    # business time, split where special-hours rows (special=True) give it.
    business: pd.DataFrame
    polls: pd.DataFrame  # timestamp_utc, timestamp_local (naive), status, in_hours
    # The polls the timeline draws as markers (``poll_markers``); thinned: fewer than polls.
    marked_polls: pd.DataFrame
    polls_thinned: bool
    spans: pd.DataFrame  # start_utc, end_utc, start_local, end_local, status, minutes
    daily: pd.DataFrame  # local_date, uptime_h, downtime_h, uptime_pct
    hours: pd.DataFrame  # day, local, utc, utc_offset: the weekly schedule as text
    hours_reference: date | None  # the local date the hours' week ends on (None: 24x7)
    open_24x7: bool
    # date, local, utc, when: the special dates of the range and of the next 14 days as text.
    special: pd.DataFrame
    # SPECIAL_DAY_COLUMNS: each special date inside the range, its whole local day and the
    # label the timeline shows ("closed (special)", "special hours 10:00–14:00").
    special_days: pd.DataFrame


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


@dataclass(frozen=True)
class _SpecialDate:
    """One special date of the engine's rows: its open rows (none: closed all day)."""

    day: date
    in_range: bool
    opening: list[dict[Hashable, Any]]  # rows with times, in order
    day_start_utc: pd.Timestamp
    day_end_utc: pd.Timestamp

    @property
    def label(self) -> str:
        """How the timeline and the table word it: "closed (special)", or "special hours
        10:00–14:00" (every open row; a closed row beside open ones starts nothing)."""
        if not self.opening:
            return CLOSED_SPECIAL
        return "special hours " + ", ".join(
            _span_text(r["start_local"], r["end_local"], with_day=False) for r in self.opening)


def _span_text(start: Any, end: Any, *, with_day: bool) -> str:
    opens = pd.Timestamp(start)
    closes = pd.Timestamp(end)
    if opens.tzinfo is not None:
        opens, closes = opens.tz_convert("UTC"), closes.tz_convert("UTC")
    first, last = opens.to_pydatetime(), closes.to_pydatetime()
    day = f"{DAY_NAMES[first.weekday()]} " if with_day else ""
    return f"{day}{first:%H:%M}–{_end_text(first.date(), last, with_day=with_day)}"


def _special_dates(special: pd.DataFrame) -> list[_SpecialDate]:
    by_date: dict[date, list[dict[Hashable, Any]]] = {}
    for row in special.to_dict("records"):
        by_date.setdefault(pd.Timestamp(row["local_date"]).date(), []).append(row)
    return [
        _SpecialDate(day, bool(rows[0]["in_range"]),
                     [r for r in rows if not pd.isna(r["start_local"])],
                     pd.Timestamp(rows[0]["day_start_utc"]), pd.Timestamp(rows[0]["day_end_utc"]))
        for day, rows in sorted(by_date.items())
    ]


def special_dates_table(special: pd.DataFrame) -> pd.DataFrame:
    """One row per special date (engine rows of ``StoreTimeline.special``): the date, its
    hours in local time and in UTC, and whether it lies in the range or ahead."""
    rows = [
        {"date": f"{DAY_NAMES[d.day.weekday()]} {d.day:%Y-%m-%d}",
         "local": d.label,
         "utc": ", ".join(_span_text(r["start_utc"], r["end_utc"], with_day=True)
                          for r in d.opening) or "—",
         "when": "in range" if d.in_range else "next 14 days"}
        for d in _special_dates(special)
    ]
    return pd.DataFrame(rows, columns=SPECIAL_COLUMNS)


def special_days(special: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The special dates inside the range, each as its whole local day with its label, for
    the timeline's shading (SPECIAL_DAY_COLUMNS)."""
    frame = pd.DataFrame(
        [{"local_date": d.day, "label": d.label, "closed": not d.opening,
          "day_start_utc": d.day_start_utc, "day_end_utc": d.day_end_utc}
         for d in _special_dates(special) if d.in_range],
        columns=SPECIAL_DAY_COLUMNS[:5],
    )
    for stem in ("start", "end"):
        frame[f"day_{stem}_utc"] = pd.to_datetime(frame[f"day_{stem}_utc"], utc=True)
        frame[f"day_{stem}_local"] = _to_local(frame[f"day_{stem}_utc"], zone)
    return frame


Span = tuple[pd.Timestamp, pd.Timestamp]


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _outside(start: pd.Timestamp, end: pd.Timestamp, cuts: list[Span]) -> list[Span]:
    """The parts of [start, end) outside the sorted, disjoint ``cuts``."""
    pieces: list[Span] = []
    cursor = start
    for cut_start, cut_end in cuts:
        if cut_start > cursor:
            pieces.append((cursor, min(cut_start, end)))
        cursor = max(cursor, cut_end)
    if cursor < end:
        pieces.append((cursor, end))
    return [p for p in pieces if p[1] > p[0]]


def split_business(business: pd.DataFrame, special: pd.DataFrame) -> pd.DataFrame:
    """The merged business intervals (UTC) cut into the pieces that special-hours rows give
    (``special`` True) and the rest (weekly hours, or 24x7): start_utc, end_utc, special."""
    opening = special[special["start_utc"].notna()]
    cuts = _merged([(pd.Timestamp(a).tz_convert("UTC"), pd.Timestamp(b).tz_convert("UTC"))
                    for a, b in zip(opening["start_utc"], opening["end_utc"], strict=True)])
    pieces: list[tuple[pd.Timestamp, pd.Timestamp, bool]] = []
    for start, end in zip(pd.to_datetime(business["start_utc"], utc=True),
                          pd.to_datetime(business["end_utc"], utc=True), strict=True):
        pieces += [(a, b, False) for a, b in _outside(start, end, cuts)]
        pieces += [(max(start, a), min(end, b), True) for a, b in cuts if a < end and b > start]
    return pd.DataFrame(sorted(pieces), columns=["start_utc", "end_utc", "special"])


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


def poll_markers(polls: pd.DataFrame, *, thin: bool) -> pd.DataFrame:
    """The polls to draw as markers: all of them, or (``thin``) every poll outside business
    hours and, inside them, the first, the last and each whose status differs from the
    previous in-hours poll: the polls where the status bar changes colour."""
    if not thin or polls.empty:
        return polls
    ordered = polls.sort_values("timestamp_utc").reset_index(drop=True)
    inside = ordered["in_hours"].astype(bool)
    # Each poll's previous in-hours status (NaN before the first: the first is a change).
    previous = ordered["status"].where(inside).ffill().shift()
    keep = ~inside | ordered["status"].ne(previous)
    if inside.any():
        keep[inside[inside].index[-1]] = True  # the latest status, where the bar ends
    return ordered[keep]


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
    marked = poll_markers(polls, thin=tl.end - tl.start > FULL_POLLS_UP_TO)
    return StoreView(
        timeline=tl,
        business=_with_local(split_business(tl.business, tl.special), zone),
        polls=polls,
        marked_polls=marked,
        polls_thinned=len(marked) < len(polls),
        spans=spans,
        daily=spans_by_local_day(spans),
        hours=weekly_hours_table(tl.hours),
        hours_reference=None if open_24x7 else pd.Timestamp(tl.hours["week_ends"].iloc[0]).date(),
        open_24x7=open_24x7,
        special=special_dates_table(tl.special),
        special_days=special_days(tl.special, zone),
    )


def linked_range(start: str | None, end: str | None) -> tuple[datetime, datetime] | None:
    """The range a link gives as ``start`` and ``end`` instants (the status page's day),
    or None when the link gives none, or one that cannot be read or ends before it starts."""
    if not start or not end:
        return None
    try:
        lo, hi = parse_query_instant(start), parse_query_instant(end)
    except InvalidParameterError:
        return None
    return (lo, hi) if hi > lo else None
