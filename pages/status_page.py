"""Status page: every store's (or region's, or time zone's) last 30 store-local days, one
cell a day coloured by its business-hours uptime; a click opens that day in the drill-down, a
click on a group's day lists that group's stores with the day outlined."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ui import caches, charts, entry, paths
from ui.formatting import code_span
from ui.views import status_page as view

entry.require_entry_point()
st.title("Status page")
fresh = caches.data_freshness()
entry.stop_without_polls(fresh.latest_poll)


def _first_page() -> None:
    st.session_state["status_page_no"] = 1


def _all_stores() -> None:
    _first_page()
    st.session_state.pop("status_within", None)


def _open_day() -> None:
    points = st.session_state["status_chart"].selection.get("day")
    if not points:
        return
    row, column = points[0]["row"], points[0]["col"]
    group = view.group_target(shown, int(row), int(column))
    if group is None:  # a store's day: opened in the drill-down once the page has run
        st.session_state["status_open_cell"] = (row, column)
        return
    # A group's day: its stores, worst first, with that day outlined (before the widgets
    # are drawn, so they can still change).
    grouping, key, day = group
    st.session_state.update(status_rows="store", status_search="", status_page_no=1,
                            status_within=(grouping, key, day.isoformat()))


controls = st.columns([2, 3, 1], vertical_alignment="bottom")
grouping = controls[0].segmented_control(
    "Rows", list(view.GROUPINGS), format_func=view.GROUPINGS.__getitem__, default="store",
    key="status_rows", required=True, on_change=_all_stores)
contains = controls[1].text_input(
    "Search", key="status_search", on_change=_first_page,
    placeholder="Part of a store id or name" if grouping == "store"
    else f"Part of a {'region' if grouping == 'region' else 'time zone'}")
page_no = controls[2].number_input("Page", min_value=1, step=1, key="status_page_no")
within = st.session_state.get("status_within") if grouping == "store" else None
outlined = date.fromisoformat(within[2]) if within else None
shown = caches.status_page(str(grouping), contains, int(page_no),
                           (within[0], within[1]) if within else None)
if within:
    kind = "region" if within[0] == "region" else "time zone"
    box = st.container(horizontal=True, vertical_alignment="center")
    # The group's name comes from the data: shown as text, never markdown.
    box.text(f"Only the stores of the {kind} {within[1]}; the outlined column is "
             f"{outlined:%a %Y-%m-%d}, the day you clicked.")
    box.button("Show every store", key="status_all_stores", on_click=_all_stores,
               icon=":material/close:")

if shown.matches == 0:
    if contains.strip():
        st.info(f"Nothing matches {code_span(contains.strip())}: clear the search box or "
                "try part of an id or name.", icon=":material/search_off:")
    else:
        st.info("No stores yet: load the feeds on the Data page.", icon=":material/info:")
    st.stop()

noun = view.GROUPINGS[str(grouping)].lower()
st.caption(
    f"{shown.matches:,} {noun}{' matching' if contains.strip() else ''}, worst first "
    f"(lowest uptime over the {view.DAYS} days): page {shown.page} of {shown.pages}, "
    f"{view.PAGE_SIZE} a page. Each cell is one store-local day up to the as-of "
    f"{shown.as_of:%Y-%m-%d %H:%M} UTC (the latest poll; today so far), coloured by "
    "the share of that day's business hours up, interpolated as in the report; hover for "
    "the day's figures and incidents. "
    "Light grey: closed, or before the store's first poll; dark grey: business hours "
    "without a known status."
    + (" Click a day to open it in the store's drill-down." if grouping == "store" else
       f" Click a day to list that {noun[:-1].lower()}'s stores with the day outlined.")
)
if shown.without_regions:
    st.info("No store has a region: load a stores feed with a `region` column on the Data "
            "page to group by region.", icon=":material/info:")
st.altair_chart(charts.status_days(shown, outlined), key="status_chart", on_select=_open_day,
                selection_mode="day")
clicked = st.session_state.pop("status_open_cell", None)
opened = view.cell_target(shown, int(clicked[0]), int(clicked[1])) if clicked else None
if opened:
    store_id, start, end = opened
    st.switch_page(paths.PAGE_STORE,
                   query_params={"store_id": store_id, "start": start, "end": end})
