"""AppTest of the region/brand/timezone filter on Reports, Fleet, Now and Incidents: the
filter narrows every figure and list of the page, and the figures are the engine's for
exactly the filtered stores."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from loop_core import db, jobs, stores
from loop_core.incidents import incidents
from loop_core.models import ReportState
from loop_core.report import compute_report
from loop_core.status import StoreState, status
from tests.store_feed_fixture import load_stores_feed
from ui.formatting import code_span, percent
from ui.views.fleet import fleet_uptime_pct

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture
def north(sample_db: Path, tmp_path: Path) -> set[str]:
    """The sample with the tiny stores feed loaded; the ids of its North stores."""
    regions = load_stores_feed(db.connect(sample_db), tmp_path)
    return {s for s, r in regions.items() if r == "North"}


def _open(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _north(at: AppTest, key: str) -> AppTest:
    at.multiselect(key=f"{key}_region").select("North").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _report_page(path: Path) -> tuple[duckdb.DuckDBPyConnection, str, AppTest]:
    """A Complete report of ``path`` and the Reports page opened on it."""
    con = db.connect(path)
    report_id = jobs.trigger_report(con, None)
    assert jobs.wait_for_report(con, report_id, 30).status is ReportState.COMPLETE
    return con, report_id, _open("pages/reports.py", report_id=report_id)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table(at: AppTest, column: str) -> object:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_fleet_filter_narrows_the_kpis_and_the_worst_stores(
    sample_db: Path, north: set[str]
) -> None:
    at = _open("pages/fleet.py")
    before = _metrics(at)
    rows = compute_report(db.connect(sample_db)).rows
    assert before["Stores"] == f"{len(rows):,}"
    mine = rows[rows["store_id"].isin(list(north))]
    after = _metrics(_north(at, "fleet"))
    assert after["Stores"] == f"{len(mine):,}" and len(mine) < len(rows)
    for window in ("hour", "day", "week"):
        assert after[f"Uptime, {window}"] == percent(fleet_uptime_pct(mine)[window])
    assert before["Uptime, week"] != after["Uptime, week"]
    worst = _table(at, "downtime_last_week")
    assert set(worst["store_id"]) <= north and len(worst) > 0
    expected = mine.sort_values(["downtime_last_week", "store_id"],
                                ascending=[False, True])["store_id"].head(len(worst))
    assert list(worst["store_id"]) == list(expected)
    assert any("Filtered to" in c.value for c in at.caption)


def test_the_now_filter_counts_only_the_chosen_stores(sample_db: Path, north: set[str]) -> None:
    at = _north(_open("pages/now.py"), "now")
    engine = [s for s in status(db.connect(sample_db)) if s.store_id in north]
    shown = _metrics(at)
    for label, state in (("Offline while open", StoreState.OFFLINE),
                         ("Online", StoreState.ONLINE), ("Closed", StoreState.CLOSED),
                         ("Unknown", StoreState.UNKNOWN)):
        assert shown[label] == f"{sum(s.status is state for s in engine):,}"
    offline = [s.store_id for s in engine if s.status is StoreState.OFFLINE]
    if offline:
        assert sorted(_table(at, "downtime_min")["store_id"]) == sorted(offline)


def test_the_incidents_filter_narrows_the_table_the_figures_and_the_csv(
    sample_db: Path, north: set[str]
) -> None:
    at = _open("pages/incidents.py")
    everyone = incidents(db.connect(sample_db))
    assert _metrics(at)["Incidents"] == f"{len(everyone):,}"
    _north(at, "incidents")
    mine = [i for i in everyone if i.store_id in north]
    assert 0 < len(mine) < len(everyone)
    shown = _metrics(at)
    assert shown["Incidents"] == f"{len(mine):,}"
    assert shown["Ongoing"] == f"{sum(i.ended_at is None for i in mine):,}"
    assert shown["Downtime (h)"] == f"{sum(i.downtime_us for i in mine) / 3.6e9:,.2f}"
    table = _table(at, "downtime_min")
    assert set(table["store_id"]) == {i.store_id for i in mine}
    assert table["name"].str.startswith("**Shop ").all()  # the feed's text, as written


def test_the_report_preview_filter_changes_the_kpis_and_the_most_downtime_list(
    sample_db: Path, north: set[str]
) -> None:
    con, _, at = _report_page(sample_db)
    rows = compute_report(con).rows
    before = _metrics(at)
    assert before["Stores shown"] == f"{len(rows):,}"
    after = _metrics(_north(at, "reports"))
    mine = rows[rows["store_id"].isin(list(north))]
    assert after["Stores shown"] == f"{len(mine):,}"
    for window in ("hour", "day", "week"):
        assert after[f"Uptime, last {window}"] == percent(fleet_uptime_pct(mine)[window])
    assert after["Uptime, last week"] != before["Uptime, last week"]
    table = _table(at, "uptime_pct_week")
    assert set(table["store_id"]) == north & set(rows["store_id"])
    links = at.get("page_link")
    worst = mine.sort_values(["downtime_last_week", "store_id"],
                             ascending=[False, True])["store_id"].head(len(links))
    # Each link is named by the store's name, its id in the tooltip.
    names = stores.store_names(con)
    assert links and [(link.help, link.label.split(" · ")[0]) for link in links] == [
        (f"Store `{s}`", code_span(names[s])) for s in worst]


def test_the_fleet_rollup_lists_the_groups_of_the_filtered_stores_with_a_csv(
    sample_db: Path, north: set[str]
) -> None:
    from loop_core import context

    at = _open("pages/fleet.py")
    con = db.connect(sample_db)
    frame = context.store_context(con)
    rollup = _table(at, "offline_now")
    assert list(rollup["group"]) == ["(not given)", "North", "South"]
    engine = context.group_rollup(frame, "region")
    assert list(rollup["stores"]) == list(engine["stores"])
    assert list(rollup["downtime_h_last_week"]) == pytest.approx(
        list(engine["downtime_h_last_week"]))
    offline = {s.store_id for s in status(con) if s.status is StoreState.OFFLINE}
    assert rollup["offline_now"].sum() == len(offline & set(frame["store_id"]))
    shown = _metrics(at)
    assert shown["Stores below target"] == f"{int(frame['below_target'].sum()):,}"
    _north(at, "fleet")
    assert list(_table(at, "offline_now")["group"]) == ["North"]
    below = _table(at, "uptime_target")
    assert set(below["store_id"]) == set(frame[frame["below_target"]
                                               & frame["store_id"].isin(list(north))]["store_id"])
    assert any(b.label == "Download groups (CSV)" for b in at.get("download_button"))


def test_a_complete_report_offers_the_extended_csv_beside_the_standard_one(
    sample_db: Path, north: set[str]
) -> None:
    con, report_id, at = _report_page(sample_db)
    labels = [b.label for b in at.get("download_button")]
    assert labels[:2] == ["Download CSV", "Download extended CSV"]
    extended = jobs.report_csv(con, report_id, extended=True).decode()
    standard = jobs.report_csv(con, report_id).decode()
    assert extended.splitlines()[1].startswith(standard.splitlines()[1])
