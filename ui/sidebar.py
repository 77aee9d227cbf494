"""The sidebar (data freshness) and the sample-data banner that every page shows."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from ui import caches
from ui.formatting import format_lag, utc_minute
from ui.views.freshness import staleness_warning


def render_sidebar() -> None:
    """Data freshness: latest poll (= the report's as-of), last load, lag vs the clock."""
    fresh = caches.data_freshness()
    lag = None if fresh.latest_poll is None else datetime.now(UTC) - fresh.latest_poll
    with st.sidebar:
        st.markdown("**Data freshness** <small>(times in UTC)</small>", unsafe_allow_html=True)
        st.markdown(
            f"Latest poll: **{utc_minute(fresh.latest_poll)}**  \n"
            f"Reports' as-of: **{utc_minute(fresh.latest_poll)}**  \n"
            f"Last load: **{utc_minute(fresh.last_load)}**  \n"
            f"Lag vs wall clock: **{'—' if lag is None else format_lag(lag)}**  \n"
            f"{fresh.stores:,} stores · {fresh.polls:,} polls"
        )
        if fresh.sample_only:
            st.caption("This is sample data: its lag says nothing about a real feed.")
        else:
            warning = staleness_warning(caches.staleness())
            if warning:
                st.warning(f"Data may be stale: {warning}.", icon=":material/schedule:")
        st.caption("Reports measure the hour, day and week before the as-of, which is the "
                   "latest poll unless you choose another.")


def render_sample_banner() -> None:
    """Say clearly when the dashboard shows generated sample data, and how to load real data."""
    fresh = caches.data_freshness()
    if not fresh.sample_only:
        return
    until = "" if fresh.latest_poll is None else \
        f" up to {fresh.latest_poll:%Y-%m-%d %H:%M} UTC"
    st.info(
        f"**Sample data**: {fresh.stores:,} generated stores with polls{until}, loaded "
        "because the database was empty; while no real source is configured it gains the "
        "next hour of polls every hour (a demo). To use real data, upload the three CSV "
        "feeds on the **Data** page or configure a source; the sample is then removed.",
        icon=":material/science:",
    )
