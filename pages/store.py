"""Store drill-down: one store's polls, business hours and interpolated status over time.

Reachable as ``?store_id=…`` (the id box is bound to that query parameter).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from ui import caches, charts, entry
from ui.formatting import code_span, percent
from ui.views import store as view
from ui.views.evidence import COVERAGE_HELP

RANGES = ("Last day", "Last week", "Custom")

entry.require_entry_point()
st.title("Store drill-down")
report = caches.current_report()


def _choose(store_id: str) -> None:
    st.session_state["store_id"] = store_id


names = caches.store_names()
# Buttons per row: a name beside its id needs a wider button than an id alone.
per_row = 2 if names else 5
store_id = st.text_input("Store id", key="store_id", bind="query-params",
                         placeholder="Type or paste a store id (or part of one), or a name"
                         ).strip()
matches = view.find_stores(report, store_id, names=names) if store_id else []
if store_id and store_id not in matches:
    if not matches:
        st.warning(f"No polled store's id or name contains {code_span(store_id)}.",
                   icon=":material/search_off:")
    else:
        st.caption("Matching stores:")
        cols = st.columns(per_row)
        for i, match in enumerate(matches[:10]):
            cols[i % per_row].button(view.store_label(match, names), key=f"store_match_{match}",
                               on_click=_choose, args=(match,))
    st.stop()
if not store_id:
    st.caption("Or start from one of the stores with the most downtime last week:")
    worst = caches.fleet_overview().worst.head(10)
    cols = st.columns(per_row)
    for i, row in enumerate(worst.itertuples(index=False)):
        cols[i % per_row].button(view.store_label(str(row.store_id), names),
                           key=f"store_pick_{row.store_id}",
                           help=f"{row.downtime_last_week:.1f} h down last week",
                           on_click=_choose, args=(str(row.store_id),))
    st.stop()

# ---------------------------------------------------------------- range and display
def _leave_link() -> None:
    # A range picked here replaces the one a link gave (the status page's day).
    for name in ("start", "end"):
        st.query_params.pop(name, None)


linked = view.linked_range(st.query_params.get("start"), st.query_params.get("end"))
c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
span = c1.segmented_control("Range", RANGES, default="Last week", key="store_range",
                            required=True, on_change=_leave_link)
tz_mode = c2.segmented_control("Show times in", ("Store local", "UTC"), default="Store local",
                               key="store_tz_mode", required=True)
as_of = report.as_of
local = tz_mode == "Store local"
now_status = caches.store_status(store_id)
start: datetime | None
end: datetime | None
if span == "Last day":
    start, end = as_of - timedelta(days=1), as_of
elif span == "Custom":
    # The picker's dates are in the zone the chart shows: the store's own, or UTC.
    zone = "UTC"
    if local:
        zone = now_status.zone if now_status is not None else \
            caches.store_view(store_id, as_of - timedelta(days=7), as_of).timeline.timezone
    first, last = view.local_dates(as_of, zone)
    picked = c3.date_input(f"Dates ({zone}, inclusive)", value=(first, last),
                           key=f"store_dates_{zone}", max_value=last + timedelta(days=1),
                           help="Dates in the zone the chart shows; 'Show times in' "
                                "switches between the store's own zone and UTC.")
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick a start and an end date.")
        st.stop()
    start, end = view.local_dates_range(picked[0], picked[1], zone)
else:
    start, end = as_of - timedelta(days=7), as_of
if linked is not None:
    start, end = linked
    c3.caption(f"The day the link opened: {start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC. "
               "Pick a range to leave it.")

store = caches.store_view(store_id, start, end)
tl = store.timeline
badge = view.status_line(now_status)
if now_status is not None and badge is not None:
    age = report.as_of - now_status.latest_poll
    poll = f" · latest poll {age.total_seconds() / 3600:.1f} h before the as-of" \
        if age.total_seconds() > 7200 else ""
    st.markdown(f"**{badge}**{poll}")
incident_bars = caches.store_incidents(store_id, start, end, tl.timezone, tl.end)

# ---------------------------------------------------------------- header: zone, figures
store_name = names.get(store_id)
if store_name:
    st.text(store_name)  # the stores feed's text: shown as text, never markdown
if tl.timezone_defaulted:
    given = f"{code_span(tl.timezone_given)} is not a valid IANA zone" if tl.timezone_given \
        else "No timezone row"
    st.warning(f"{given}: America/Chicago is used, as the rules say.", icon=":material/public:")
st.markdown(f"Timezone **{tl.timezone}** · range {tl.start:%Y-%m-%d %H:%M} → "
            f"{tl.end:%Y-%m-%d %H:%M} UTC · {len(store.polls):,} polls "
            f"({int(store.polls['in_hours'].sum()):,} inside business hours)")

in_range = view.range_figures(store.spans)
shown = f"{tl.start:%Y-%m-%d %H:%M} → {tl.end:%Y-%m-%d %H:%M} UTC"
range_cols = st.columns(3)
range_cols[0].metric("Uptime, this range", f"{in_range.uptime_h:.2f} h",
                     help=f"Business time up in the range shown ({shown}), interpolated from "
                          "the polls by the report's rules.")
range_cols[1].metric("Downtime, this range", f"{in_range.downtime_h:.2f} h",
                     help=f"Business time down in the range shown ({shown}).")
range_cols[2].metric("Uptime %, this range", percent(in_range.uptime_pct),
                     help="Share of the business time with a known status that was up.")
if in_range.uptime_pct is None:
    st.info("No business time with a known status in this range: no poll inside its "
            "business hours. Pick a longer range, or check the store's polls on the Data page.",
            icon=":material/help:")

figures = view.store_figures(report, store_id)


def _report_figures(figures: dict[str, float]) -> None:
    for kind in ("uptime", "downtime"):
        figure_cols = st.columns(3)
        for col, (window, unit) in zip(figure_cols, (("hour", "min"), ("day", "h"), ("week", "h")),
                                       strict=True):
            key = f"{kind}_last_{window}"
            col.metric(f"{kind.capitalize()}, last {window}", f"{figures[key]:.2f} {unit}",
                       help=f"Exactly this store's `{key}` in the report as of "
                            f"{as_of:%Y-%m-%d %H:%M:%S} UTC.")
    if not any(figures.values()):
        st.info("All figures are 0: no poll inside its business hours (or closed all week).")
    evidence = caches.store_evidence(store_id, as_of, tl.timezone)
    if evidence is not None:
        for col, seen in zip(st.columns(3), evidence.windows, strict=True):
            col.metric(f"Poll coverage, last {seen.window}", seen.coverage_label,
                       help=COVERAGE_HELP)
            col.caption(seen.observations_label)
        st.caption(f"Latest observation: {evidence.latest_text}.")
        if evidence.warning:
            st.warning(evidence.warning, icon=":material/troubleshoot:")


if figures is None:
    st.info("This store has no poll at or before the as-of, so it is not in the report.")
elif span == "Custom":
    # A custom range has its own figures above; the report's are for its fixed windows.
    with st.expander(f"The report's figures (last hour, day and week before "
                     f"{as_of:%Y-%m-%d %H:%M} UTC)"):
        _report_figures(figures)
else:
    st.caption(f"The report's figures: the last hour, day and week before the as-of "
               f"({as_of:%Y-%m-%d %H:%M} UTC).")
    _report_figures(figures)

# ---------------------------------------------------------------- charts
st.subheader("Timeline")
st.container(key="store_timeline").altair_chart(charts.store_timeline(
    store, local=local, incidents=incident_bars, store=view.store_hover_label(store_id, names)))
st.caption("Shaded: business hours (amber where special hours give them; a special date's "
           "whole day is tinted, grey when closed). Bars: the status every business instant "
           "takes from the nearest poll inside business hours (boundaries at midpoints). "
           "Outlined in red: "
           f"the store's {len(incident_bars)} incidents in the range. Hollow markers: "
           "polls outside business hours, which are not used.")
if store.polls_thinned:
    st.caption(f"Markers thinned so a long range stays readable: inside business hours only "
               f"the first and last polls and those where the status changes are drawn "
               f"({len(store.marked_polls):,} of {len(store.polls):,} polls, the ignored "
               f"ones included). Pick **Last day** to see every poll.")

left, right = st.columns([1, 1])
with left:
    st.subheader("Uptime per day")
    if store.daily.empty:
        st.caption("No business time with a known status in this range: pick a longer range.")
    else:
        st.container(key="store_daily").altair_chart(
            charts.daily_uptime(store.daily, tl.timezone))
with right:
    st.subheader("Business hours")
    if store.open_24x7 or store.hours_reference is None:
        st.info("No business-hours rows: open 24×7.", icon=":material/schedule:")
    else:
        st.dataframe(
            store.hours, hide_index=True, key="store_hours",
            column_config={
                # Sized to fit half of a 1280 px page.
                "day": st.column_config.TextColumn("Day", width=55),
                # The zone is in the help and the line above: in the header it would
                # crowd out the UTC times.
                "local": st.column_config.TextColumn("Local", width=100,
                                                     help=f"Wall time in {tl.timezone}."),
                "utc": st.column_config.TextColumn("UTC", width=150),
                "utc_offset": st.column_config.TextColumn("Offset", width=75),
            },
        )
        st.caption(f"UTC times as in the week ending {store.hours_reference:%a %Y-%m-%d} "
                   "(they move with daylight saving).")
    if store.special.empty:
        st.caption("No special dates in this range or the next 14 days.")
    else:
        st.dataframe(
            store.special, hide_index=True, key="store_special",
            column_config={
                "date": st.column_config.TextColumn("Special date"),
                "local": st.column_config.TextColumn(f"Local ({tl.timezone})"),
                "utc": st.column_config.TextColumn("UTC"),
                "when": st.column_config.TextColumn("When"),
            },
        )
        st.caption("On a special date only its special rows open the store; the weekly "
                   "hours of that weekday do not apply.")
