"""Fleet overview: how the whole fleet did over the last hour, day and week."""

from __future__ import annotations

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig
from streamlit_autorefresh import st_autorefresh

from ui import caches, charts, entry, filters, paths
from ui.formatting import WINDOWS, compact_count, percent, visible_columns
from ui.views.context import LOST_REVENUE_NOTE
from ui.views.evidence import COVERAGE_HELP, stores_text
from ui.views.groups import FILTER_KEYS, FILTER_LABELS

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
kpi[1].metric("Polls", compact_count(fresh.polls),
              help=f"{fresh.polls:,} polls loaded, all stores (not filtered).")
for col, window in zip(kpi[2:5], WINDOWS, strict=True):
    col.metric(f"Uptime, {window}", percent(overview.uptime_pct[window]),
               help=f"Share of the stores' business time in the last {window} that was up.")
kpi[5].metric("No usable data", f"{overview.stores_without_data:,}",
              help="Stores without a single poll inside their business hours: no known status, "
                   "so all their report figures are 0.")
special_today = caches.special_today(overview.as_of)
st.caption(f"**Special hours today: {special_today.stores:,} stores"
           f"{' of the whole fleet' if chosen.active else ''}** "
           f"({special_today.closed:,} closed, {special_today.special_hours:,} open on special "
           "hours), each on its own local date of the as-of; their weekly hours do not apply "
           "that day.")

# One above the other: side by side, the table's figures would scroll out of sight at
# 1280 px.
histogram_box, worst_box = st.container(), st.container()
with histogram_box:
    st.subheader("Weekly uptime distribution")
    # Keyed boxes: a Vega-Lite chart without a selection has no key of its own, and the
    # layout test finds each chart by its box.
    st.container(key="fleet_histogram").altair_chart(
        charts.weekly_uptime_histogram(overview.uptime_bins))
with worst_box:
    st.subheader("Most downtime last week")
    st.caption(f"{overview.worst_caption}. Select a row to open the store's drill-down.")

    def _open_store() -> None:
        rows = st.session_state["fleet_worst"].selection.rows
        if rows:
            st.session_state["fleet_open_store"] = str(overview.worst.iloc[rows[0]]["store_id"])

    # The figures first, then the name (often long).
    worst_columns = {
        "store_id": st.column_config.TextColumn("Store id", width=150, pinned=True),
        "downtime_last_week": st.column_config.NumberColumn("Down, week (h)", format="%.1f",
                                                            width=100),
        "downtime_last_day": st.column_config.NumberColumn("Down, day (h)", format="%.1f",
                                                           width=95),
        "downtime_last_hour": st.column_config.NumberColumn("Down, hour (min)", format="%.0f",
                                                            width=115),
        "uptime_pct_week": st.column_config.ProgressColumn(
            "Up, week", min_value=0, max_value=100, format="%.0f%%", width=90,
            color=charts.UP),
        "name": st.column_config.TextColumn("Name"),
    }
    st.dataframe(
        overview.worst, hide_index=True, height=340, key="fleet_worst",
        on_select=_open_store, selection_mode="single-row",
        column_order=visible_columns(overview.worst, list(worst_columns)),
        column_config=worst_columns,
    )
    if len(overview.with_downtime) > len(overview.worst):
        with st.expander(f"All {len(overview.with_downtime):,} stores with downtime last week"):
            st.caption("Click a column header to sort; the table's toolbar downloads it as CSV.")
            st.dataframe(overview.with_downtime, hide_index=True, key="fleet_all_down",
                         column_order=visible_columns(overview.with_downtime, list(worst_columns)),
                         column_config=worst_columns)
    low = caches.low_coverage(overview.as_of)
    if low.count:
        with st.expander(f"⚠ {stores_text(low.count)} below 50 % poll coverage last week"):
            st.caption(f"{COVERAGE_HELP} {low.without_observations:,} of them have no "
                       "observation at all (listed last: all their figures are 0).")
            st.dataframe(
                low.stores, hide_index=True, height=240, key="fleet_low_coverage",
                column_config={
                    "store_id": st.column_config.TextColumn("Store id"),
                    "name": st.column_config.TextColumn("Name"),
                    "coverage_pct_week": st.column_config.NumberColumn(
                        "Coverage, week", format="%.0f%%", width="small"),
                    "observations_last_week": st.column_config.NumberColumn(
                        "Observations", format="localized", width="small"),
                    "latest_observation_at": st.column_config.DatetimeColumn(
                        "Latest observation (UTC)", format="YYYY-MM-DD HH:mm"),
                    "link": st.column_config.LinkColumn("Drill-down", display_text="open ↗",
                                                        width="small"),
                },
            )
    else:
        st.caption("Every store has at least 50 % poll coverage last week.")
    opened = st.session_state.pop("fleet_open_store", None)
    if opened:
        st.switch_page(paths.PAGE_STORE, query_params={"store_id": opened})

downtime = caches.fleet_downtime(overview.as_of, chosen)
st.subheader("Downtime by hour of the week (store-local time)")
st.caption("Share of the fleet's business time (with a known status) that was down, in each "
           "hour of the week in the stores' own local time, over the 7 days before the as-of.")
st.container(key="fleet_heatmap").altair_chart(
    charts.downtime_heatmap(downtime.heatmap, "down"))
