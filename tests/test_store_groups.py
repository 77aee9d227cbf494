"""Store groups: the stores feed's region/brand and the effective timezone per store, the
filter that keeps a group's stores, the engine's hourly downtime for a set of stores, and
names found by the drill-down search."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from loop_core import bootstrap, context, stores, timeline
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from loop_core.report import compute_report
from tests.conftest import Loader
from tests.store_feed_fixture import load_stores_feed
from ui.views import context as context_view
from ui.views import groups
from ui.views import store as store_view


@pytest.fixture
def sample(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> dict[str, str]:
    """The sample with the tiny stores feed; id -> region."""
    assert bootstrap.ensure_sample_data(con) is not None
    return load_stores_feed(con, tmp_path)


def test_store_groups_give_every_store_its_feed_text_and_its_effective_zone(
    load: Loader, tmp_path: Path
) -> None:
    con = load(polls=[f"{s},active,2024-10-14 10:00:00 UTC" for s in "abc"],
               zones=["a,Europe/Paris", "b,Not/AZone"])
    feed = tmp_path / "attributes.csv"
    feed.write_text('store_id,name,region\na,"Pizza, Austin",TX\n', encoding="utf-8")
    ingest_file(con, Feed.STORES, feed)
    frame = stores.store_groups(con)
    assert frame.to_dict("records") == [
        {"store_id": "a", "name": "Pizza, Austin", "region": "TX", "brand": "",
         "timezone": "Europe/Paris"},
        # An invalid zone and no zone row both read their hours in America/Chicago.
        {"store_id": "b", "name": "", "region": "", "brand": "", "timezone": "America/Chicago"},
        {"store_id": "c", "name": "", "region": "", "brand": "", "timezone": "America/Chicago"},
    ]


def test_the_filter_keeps_exactly_the_stores_of_every_chosen_value(
    con: duckdb.DuckDBPyConnection, sample: dict[str, str]
) -> None:
    frame = stores.store_groups(con)
    options = groups.filter_options(frame)
    assert options["region"] == ["", "North", "South"]
    assert options["brand"] == ["Burgers", "Pizza"]
    assert groups.matching_ids(frame, groups.StoreFilter()) is None  # nothing narrows
    north = groups.matching_ids(frame, groups.StoreFilter(region=("North",)))
    assert north == {s for s, r in sample.items() if r == "North"}
    both = groups.matching_ids(frame, groups.StoreFilter(region=("North", "")))
    assert both == {s for s, r in sample.items() if r in ("North", "")}
    zone = str(frame["timezone"].iloc[0])
    narrowed = groups.matching_ids(
        frame, groups.StoreFilter(region=("North",), brand=("Pizza",), timezone=(zone,)))
    expected = frame[(frame["region"] == "North") & (frame["brand"] == "Pizza")
                     & (frame["timezone"] == zone)]["store_id"]
    assert narrowed == set(expected)
    assert groups.StoreFilter(region=("",), brand=("Pizza",)).describe() == \
        "region (not given) · brand Pizza"


def test_hourly_downtime_of_a_store_set_adds_up_to_those_stores_report_figures(
    con: duckdb.DuckDBPyConnection, sample: dict[str, str]
) -> None:
    report = compute_report(con)
    chosen = sorted(s for s, r in sample.items() if r == "South")
    cells = timeline.downtime_by_local_hour(con, report.as_of, store_ids=chosen)
    rows = report.rows[report.rows["store_id"].isin(chosen)]
    # The report rounds each store to 0.01 h; the cells are not rounded.
    tolerance = 0.005 * len(rows) + 1e-6
    assert abs(cells["down_h"].sum() - rows["downtime_last_week"].sum()) <= tolerance
    assert abs(cells["up_h"].sum() - rows["uptime_last_week"].sum()) <= tolerance
    everyone = timeline.downtime_by_local_hour(con, report.as_of)
    assert cells["down_h"].sum() < everyone["down_h"].sum()  # the others are left out
    assert timeline.downtime_by_local_hour(con, report.as_of, store_ids=[]).empty


def test_an_id_in_the_store_set_is_bound_as_a_value_not_read_as_sql(
    con: duckdb.DuckDBPyConnection, sample: dict[str, str]
) -> None:
    report = compute_report(con)
    odd = ["x') OR 1=1 --", "'; DROP TABLE stores; --"]
    assert timeline.downtime_by_local_hour(con, report.as_of, store_ids=odd).empty
    assert con.execute("SELECT count(*) FROM stores").fetchone() == (len(sample),)


def test_the_drill_down_search_finds_stores_by_name_after_the_id_matches(
    con: duckdb.DuckDBPyConnection, sample: dict[str, str]
) -> None:
    report = compute_report(con)
    names = stores.store_names(con)
    ids = sorted(sample)
    # "Shop 1" is in the names of stores 1, 10-19, 100-199: all of them, and no other.
    found = store_view.find_stores(report, "shop 1*", limit=500, names=names)
    assert set(found) == {s for s in ids if "shop 1*" in names[s].lower()}
    assert store_view.find_stores(report, "**shop 7**", names=names) == [ids[7]]
    # Without names only ids match.
    assert store_view.find_stores(report, "shop", limit=500) == []
    assert store_view.store_label(ids[7], names) == f"`**Shop 7**, Burgers` `{ids[7]}`"
    # As written: Vega's tooltip escapes it (escaping it here too would show "&lt;").
    assert store_view.store_hover_label("1", {"1": "<b>A</b> & B"}) == "Store 1 · <b>A</b> & B"


def test_the_rollup_sums_equal_the_sums_of_their_stores_and_the_deltas_compare_the_same_stores(
    con: duckdb.DuckDBPyConnection, sample: dict[str, str]
) -> None:
    current = context.store_context(con)
    # The week before, computed on its own: the deltas must equal it.
    previous = context.store_context(con, compute_report(con).as_of - context.WEEK)
    offline = set(list(current["store_id"])[:7])
    table = context_view.rollup_table(current, "region", offline)
    assert list(table["group"]) == ["(not given)", "North", "South"]
    assert table["stores"].sum() == len(current)
    assert table["offline_now"].sum() == len(offline)
    assert table["downtime_h_last_week"].sum() == pytest.approx(
        current["downtime_h_last_week"].sum())
    rated = current[current["hourly_revenue"].notna()]
    assert table["lost_revenue_last_week"].sum() == pytest.approx(
        rated["lost_revenue_last_week"].sum())
    assert table["stores_below_target"].sum() == current["below_target"].sum()
    assert table["budget_left_h"].sum() == pytest.approx(current["budget_left_h"].sum())
    # North's change, by hand: its stores' uptime % now minus the same stores' a week before.
    ids = {s for s, r in sample.items() if r == "North"}
    now = current[current["store_id"].isin(ids)]
    then = previous[previous["store_id"].isin(ids)]

    def pct(f: pd.DataFrame) -> float:
        up, down = f["uptime_h_last_week"].sum(), f["downtime_h_last_week"].sum()
        return float(100 * up / (up + down))

    north = table.set_index("group").loc["North"]
    assert north["uptime_pct_last_week"] == pytest.approx(pct(now))
    assert north["uptime_pct_change"] == pytest.approx(pct(now) - pct(then))
    assert north["downtime_h_change"] == pytest.approx(
        now["downtime_h_last_week"].sum() - then["downtime_h_last_week"].sum())


def test_the_rollup_csv_leaves_no_value_blank_and_guards_group_names(
    con: duckdb.DuckDBPyConnection,
) -> None:
    table = pd.DataFrame({
        "group": ["=SUM(A1)", "North"], "stores": [2, 1], "uptime_pct_last_week": [99.5, math.nan],
        "uptime_pct_change": [0.25, math.nan], "downtime_h_last_week": [1.234, 0.0],
        "downtime_h_change": [-1.0, math.nan], "lost_revenue_last_week": [12.345, math.nan],
        "stores_below_target": [1, 0], "budget_left_h": [-0.5, math.nan], "offline_now": [0, 1],
    })
    text = context_view.rollup_csv(table, lambda cells: stores.spreadsheet_safe(con, cells))
    assert text.splitlines() == [
        "group,stores,uptime_pct_last_week,uptime_pct_change_points,downtime_hours_last_week,"
        "downtime_hours_change,estimated_lost_revenue_last_week,stores_below_target,"
        "downtime_budget_left_hours,offline_now",
        "'=SUM(A1),2,99.50,0.25,1.23,-1.00,12.35,1,-0.50,0",
        "North,1,,,0.00,,,0,,1",  # no business time, no rate: blank, never 0
    ]


def test_the_fleet_context_lists_the_stores_below_target_and_sums_their_budgets(
    con: duckdb.DuckDBPyConnection, sample: dict[str, str]
) -> None:
    current = context.store_context(con)
    fleet = context_view.fleet_context(current)
    below = current[current["below_target"]]
    assert fleet.stores_below_target == len(below) == len(fleet.below_target) > 0
    assert set(fleet.below_target["store_id"]) == set(below["store_id"])
    gaps = fleet.below_target["uptime_pct_last_week"] - fleet.below_target["uptime_target"]
    assert list(gaps) == sorted(gaps)  # furthest below its target first
    assert fleet.budget_left_h == pytest.approx(current["budget_left_h"].sum())
    assert fleet.lost_revenue_last_week == pytest.approx(
        current["lost_revenue_last_week"].sum())
    changes = fleet.biggest_changes["downtime_h_last_week_change"].abs()
    assert list(changes) == sorted(changes, reverse=True) and len(changes) == 10
