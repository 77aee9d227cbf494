"""The dashboard pages' charts: tidy frames from ``loop_core`` in, figures out.

Vega-Lite (Altair), not Plotly: Streamlit's Vega chunk is a sixth of Plotly's (0.8 MB
against 4.7 MB), and the first Plotly chart of a browser session cost seconds to load and
compile (docs/PERFORMANCE.md, "Page times in the browser": charts in Vega-Lite).

No data is computed here (that is ``ui.views``); these functions only map columns
to traces, and label every axis with its unit and whether times are store-local or UTC.
"""

from __future__ import annotations

import json
from datetime import date
from typing import cast

import altair as alt
import pandas as pd

from ui.formatting import DAY_NAMES
from ui.views import status_page as status_view
from ui.views.store import StoreView

UP = "#2e9e5b"
DOWN = "#d64545"
BUSINESS = "rgba(66, 133, 244, 0.12)"
SPECIAL = "rgba(245, 158, 11, 0.30)"  # business time that special-hours rows give
SPECIAL_DAY = "rgba(245, 158, 11, 0.08)"  # the whole local day of a special date
CLOSED_DAY = "rgba(120, 120, 120, 0.16)"  # a special date closed all day
# The heatmap's darkest red: this share of business time down (more stays darkest), so a
# fleet that is barely down reads pale instead of alarming.
HEATMAP_TOP_PCT = 10.0
# ColorBrewer's 9 reds (Plotly's "Reds"), from almost white at 0 to the darkest at the top.
REDS = ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d",
        "#a50f15", "#67000d"]


def _percent_axis(title: str, values: list[int] | None = None) -> alt.Axis:
    if values is None:
        return alt.Axis(title=title, labelExpr="datum.value + '%'")
    return alt.Axis(title=title, labelExpr="datum.value + '%'", values=values)


def _day_axis(title: str) -> alt.Axis:
    """One label per store-local date, the last included: labels are categories, and
    overlapping ones are kept (Vega would otherwise drop every other one on a narrow
    chart); at -45 degrees each label ends at its tick, inside the figure."""
    return alt.Axis(title=title, labelAngle=-45, labelOverlap=False, labelPadding=4)


def _uptime_y(values: pd.Series) -> alt.Y:
    """Uptime % from 5 points under the lowest value (0 at most) to just over 100."""
    low = float(values.min()) if len(values) else 0.0
    return alt.Y("uptime_pct:Q", scale=alt.Scale(domain=[max(0.0, low - 5), 101], nice=False,
                                                  zero=False),
                 axis=_percent_axis("Uptime (% of business time)"))


def _day_labels(days: pd.Series) -> list[str]:
    return [f"{pd.Timestamp(d):%a %d %b}" for d in days]


def weekly_uptime_histogram(bins: pd.DataFrame) -> alt.LayerChart:
    """How many stores reached each 5-point band of weekly uptime."""
    data = pd.DataFrame({
        "low": bins["low"].astype(float), "high": bins["high"].astype(float),
        "stores": bins["stores"].astype("int64"), "band": bins["band"].astype(str),
        "label": [f"{n:,}" if n else "" for n in bins["stores"]],
    })
    top = float(data["stores"].max()) if len(data) else 0.0
    scale = alt.Scale(domain=[0, 100.5], nice=False)
    base = alt.Chart(data).encode(
        y=alt.Y("stores:Q", title="Stores", scale=alt.Scale(domain=[0, max(1.0, top * 1.15)])),
        tooltip=[alt.Tooltip("band:N", title="Uptime"),
                 alt.Tooltip("stores:Q", title="Stores", format=",")],
    )
    bars = base.mark_rect(color=UP).encode(
        x=alt.X("start:Q", scale=scale, axis=_percent_axis(
            "Uptime last week (% of business time, 5-point bands)",
            values=list(range(0, 101, 10)))),
        x2="end:Q", y2=alt.datum(0),
    ).transform_calculate(  # a gap between neighbouring bands
        start="datum.low + (datum.high - datum.low) * 0.025",
        end="datum.high - (datum.high - datum.low) * 0.025")
    text = base.mark_text(dy=-7, fontSize=11).encode(
        x=alt.X("mid:Q", scale=scale), text="label:N",
    ).transform_calculate(mid="(datum.low + datum.high) / 2")
    return alt.LayerChart(layer=[bars, text], height=300)


