"""Plotly figures for the dashboard pages: tidy frames from ``loop_core`` in, figures out.

No data is computed here (that is ``ui.views``); these functions only map columns
to traces, and label every axis with its unit and whether times are store-local or UTC.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from ui.formatting import DAY_NAMES
from ui.views import status_page as status_view
from ui.views.store import StoreView

UP = "#2e9e5b"
DOWN = "#d64545"
BUSINESS = "rgba(66, 133, 244, 0.12)"
SPECIAL = "rgba(245, 158, 11, 0.30)"  # business time that special-hours rows give
SPECIAL_DAY = "rgba(245, 158, 11, 0.08)"  # the whole local day of a special date
CLOSED_DAY = "rgba(120, 120, 120, 0.16)"  # a special date closed all day
FONT = {"size": 13}
# The heatmap's darkest red: this share of business time down (more stays darkest), so a
# fleet that is barely down reads pale instead of alarming.
HEATMAP_TOP_PCT = 10.0


def _layout(fig: go.Figure, *, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 50 if title else 30, "b": 10},
        font=FONT,
        title={"text": title} if title else None,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


def weekly_uptime_histogram(bins: pd.DataFrame) -> go.Figure:
    """How many stores reached each 5-point band of weekly uptime."""
    fig = go.Figure(go.Bar(
        x=(bins["low"] + bins["high"]) / 2,
        y=bins["stores"],
        width=[float(w) * 0.95 for w in bins["high"] - bins["low"]],
        marker={"color": UP},
        customdata=bins["band"],
        text=[f"{n:,}" if n else "" for n in bins["stores"]],
        textposition="outside",
        hovertemplate="uptime %{customdata}<br>%{y:,} stores<extra></extra>",
        name="stores",
    ))
    fig.update_xaxes(title="Uptime last week (% of business time, 5-point bands)",
                     range=[0, 100.5], dtick=10, ticksuffix="%")
    top = float(bins["stores"].max()) if len(bins) else 0.0
    fig.update_yaxes(title="Stores", range=[0, max(1.0, top * 1.15)])
    fig.update_layout(showlegend=False, uniformtext={"minsize": 9, "mode": "hide"})
    return _layout(fig, height=340)


def downtime_heatmap(heatmap: pd.DataFrame, value_label: str) -> go.Figure:
    """Downtime share by store-local weekday (rows) and hour (columns), on a colour scale
    from 0 (white) to at least ``HEATMAP_TOP_PCT``: equal differences look equal."""
    values = heatmap.to_numpy(dtype=float)
    highest = heatmap.max(skipna=True).max(skipna=True) if heatmap.size else None
    top = 0.0 if highest is None or pd.isna(highest) else float(highest)
    fig = go.Figure(go.Heatmap(
        z=values,
        x=[f"{h:02d}:00" for h in heatmap.columns],
        y=list(heatmap.index),
        colorscale="Reds",
        zmin=0.0,
        zmax=max(HEATMAP_TOP_PCT, top),
        colorbar={"title": {"text": "Down (% of<br>business time)"}, "ticksuffix": "%"},
        hovertemplate="%{y}, the hour from %{x} (store-local)<br>" + value_label
                      + ": %{z:.2f}% of business time<extra></extra>",
        hoverongaps=False,
    ))
    fig.update_xaxes(title="Hour of day (store-local time)", tickangle=0, dtick=2)
    fig.update_yaxes(title="Weekday (store-local)", autorange="reversed",
                     categoryorder="array", categoryarray=list(DAY_NAMES))
    return _layout(fig, height=330)


def daily_trend(per_day: pd.DataFrame) -> go.Figure:
    """Fleet uptime per store-local date (% of business time)."""
    fig = go.Figure(go.Scatter(
        x=per_day["local_date"],
        y=per_day["uptime_pct"],
        mode="lines+markers+text",
        text=[f"{v:.1f}%" for v in per_day["uptime_pct"]],
        textposition="top center",
        line={"color": UP, "width": 3},
        customdata=per_day[["up_h", "down_h"]].round(0).to_numpy(),
        hovertemplate="%{x|%a %Y-%m-%d} (store-local)<br>uptime %{y:.2f}%"
                      "<br>%{customdata[0]:,.0f} h up, %{customdata[1]:,.0f} h down "
                      "(the stores counted)<extra></extra>",
        name="fleet uptime",
    ))
    low = float(per_day["uptime_pct"].min()) if len(per_day) else 0.0
    fig.update_yaxes(title="Uptime (% of business time)", ticksuffix="%",
                     range=[max(0.0, low - 5), 101])
    fig.update_xaxes(title="Date (store-local)", **_day_ticks(per_day["local_date"]))
    return _layout(fig, height=320)


def _day_ticks(days: pd.Series) -> dict[str, object]:
    """One tick label per store-local date, the last included (plotly's own ``dtick`` can
    drop the last one when it falls at the axis edge)."""
    values = [pd.Timestamp(d) for d in days]
    # Plotly's own rotation runs labels right of their tick and hides the last one, which
    # would leave the figure; at -45 degrees a label ends at its tick, inside the figure.
    return {"tickmode": "array", "tickvals": values, "tickangle": -45, "automargin": True,
            "ticktext": [f"{d:%a %d %b}" for d in values]}


def _times(frame: pd.DataFrame, stem: str, local: bool) -> pd.Series:
    return frame[f"{stem}_local" if local else f"{stem}_utc"]


def store_timeline(
    view: StoreView, *, local: bool, incidents: pd.DataFrame | None = None, store: str = ""
) -> go.Figure:
    """Business hours shaded, interpolated up/down spans, the polls as markers (on long
    ranges only those ``ui.views.store.poll_markers`` keeps), and the store's incidents
    (``ui.views.store.store_incidents``) on a row of their own. ``store`` (HTML-escaped,
    ``ui.views.store.store_hover_label``) heads every hover label."""
    # A trace's meta goes into its hover text as a value: never read as a template.
    head = "%{meta}<br>" if store else ""
    zone = view.timeline.timezone
    where = f"store-local, {zone}" if local else "UTC"
    # Shapes and traces are collected first and handed to plotly once: add_vrect and
    # add_trace validate the whole figure on every call (hundreds of ms for a week).
    days = view.special_days
    shapes = [
        # Special dates first, underneath: the whole local day, grey when closed.
        {"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0,
         "y1": 1, "fillcolor": CLOSED_DAY if closed else SPECIAL_DAY, "line": {"width": 0},
         "layer": "below"}
        for start, end, closed in zip(_times(days, "day_start", local),
                                      _times(days, "day_end", local), days["closed"],
                                      strict=True)
    ] + [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0,
         "y1": 1, "fillcolor": SPECIAL if special else BUSINESS, "line": {"width": 0},
         "layer": "below"}
        for start, end, special in zip(_times(view.business, "start", local),
                                       _times(view.business, "end", local),
                                       view.business["special"], strict=True)
    ]
    # Legend entries for the shading (shapes have none).
    legend = [("Business hours", BUSINESS)]
    if len(days):
        legend += [("Special hours", SPECIAL), ("Closed (special)", CLOSED_DAY)]
    traces: list[dict[str, object]] = [
        {"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": name,
         "marker": {"symbol": "square", "size": 14, "color": color}}
        for name, color in legend
    ]
    rows = ["Polls outside hours", "Incidents", "Status", "Polls"]
    if len(days):
        # Each special date's label on a row of its own, in the middle of its day.
        starts, ends = _times(days, "day_start", local), _times(days, "day_end", local)
        traces.append({
            "type": "scatter", "mode": "text", "name": "Special dates", "showlegend": False,
            "x": starts + (ends - starts) / 2, "y": ["Special dates"] * len(days),
            "text": list(days["label"]), "textfont": {"size": 11},
            "hovertemplate": "%{text}<extra></extra>",
        })
        rows.append("Special dates")

    spans = view.spans
    for status, name, color in (("active", "Up (interpolated)", UP),
                                ("inactive", "Down (interpolated)", DOWN)):
        part = spans[spans["status"] == status] if len(spans) else spans
        if part.empty:
            continue
        starts, ends = _times(part, "start", local), _times(part, "end", local)
        traces.append({
            "type": "bar", "orientation": "h", "name": name, "width": 0.6,
            "base": starts, "x": (ends - starts).dt.total_seconds() * 1000,
            "y": ["Status"] * len(part), "marker": {"color": color},
            "customdata": list(zip(part["start_utc"].dt.strftime("%Y-%m-%d %H:%M"),
                                   part["end_utc"].dt.strftime("%Y-%m-%d %H:%M"),
                                   part["minutes"], strict=True)),
            "meta": store,
            "hovertemplate": head + name + "<br>%{base|%a %d %b %H:%M} → (" + where + ")"
                             "<br>UTC %{customdata[0]} → %{customdata[1]}"
                             "<br>%{customdata[2]} min<extra></extra>",
        })

    polls = view.marked_polls
    for in_hours in (True, False):
        for status, color in (("active", UP), ("inactive", DOWN)):
            part = polls[(polls["status"] == status) & (polls["in_hours"] == in_hours)]
            if part.empty:
                continue
            label = f"Poll {status}" + ("" if in_hours else " (outside hours, ignored)")
            traces.append({
                "type": "scatter", "mode": "markers", "name": label,
                "x": _times(part, "timestamp", local),
                "y": ["Polls" if in_hours else "Polls outside hours"] * len(part),
                "marker": {"color": color if in_hours else "white", "size": 9,
                           "symbol": "circle" if status == "active" else "x",
                           "line": {"color": color, "width": 2}},
                "customdata": part["timestamp_utc"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                "meta": store,
                "hovertemplate": head + label + "<br>%{x|%a %d %b %H:%M:%S} (" + where + ")"
                                 "<br>UTC %{customdata}<extra></extra>",
            })
    if incidents is not None and not incidents.empty:
        starts, ends = _times(incidents, "start", local), _times(incidents, "end", local)
        traces.append({
            "type": "bar", "orientation": "h", "name": "Incident", "width": 0.6,
            "base": starts, "x": (ends - starts).dt.total_seconds() * 1000,
            "y": ["Incidents"] * len(incidents),
            "marker": {"color": "rgba(214, 69, 69, 0.25)", "line": {"color": DOWN, "width": 2}},
            "customdata": list(zip(incidents["minutes"], incidents["state"], strict=True)),
            "meta": store,
            "hovertemplate": head + "Incident (%{customdata[1]})<br>%{base|%a %d %b %H:%M} → ("
                             + where + ")<br>%{customdata[0]:.1f} min in business hours"
                             "<extra></extra>",
        })
    layout = {
        "shapes": shapes, "barmode": "overlay", "bargap": 0.3, "hovermode": "closest",
        # Explicit: the legend-only trace first has no data, so plotly would guess "linear".
        "yaxis": {"type": "category", "categoryorder": "array", "title": None,
                  "categoryarray": rows},
        "xaxis": {"title": {"text": f"Time ({where})"}, "type": "date",
                  "tickformat": "%a %d %b\n%H:%M"},
    }
    return _layout(go.Figure(data=traces, layout=layout), height=360)


def daily_uptime(daily: pd.DataFrame, zone: str | None = None) -> go.Figure:
    """Business hours up and down per store-local date (of ``zone``), stacked."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=daily["local_date"], y=daily["uptime_h"], name="Up", marker_color=UP,
                         hovertemplate="%{x|%a %d %b}: %{y:.2f} h up<extra></extra>"))
    fig.add_trace(go.Bar(x=daily["local_date"], y=daily["downtime_h"], name="Down",
                         marker_color=DOWN,
                         hovertemplate="%{x|%a %d %b}: %{y:.2f} h down<extra></extra>"))
    fig.update_layout(barmode="stack")
    where = "store-local" if zone is None else f"store-local, {zone}"
    fig.update_xaxes(title=f"Date ({where})", **_day_ticks(daily["local_date"]))
    fig.update_yaxes(title="Business hours (h)")
    return _layout(fig, height=300)


