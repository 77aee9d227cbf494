"""Alerts: where they go, when they fire, and every message with its delivery outcome."""

from __future__ import annotations

import streamlit as st

from ui import caches, entry
from ui.access import Action, can

entry.require_entry_point()
st.title("Alerts")

st.subheader("Channels and thresholds")
settings = caches.alert_settings() if can(Action.ALERT_SETTINGS) else None
if settings is None:
    st.caption("The alert channels and thresholds are shown to admins.")
elif settings.channels.empty:
    st.info("No alert channel is configured. Add apprise URLs (Slack, email, webhooks) to "
            "`[alerts] urls` in `.streamlit/secrets.toml` or `$LOOP_ALERT_URLS`, then "
            "restart the dashboard.", icon=":material/notifications_off:")
else:
    st.dataframe(settings.channels, hide_index=True, key="alerts_channels",
                 column_config={"channel": st.column_config.TextColumn(
                     "Channel (without its secrets)")})
if settings is not None:
    m = st.columns(3)
    m[0].metric("Announce after", f"{settings.threshold_minutes:g} min of downtime")
    m[1].metric("Remind every", f"{settings.reminder_hours:g} h of further downtime")
    m[2].metric("Stale feed after", f"{settings.stale_hours:g} h without a poll")
    if not settings.channels.empty and st.button("Send a test message", icon=":material/send:",
                                       key="alerts_test"):
        with st.spinner("Sending…"):
            st.session_state["alerts_test_result"] = caches.send_test_alert()


def _show_outcome(what: str, key: str) -> None:
    if key in st.session_state:
        delivered, failed = st.session_state[key]
        (st.success if not failed else st.warning)(
            f"{what}: {delivered} channel(s) accepted it, {failed} did not (retried later).")


_show_outcome("Test message", "alerts_test_result")
if settings is not None and not settings.channels.empty:
    st.caption("The weekly digest (last week's uptime, groups below target, most downtime, "
               "biggest changes, estimated lost revenue) goes to every channel on the day "
               "`[digest]` sets; email gets the extended CSV attached.")
    if st.button("Send the digest now", icon=":material/summarize:", key="alerts_digest"):
        with st.spinner("Writing the digest…"):
            st.session_state["alerts_digest_result"] = caches.send_digest_now()
_show_outcome("Digest", "alerts_digest_result")

st.subheader("Messages")
history = caches.alert_history()
if history.empty:
    st.caption("No message yet.")
else:
    st.caption("Newest first, one row per message and channel. A failed delivery is retried "
               "with backoff; nothing is dropped.")
    st.dataframe(history, hide_index=True, key="alerts_history", column_config={
        "created_at": st.column_config.DatetimeColumn("Written (UTC)", format="YYYY-MM-DD HH:mm"),
        "kind": st.column_config.TextColumn("Kind"),
        "title": st.column_config.TextColumn("Message", width="large"),
        "channel": st.column_config.TextColumn("Channel"),
        "outcome": st.column_config.TextColumn("Outcome"),
        "attempts": st.column_config.NumberColumn("Attempts"),
        "last_error": st.column_config.TextColumn("Last error"),
    })
