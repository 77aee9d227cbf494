"""The dashboard's view models (``ui.views``) and the engine calls they shape, on real DuckDB."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from loop_core import bootstrap, db, freshness, jobs, loadlog, timeline
from loop_core.config import ReportsConfig
from loop_core.models import Feed, ReportResult, ReportState, ReportStatus
from loop_core.report import REPORT_FIGURES, compute_report, report_microseconds
from ui.formatting import DAY_NAMES
from ui.views import data as data_view
from ui.views import fleet as fleet_view
from ui.views import reports as reports_view
from ui.views import store as store_view

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "app"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data-template") / "sample.duckdb"
    con = db.connect(path)
    bootstrap.ensure_sample_data(con)
    db.close(path)
    return path


@pytest.fixture
def con(template: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    path = tmp_path / "loop.duckdb"
    shutil.copy(template, path)
    connection = db.connect(path)
    yield connection
    db.close(path)


@pytest.fixture
def report(con: duckdb.DuckDBPyConnection) -> ReportResult:
    return compute_report(con)


def test_the_view_models_and_charts_never_import_streamlit() -> None:
    code = (
        "import sys; import ui.views.fleet, ui.views.store, ui.views.reports, ui.views.data, "
        "ui.views.freshness, ui.formatting, ui.charts; print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_first_start_loads_the_sample_once_and_marks_it_as_sample(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "a.duckdb")
    first = bootstrap.ensure_sample_data(con)
    assert first is not None and all(s.rows_loaded > 0 for s in first.summaries)
    assert bootstrap.is_sample_only(con)
    assert bootstrap.ensure_sample_data(con) is None  # never twice, never over real data
    db.close(tmp_path / "a.duckdb")


def test_first_start_can_be_switched_off(tmp_path: Path) -> None:
    from loop_core import config
    from ui import lifecycle

    settings = config.load({"LOOP_DB": str(tmp_path / "b.duckdb"), "LOOP_NO_SAMPLE": "1"},
                           secrets={})
    services = lifecycle.start(settings, warm=False)
    try:
        assert services.sample is None
        assert bootstrap.database_is_empty(services.con)
    finally:
        lifecycle.stop()
        db.close(tmp_path / "b.duckdb")


def test_a_server_started_with_a_sync_source_removes_the_sample_at_once(tmp_path: Path) -> None:
    from loop_core import config
    from ui import lifecycle

    path = tmp_path / "c.duckdb"
    con = db.connect(path)
    assert bootstrap.ensure_sample_data(con) is not None
    db.close(path)
    feeds = tmp_path / "feeds"
    feeds.mkdir()  # an empty folder: the first sync finds nothing, the sample goes anyway
    settings = config.load({"LOOP_DB": str(path), "LOOP_SYNC_FOLDER": str(feeds)}, secrets={})
    services = lifecycle.start(settings, warm=False)
    try:
        assert services.sample is None and services.demo_feed is None
        assert bootstrap.database_is_empty(services.con)
    finally:
        lifecycle.stop()
        db.close(path)


def test_a_demo_server_started_after_a_pause_catches_up_to_the_current_hour(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from loop_core import config
    from ui import lifecycle

    path = tmp_path / "d.duckdb"
    con = db.connect(path)
    hour = bootstrap.current_hour()
    assert bootstrap.ensure_sample_data(con, end=hour - timedelta(hours=5)) is not None
    db.close(path)
    settings = config.load({"LOOP_DB": str(path), "LOOP_DEMO_FEED": "1"}, secrets={})
    services = lifecycle.start(settings, warm=False)
    try:
        latest = services.con.execute("SELECT max(timestamp_utc) FROM store_status").fetchone()
        # Before start returned, the five missed hours were appended (if the hour turned
        # meanwhile, the sixth too).
        assert latest is not None and latest[0] >= hour - timedelta(hours=1)
        assert datetime.now(UTC) - latest[0] < timedelta(hours=1, minutes=5)
        assert services.demo_feed is not None and bootstrap.is_sample_only(services.con)
    finally:
        lifecycle.stop()
        db.close(path)


def test_freshness_names_the_latest_poll_and_the_data_version(
    con: duckdb.DuckDBPyConnection,
) -> None:
    fresh = freshness.freshness(con)
    latest = con.execute("SELECT max(timestamp_utc) FROM store_status").fetchone()
    assert latest is not None and fresh.latest_poll == latest[0] and fresh.sample_only
    assert fresh.stores == 200 and fresh.data_version == freshness.data_version(con) > 0
    assert fresh.polls == con.execute("SELECT count(*) FROM store_status").fetchone()[0]


def test_fleet_uptime_is_the_share_of_all_business_time_that_was_up(report: ReportResult) -> None:
    overview = fleet_view.fleet_overview(report)
    rows = report.rows
    up, down = rows["uptime_last_week"].sum(), rows["downtime_last_week"].sum()
    assert overview.uptime_pct["week"] == round(100 * up / (up + down), 2)
    assert overview.stores == len(rows)
    assert overview.stores_without_data == report.stores_without_observations
    # every store with business time last week falls in exactly one band, 100 % included
    assert overview.uptime_bins["stores"].sum() == len(overview.weekly_uptime)
    assert overview.uptime_bins["band"].iloc[-1] == "95–100 %"


def test_the_worst_stores_are_those_with_the_most_downtime_last_week(
    report: ReportResult,
) -> None:
    worst = fleet_view.fleet_overview(report, top=5).worst
    assert list(worst["downtime_last_week"]) == sorted(worst["downtime_last_week"], reverse=True)
    assert worst["downtime_last_week"].iloc[0] == report.rows["downtime_last_week"].max()


def test_downtime_by_hour_of_week_covers_seven_days_of_24_hours(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    downtime = fleet_view.fleet_downtime(
        timeline.downtime_by_local_hour(con, report.as_of), report.as_of)
    assert downtime.heatmap.shape == (7, 24)
    assert list(downtime.heatmap.index) == list(DAY_NAMES)
    values = downtime.heatmap.stack()
    assert ((values >= 0) & (values <= 100)).all()
    assert (downtime.per_day["uptime_pct"] + downtime.per_day["downtime_pct"]).round(6).eq(
        100).all()


def test_fleet_downtime_by_hour_adds_up_to_the_reports_week_figures(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    downtime = fleet_view.fleet_downtime(
        timeline.downtime_by_local_hour(con, report.as_of), report.as_of)
    # hours of all stores over the week; the report rounds each store to 0.01 h
    tolerance = 0.005 * len(report.rows) + 1e-6
    assert abs(downtime.per_day["down_h"].sum() - report.rows["downtime_last_week"].sum()) \
        <= tolerance
    assert abs(downtime.per_day["up_h"].sum() - report.rows["uptime_last_week"].sum()) \
        <= tolerance
    assert abs(downtime.by_hour_of_week["down_h"].sum() - downtime.per_day["down_h"].sum()) \
        < 1e-6


def test_a_stores_figures_are_exactly_its_report_row(report: ReportResult) -> None:
    row = report.rows.iloc[7]
    figures = store_view.store_figures(report, str(row["store_id"]))
    assert figures == {c: float(row[c]) for c in REPORT_FIGURES}
    assert store_view.store_figures(report, "no-such-store") is None


def test_finding_stores_puts_prefix_matches_first(report: ReportResult) -> None:
    ids = [str(s) for s in report.rows["store_id"]]
    # A two-character needle that some ids start with and others only contain.
    needle = next(
        n for n in sorted({s[i:i + 2].lower() for s in ids for i in range(len(s) - 1)})
        if any(s.lower().startswith(n) for s in ids)
        and any(n in s.lower()[1:] and not s.lower().startswith(n) for s in ids)
    )
    found = store_view.find_stores(report, needle.upper(), limit=len(ids))
    expected = [s for s in ids if needle in s.lower()]
    assert sorted(found) == sorted(expected)  # all matches, case-insensitive, no others
    starts = [s.lower().startswith(needle) for s in found]
    assert starts == sorted(starts, reverse=True) and starts[0] and not starts[-1]
    assert len(store_view.find_stores(report, needle, limit=3)) == 3
    assert ids[3] in store_view.find_stores(report, ids[3])
    assert store_view.find_stores(report, "   ") == []


def test_the_report_preview_filters_and_its_figures_follow_the_filter(
    report: ReportResult,
) -> None:
    everything = reports_view.report_preview(report.csv)
    assert everything.total_rows == len(everything.rows) == len(report.rows)
    assert everything.rows["store_id"].tolist() == report.rows["store_id"].tolist()
    some_id = str(report.rows["store_id"].iloc[0])
    one = reports_view.report_preview(report.csv, contains=some_id)
    assert some_id in one.rows["store_id"].tolist()
    # #16 defect 4: the figures are those of the stores shown, not of the whole report.
    assert one.uptime_pct == fleet_view.fleet_uptime_pct(one.rows)
    assert one.total_rows == len(report.rows)
    heavy = reports_view.report_preview(report.csv, min_downtime_week_h=10)
    assert (heavy.rows["downtime_last_week"] >= 10).all()


def test_the_download_file_name_carries_the_as_of(con: duckdb.DuckDBPyConnection) -> None:
    report_id = jobs.trigger_report(con, "2024-10-14T09:30:15Z")
    status = jobs.wait_for_report(con, report_id, 30)
    assert reports_view.report_file_name(status) == \
        "store-uptime-report_as-of_2024-10-14T093015Z.csv"
    history = reports_view.report_history(jobs.list_reports(con))
    assert history.loc[0, "report_id"] == report_id and history.loc[0, "stores"] == 200


def test_the_expired_message_says_generate_it_again_and_names_the_limits() -> None:
    status = ReportStatus(
        report_id="r", status=ReportState.EXPIRED, created_at=datetime(2024, 10, 1, tzinfo=UTC),
        finished_at=None, as_of_requested=None, as_of=None, row_count=3, duration_s=1.0,
        error="expired: generate it again", expired_at=datetime(2024, 11, 2, 8, 5, tzinfo=UTC))
    text = reports_view.expired_message(status, ReportsConfig(keep_count=1200, keep_days=30))
    assert text.startswith(
        "Expired: generate it again. Its CSV was removed on 2024-11-02 08:05 UTC")
    assert "while among the newest 1,200 and for 30 days." in text
    no_age = reports_view.expired_message(
        status, ReportsConfig(keep_count=5, keep_days=float("inf")))
    assert "while among the newest 5." in no_age and "days" not in no_age


def test_a_report_link_keeps_the_page_and_replaces_the_query() -> None:
    link = reports_view.report_link("http://host:8501/reports?report_id=old&x=1", "a-b_c")
    assert link == "http://host:8501/reports?report_id=a-b_c"
    assert reports_view.report_link("http://host:8501", "id") == "http://host:8501/?report_id=id"
    assert reports_view.report_link(None, "id") == "?report_id=id"


def test_the_running_progress_grows_with_time_but_never_reaches_one(
    con: duckdb.DuckDBPyConnection,
) -> None:
    report_id = jobs.trigger_report(con)
    status = jobs.get_report(con, report_id)
    start = status.created_at
    assert reports_view.running_progress(status, 4.0, start) == 0.0
    assert reports_view.running_progress(status, 4.0, start + timedelta(seconds=2)) == 0.5
    assert reports_view.running_progress(status, 4.0, start + timedelta(seconds=60)) == 0.95
    jobs.wait_for_report(con, report_id, 30)


def test_an_upload_loads_good_rows_and_lists_the_rejected_ones(
    con: duckdb.DuckDBPyConnection,
) -> None:
    name = "store_status_some_bad.csv"
    outcomes = data_view.load_uploads(
        con, {Feed.STORE_STATUS: (name, (DATA / name).read_bytes())})
    assert [o.error for o in outcomes] == [None]
    summary = outcomes[0].summary
    assert summary is not None and summary.rows_loaded == 3 and summary.rows_rejected == 3
    rejects = loadlog.rejected_rows(con)
    assert sorted(rejects["line"]) == [4, 5, 7]
    assert rejects["reason"].str.len().gt(0).all()
    # The dashboard shows the text as it was; only the CSV download neutralises a cell that
    # a spreadsheet would run as a formula.
    assert "=1+1,maybe,2024-10-14 11:00:00 UTC" in set(rejects["raw"])
    assert ",\"'=1+1,maybe," in loadlog.rejected_rows_csv(con)


def test_a_real_upload_replaces_the_sample_instead_of_mixing_with_it(
    con: duckdb.DuckDBPyConnection,
) -> None:
    name = "store_status_some_bad.csv"
    data_view.load_uploads(con, {Feed.STORE_STATUS: (name, (DATA / name).read_bytes())})
    assert not bootstrap.is_sample_only(con)
    stores = {r[0] for r in con.execute("SELECT DISTINCT store_id FROM store_polls").fetchall()}
    assert stores == {"1001", "=cmd"}
    assert freshness.freshness(con).stores == 2


def test_a_refused_upload_changes_nothing_and_keeps_the_sample(
    con: duckdb.DuckDBPyConnection,
) -> None:
    before = freshness.data_version(con)
    name = "timezones_bad_header.csv"
    outcomes = data_view.load_uploads(
        con, {Feed.TIMEZONES: (name, (DATA / name).read_bytes())})
    assert outcomes[0].summary is None and "timezone_str" in (outcomes[0].error or "")
    assert freshness.data_version(con) == before and bootstrap.is_sample_only(con)


def test_data_quality_lists_invalid_and_missing_timezones_and_stores_without_hours(
    con: duckdb.DuckDBPyConnection,
) -> None:
    name = "timezones_good.csv"
    data_view.load_uploads(con, {Feed.TIMEZONES: (name, (DATA / name).read_bytes())},
                                replace_sample=False)
    result = compute_report(con)
    quality = data_view.data_quality(loadlog.quality_findings(con), result)
    assert quality.invalid_timezones["store_id"].tolist() == ["1002"]
    # the sample's 200 polled stores have no timezone row any more (the snapshot replaced it)
    assert len(quality.missing_timezones) == 200
    assert len(quality.without_hours) > 0
    assert len(quality.without_observations) == result.stores_without_observations
    # The same stores the engine itself lists with all-zero figures.
    zero = [r[0] for r in report_microseconds(con) if not r[7]]
    assert quality.without_observations["store_id"].tolist() == zero


def test_the_store_view_splits_its_spans_into_local_days_that_add_up_to_the_report(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    row = report.rows.sort_values("downtime_last_week", ascending=False).iloc[1]
    store_id = str(row["store_id"])
    view = store_view.store_view(
        timeline.store_timeline(con, store_id, report.as_of - timedelta(days=7), report.as_of))
    assert abs(view.daily["uptime_h"].sum() - row["uptime_last_week"]) < 0.05
    assert abs(view.daily["downtime_h"].sum() - row["downtime_last_week"]) < 0.05
    # The sample's stores keep hours: a row per weekday they open, the week ending as-of.
    hours_days = set(con.execute(
        "SELECT DISTINCT day_of_week FROM business_hours WHERE store_id = ?", [store_id]
    ).fetchall())
    assert view.open_24x7 == (not hours_days)
    assert list(view.hours["day"]) == [DAY_NAMES[d] for (d,) in sorted(hours_days)]
    assert view.polls["timestamp_local"].dt.tz is None  # naive local wall time for the chart
    assert view.timeline.start == report.as_of - timedelta(days=7)
    if not view.open_24x7:
        local_end = report.as_of.astimezone(ZoneInfo(view.timeline.timezone))
        assert view.hours_reference == (local_end - timedelta(microseconds=1)).date()


def test_uploaded_files_load_in_feed_order_under_the_names_the_user_gave(
    con: duckdb.DuckDBPyConnection,
) -> None:
    polls = "store_status_some_bad.csv"
    outcomes = data_view.load_uploads(
        con,
        {
            Feed.STORE_STATUS: ("polls export (1).csv", (DATA / polls).read_bytes()),
            Feed.TIMEZONES: (
                "../zones?.csv", (DATA.parent / "spec" / "timezones.csv").read_bytes()
            ),
        },
    )
    assert [(o.feed, o.file_name, o.error) for o in outcomes] == [
        (Feed.TIMEZONES, "../zones?.csv", None),
        (Feed.STORE_STATUS, "polls export (1).csv", None),
    ]
    assert con.execute(
        "SELECT feed, file_name FROM loads WHERE source = 'upload' ORDER BY load_id"
    ).fetchall() == [("timezones", "../zones?.csv"), ("store_status", "polls export (1).csv")]



def test_the_worst_stores_carry_their_names_beside_the_ids_and_an_empty_one_without(
    report: ReportResult,
) -> None:
    first = str(fleet_view.fleet_overview(report, top=5).worst["store_id"].iloc[0])
    worst = fleet_view.fleet_overview(report, top=5, names={first: "Main St"}).worst
    assert list(worst.columns[:2]) == ["store_id", "name"]
    assert list(worst["name"]) == ["Main St", "", "", "", ""]


def test_most_downtime_lists_the_first_stores_and_counts_every_store_with_downtime(
    report: ReportResult,
) -> None:
    overview = fleet_view.fleet_overview(report, top=5)
    down = report.rows[report.rows["downtime_last_week"] > 0]
    assert len(overview.with_downtime) == len(down) > 5
    # The capped list is the head of the full one, in the same order.
    assert list(overview.worst["store_id"]) == list(overview.with_downtime["store_id"][:5])
    assert overview.worst_caption == f"5 of {len(down):,} stores with downtime last week"
    preview = reports_view.report_preview(report.csv)
    assert reports_view.most_downtime_caption(preview) == (
        f"10 of {len(down):,} stores with downtime last week: sort the table by "
        '"Down, week" to see all.')


def test_the_figures_over_the_range_shown_are_the_reports_over_its_day_and_week(
    con: duckdb.DuckDBPyConnection, report: ReportResult,
) -> None:
    # The engine's spans summed give exactly the report's figures over the same window:
    # the custom range's figures follow the same rules.
    for row in report.rows.head(40).itertuples(index=False):
        for days, window in ((1, "day"), (7, "week")):
            tl = timeline.store_timeline(con, str(row.store_id),
                                         report.as_of - timedelta(days=days), report.as_of)
            figures = store_view.range_figures(store_view.store_view(tl).spans)
            assert (figures.uptime_h, figures.downtime_h) == (
                getattr(row, f"uptime_last_{window}"), getattr(row, f"downtime_last_{window}"))


def test_range_figures_round_half_up_and_say_when_nothing_is_known() -> None:
    import pandas as pd

    start = pd.Timestamp("2024-10-14 09:00", tz="UTC")
    spans = pd.DataFrame({
        "start_utc": [start, start + pd.Timedelta(minutes=90)],
        # 90 min up, then 18 s down: 0.005 h, which rounds up to 0.01.
        "end_utc": [start + pd.Timedelta(minutes=90),
                    start + pd.Timedelta(minutes=90, seconds=18)],
        "status": ["active", "inactive"]})
    figures = store_view.range_figures(spans)
    assert (figures.uptime_h, figures.downtime_h) == (1.5, 0.01)
    assert figures.uptime_pct == 99.7
    assert store_view.range_figures(spans.iloc[0:0]).uptime_pct is None


@pytest.mark.parametrize(("zone", "day", "start", "end"), [
    # An ordinary day: local midnight to local midnight.
    ("America/New_York", "2024-10-14", "2024-10-14T04:00", "2024-10-15T04:00"),
    # The day daylight saving starts is 23 hours long.
    ("America/New_York", "2024-03-10", "2024-03-10T05:00", "2024-03-11T04:00"),
    # Santiago springs forward at midnight: the day starts at 01:00 local.
    ("America/Santiago", "2024-09-08", "2024-09-08T04:00", "2024-09-09T03:00"),
    ("UTC", "2024-10-14", "2024-10-14T00:00", "2024-10-15T00:00"),
])
def test_the_pickers_local_dates_become_the_instants_of_those_days_in_that_zone(
    zone: str, day: str, start: str, end: str,
) -> None:
    on = datetime.fromisoformat(day).date()
    got = store_view.local_dates_range(on, on, zone)
    assert got == (datetime.fromisoformat(start).replace(tzinfo=UTC),
                   datetime.fromisoformat(end).replace(tzinfo=UTC))
    # Several days run from the first one's midnight to the midnight after the last.
    week = store_view.local_dates_range(on - timedelta(days=6), on, zone)
    assert week[1] == got[1] and week[0] < got[0]


def test_the_default_custom_range_is_the_week_of_local_dates_up_to_the_as_of() -> None:
    # 02:00 UTC on the 14th is still the 13th in Chicago.
    as_of = datetime(2024, 10, 14, 2, 0, tzinfo=UTC)
    first, last = store_view.local_dates(as_of, "America/Chicago")
    assert (first.isoformat(), last.isoformat()) == ("2024-10-07", "2024-10-13")
    assert store_view.local_dates(as_of, "UTC")[1].isoformat() == "2024-10-14"