# The status page's cells without an uptime figure, in greys (light: nothing to measure).
STATUS_GREYS = {status_view.CLOSED: "#ececec", status_view.BEFORE_FIRST_POLL: "#f6f6f6",
                status_view.NO_STATUS: "#b4b4b4"}
STATUS_ROW_PX = 22
# Down to up through amber: a straight blend of the two passes through an olive that reads
# as neither; the amber is the special-hours colour's.
STATUS_SCALE = [[0.0, DOWN], [0.5, "#f59e0b"], [1.0, UP]]


def status_days(page: status_view.StatusPage) -> go.Figure:
    """One row per store (or group), one cell per store-local day: the day's uptime on a
    fixed 0-100 % scale from the down to the up colour; greys for closed days, days before
    the first poll and days without a known status. Hover gives the day's figures; an
    invisible marker on every cell carries its row and column, so a click selects it
    (Plotly's heatmaps report no clicks). Rows and columns are numbers, their labels
    ticks: 1,500 cells stay a small figure."""
    cells = page.cells
    column_of = {d: i for i, d in enumerate(page.dates)}
    row_of = {k: i for i, k in enumerate(page.rows["key"])}
    x = cells["local_date"].map(column_of).astype("int64")
    y = cells["key"].map(row_of).astype("int64")
    measured = cells["state"] == status_view.MEASURED

    def grid(values: pd.Series) -> list[list[float | None]]:
        table = pd.DataFrame({"x": x, "y": y, "v": values}).pivot(
            index="y", columns="x", values="v").reindex(index=range(len(row_of)),
                                                        columns=range(len(column_of)))
        return [[None if pd.isna(v) else float(v) for v in r] for r in table.to_numpy()]

    codes = {state: i for i, state in enumerate(STATUS_GREYS)}
    greys = [[i / max(1, len(codes) - 1), colour] for i, colour in
             enumerate(STATUS_GREYS.values())]
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        z=grid(cells["state"].map(codes).where(~measured)),
        colorscale=greys, zmin=0, zmax=max(1, len(codes) - 1), showscale=False,
        xgap=2, ygap=2, hoverinfo="skip", name="no figure",
    ))
    fig.add_trace(go.Heatmap(
        z=grid(cells["uptime_pct"].where(measured)),
        colorscale=STATUS_SCALE, zmin=0.0, zmax=100.0,
        colorbar={"title": {"text": "Uptime"},
                  "tickvals": [0, 25, 50, 75, 100],
                  "ticktext": ["0%", "25%", "50%", "75%", "100%"], "thickness": 12,
                  "lenmode": "pixels", "len": 220, "y": 1.0, "yanchor": "top"},
        xgap=2, ygap=2, hoverinfo="skip", hoverongaps=False, name="uptime",
    ))
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="markers",
        marker={"symbol": "square", "size": STATUS_ROW_PX - 2, "opacity": 0.0},
        customdata=list(zip(y, x, strict=True)),  # the page maps them to a store and day
        hovertext=cells["hover"], hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False, name="days",
    ))
    ticktext = [
        f"{html.escape(str(label))}  " + ("—" if pd.isna(pct) else f"{pct:.1f}%")
        for label, pct in zip(page.rows["label"], page.rows["uptime_pct"], strict=True)
    ]
    # Fixed ranges: autorange would pad the axes for the markers' size, leaving a band
    # above the first row where nothing can be hovered or clicked.
    fig.update_yaxes(title=None, range=[len(row_of) - 0.5, -0.5], tickmode="array",
                     tickvals=list(range(len(row_of))), ticktext=ticktext, automargin=True,
                     fixedrange=True, showgrid=False, zeroline=False)
    # The day of the month over every cell, the month at its first day and the first cell.
    ticks = [f"{d:%b}<br>{d:%d}" if i == 0 or d.day == 1 else f"{d:%d}"
             for i, d in enumerate(page.dates)]
    fig.update_xaxes(title="Store-local date", range=[-0.5, len(column_of) - 0.5],
                     tickmode="array", tickvals=list(range(len(column_of))), ticktext=ticks,
                     tickangle=0, automargin=True, side="top", fixedrange=True,
                     showgrid=False, zeroline=False, tickfont={"size": 11})
    fig.update_layout(plot_bgcolor="white", clickmode="event+select", dragmode=False,
                      hovermode="closest")
    return _layout(fig, height=_status_height(page))