def downtime_heatmap(heatmap: pd.DataFrame, value_label: str) -> alt.Chart:
    """Downtime share by store-local weekday (rows) and hour (columns), on a colour scale
    from 0 (white) to at least ``HEATMAP_TOP_PCT``: equal differences look equal."""
    highest = heatmap.max(skipna=True).max(skipna=True) if heatmap.size else None
    top = 0.0 if highest is None or pd.isna(highest) else float(highest)
    stacked = cast(pd.Series, heatmap.rename_axis(index="day", columns="hour").stack())
    long = stacked.rename("pct").reset_index()
    long = long[long["pct"].notna()]  # no business time there: no cell
    data = pd.DataFrame({"day": long["day"].astype(str),
                         "hour": [f"{int(h):02d}:00" for h in long["hour"]],
                         "pct": long["pct"].astype(float)})
    hours = [f"{h:02d}:00" for h in range(24)]
    top_pct = max(HEATMAP_TOP_PCT, top)
    chart: alt.Chart = alt.Chart(data, height=300).mark_rect().encode(
        x=alt.X("hour:O", sort=hours, scale=alt.Scale(domain=hours),
                axis=alt.Axis(title="Hour of day (store-local time)", labelAngle=0,
                              values=hours[::2])),
        y=alt.Y("day:O", sort=list(DAY_NAMES), scale=alt.Scale(domain=list(DAY_NAMES)),
                title="Weekday (store-local)"),
        color=alt.Color("pct:Q", scale=alt.Scale(
            domain=[top_pct * i / (len(REDS) - 1) for i in range(len(REDS))], range=REDS,
            clamp=True),
            legend=alt.Legend(title=["Down (% of", "business time)"],
                              values=[round(top_pct * i / 5, 2) for i in range(6)],
                              labelExpr="datum.value + '%'")),
        tooltip=[alt.Tooltip("day:N", title="Weekday (store-local)"),
                 alt.Tooltip("hour:N", title="The hour from (store-local)"),
                 alt.Tooltip("pct:Q", title=f"{value_label} (% of business time)",
                             format=".2f")],
    )
    return chart


def daily_trend(per_day: pd.DataFrame) -> alt.LayerChart:
    """Fleet uptime per store-local date (% of business time)."""
    data = pd.DataFrame({
        "day": _day_labels(per_day["local_date"]),
        "date": [f"{pd.Timestamp(d):%a %Y-%m-%d}" for d in per_day["local_date"]],
        "uptime_pct": per_day["uptime_pct"].astype(float),
        "label": [f"{v:.1f}%" for v in per_day["uptime_pct"]],
        "up_h": per_day["up_h"].round(0), "down_h": per_day["down_h"].round(0),
    })
    base = alt.Chart(data).encode(
        x=alt.X("day:O", sort=list(data["day"]), axis=_day_axis("Date (store-local)")),
        y=_uptime_y(data["uptime_pct"]),
        tooltip=[alt.Tooltip("date:N", title="Date (store-local)"),
                 alt.Tooltip("uptime_pct:Q", title="Uptime %", format=".2f"),
                 alt.Tooltip("up_h:Q", title="Up (h, the stores counted)", format=",.0f"),
                 alt.Tooltip("down_h:Q", title="Down (h)", format=",.0f")],
    )
    return alt.LayerChart(layer=[
        base.mark_line(color=UP, strokeWidth=3),
        base.mark_point(color=UP, filled=True, size=60),
        base.mark_text(dy=-12, fontSize=12).encode(text="label:N"),
    ], height=300)


