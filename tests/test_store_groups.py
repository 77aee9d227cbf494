"""Store groups: the stores feed's region/brand and the effective timezone per store, the
filter that keeps a group's stores, the engine's hourly downtime for a set of stores, and
names found by the drill-down search."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from loop_core import bootstrap, stores, timeline
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from loop_core.report import compute_report
from tests.conftest import Loader
from tests.store_feed_fixture import load_stores_feed
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
    assert store_view.store_label(ids[7], names) == f"`{ids[7]}` `**Shop 7**, Burgers`"
    assert store_view.store_hover_label("1", {"1": "<b>A</b> & B"}) == \
        "Store 1 · &lt;b&gt;A&lt;/b&gt; &amp; B"
