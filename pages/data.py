"""Data: load the feeds, see what was loaded and rejected, and what looks wrong."""

from __future__ import annotations

import streamlit as st

from loop_core.models import Feed
from ui import caches, entry
from ui.access import Action, can
from ui.formatting import code_span

UPLOADERS = {
    Feed.STORE_STATUS: ("Store status (polls)", "store_id, status, timestamp_utc"),
    Feed.BUSINESS_HOURS: ("Business hours", "store_id, dayOfWeek (or day), start_time_local, "
                                            "end_time_local"),
    Feed.TIMEZONES: ("Timezones", "store_id, timezone_str"),
    Feed.SPECIAL_HOURS: ("Special hours (optional)", "store_id, date (YYYY-MM-DD), "
                         "start_time_local, end_time_local; both times empty = closed"),
    Feed.STORES: ("Stores (optional)", "store_id, then any of name, region, brand, "
                  "hourly_revenue, uptime_target"),
}

entry.require_entry_point()
fresh = caches.data_freshness()
st.title("Data")

# ---------------------------------------------------------------- upload
st.subheader("Load feed files")
if not can(Action.UPLOAD):
    st.caption("Loading feed files needs the admin role.")
else:
    with st.form("data_upload_form", clear_on_submit=True, border=True):
        cols = st.columns(len(UPLOADERS))
        uploads = {
            feed: col.file_uploader(label, type=["csv"], key=f"data_upload_{feed}",
                                    help=f"Columns: {columns}")
            for col, (feed, (label, columns)) in zip(cols, UPLOADERS.items(), strict=True)
        }
        if fresh.sample_only:
            st.caption("The sample data is removed as soon as one of your files has loaded.")
        submitted = st.form_submit_button("Load files", type="primary", icon=":material/upload:")
    if submitted:
        chosen = {feed: (f.name, f.getvalue()) for feed, f in uploads.items() if f is not None}
        if not chosen:
            st.warning("Choose at least one file first.")
        else:
            with st.spinner("Loading…"):
                outcomes = caches.load_uploads(chosen)
            st.session_state["data_outcomes"] = outcomes
            # A held-back snapshot waits here for a person to confirm it.
            st.session_state["data_held_back"] = {
                o.feed: chosen[o.feed] for o in outcomes if o.held_back is not None}
            st.rerun()  # the sidebar and every cache pick up the new data version


def _apply_held_back() -> None:
    held = st.session_state.pop("data_held_back", {})
    st.session_state["data_outcomes"] = caches.load_uploads(held, allow_shrink=True)


for outcome in st.session_state.get("data_outcomes", []):
    # File names and messages come from the user's files: shown as text, never as markup.
    if outcome.held_back is not None:
        shrink = outcome.held_back
        st.warning(
            f"**Held back, nothing changed** ({outcome.feed}): {code_span(outcome.file_name)} "
            f"has {shrink.new_stores:,} stores ({shrink.new_rows:,} rows); the snapshot in "
            f"place has {shrink.old_stores:,} stores ({shrink.old_rows:,} rows). Applying it "
            "would drop more than half of them.",
            icon=":material/pan_tool:",
        )
    elif outcome.error:
        st.error(f"**Refused, nothing loaded** ({outcome.feed}): {code_span(outcome.error)}",
                 icon=":material/block:")
    elif outcome.summary is not None and outcome.summary.rows_rejected:
        st.warning(code_span(outcome.summary.describe()) + " — see the rejected rows below.",
                   icon=":material/warning:")
    elif outcome.summary is not None:
        st.success(code_span(outcome.summary.describe()), icon=":material/check_circle:")
if st.session_state.get("data_held_back") and can(Action.CONFIRM_SHRINK):
    st.button("Apply the held-back snapshot anyway", key="data_apply_held_back",
              on_click=_apply_held_back, icon=":material/done_all:")

# ---------------------------------------------------------------- sync
st.subheader("Sync")
scheduler = caches.sync_scheduler()
if scheduler is None:
    st.info("No sync source is configured. Set the Google Drive file ids and credentials "
            "(or a folder) in `.streamlit/secrets.toml` — see `secrets.toml.example` — "
            "and restart the dashboard.", icon=":material/cloud_off:")
else:
    left, right = st.columns([1, 3], vertical_alignment="center")
    if can(Action.SYNC_NOW) and left.button("Sync now", icon=":material/sync:",
                                            key="data_sync_now"):
        with st.spinner("Syncing…"):
            result = caches.sync_now()
        st.session_state["data_sync_result"] = result.describe()
        st.rerun()
    next_run = scheduler.next_run_at
    right.caption("Next scheduled sync: " + ("—" if next_run is None
                                              else f"{next_run:%Y-%m-%d %H:%M} UTC"))
    if "data_sync_result" in st.session_state:
        st.code(st.session_state["data_sync_result"], language=None)
