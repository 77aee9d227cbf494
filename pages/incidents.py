"""Incidents: every run of inactive polls inside business hours over the last week."""

from __future__ import annotations

import streamlit as st

from ui import caches, entry, filters
from ui.formatting import visible_columns

entry.require_entry_point()
st.title("Incidents")
fresh = caches.data_freshness()
entry.stop_without_polls(fresh.latest_poll)

chosen = filters.store_filter("incidents")
view = caches.fleet_incidents(chosen)
st.caption(f"The 7 days before {fresh.latest_poll:%Y-%m-%d %H:%M} UTC. An incident runs from "
           "the midpoint before its first inactive poll to the midpoint after its last; only "
           "its time inside business hours counts. Click a column header to sort.")
m = st.columns(3)
m[0].metric("Incidents", f"{len(view.table):,}")
m[1].metric("Ongoing", f"{view.ongoing:,}")
m[2].metric("Downtime (h)", f"{view.total_downtime_h:,.2f}",
            help="The sum over all incidents: the report's weekly downtime of the fleet.")
if view.table.empty:
    st.success("No incident in these 7 days: every store with a known status was up inside "
               "its business hours. The Now page shows what is down at the latest poll.",
               icon=":material/check_circle:")
st.dataframe(view.table, hide_index=True, key="incidents_table",
             column_order=visible_columns(view.table), column_config={
    "store_id": st.column_config.TextColumn("Store id"),
    "name": st.column_config.TextColumn("Name"),
    "started_at": st.column_config.DatetimeColumn("Started (UTC)", format="YYYY-MM-DD HH:mm"),
    "ended_at": st.column_config.DatetimeColumn("Ended (UTC)", format="YYYY-MM-DD HH:mm"),
    "ongoing": st.column_config.CheckboxColumn("Ongoing"),
    "downtime_min": st.column_config.NumberColumn("Downtime (min)", format="%.2f"),
    "inactive_observations": st.column_config.NumberColumn("Inactive polls"),
    "link": st.column_config.LinkColumn("Drill-down", display_text="open ↗"),
})
st.download_button("Download incidents (CSV)", data=view.csv, file_name="incidents.csv",
                   mime="text/csv", on_click="ignore", icon=":material/download:",
                   key="incidents_download")