def _status_height(page: status_view.StatusPage) -> int:
    return 140 + STATUS_ROW_PX * max(1, len(page.rows))


def weekly_trend(trend: pd.DataFrame) -> go.Figure:
    """Uptime % of each of the last weeks (``ui.views.context.weekly_trend``), oldest first;
    a week the stored history covers only in part is drawn paler."""
    fig = go.Figure(go.Bar(
        x=trend["label"],
        y=trend["uptime_pct"],
        marker={"color": [UP if full else "rgba(46, 158, 91, 0.45)"
                          for full in trend["full_week"]]},
        text=[f"{v:.1f}%" for v in trend["uptime_pct"]],
        textposition="outside",
        customdata=list(zip(trend["business_h"].round(0),
                            ["whole week" if f else "part of the week in the history"
                             for f in trend["full_week"]], strict=True)),
        hovertemplate="%{x} (UTC)<br>uptime %{y:.2f}%<br>%{customdata[0]:,.0f} h of "
                      "business time, %{customdata[1]}<extra></extra>",
        name="weekly uptime",
    ))
    low = float(trend["uptime_pct"].min()) if len(trend) else 0.0
    fig.update_yaxes(title="Uptime (% of business time)", ticksuffix="%",
                     range=[max(0.0, low - 5), 101])
    fig.update_xaxes(title="Week ending at the as-of (UTC), then 7, 14, … days before")
    return _layout(fig, height=320)
