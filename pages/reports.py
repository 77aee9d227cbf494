"""Reports: generate a report, watch it run, download it, share it, look back at history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import streamlit as st

from loop_core.models import ReportState, ReportStatus
from ui import caches, charts, entry, filters, paths
from ui.formatting import WINDOWS, code_span, percent, visible_columns
from ui.views import reports as view
from ui.views.evidence import COVERAGE_HELP, stores_text

POLL_EVERY_S = 1.0
QUERY_KEY = "report_id"

entry.require_entry_point()
fresh = caches.data_freshness()

st.title("Reports")
st.caption(
    "A report gives every store's uptime and downtime inside its business hours over the "
    "last hour (minutes), day and week (hours) before the as-of instant."
)

# ---------------------------------------------------------------- generate
with st.container(border=True):
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    with right:
        custom = st.toggle("Choose the as-of instant", key="reports_custom_as_of",
                           help="By default a report measures up to the latest poll.")
        as_of_value = None
        if custom:
            default = (fresh.latest_poll or datetime.now(UTC)).replace(second=0, microsecond=0)
            as_of_value = st.datetime_input(
                "As-of (UTC)", value=default.replace(tzinfo=None), key="reports_as_of",
                step=timedelta(minutes=1), format="YYYY-MM-DD",
            )
        else:
            latest = "no polls yet" if fresh.latest_poll is None else \
                f"{fresh.latest_poll:%Y-%m-%d %H:%M:%S} UTC"
            st.markdown(f"As-of: **latest poll** ({latest})")
    with left:
        if st.button("Generate report", type="primary", icon=":material/play_arrow:",
                     key="reports_generate"):
            as_of = None if as_of_value is None else as_of_value.replace(tzinfo=UTC)
            st.query_params[QUERY_KEY] = caches.trigger_report(as_of)

selected = st.query_params.get(QUERY_KEY)


# ---------------------------------------------------------------- the selected report
def _render_done(status: ReportStatus) -> None:
    if status.status is ReportState.FAILED:
        st.error("Report failed: " + code_span(status.error or "no reason recorded"),
                 icon=":material/error:")
        return
    if status.status is ReportState.EXPIRED:
        st.warning(view.expired_message(status, caches.report_retention()),
                   icon=":material/history:")
        if st.button("Generate it again", icon=":material/replay:", key="reports_again"):
            st.query_params[QUERY_KEY] = caches.trigger_report(status.as_of)
        return
    st.success(
        f"Complete: {status.row_count:,} stores, as-of {status.as_of:%Y-%m-%d %H:%M:%S} UTC, "
        f"computed in {status.duration_s or 0:.2f} s.",
        icon=":material/check_circle:",
    )
    st.download_button(
        # Read from the report's file only when clicked, not on every rerun.
        "Download CSV", data=partial(caches.report_csv, status.report_id),
        file_name=view.report_file_name(status),
        mime="text/csv", type="primary", icon=":material/download:", on_click="ignore",
        key="reports_download",
    )
    _render_extended(status)


def _render_extended(status: ReportStatus) -> None:
    why_not, writing = caches.extended_csv_state(status.report_id)
    if why_not is None:
        st.download_button(
            "Download extended CSV", data=partial(caches.report_csv, status.report_id, True),
            file_name=view.report_file_name(status, extended=True),
            mime="text/csv", icon=":material/download:", on_click="ignore",
            key="reports_download_extended",
            help="The same columns first, then name, region, brand, uptime % against the "
                 "target, estimated lost revenue (from the given hourly rate) and the change "
                 "against the week before.",
        )
    elif writing:
        _wait_for_extended(status.report_id)
    else:
        st.caption(why_not)


@st.fragment(run_every=POLL_EVERY_S)
def _wait_for_extended(report_id: str) -> None:
    # The job writes the extended twin just after the report completes: once it is there,
    # the whole page runs again and offers its button.
    why_not, _ = caches.extended_csv_state(report_id)
    if why_not is None:
        st.rerun()
    st.caption(why_not)


def _render_running(report_id: str) -> None:
    expected = caches.expected_report_s()

    @st.fragment(run_every=POLL_EVERY_S)
    def watch() -> None:
        with entry.guard():
            status = caches.report_status(report_id)
        if status.status is not ReportState.RUNNING:
            st.rerun()  # the whole page: stops this timer and shows the result
        now = datetime.now(UTC)
        elapsed = (now - status.created_at).total_seconds()
        st.progress(view.running_progress(status, expected, now),
                    text=f"Running… {elapsed:.0f} s (usually about {expected:.1f} s)")

    watch()


def _render_preview(csv_path: Path, as_of: datetime | None) -> None:
    st.subheader("Preview")
    chosen = filters.store_filter("reports")
    f1, f2 = st.columns([2, 1])
    contains = f1.text_input("Store id or name contains", key="reports_filter_id",
                             placeholder="e.g. 8419… or Austin")
    min_down = f2.number_input("Min. downtime last week (h)", min_value=0.0, value=0.0,
                               step=1.0, key="reports_filter_down")
    preview = caches.report_preview(csv_path, contains, float(min_down), chosen)
    st.caption("The figures, the table and the Most downtime list all count the stores the "
               "filters keep.")
    m = st.columns(5)
    for col, window in zip(m[:3], WINDOWS, strict=True):
        col.metric(f"Uptime, last {window}", percent(preview.uptime_pct[window]),
                   help="Share of the shown stores' business time that was up.")
    m[3].metric("Stores shown", f"{len(preview.rows):,}",
                help=f"Of {preview.total_rows:,} stores in the report.")
    m[4].metric("Stores with all zeros", f"{preview.stores_all_zero:,}",
                help="All last-week figures are 0: closed all week, or no poll inside "
                     "its business hours (so no known status).")
    only_low = st.session_state.get("reports_only_low", False)
    evidence = caches.preview_evidence(preview.rows, as_of, only_low=only_low)
    if evidence.low_total:
        flag, toggle = st.columns([3, 1], vertical_alignment="center")
        flag.warning(f"{stores_text(evidence.low_total)} below 50 % poll coverage last week: "
                     "their figures are mostly interpolated across long gaps between polls.",
                     icon=":material/troubleshoot:")
        toggle.toggle("Only these stores", key="reports_only_low")
    # The table has the page's whole width (its figures show at 1280 px) and the Most
    # downtime list goes under it, its links side by side: beside the table, in a quarter
    # of the width, each link wrapped its hours onto a line of their own.
    st.caption(f"{len(evidence.rows):,} of {preview.total_rows:,} stores shown · click "
               "a column header to sort")
    # The week's uptime and the downtime figures first, and the uptime hours
    # (business time minus downtime) after.
    preview_columns = {
        "store_id": st.column_config.TextColumn("Store id", width=150, pinned=True),
        "name": st.column_config.TextColumn("Name", width=140),
        "uptime_pct_week": st.column_config.ProgressColumn(
            "Up, week", min_value=0, max_value=100, format="%.1f%%", width=90,
            color=charts.UP, help="Uptime last week, % of business time."),
        "downtime_last_hour": st.column_config.NumberColumn("Down, hour (min)",
                                                            format="%.2f", width=115),
        "downtime_last_day": st.column_config.NumberColumn("Down, day (h)", format="%.2f",
                                                           width=95),
        "downtime_last_week": st.column_config.NumberColumn("Down, week (h)",
                                                            format="%.2f", width=100),
        "uptime_last_hour": st.column_config.NumberColumn("Up, hour (min)", format="%.2f",
                                                          width=105),
        "uptime_last_day": st.column_config.NumberColumn("Up, day (h)", format="%.2f",
                                                         width=85),
        "uptime_last_week": st.column_config.NumberColumn("Up, week (h)", format="%.2f",
                                                          width=95),
        "coverage_flag": st.column_config.TextColumn(
            "Coverage", width="small", help="⚠ low: poll coverage below 50 % last week."),
        "coverage_pct_week": st.column_config.NumberColumn(
            "Poll coverage, week", format="%.0f%%", help=COVERAGE_HELP),
        "observations_last_week": st.column_config.NumberColumn(
            "Observations used, week", format="localized",
            help="Polls inside business hours whose share of time reaches the week."),
        "latest_observation_at": st.column_config.DatetimeColumn(
            "Latest observation (UTC)", format="YYYY-MM-DD HH:mm"),
    }
    st.dataframe(
        evidence.rows, hide_index=True, height=420, key="reports_preview_table",
        column_order=visible_columns(evidence.rows, list(preview_columns)),
        column_config=preview_columns,
    )
    if evidence.rows.empty:
        st.info("No store matches these filters: clear the id box or lower the minimum "
                "downtime.", icon=":material/filter_alt_off:")
    st.markdown("**Most downtime last week**")
    st.caption(view.most_downtime_caption(preview))
    worst = st.container(horizontal=True, gap="small")
    for row in preview.most_downtime.itertuples(index=False):
        low = " · ⚠ low coverage" if str(row.store_id) in evidence.low_ids else ""
        # A name is the stores feed's text: a code span shows it as written. The id
        # stays in the tooltip: both would make each link long.
        worst.page_link(paths.PAGE_STORE,
                        label=f"{code_span(row.name or row.store_id)} · "
                              f"{row.downtime_last_week:.1f} h{low}",
                        help=f"Store {code_span(row.store_id)}",
                        query_params={"store_id": str(row.store_id)},
                        icon=":material/store:")


def _render_selected(current: ReportStatus) -> None:
    with st.container(border=True):
        st.markdown(f"**Report** {code_span(current.report_id)} · status **{current.status}** "
                    f"· created {current.created_at:%Y-%m-%d %H:%M:%S} UTC")
        st.caption("Shareable link: " + code_span(view.report_link(st.context.url,
                                                                   current.report_id)))
        if current.status is ReportState.RUNNING:
            _render_running(current.report_id)
        else:
            _render_done(current)
    if current.csv_path is not None:
        _render_preview(current.csv_path, current.as_of)


if selected:
    # An unknown or broken id is an error here, and the history below still shows.
    with entry.guard(stop=False):
        _render_selected(caches.report_status(selected))

# ---------------------------------------------------------------- history
st.subheader("History")
history = caches.report_history()
if history.empty:
    st.caption("No reports yet: press **Generate report** above, or call the API's "
               "`/trigger_report`.")
else:
    st.caption("Newest first. Select a row to open that report.")

    def _open_selected() -> None:
        rows = st.session_state["reports_history"].selection.rows
        if rows:
            st.query_params[QUERY_KEY] = str(history.iloc[rows[0]]["report_id"])

    st.dataframe(
        history, hide_index=True, on_select=_open_selected, selection_mode="single-row",
        key="reports_history",
        column_config={
            "report_id": st.column_config.TextColumn("Report id", width=190, pinned=True),
            "created_at": st.column_config.DatetimeColumn("Created (UTC)",
                                                          format="YYYY-MM-DD HH:mm:ss"),
            "as_of": st.column_config.DatetimeColumn("As-of (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "status": st.column_config.TextColumn("Status", width=85),
            "source": st.column_config.TextColumn(
                "Started from", width=100,
                help="Dashboard, API or CLI; unknown for reports from before it was recorded."),
            "duration_s": st.column_config.NumberColumn("Duration (s)", format="%.2f"),
            "stores": st.column_config.NumberColumn("Stores", format="localized"),
            "error": st.column_config.TextColumn("Note", width="medium"),
            "link": st.column_config.LinkColumn("Link", display_text="open ↗"),
        },
    )
