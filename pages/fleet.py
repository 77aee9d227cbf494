"""Fleet overview: how the whole fleet did over the last hour, day and week."""

from __future__ import annotations

import streamlit as st
from streamlit_autorefresh import st_autorefresh

from ui import caches, charts, entry, filters, paths
from ui.formatting import WINDOWS, percent

LIVE_EVERY_MS = 60_000

entry.require_entry_point()
st.title("Fleet overview")
fresh = caches.data_freshness()
entry.stop_without_polls(fresh.latest_poll)

top = st.columns([4, 1], vertical_alignment="center")
top[0].caption(
    f"As-of {fresh.latest_poll:%Y-%m-%d %H:%M:%S} UTC (the latest poll). Uptime is the share "
    "of business time up, interpolated from the polls exactly as in the report."
)
live = top[1].toggle("Live", key="fleet_live",
                     help="Re-check every minute and redraw when new data has landed.")
if live:
    st_autorefresh(interval=LIVE_EVERY_MS, key="fleet_autorefresh")

chosen = filters.store_filter("fleet")
overview = caches.fleet_overview(chosen=chosen)
kpi = st.columns(6)
kpi[0].metric("Stores", f"{overview.stores:,}", help="Stores with at least one poll.")
kpi[1].metric("Polls", f"{fresh.polls:,}", help="All stores' polls (not filtered).")
for col, window in zip(kpi[2:5], WINDOWS, strict=True):
    col.metric(f"Uptime, last {window}", percent(overview.uptime_pct[window]),
               help=f"Share of all stores' business time in the last {window} that was up.")
kpi[5].metric("No usable data", f"{overview.stores_without_data:,}",
              help="Stores without a single poll inside their business hours: no known status, "
                   "so all their report figures are 0.")
special_today = caches.special_today(overview.as_of)
st.caption(f"**Special hours today: {special_today.stores:,} stores** "
           f"({special_today.closed:,} closed, {special_today.special_hours:,} open on special "
           "hours), each on its own local date of the as-of; their weekly hours do not apply "
           "that day.")

left, right = st.columns([1, 1])
with left:
    st.subheader("Weekly uptime distribution")
    st.plotly_chart(charts.weekly_uptime_histogram(overview.uptime_bins), key="fleet_histogram")
with right:
    st.subheader("Most downtime last week")
    st.caption("Select a row to open the store's drill-down.")

    def _open_store() -> None:
        rows = st.session_state["fleet_worst"].selection.rows
        if rows:
            st.session_state["fleet_open_store"] = str(overview.worst.iloc[rows[0]]["store_id"])

    st.dataframe(
        overview.worst, hide_index=True, height=340, key="fleet_worst",
        on_select=_open_store, selection_mode="single-row",
        column_config={
            "store_id": st.column_config.TextColumn("Store id"),
            "name": st.column_config.TextColumn("Name"),
            "uptime_pct_week": st.column_config.ProgressColumn(
                "Up, week", min_value=0, max_value=100, format="%.0f%%", width="small",
                color=charts.UP),
            "downtime_last_week": st.column_config.NumberColumn("Down, week (h)", format="%.1f"),
            "downtime_last_day": st.column_config.NumberColumn("Down, day (h)", format="%.1f"),
            "downtime_last_hour": st.column_config.NumberColumn("Down, hour (min)",
                                                                format="%.0f"),
        },
    )
    opened = st.session_state.pop("fleet_open_store", None)
    if opened:
        st.switch_page(paths.PAGE_STORE, query_params={"store_id": opened})

downtime = caches.fleet_downtime(overview.as_of, chosen)
st.subheader("Downtime by hour of the week (store-local time)")
st.caption("Share of the fleet's business time (with a known status) that was down, in each "
           "hour of the week in the stores' own local time, over the 7 days before the as-of.")
st.plotly_chart(charts.downtime_heatmap(downtime.heatmap, "down"), key="fleet_heatmap")
st.subheader("Fleet uptime per day (store-local dates)")
st.plotly_chart(charts.daily_trend(downtime.per_day), key="fleet_trend")
st.caption("The same 7 days, per local date; the first and last dates are partial. Both "
           "charts sum the interpolated spans the report uses, so their totals equal the "
           "report's week figures.")