def _times(frame: pd.DataFrame, stem: str, local: bool) -> pd.Series:
    """Wall times to draw: store-local ones are naive already; UTC ones lose their zone.
    The timeline's scale is Vega's "utc" one, which draws a naive time as written whatever
    the browser's own zone."""
    values = pd.to_datetime(frame[f"{stem}_local" if local else f"{stem}_utc"])
    return values.dt.tz_localize(None) if values.dt.tz is not None else values


def _utc_text(values: pd.Series) -> list[str]:
    return list(pd.to_datetime(values, utc=True).dt.strftime("%Y-%m-%d %H:%M"))


def _wall_text(values: pd.Series) -> list[str]:
    return list(values.dt.strftime("%a %d %b %H:%M"))


# What the timeline's colours stand for, in its legend's order.
TIMELINE_COLOURS = {
    "Business hours": BUSINESS, "Special hours": SPECIAL, "Special day": SPECIAL_DAY,
    "Closed (special)": CLOSED_DAY, "Up (interpolated)": UP, "Down (interpolated)": DOWN,
    "Incident": "rgba(214, 69, 69, 0.25)", "Poll active": UP, "Poll inactive": DOWN,
    "Poll active (outside hours, ignored)": UP, "Poll inactive (outside hours, ignored)": DOWN,
}