st.subheader("Fleet uptime per day (store-local dates)")
st.container(key="fleet_trend").altair_chart(charts.daily_trend(downtime.per_day))
st.caption("The same 7 days, per local date; the first and last dates are partial. Both "
           "charts sum the interpolated spans the report uses, so their totals equal the "
           "report's week figures.")

# ---------------------------------------------------------------- groups, targets, money
UPTIME_CHANGE = "Uptime % against the week before."
STORE_COLUMNS = {"store_id": st.column_config.TextColumn("Store id"),
                 "name": st.column_config.TextColumn("Name")}


def _num(label: str, fmt: str, tip: str | None = None) -> ColumnConfig:
    return st.column_config.NumberColumn(label, format=fmt, width="small", help=tip)


st.subheader("Groups, targets and money (last week)")
ctx = caches.fleet_context(chosen)
money = "—" if ctx.lost_revenue_last_week is None else f"{ctx.lost_revenue_last_week:,.2f}"
k = st.columns(4)
k[0].metric("Uptime, last week", percent(ctx.uptime_pct_last_week),
            delta=None if ctx.uptime_pct_change is None else
            f"{ctx.uptime_pct_change:+.2f} points",
            help="Against the week before (the same rules as of 7 days earlier).")
k[1].metric("Est. lost revenue, week", money,
            delta=None if ctx.lost_revenue_change is None else f"{ctx.lost_revenue_change:+,.2f}",
            delta_color="inverse",
            help=f"{LOST_REVENUE_NOTE} {ctx.stores_with_rate:,} of {ctx.stores:,} stores have "
                 "a rate.")
k[2].metric("Stores below target", f"{ctx.stores_below_target:,}",
            help="Uptime last week below the store's uptime_target (or the default target).")
k[3].metric("Downtime budget left (h)", f"{ctx.budget_left_h:,.1f}",
            help="What the targets allow of last week's business time, minus last week's "
                 f"downtime, summed over the stores; {ctx.stores_over_budget:,} stores are "
                 "over their budget (negative).")

by = st.segmented_control("Group by", FILTER_KEYS, default="region", key="fleet_group_by",
                          format_func=lambda key: FILTER_LABELS[key], required=True)
rollup = caches.group_rollup(by, chosen)
st.dataframe(rollup, hide_index=True, key="fleet_rollup", column_config={
    "group": st.column_config.TextColumn(FILTER_LABELS[by]),
    "stores": _num("Stores", "localized"),
    "uptime_pct_last_week": _num("Uptime %", "%.2f"),
    "uptime_pct_change": _num("Δ points", "%+.2f", UPTIME_CHANGE),
    "downtime_h_last_week": _num("Down (h)", "%.1f"),
    "downtime_h_change": _num("Δ down (h)", "%+.1f", "Against the week before."),
    "lost_revenue_last_week": _num("Lost (est.)", "%,.2f", LOST_REVENUE_NOTE),
    "stores_below_target": _num("Below target", "%d"),
    "budget_left_h": _num("Budget (h)", "%.1f", "Downtime budget left: what the targets "
                          "allow of last week's business time minus its downtime."),
    "offline_now": _num("Offline now", "%d"),
})
st.download_button("Download groups (CSV)", data=caches.group_rollup_csv(rollup),
                   file_name=f"store-groups_by-{by}.csv", mime="text/csv", on_click="ignore",
                   icon=":material/download:", key="fleet_rollup_download")
st.caption("Click a column header to sort. Lost (est.): " + LOST_REVENUE_NOTE)

below, changes = st.tabs([f"Below target ({len(ctx.below_target):,})",
                          "Biggest changes against the week before"])
with below:
    if ctx.below_target.empty:
        st.caption("Every store met its uptime target last week.")
    else:
        st.dataframe(ctx.below_target, hide_index=True, key="fleet_below_target", height=300,
                     column_config={
                         **STORE_COLUMNS,
                         "uptime_pct_last_week": _num("Uptime %", "%.2f"),
                         "uptime_target": _num("Target %", "%.2f"),
                         "downtime_h_last_week": _num("Down (h)", "%.1f"),
                         "budget_left_h": _num("Budget left (h)", "%.1f", "Negative: more "
                                               "downtime than the target allows."),
                         "lost_revenue_last_week": _num("Lost (est.)", "%,.2f",
                                                        LOST_REVENUE_NOTE),
                     })
with changes:
    if ctx.biggest_changes.empty:
        st.caption("No store's weekly downtime changed.")
    else:
        st.dataframe(ctx.biggest_changes, hide_index=True, key="fleet_changes",
                     column_config={
                         **STORE_COLUMNS,
                         "downtime_h_last_week": _num("Down (h)", "%.1f"),
                         "downtime_h_last_week_previous": _num("Week before (h)", "%.1f"),
                         "downtime_h_last_week_change": _num("Δ down (h)", "%+.1f"),
                         "uptime_pct_last_week_change": _num("Δ points", "%+.2f",
                                                             UPTIME_CHANGE),
                     })

st.subheader("Weekly uptime, last 8 weeks")
trend = caches.weekly_trend(chosen)
if trend.empty:
    st.caption("The stored history does not cover a whole week yet.")
else:
    st.container(key="fleet_weekly_trend").altair_chart(charts.weekly_trend(trend))
    st.caption("As far back as the stored polls (and the archive) reach; a paler bar is a "
               "week the history covers only in part.")
