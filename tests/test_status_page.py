"""The status page: the view model's rows, cells and paging, the chart, the page in AppTest,
and the store drill-down opened on a day by the link the page's click follows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loop_core import daily, db
from tests.conftest import Loader
from ui import charts
from ui.views import status_page as view
from ui.views import store as store_view

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2024-10-10T17:00:00Z"  # Thursday


@pytest.fixture
def found(load: Loader) -> daily.StoreDays:
    # "shop": open Mon, Tue, Thu 09:00-17:00 (UTC), half down on Tuesday; "allday": 24x7 in
    # New York, down from Tue 00:00Z to Thu 00:00Z; "quiet": polled only outside its hours.
    con = load(
        polls=["shop,active,2024-10-07 10:00:00 UTC", "shop,active,2024-10-08 10:00:00 UTC",
               "shop,inactive,2024-10-08 16:00:00 UTC", "shop,active,2024-10-10 12:00:00 UTC",
               "allday,active,2024-10-07 12:00:00 UTC", "allday,inactive,2024-10-08 12:00:00 UTC",
               "allday,active,2024-10-10 00:00:00 UTC", "quiet,active,2024-10-07 03:00:00 UTC"],
        hours=[*(f"shop,{d},09:00:00,17:00:00" for d in (0, 1, 3)),
               *(f"quiet,{d},09:00:00,17:00:00" for d in range(7))],
        zones=["shop,UTC", "allday,America/New_York", "quiet,UTC"],
    )
    return daily.store_days(con, days=4, as_of=AS_OF)


def test_rows_are_sorted_worst_first_and_cells_say_what_they_hold(
    found: daily.StoreDays,
) -> None:
    grid = view.status_grid(found, names={"shop": "Main <b>St</b>"})
    # allday: down from Tue 00:00Z to the midpoint Wed 06:00Z, so 55 h up of 85 h; shop:
    # 20 h of 24 h; quiet: no status at all, so last.
    assert list(grid.rows["key"]) == ["allday", "shop", "quiet"]
    assert list(grid.rows["uptime_pct"].fillna(-1)) == [round(100 * 55 / 85, 2), 83.33, -1]
    shop = grid.cells[grid.cells["key"] == "shop"].set_index("local_date")
    assert shop.loc[pd.Timestamp("2024-10-08"), ["uptime_pct", "incidents", "longest_h"]
                    ].tolist() == [50.0, 1, 4.0]
    assert shop["state"].tolist() == [view.MEASURED, view.MEASURED, view.CLOSED, view.MEASURED]
    quiet = grid.cells[grid.cells["key"] == "quiet"]
    assert set(quiet["state"]) == {view.NO_STATUS}
    assert grid.rows.set_index("key").loc["shop", "label"] == "Main <b>St</b> · shop"


def test_hover_text_gives_the_days_figures_and_keeps_data_text_as_written(
    found: daily.StoreDays,
) -> None:
    page = view.status_page(view.status_grid(found, names={"shop": "Main <b>St</b>"}))
    tuesday = page.cells[(page.cells["key"] == "shop")
                         & (page.cells["local_date"] == date(2024, 10, 8))].iloc[0]
    assert tuesday["hover"].split("\n") == [
        "shop", "Tue 2024-10-08", "Uptime 50.00 % of 8.00 h", "Up 4.00 h · down 4.00 h",
        "1 incident, longest 4.00 h",
    ]
    wednesday = page.cells[(page.cells["key"] == "shop")
                           & (page.cells["local_date"] == date(2024, 10, 9))].iloc[0]
    assert wednesday["hover"].split("\n")[2] == "Closed: no business hours"
    # As written: Vega's tooltip shows values as text (escaping here would show "&lt;").
    tagged = view.status_page(view.status_grid(found, "region", regions={"shop": "<b>N</b>"}))
    assert tagged.cells["hover"].iloc[-1].startswith("<b>N</b>\n")


def test_a_click_on_a_stores_cell_opens_that_store_and_day_and_a_groups_its_stores(
    found: daily.StoreDays,
) -> None:
    page = view.status_page(view.status_grid(found))
    row = list(page.rows["key"]).index("allday")
    assert view.cell_target(page, row, 3) == (
        "allday", "2024-10-10T04:00:00+00:00", "2024-10-10T17:00:00+00:00")
    assert view.cell_target(page, row, 4) is None  # no such day
    assert view.group_target(page, row, 3) is None  # a store's cell opens the store
    zones = view.status_page(view.status_grid(found, "zone"))
    assert view.cell_target(zones, 0, 0) is None
    utc = list(zones.rows["key"]).index("UTC")
    assert view.group_target(zones, utc, 1) == ("zone", "UTC", date(2024, 10, 8))
    assert view.group_target(zones, utc, 4) is None  # no such day


def test_a_groups_stores_are_the_stores_of_that_group_only(found: daily.StoreDays) -> None:
    grid = view.status_grid(found, regions={"shop": "North", "quiet": "North"})
    north = view.status_page(grid, within=("region", "North"))
    assert (north.matches, set(north.rows["key"]), north.within) == (
        2, {"shop", "quiet"}, ("region", "North"))
    assert set(north.cells["key"]) == {"shop", "quiet"}
    assert list(view.status_page(grid, within=("region", view.NO_REGION)).rows["key"]) == [
        "allday"]
    assert set(view.status_page(grid, within=("zone", "UTC")).rows["key"]) == {"shop", "quiet"}
    # With the search box too: both narrow the rows.
    assert list(view.status_page(grid, "sho", within=("zone", "UTC")).rows["key"]) == ["shop"]
    # Groups of groups do not exist: a grid of zones ignores it.
    zones = view.status_page(view.status_grid(found, "zone"), within=("region", "North"))
    assert zones.matches == 2 and zones.within is None


def test_the_day_a_groups_cell_opened_is_outlined(found: daily.StoreDays) -> None:
    page = view.status_page(view.status_grid(found))
    assert "outline" not in {layer.name for layer in charts.status_days(page).layer}
    (outline,) = [layer for layer in charts.status_days(page, date(2024, 10, 9)).layer
                  if layer.name == "outline"]
    assert list(outline.data["col"]) == [2]  # the third day, the whole column


def test_search_and_paging_pick_the_rows_and_a_page_past_the_end_shows_the_last(
    found: daily.StoreDays,
) -> None:
    grid = view.status_grid(found, names={"shop": "Main Street"})
    assert list(view.status_page(grid, "street").rows["key"]) == ["shop"]
    assert list(view.status_page(grid, "ALL").rows["key"]) == ["allday"]
    assert view.status_page(grid, "nothing like it").matches == 0
    second = view.status_page(grid, "", page=2, page_size=2)
    assert (second.page, second.pages, list(second.rows["key"])) == (2, 2, ["quiet"])
    assert view.status_page(grid, "", page=9, page_size=2).page == 2
    assert set(second.cells["key"]) == {"quiet"}


def test_zones_and_regions_sum_their_stores_days(found: daily.StoreDays) -> None:
    by_zone = view.status_grid(found, "zone")
    assert set(by_zone.rows["key"]) == {"UTC", "America/New_York"}
    utc = by_zone.rows.set_index("key").loc["UTC"]
    assert (utc["stores"], utc["up_h"], utc["down_h"]) == (2, 20.0, 4.0)
    by_region = view.status_grid(found, "region", regions={"shop": "North", "quiet": "North"})
    assert list(by_region.rows["key"]) == ["(no region)", "North"]
    # A group's cell names no store: a click opens its stores (group_target), not one.
    assert by_region.cells["store_id"].isna().all()


def test_the_chart_draws_every_cell_on_a_fixed_0_to_100_scale_with_clickable_days(
    found: daily.StoreDays,
) -> None:
    page = view.status_page(view.status_grid(found, names={"shop": "<i>x</i>"}))
    chart = charts.status_days(page)
    layers = {layer.name: layer for layer in chart.layer}
    cells = layers["cells"].data
    assert len(cells) == 12  # 3 rows x 4 days, each a clickable cell
    assert sorted(zip(cells["row"], cells["col"], strict=True)) == [
        (r, c) for r in range(3) for c in range(4)]
    row = list(page.rows["key"]).index("shop")
    colour = dict(zip(zip(cells["row"], cells["col"], strict=True), cells["fill"], strict=True))
    assert colour[(row, 1)] == charts._status_colour(50.0) == "#f59e0b"  # Tuesday, half up
    assert colour[(row, 2)] == charts.STATUS_GREYS[view.CLOSED]  # the closed Wednesday
    assert (charts._status_colour(0), charts._status_colour(100)) == (charts.DOWN, charts.UP)
    legend = layers["scale"].to_dict()["encoding"]["color"]
    assert legend["scale"]["domain"] == [0, 50, 100]  # a fixed scale from 0
    assert legend["legend"]["values"][0] == 0
    # A click selects the cell's row and column: the page maps them to a store and day.
    spec = chart.to_dict()
    (param,) = spec["params"]
    assert param["name"] == "day" and param["select"]["fields"] == ["row", "col"]
    assert param["views"] == [spec["layer"][0]["name"]]  # on the cells
    y_labels = spec["layer"][0]["encoding"]["y"]["axis"]["labelExpr"]
    assert "<i>x</i> · shop" in json.loads(y_labels.rsplit("[", 1)[0])[row]  # text, as written
    x_labels = spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    assert json.loads(x_labels.rsplit("[", 1)[0]) == [["Oct", "07"], ["", "08"], ["", "09"],
                                                       ["", "10"]]


def test_a_link_range_is_read_only_when_both_ends_make_sense() -> None:
    day = store_view.linked_range("2024-10-08T00:00:00+00:00", "2024-10-09T00:00:00+00:00")
    assert day is not None and (day[1] - day[0]).total_seconds() == 86400
    assert store_view.linked_range("2024-10-09T00:00:00Z", "2024-10-08T00:00:00Z") is None
    assert store_view.linked_range("soon", "2024-10-08T00:00:00Z") is None
    assert store_view.linked_range(None, None) is None


# ---------------------------------------------------------------- the page itself


def _open(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/status_page.py")
    at.query_params.update(query)
    return at.run()


def _spec(at: AppTest) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    return spec


def _chart_rows(at: AppTest) -> list[str]:
    """The chart's row labels without their uptime figure."""
    labels = _spec(at)["layer"][0]["encoding"]["y"]["axis"]["labelExpr"]
    return [t.rsplit("  ", 1)[0] for t in json.loads(labels.rsplit("[", 1)[0])]