def store_timeline(
    view: StoreView, *, local: bool, incidents: pd.DataFrame | None = None, store: str = ""
) -> alt.LayerChart:
    """Business hours shaded, interpolated up/down spans, the polls as markers (on long
    ranges only those ``ui.views.store.poll_markers`` keeps), and the store's incidents
    (``ui.views.store.store_incidents``) on a row of their own; drag or scroll to zoom in
    time. ``store`` (``ui.views.store.store_hover_label``) heads every tooltip. Each layer
    is named (``shading``, ``spans``, ``polls``, ``incidents``, ``special dates``)."""
    zone = view.timeline.timezone
    where = f"store-local, {zone}" if local else "UTC"
    days, business = view.special_days, view.business
    # Special dates first, underneath: the whole local day, grey when closed.
    shading = pd.DataFrame({
        "start": pd.concat([_times(days, "day_start", local), _times(business, "start", local)],
                           ignore_index=True),
        "end": pd.concat([_times(days, "day_end", local), _times(business, "end", local)],
                         ignore_index=True),
        "kind": ["Closed (special)" if c else "Special day" for c in days["closed"]]
                + ["Special hours" if sp else "Business hours" for sp in business["special"]],
    })
    rows = ["Special dates"] if len(days) else []
    rows += ["Polls", "Status", "Incidents", "Polls outside hours"]  # top to bottom
    kinds = alt.Scale(domain=list(TIMELINE_COLOURS), range=list(TIMELINE_COLOURS.values()))
    colour = alt.Color("kind:N", title=None, scale=kinds, legend=None)  # set once all is known
    time_axis = alt.X("start:T", scale=alt.Scale(type="utc"), title=f"Time ({where})",
                      axis=alt.Axis(format="%a %d %b %H:%M", labelOverlap=True))
    row = alt.Y("row:N", sort=rows, scale=alt.Scale(domain=rows), title=None)
    head = [alt.Tooltip("store:N", title="Store")] if store else []

    def tips(*fields: tuple[str, str]) -> list[alt.Tooltip]:
        return head + [alt.Tooltip(f"{name}:N", title=title) for name, title in fields]

    layers: list[alt.Chart] = [
        alt.Chart(shading).mark_rect().encode(x=time_axis, x2="end:T", color=colour)
        .properties(name="shading"),
    ]
    spans = view.spans
    if len(spans):
        starts, ends = _times(spans, "start", local), _times(spans, "end", local)
        frame = pd.DataFrame({
            "start": starts, "end": ends, "row": "Status", "store": store,
            "kind": ["Up (interpolated)" if st == "active" else "Down (interpolated)"
                     for st in spans["status"]],
            "from": _wall_text(starts), "to": _wall_text(ends),
            "utc": [f"{a} → {b}" for a, b in zip(_utc_text(spans["start_utc"]),
                                                   _utc_text(spans["end_utc"]), strict=True)],
            "minutes": [f"{m:,.0f} min" for m in spans["minutes"]],
        })
        layers.append(alt.Chart(frame).mark_bar(height={"band": 0.6}).encode(
            x=time_axis, x2="end:T", y=row, color=colour,
            tooltip=tips(("kind", "Status"), ("from", f"From ({where})"),
                         ("to", f"To ({where})"), ("utc", "UTC"), ("minutes", "Length")),
        ).properties(name="spans"))
    polls = view.marked_polls
    if len(polls):
        at = _times(polls, "timestamp", local)
        inside = polls["in_hours"].astype(bool)
        frame = pd.DataFrame({
            "start": at, "store": store,
            "row": ["Polls" if i else "Polls outside hours" for i in inside],
            "kind": [f"Poll {st}" + ("" if i else " (outside hours, ignored)")
                     for st, i in zip(polls["status"], inside, strict=True)],
            "shape": ["circle" if st == "active" else "cross" for st in polls["status"]],
            "when": list(at.dt.strftime("%a %d %b %H:%M:%S")),
            "utc": list(pd.to_datetime(polls["timestamp_utc"], utc=True)
                        .dt.strftime("%Y-%m-%d %H:%M:%S")),
        })
        for filled, part in ((True, frame[inside.to_numpy()]), (False, frame[~inside.to_numpy()])):
            if part.empty:
                continue
            layers.append(alt.Chart(part).mark_point(filled=filled, size=70, strokeWidth=2,
                                                     opacity=1).encode(
                x=time_axis, y=row, color=colour,
                shape=alt.Shape("shape:N", scale=None),
                tooltip=tips(("kind", "Poll"), ("when", f"At ({where})"), ("utc", "UTC")),
            ).properties(name="polls" if filled else "polls outside hours"))
    if incidents is not None and not incidents.empty:
        starts, ends = _times(incidents, "start", local), _times(incidents, "end", local)
        frame = pd.DataFrame({
            "start": starts, "end": ends, "row": "Incidents", "kind": "Incident",
            "store": store, "state": incidents["state"].astype(str),
            "from": _wall_text(starts),
            "minutes": [f"{m:.1f} min in business hours" for m in incidents["minutes"]],
        })
        layers.append(alt.Chart(frame).mark_bar(height={"band": 0.6}, stroke=DOWN,
                                                strokeWidth=2).encode(
            x=time_axis, x2="end:T", y=row, color=colour,
            tooltip=tips(("state", "Incident"), ("from", f"From ({where})"),
                         ("minutes", "Length")),
        ).properties(name="incidents"))
    if len(days):
        starts, ends = _times(days, "day_start", local), _times(days, "day_end", local)
        frame = pd.DataFrame({"start": starts + (ends - starts) / 2, "row": "Special dates",
                              "label": days["label"].astype(str)})
        layers.append(alt.Chart(frame).mark_text(fontSize=11).encode(
            x=time_axis, y=row, text="label:N", tooltip=[alt.Tooltip("label:N", title="Date")],
        ).properties(name="special dates"))
    # The legend names what is drawn (a special date's tint explains itself by its label).
    drawn = {k for layer in layers if "kind" in layer.data for k in layer.data["kind"]}
    colour = alt.Color("kind:N", title=None, scale=kinds, legend=alt.Legend(
        orient="top", columns=3, labelLimit=0, symbolType="square",
        values=[k for k in TIMELINE_COLOURS if k in drawn and k != "Special day"]))
    layers = [layer.encode(color=colour) if "kind" in layer.data else layer for layer in layers]
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    layers[0] = layers[0].add_params(zoom)
    return alt.LayerChart(layer=layers, height=320)


