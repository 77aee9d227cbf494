"""What the dashboard's Fleet overview, Store drill-down and sidebar show, ready to render.

Every function returns plain data (dataclasses, tidy DataFrames) so that the pages only
read widgets, call one function here and draw the result. Report figures always come
from the engine's own report (``loop_core.report``), so the dashboard can never disagree
with the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from loop_core import report
from loop_core.bootstrap import SAMPLE_SOURCE
from loop_core.models import ReportResult, StoreTimeline
from loop_core.sqlfiles import load_sql

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The six figures of a report row (the SPEC columns after store_id).
REPORT_COLUMNS = tuple(report.REPORT_COLUMNS[1:])
WINDOWS = ("hour", "day", "week")


# ---------------------------------------------------------------- freshness


@dataclass(frozen=True)
class Freshness:
    """How fresh and how big the data is; ``latest_poll`` is the report's default "now"."""

    latest_poll: datetime | None
    polls: int
    stores: int
    data_version: int
    last_load: datetime | None
    last_load_file: str | None
    last_load_source: str | None
    loads: int
    sample_only: bool

    def lag(self, now: datetime | None = None) -> timedelta | None:
        """How far the latest poll lags the wall clock (``now`` defaults to the current time)."""
        if self.latest_poll is None:
            return None
        return (now or datetime.now(UTC)) - self.latest_poll


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes with every load; cheap enough to ask on every rerun."""
    with con.cursor() as cur:
        row = cur.execute(load_sql("dashboard/data_version")).fetchone()
    return int(row[0]) if row else 0


def freshness(con: duckdb.DuckDBPyConnection) -> Freshness:
    """The latest poll, the latest load and the size of the data."""
    with con.cursor() as cur:
        row = cur.execute(load_sql("dashboard/freshness"), [SAMPLE_SOURCE]).fetchone()
    assert row is not None  # aggregates always return one row
    return Freshness(
        latest_poll=row[0],
        polls=int(row[1]),
        stores=int(row[2]),
        data_version=int(row[3]),
        last_load=row[4],
        last_load_file=row[5],
        last_load_source=row[6],
        loads=int(row[7]),
        sample_only=bool(row[8]),
    )


# ---------------------------------------------------------------- fleet overview


@dataclass(frozen=True)
class FleetOverview:
    """Fleet KPIs and per-store figures derived from one report."""

    as_of: datetime
    stores: int  # stores in the report (with at least one poll at or before as-of)
    stores_without_data: int  # no poll inside their business hours: all figures 0
    uptime_pct: dict[str, float | None]  # window -> % of business time up, None if no time
    weekly_uptime: pd.DataFrame  # store_id, uptime_pct_week (stores with business time)
    uptime_bins: pd.DataFrame  # band ("95–100 %"), low, high, stores: 5-point bands, 100 included
    worst: pd.DataFrame  # store_id, uptime_pct_week, downtime_last_week, _day, _hour


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


def fleet_overview(result: ReportResult, top: int = 15) -> FleetOverview:
    """KPIs, the weekly uptime distribution and the ``top`` stores with most downtime."""
    rows = result.rows.assign(uptime_pct_week=weekly_uptime_pct(result.rows))
    weekly = rows.loc[rows["uptime_pct_week"].notna(), ["store_id", "uptime_pct_week"]]
    worst = (
        rows[rows["downtime_last_week"] > 0]
        .sort_values(["downtime_last_week", "downtime_last_day", "store_id"],
                     ascending=[False, False, True])
        .head(top)
        .loc[:, ["store_id", "uptime_pct_week", "downtime_last_week", "downtime_last_day",
                 "downtime_last_hour"]]
        .reset_index(drop=True)
    )
    return FleetOverview(
        as_of=result.as_of,
        stores=len(rows),
        stores_without_data=result.stores_without_observations,
        uptime_pct=fleet_uptime_pct(rows),
        weekly_uptime=weekly.reset_index(drop=True),
        uptime_bins=_uptime_bins(weekly["uptime_pct_week"]),
        worst=worst,
    )


def _uptime_bins(pct: pd.Series, width: int = 5) -> pd.DataFrame:
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


def fleet_downtime(
    con: duckdb.DuckDBPyConnection, as_of: datetime, days: int = 7
) -> FleetDowntime:
    """Interpolated downtime of all stores in ``[as_of - days, as_of)`` by store-local hour.

    Built from ``timeline.status_spans`` (the report's own observations and midpoints), so
    summing the hours gives the report's fleet figures for the same window.
    """
    from loop_core.timeline import status_spans

    spans = status_spans(con, None, as_of - timedelta(days=days), as_of, as_of=as_of,
                         with_polls=False)
    with con.cursor() as cur:
        cur.register("fleet_spans", spans)
        cells = cur.execute(load_sql("dashboard/downtime_by_hour")).df()
        cur.unregister("fleet_spans")
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


# ---------------------------------------------------------------- store drill-down


def find_stores(result: ReportResult, text: str, limit: int = 20) -> list[str]:
    """Store ids of the report containing ``text`` (case-insensitive), prefix matches first."""
    needle = text.strip().lower()
    if not needle:
        return []
    ids = result.rows["store_id"].astype(str)
    lowered = ids.str.lower()
    hits = ids[lowered.str.contains(needle, regex=False)]
    starts = hits[hits.str.lower().str.startswith(needle)]
    ordered = list(starts) + [s for s in hits if s not in set(starts)]
    return ordered[:limit]


def store_figures(result: ReportResult, store_id: str) -> dict[str, float] | None:
    """The store's six figures, exactly as in its report row; None if it is not in the report."""
    match = result.rows[result.rows["store_id"] == store_id]
    if match.empty:
        return None
    row = match.iloc[0]
    return {column: float(row[column]) for column in REPORT_COLUMNS}


@dataclass(frozen=True)
class StoreView:
    """The drill-down of one store over a range, with times in UTC and store-local."""

    timeline: StoreTimeline
    business: pd.DataFrame  # start_utc, end_utc, start_local, end_local (naive local)
    polls: pd.DataFrame  # timestamp_utc, timestamp_local (naive), status, in_hours
    spans: pd.DataFrame  # start_utc, end_utc, start_local, end_local, status, minutes
    daily: pd.DataFrame  # local_date, uptime_h, downtime_h, uptime_pct
    hours: pd.DataFrame  # day, local, utc (the weekly schedule, UTC as on reference date)
    hours_reference: date  # the local week the UTC column was computed for
    open_24x7: bool


def _to_local(values: pd.Series, zone: str) -> pd.Series:
    utc = pd.to_datetime(values, utc=True)
    return utc.dt.tz_convert(zone).dt.tz_localize(None)


def _spans_by_local_day(spans: pd.DataFrame) -> pd.DataFrame:
    """Split spans at local midnight and sum hours per local date and status."""
    pieces: list[tuple[date, str, float]] = []
    for start, end, status in spans[["start_local", "end_local", "status"]].itertuples(index=False):
        cursor = start
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
            stop = min(end, pd.Timestamp(midnight))
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


def _fmt_time(value: object) -> str:
    text = str(value)
    return text[:5] if len(text) >= 5 else text


def _utc_piece(start: datetime, end: datetime) -> str:
    begin = f"{DAY_NAMES[start.weekday()]} {start:%H:%M}"
    if end.date() == start.date() or end == datetime.combine(start.date() + timedelta(days=1),
                                                             time(), tzinfo=UTC):
        return f"{begin}–{'24:00' if end.date() != start.date() else f'{end:%H:%M}'}"
    return f"{begin}–{DAY_NAMES[end.weekday()]} {end:%H:%M}"


def _weekly_hours(hours: pd.DataFrame, zone: str, reference: date) -> pd.DataFrame:
    """One row per weekday: its intervals in local time, and in UTC on the week ending
    ``reference`` (offsets move with daylight saving)."""
    tz = ZoneInfo(zone)
    per_day: dict[int, dict[str, list[str]]] = {}
    ordered = hours.sort_values(["day_of_week", "start_time_local"])
    for day, start, end in ordered[["day_of_week", "start_time_local", "end_time_local"]] \
            .itertuples(index=False):
        on = reference - timedelta(days=(reference.weekday() - int(day)) % 7)
        start_t = start if isinstance(start, time) else time.fromisoformat(str(start))
        end_t = end if isinstance(end, time) else time.fromisoformat(str(end))
        until_midnight = end_t >= time(23, 59)
        overnight = not until_midnight and end_t <= start_t
        start_local = datetime.combine(on, start_t, tzinfo=tz)
        end_day = on + timedelta(days=1) if (until_midnight or overnight) else on
        end_local = datetime.combine(end_day, time() if until_midnight else end_t, tzinfo=tz)
        offset = start_local.strftime("%z")
        entry = per_day.setdefault(int(day), {"local": [], "utc": [], "offset": []})
        entry["local"].append(
            f"{_fmt_time(start)}–{'24:00' if until_midnight else _fmt_time(end)}"
            + (" (+1 d)" if overnight else ""))
        entry["utc"].append(_utc_piece(start_local.astimezone(UTC), end_local.astimezone(UTC)))
        entry["offset"].append(f"UTC{offset[:3]}:{offset[3:]}")
    rows = [
        {"day": DAY_NAMES[day], "local": ", ".join(e["local"]), "utc": ", ".join(e["utc"]),
         "utc_offset": ", ".join(dict.fromkeys(e["offset"]))}
        for day, e in sorted(per_day.items())
    ]
    return pd.DataFrame(rows, columns=["day", "local", "utc", "utc_offset"])


def store_view(
    con: duckdb.DuckDBPyConnection,
    store_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> StoreView:
    """The store's timeline from the engine, with local times, daily uptime and its hours."""
    from loop_core.timeline import store_timeline  # the engine's; imported when needed

    tl = store_timeline(con, store_id, start, end)
    zone = tl.timezone
    business = tl.business.copy()
    for column in ("start_utc", "end_utc"):
        business[column] = pd.to_datetime(business[column], utc=True)
    business["start_local"] = _to_local(business["start_utc"], zone)
    business["end_local"] = _to_local(business["end_utc"], zone)
    polls = tl.polls.copy()
    polls["timestamp_utc"] = pd.to_datetime(polls["timestamp_utc"], utc=True)
    polls["timestamp_local"] = _to_local(polls["timestamp_utc"], zone)
    spans = tl.spans.copy()
    for column in ("start_utc", "end_utc"):
        spans[column] = pd.to_datetime(spans[column], utc=True)
    spans["start_local"] = _to_local(spans["start_utc"], zone)
    spans["end_local"] = _to_local(spans["end_utc"], zone)
    spans["minutes"] = ((spans["end_utc"] - spans["start_utc"]).dt.total_seconds() / 60).round(1)
    reference = (tl.end.astimezone(ZoneInfo(zone)) - timedelta(microseconds=1)).date()
    open_24x7 = tl.hours.empty
    return StoreView(
        timeline=tl,
        business=business,
        polls=polls,
        spans=spans,
        daily=_spans_by_local_day(spans) if not spans.empty else pd.DataFrame(
            columns=["local_date", "uptime_h", "downtime_h", "uptime_pct"]),
        hours=_weekly_hours(tl.hours, zone, reference) if not open_24x7 else pd.DataFrame(
            columns=["day", "local", "utc", "utc_offset"]),
        hours_reference=reference,
        open_24x7=open_24x7,
    )