def test_the_page_pages_through_the_stores_worst_first(sample_db: Path) -> None:
    at = _open()
    assert not at.exception, [e.value for e in at.exception]
    first = _chart_rows(at)
    assert len(first) == view.PAGE_SIZE
    assert any("200 stores, worst first" in c.value and "page 1 of 4" in c.value
               for c in at.caption)
    at.number_input(key="status_page_no").set_value(4).run()
    last = _chart_rows(at)
    assert len(last) == 50 and not set(last) & set(first)
    assert any("page 4 of 4" in c.value for c in at.caption)


def test_the_search_box_finds_a_store_and_says_when_nothing_matches(sample_db: Path) -> None:
    con = db.connect(sample_db)
    store_id = str(con.execute("SELECT min(store_id) FROM stores").fetchone()[0])  # type: ignore[index]
    at = _open()
    at.number_input(key="status_page_no").set_value(3).run()
    at.text_input(key="status_search").input(store_id).run()
    assert _chart_rows(at) == [store_id]
    assert at.number_input(key="status_page_no").value == 1  # a new search starts at page 1
    at.text_input(key="status_search").input("**no such store**").run()
    assert not at.get("vega_lite_chart")
    assert any("Nothing matches" in i.value and "`**no such store**`" in i.value
               for i in at.info)