def daily_uptime(daily: pd.DataFrame, zone: str | None = None) -> alt.Chart:
    """Business hours up and down per store-local date (of ``zone``), stacked."""
    days = _day_labels(daily["local_date"])
    data = pd.DataFrame({
        "day": days * 2,
        "part": ["Up"] * len(days) + ["Down"] * len(days),
        "hours": list(daily["uptime_h"].astype(float)) + list(daily["downtime_h"].astype(float)),
        "order": [0] * len(days) + [1] * len(days),
    })
    where = "store-local" if zone is None else f"store-local, {zone}"
    chart: alt.Chart = alt.Chart(data, height=260).mark_bar().encode(
        x=alt.X("day:O", sort=days, axis=_day_axis(f"Date ({where})")),
        y=alt.Y("hours:Q", title="Business hours (h)", stack="zero"),
        color=alt.Color("part:N", scale=alt.Scale(domain=["Up", "Down"], range=[UP, DOWN]),
                        legend=alt.Legend(title=None, orient="top")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("day:N", title=f"Date ({where})"),
                 alt.Tooltip("part:N", title="Status"),
                 alt.Tooltip("hours:Q", title="Hours", format=".2f")],
    )
    return chart


# The status page's cells without an uptime figure, in greys (light: nothing to measure).
STATUS_GREYS = {status_view.CLOSED: "#ececec", status_view.BEFORE_FIRST_POLL: "#f6f6f6",
                status_view.NO_STATUS: "#b4b4b4"}
STATUS_ROW_PX = 22
# Down to up through amber: a straight blend of the two passes through an olive that reads
# as neither; the amber is the special-hours colour's.
STATUS_SCALE: list[tuple[float, str]] = [(0.0, DOWN), (0.5, "#f59e0b"), (1.0, UP)]
GROUP_TITLES = {"store": "Store", "region": "Region", "zone": "Time zone"}


