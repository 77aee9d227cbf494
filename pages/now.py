"""Now: which stores are down right now while they should be open, and since when."""

from __future__ import annotations

import streamlit as st
from streamlit_autorefresh import st_autorefresh

from loop_core.status import StoreState
from ui import caches, entry, filters

LIVE_EVERY_MS = 60_000
LABELS = {StoreState.OFFLINE: "Offline while open", StoreState.ONLINE: "Online",
          StoreState.CLOSED: "Closed", StoreState.UNKNOWN: "Unknown"}

entry.require_entry_point()
st.title("Now")
fresh = caches.data_freshness()
entry.stop_without_polls(fresh.latest_poll)

top = st.columns([4, 1], vertical_alignment="center")
top[0].caption(f"Every store at {fresh.latest_poll:%Y-%m-%d %H:%M} UTC (the latest poll). "
               "Offline means down inside its business hours; unknown means no poll inside "
               "its business hours for more than 2 hours.")
if top[1].toggle("Live", key="now_live", help="Re-check every minute for new data."):
    st_autorefresh(interval=LIVE_EVERY_MS, key="now_autorefresh")

chosen = filters.store_filter("now")
contains = st.text_input("Store id or name contains", key="now_filter",
                         placeholder="e.g. 8419… or Austin")
view = caches.now_view(contains, chosen)
for col, state in zip(st.columns(4), LABELS, strict=True):
    col.metric(LABELS[state], f"{view.counts[state]:,}")

st.subheader("Offline while open")
if view.offline.empty:
    st.success("No store is down inside its business hours.", icon=":material/check_circle:")
else:
    st.caption("Most downtime so far first. Open a row's link for the store's drill-down.")
    st.dataframe(view.offline, hide_index=True, key="now_offline", column_config={
        "store_id": st.column_config.TextColumn("Store id"),
        "name": st.column_config.TextColumn("Name"),
        "link": st.column_config.LinkColumn("Drill-down", display_text="open ↗", width="small"),
        "since_local": st.column_config.TextColumn("Since (store-local)"),
        "since_utc": st.column_config.DatetimeColumn("Since (UTC)", format="YYYY-MM-DD HH:mm"),
        "downtime_min": st.column_config.NumberColumn("Down so far (min)", format="%.1f"),
        "poll_age": st.column_config.TextColumn("Latest poll", help="How long ago."),
        "closes_local": st.column_config.TextColumn("Closes (store-local)"),
        "zone": st.column_config.TextColumn("Store timezone"),
    })

st.subheader("Unknown")
if view.unknown.empty:
    st.caption("Every open store reported inside its business hours in the last 2 hours.")
else:
    st.dataframe(view.unknown, hide_index=True, key="now_unknown", column_config={
        "store_id": st.column_config.TextColumn("Store id"),
        "name": st.column_config.TextColumn("Name"),
        "why": st.column_config.TextColumn("Why", width="large"),
        "latest_observation_utc": st.column_config.DatetimeColumn(
            "Latest observation (UTC)", format="YYYY-MM-DD HH:mm"),
        "link": st.column_config.LinkColumn("Drill-down", display_text="open ↗"),
    })