def test_time_zones_as_rows_and_regions_without_a_stores_feed_say_what_to_do(
    sample_db: Path,
) -> None:
    at = _open()
    at.segmented_control(key="status_rows").set_value("zone").run()
    assert not at.exception
    rows = _chart_rows(at)
    assert "America/Chicago" in rows and len(rows) < 50
    at.segmented_control(key="status_rows").set_value("region").run()
    assert _chart_rows(at) == [view.NO_REGION]
    assert any("load a stores feed with a `region` column" in i.value for i in at.info)


def test_a_time_zones_day_lists_its_stores_and_a_button_lists_every_store_again(
    sample_db: Path,
) -> None:
    at = _open()
    # What a click on a zone's day leaves (pages/status_page.py's _open_day; the click
    # itself is tests/test_e2e_status_page.py's).
    at.session_state["status_within"] = ("zone", "America/Chicago", "2024-10-12")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    con = db.connect(sample_db)
    zones = daily.store_days(con, view.DAYS).frame  # the zone the rules give each store
    chicago = set(zones.loc[zones["zone"] == "America/Chicago", "store_id"].astype(str))
    rows = _chart_rows(at)
    assert rows and {r.rsplit(" · ", 1)[-1] for r in rows} <= chicago
    assert any("Only the stores of the time zone America/Chicago" in t.value
               and "Sat 2024-10-12" in t.value for t in at.text)
    assert len(_spec(at)["layer"]) == 3  # the cells, the scale and the day outlined
    at.button(key="status_all_stores").click().run()
    assert len(_chart_rows(at)) == view.PAGE_SIZE and "status_within" not in at.session_state
    assert not any("Only the stores" in t.value for t in at.text)


def test_the_drill_down_opened_by_a_days_link_shows_that_day(sample_db: Path) -> None:
    con = db.connect(sample_db)
    store_id = str(con.execute("SELECT min(store_id) FROM stores").fetchone()[0])  # type: ignore[index]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/store.py")
    at.query_params.update({"store_id": store_id, "start": "2024-10-12T05:00:00+00:00",
                            "end": "2024-10-13T05:00:00+00:00"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("The day the link opened: 2024-10-12 05:00 → 2024-10-13 05:00 UTC" in c.value
               for c in at.caption)
    assert any("range 2024-10-12 05:00 → 2024-10-13 05:00 UTC" in m.value for m in at.markdown)