def status_days(page: status_view.StatusPage, day: date | None = None) -> alt.LayerChart:
    """One row per store (or group), one cell per store-local day: the day's uptime on a
    fixed 0-100 % scale from the down to the up colour; greys for closed days, days before
    the first poll and days without a known status. A tooltip gives the day's figures; a
    click selects the cell (the ``day`` selection: its ``row`` and ``col``, numbers the
    page maps to a store and day). ``day`` (a date of the page) is outlined: the day a
    group's cell opened. Layers are named (``cells``, ``scale``, ``outline``)."""
    cells = page.cells
    column_of = {d: i for i, d in enumerate(page.dates)}
    row_of = {k: i for i, k in enumerate(page.rows["key"])}
    measured = cells["state"] == status_view.MEASURED
    tips = [(line.split("\n") + ["—"] * 5)[:5] for line in cells["hover"]]
    data = pd.DataFrame({
        "col": cells["local_date"].map(column_of).astype("int64"),
        "row": cells["key"].map(row_of).astype("int64"),
        # Each cell's colour, computed here: the greys are no point of the uptime scale.
        "fill": [_status_colour(p) if m else STATUS_GREYS.get(str(st), STATUS_GREYS[
                 status_view.NO_STATUS]) for p, m, st in zip(
                 cells["uptime_pct"], measured, cells["state"], strict=True)],
        **{f"tip{i}": [t[i] for t in tips] for i in range(5)},
    })
    # Two lines: the month over the first cell and each first day, the day over every cell.
    ticks = [[f"{d:%b}" if i == 0 or d.day == 1 else "", f"{d:%d}"]
             for i, d in enumerate(page.dates)]
    row_labels = [
        f"{label}  " + ("—" if pd.isna(pct) else f"{pct:.1f}%")
        for label, pct in zip(page.rows["label"], page.rows["uptime_pct"], strict=True)
    ]
    # Labels come from the data: an index into a JSON list, never markup (Vega draws text).
    x = alt.X("col:O", scale=alt.Scale(domain=list(range(len(column_of))), paddingInner=0.1),
              axis=alt.Axis(title="Store-local date", orient="top", labelAngle=0,
                            labelOverlap=False, labelExpr=f"{json.dumps(ticks)}[datum.value]"))
    y = alt.Y("row:O", scale=alt.Scale(domain=list(range(len(row_of))), paddingInner=0.1),
              axis=alt.Axis(title=None, labelLimit=320, labelOverlap=False,
                            labelExpr=f"{json.dumps(row_labels)}[datum.value]"))
    pick = alt.selection_point(name="day", fields=["row", "col"], on="click",
                               clear="dblclick", empty=False)
    layers: list[alt.Chart] = [
        alt.Chart(data, name="cells").mark_rect().encode(
            x=x, y=y, color=alt.Color("fill:N", scale=None),
            tooltip=[alt.Tooltip("tip0:N", title=GROUP_TITLES[page.grouping]),
                     alt.Tooltip("tip1:N", title="Day"), alt.Tooltip("tip2:N", title="Figures"),
                     alt.Tooltip("tip3:N", title="Hours"),
                     alt.Tooltip("tip4:N", title="Incidents")],
        ).add_params(pick),
        # The uptime scale's legend only: two invisible points at 0 and 100 %.
        alt.Chart(pd.DataFrame({"pct": [0.0, 100.0]}), name="scale").mark_point(opacity=0)
        .encode(color=alt.Color("pct:Q", scale=alt.Scale(
            domain=[0, 50, 100], range=[c for _, c in STATUS_SCALE], interpolate="rgb"),
            legend=alt.Legend(title="Uptime", values=[0, 25, 50, 75, 100],
                              labelExpr="datum.value + '%'", gradientLength=200))),
    ]
    if day in column_of:
        layers.append(alt.Chart(pd.DataFrame({"col": [column_of[day]]}), name="outline")
                      .mark_rect(fill=None, stroke="#222", strokeWidth=2).encode(x=x))
    # SVG, not canvas: Streamlit picks canvas for big data, and each cell is to be clicked.
    # The cells' colours and the legend's scale are two colour scales (shared, Vega fails).
    return alt.LayerChart(layer=layers, height=STATUS_ROW_PX * max(1, len(page.rows)),
                          usermeta={"embedOptions": {"renderer": "svg"}},
                          resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")))


def _status_colour(pct: float) -> str:
    """The uptime scale's colour for ``pct`` (0-100), blended in RGB as its legend is."""
    t = min(max(float(pct), 0.0), 100.0) / 100.0
    stops = [(at, colour.lstrip("#")) for at, colour in STATUS_SCALE]
    (lo, a), (hi, b) = (stops[0], stops[1]) if t <= stops[1][0] else (stops[1], stops[2])
    f = (t - lo) / (hi - lo)
    rgb = [round(int(a[i:i + 2], 16) * (1 - f) + int(b[i:i + 2], 16) * f) for i in (0, 2, 4)]
    return "#" + "".join(f"{v:02x}" for v in rgb)


def weekly_trend(trend: pd.DataFrame) -> alt.LayerChart:
    """Uptime % of each of the last weeks (``ui.views.context.weekly_trend``), oldest first;
    a week the stored history covers only in part is drawn paler."""
    data = pd.DataFrame({
        "week": trend["label"].astype(str),
        "uptime_pct": trend["uptime_pct"].astype(float),
        "label": [f"{v:.1f}%" for v in trend["uptime_pct"]],
        "business_h": trend["business_h"].round(0),
        "covered": ["whole week" if f else "part of the week in the history"
                    for f in trend["full_week"]],
    })
    base = alt.Chart(data).encode(
        x=alt.X("week:O", sort=list(data["week"]), axis=alt.Axis(
            title="Week ending at the as-of (UTC), then 7, 14, … days before", labelAngle=0,
            labelOverlap=False)),
        y=_uptime_y(data["uptime_pct"]),
        tooltip=[alt.Tooltip("week:N", title="Week (UTC)"),
                 alt.Tooltip("uptime_pct:Q", title="Uptime %", format=".2f"),
                 alt.Tooltip("business_h:Q", title="Business time (h)", format=",.0f"),
                 alt.Tooltip("covered:N", title="History")],
    )
    bars = base.mark_bar(clip=True).encode(color=alt.Color(
        "covered:N", scale=alt.Scale(domain=["whole week", "part of the week in the history"],
                                     range=[UP, "rgba(46, 158, 91, 0.45)"]), legend=None))
    return alt.LayerChart(layer=[bars, base.mark_text(dy=-7).encode(text="label:N")],
                          height=300)
