"""Now: which stores are down right now while they should be open, and since when."""

from __future__ import annotations

import streamlit as st
from streamlit_autorefresh import st_autorefresh

from loop_core.status import StoreState
from ui import caches, entry, filters
from ui.formatting import visible_columns

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
if view.offline.empty and contains.strip():
    st.info("No offline store matches this id: clear the box to see them all.",
            icon=":material/filter_alt_off:")
elif view.offline.empty:
    st.success("No store is down inside its business hours.", icon=":material/check_circle:")
else:
    st.caption("Most downtime so far first. Open a row's link for the store's drill-down.")
    # Sized to fit 1280 px whole (the store's zone, last, included); the UTC instant of
    # "since" is on the drill-down.
    offline_columns = {
        "store_id": st.column_config.TextColumn("Store id", width=145, pinned=True),
        "name": st.column_config.TextColumn("Name", width=100),
        "downtime_min": st.column_config.NumberColumn(
            "Down (min)", format="%.1f", width=80,
            help="Downtime so far in this incident, business time only."),
        "since_local": st.column_config.TextColumn("Since (local)", width=115,
                                                   help="In the store's own time zone."),
        "poll_age": st.column_config.TextColumn("Last poll", help="How long ago.", width=70),
        "closes_local": st.column_config.TextColumn("Closes (local)", width=115),
        "zone": st.column_config.TextColumn("Store time zone", width=115),
        "link": st.column_config.LinkColumn("Drill-down", display_text="open ↗", width=75),
    }
    st.dataframe(view.offline, hide_index=True, key="now_offline",
                 column_order=visible_columns(view.offline, list(offline_columns)),
                 column_config=offline_columns)

st.subheader("Unknown")
if view.unknown.empty and contains.strip():
    st.caption("No store of unknown status matches this id.")
elif view.unknown.empty:
    st.caption("Every open store reported inside its business hours in the last 2 hours.")
else:
    st.dataframe(view.unknown, hide_index=True, key="now_unknown",
                 column_order=visible_columns(view.unknown), column_config={
        # Set widths: with the name column the grid ran 20 px past its box at 1280 px.
        "store_id": st.column_config.TextColumn("Store id", width=160),
        "name": st.column_config.TextColumn("Name", width=110),
        "why": st.column_config.TextColumn("Why", width=290),
        "latest_observation_utc": st.column_config.DatetimeColumn(
            "Latest observation (UTC)", format="YYYY-MM-DD HH:mm", width=160),
        "link": st.column_config.LinkColumn("Drill-down", display_text="open ↗", width=75),
    })