syncs = caches.sync_history()
if not syncs.empty:
    st.dataframe(syncs, hide_index=True, key="data_syncs", column_config={
        "started_at": st.column_config.DatetimeColumn("Started (UTC)",
                                                      format="YYYY-MM-DD HH:mm"),
        "finished_at": st.column_config.DatetimeColumn("Finished (UTC)",
                                                       format="YYYY-MM-DD HH:mm"),
    })

# ---------------------------------------------------------------- history and rejects
st.subheader("Load history")
st.dataframe(caches.load_history(), hide_index=True, key="data_loads", column_config={
    "load_id": st.column_config.NumberColumn("Load", format="%d"),
    "loaded_at": st.column_config.DatetimeColumn("Loaded (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "feed": st.column_config.TextColumn("Feed"),
    "file_name": st.column_config.TextColumn("File"),
    "source": st.column_config.TextColumn("Source"),
    "rows_read": st.column_config.NumberColumn("Read", format="localized"),
    "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
    "rows_duplicate": st.column_config.NumberColumn("Duplicates", format="localized"),
    "rows_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
    "duration_s": st.column_config.NumberColumn("Took (s)", format="%.2f"),
})

st.subheader("Rejected rows")
rejects = caches.rejected_rows(limit=1000)
if rejects.empty:
    st.caption("No rejected rows: every row of every loaded file could be read.")
else:
    st.dataframe(rejects, hide_index=True, key="data_rejects", column_config={
        "load_id": st.column_config.NumberColumn("Load", format="%d"),
        "feed": st.column_config.TextColumn("Feed"),
        "file_name": st.column_config.TextColumn("File"),
        "loaded_at": st.column_config.DatetimeColumn("Loaded (UTC)", format="YYYY-MM-DD HH:mm"),
        "line": st.column_config.NumberColumn("Line", format="%d"),
        "raw": st.column_config.TextColumn("Raw text", width="medium"),
        "reason": st.column_config.TextColumn("Reason", width="large"),
    })
    st.download_button(
        "Download all rejected rows (CSV)", data=caches.rejected_rows_csv,
        file_name="rejected_rows.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key="data_rejects_download",
    )

# ---------------------------------------------------------------- archive
st.subheader("Poll archive")
archived = caches.archive()
archive_cols = st.columns(3)
archive_cols[0].metric("Archived months", archived.months)
archive_cols[1].metric("Archived polls", archived.polls)
archive_cols[2].metric("Size on disk", archived.size)
st.caption(archived.detail)

# ---------------------------------------------------------------- quality
st.subheader("Data quality")
quality = caches.data_quality()
checks = (
    ("Invalid timezones", quality.invalid_timezones, "America/Chicago is used instead."),
    ("No timezone row", quality.missing_timezones, "America/Chicago is used."),
    ("No business hours", quality.without_hours, "Counted as open 24×7."),
    ("No polls inside business hours", quality.without_observations,
     "No known status: all report figures are 0."),
    ("Special, unknown id", quality.special_unknown_stores,
     "No feed knows the id: these rows change nothing."),
    ("Special dates far off", quality.special_far_dates,
     "More than a year from the latest poll: check the year."),
)
for row in range(0, len(checks), 4):  # four to a row: the titles stay readable
    for col, (title, table, meaning) in zip(st.columns(4), checks[row:row + 4], strict=False):
        col.metric(title, f"{len(table):,}", help=meaning)
for title, table, meaning in checks:
    if len(table):
        stores = f"{len(table):,} store" + ("" if len(table) == 1 else "s")
        with st.expander(f"{title}: {stores} — {meaning}"):
            st.dataframe(table, hide_index=True, key=f"data_quality_{title}")

# ---------------------------------------------------------------- audit log (admins)
if can(Action.AUDIT_LOG):
    st.subheader("Audit log")
    st.caption("Who did what, newest first: loads, confirmed snapshots, reports, syncs, test "
               "alerts, compactions and the settings at each start (never a secret).")
    # Widths that add up to less than the box at 1280 px (820 px): a click on a cell shows
    # the whole of a long one.
    st.dataframe(caches.audit_log(), hide_index=True, key="data_audit", column_config={
        "audit_id": st.column_config.NumberColumn("#", format="%d", width=50),
        "happened_at": st.column_config.DatetimeColumn("When (UTC)", width=145,
                                                       format="YYYY-MM-DD HH:mm:ss"),
        "actor": st.column_config.TextColumn("Who", width=80),
        "action": st.column_config.TextColumn("What", width=125),
        "subject": st.column_config.TextColumn("On", width=180),
        "details": st.column_config.TextColumn("Details", width=220),
    })
    st.download_button(
        "Download the audit log (CSV)", data=caches.audit_log_csv(), file_name="audit_log.csv",
        mime="text/csv", on_click="ignore", icon=":material/download:", key="data_audit_download",
    )
