"""AppTest for every dashboard page, and the interactions the issue names.

Each test gets its own copy of a database that the app's own first start filled with the
deterministic sample, through ``LOOP_DB`` exactly as the served dashboard is pointed at a
database.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loop_core import bootstrap, db, jobs
from loop_core.config import ReportsConfig
from loop_core.models import ReportState
from tests.receivers import Webhook

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DATA = Path(__file__).resolve().parent / "data" / "app"
PAGES = ["pages/now.py", "pages/reports.py", "pages/fleet.py", "pages/incidents.py",
         "pages/store.py", "pages/data.py", "pages/alerts.py", "pages/status_page.py"]
TIMEOUT_S = 60


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("LOOP_DB", str(path))
    monkeypatch.setenv("LOOP_NO_SAMPLE", "1")
    return path


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT_S)


def _open(page: str, **query: str) -> AppTest:
    at = _app()
    at.run()
    at.switch_page(page)
    at.query_params.update(query)
    at.run()
    return at


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _completed_report(path: Path, as_of: str) -> str:
    con = db.connect(path)
    report_id = jobs.trigger_report(con, as_of)
    assert jobs.wait_for_report(con, report_id, 30).status is ReportState.COMPLETE
    return report_id


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("info", "success", "warning", "error") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_an_error_on_sample_data(sample_db: Path, page: str) -> None:
    at = _open(page)
    _assert_clean(at)
    assert at.title[0].value
    # the page ran inside app.py: its sidebar shows the data freshness
    assert any("Latest poll" in m.value for m in at.sidebar.markdown)


# What each page says when nothing was ever loaded (no sample either).
EMPTY_STATES = {
    "pages/now.py": "No polls yet",
    "pages/incidents.py": "No polls yet",
    "pages/reports.py": "No reports yet",
    "pages/fleet.py": "No polls yet",
    "pages/store.py": "no polls loaded yet",
    "pages/data.py": "No rejected rows",
    "pages/alerts.py": "No message yet",
    "pages/status_page.py": "No polls yet",
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_what_is_missing_on_an_empty_database(empty_db: Path, page: str) -> None:
    at = _open(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value
    assert EMPTY_STATES[page] in _texts(at)
    assert "0 stores · 0 polls" in " ".join(m.value for m in at.sidebar.markdown)


def test_first_start_on_an_empty_database_loads_the_sample_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOP_DB", str(tmp_path / "fresh.duckdb"))
    monkeypatch.delenv("LOOP_NO_SAMPLE", raising=False)
    at = _app()
    at.run()
    _assert_clean(at)
    banner = " ".join(i.value for i in at.info)
    assert "Sample data" in banner and "Data" in banner
    assert "stores" in " ".join(m.value for m in at.sidebar.markdown)


def test_generate_shows_the_report_id_at_once_and_complete_after_a_rerun(
    sample_db: Path,
) -> None:
    at = _open("pages/reports.py")
    at.button(key="reports_generate").click().run()
    _assert_clean(at)
    report_id = at.query_params["report_id"]
    report_id = report_id[0] if isinstance(report_id, list) else report_id
    assert report_id in _texts(at)
    deadline = time.monotonic() + TIMEOUT_S
    # Until both downloads are there: the extended twin is written just after Complete.
    while len(at.get("download_button")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    _assert_clean(at)
    assert any("Complete" in s.value for s in at.success)
    # The report and its extended twin (#14).
    assert [b.key for b in at.get("download_button")] == ["reports_download",
                                                        "reports_download_extended"]


def test_a_report_id_link_opens_that_reports_status_download_and_preview(
    sample_db: Path,
) -> None:
    report_id = _completed_report(sample_db, "2024-10-14T09:00:00Z")
    at = _open("pages/reports.py", report_id=report_id)
    _assert_clean(at)
    assert report_id in _texts(at)
    assert "2024-10-14 09:00:00" in _texts(at)
    # The report and its extended twin (#14).
    assert [b.key for b in at.get("download_button")] == ["reports_download",
                                                        "reports_download_extended"]
    preview = at.dataframe[0].value
    assert len(preview) == 200
    at.text_input(key="reports_filter_id").input(str(preview["store_id"].iloc[0])).run()
    assert len(at.dataframe[0].value) >= 1


def test_an_expired_report_says_generate_it_again_and_its_row_stays_in_the_history(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOP_REPORTS_KEEP_COUNT", "1")
    con = db.connect(sample_db)
    keep = ReportsConfig(keep_count=1)
    ids = []
    for as_of in ("2024-10-14T09:00:00Z", "2024-10-14T10:00:00Z"):
        ids.append(jobs.trigger_report(con, as_of, keep=keep))
        assert jobs.wait_for_report(con, ids[-1], 30).status is ReportState.COMPLETE
    expired, kept = ids

    at = _open("pages/reports.py", report_id=expired)
    _assert_clean(at)
    [warning] = at.main.warning  # the sidebar says the dashboard is open: not this
    assert warning.value.startswith("Expired: generate it again.")
    assert "while among the newest 1 and for 30 days" in warning.value
    assert not at.get("download_button")  # nothing to download, and no preview either
    history = next(d.value for d in at.dataframe if "report_id" in d.value.columns)
    assert len(at.dataframe) == 1
    rows = history.set_index("report_id")
    assert (rows.loc[expired, "status"], rows.loc[expired, "error"]) == (
        "Expired", "expired: generate it again")
    assert rows.loc[expired, "stores"] == rows.loc[kept, "stores"] == 200  # figures kept
    assert (rows.loc[kept, "status"], rows.loc[kept, "error"]) == ("Complete", "")

    # "Generate it again" starts the same report (same as-of) and opens it.
    at.button(key="reports_again").click().run()
    _assert_clean(at)
    again = at.query_params["report_id"]
    again = again[0] if isinstance(again, list) else again
    assert again not in ids
    regenerated = jobs.wait_for_report(con, again, 30)
    assert regenerated.status is ReportState.COMPLETE
    assert regenerated.as_of == jobs.get_report(con, expired).as_of


def test_an_unknown_report_id_is_an_error_message_and_the_history_still_shows(
    sample_db: Path,
) -> None:
    known = _completed_report(sample_db, "2024-10-14T09:00:00Z")
    at = _open("pages/reports.py", report_id="no-such-report")
    assert not at.exception
    assert any("no-such-report" in e.value for e in at.error)
    assert "History" in [s.value for s in at.subheader]
    history = next(d.value for d in at.dataframe if "report_id" in d.value.columns)
    assert history["report_id"].tolist() == [known]
    # A report without an error shows an empty cell, not the word "None".
    assert history["error"].tolist() == [""]


def test_the_store_page_opens_the_store_named_in_the_url(sample_db: Path) -> None:
    con = db.connect(sample_db)
    from loop_core.report import compute_report

    rows = compute_report(con).rows
    worst = rows.sort_values("downtime_last_week", ascending=False).iloc[0]
    store_id = str(worst["store_id"])
    at = _open("pages/store.py", store_id=store_id)
    _assert_clean(at)
    assert at.text_input(key="store_id").value == store_id
    shown = {m.label: m.value for m in at.metric}
    assert shown["Downtime, last week"] == f"{worst['downtime_last_week']:.2f} h"
    assert shown["Uptime, last hour"] == f"{worst['uptime_last_hour']:.2f} min"
    assert len(at.get("vega_lite_chart")) == 2  # the timeline and the days
    # The default range is a week: the page says its poll markers are thinned.
    assert any("Markers thinned" in c.value for c in at.caption)


def test_the_store_page_suggests_matches_for_part_of_an_id(sample_db: Path) -> None:
    at = _open("pages/store.py", store_id="12")
    _assert_clean(at)
    assert any(b.key and b.key.startswith("store_match_") for b in at.button)


def _upload(at: AppTest, feed: str, name: str) -> AppTest:
    uploader = next(u for u in at.file_uploader if u.key == f"data_upload_{feed}")
    uploader.set_value((name, (DATA / name).read_bytes(), "text/csv"))
    at.form_submit_button[0].click()
    return at.run()


def test_uploading_a_good_file_loads_it_and_shows_the_summary(sample_db: Path) -> None:
    at = _open("pages/data.py")
    at = _upload(at, "timezones", "timezones_good.csv")
    _assert_clean(at)
    assert any("timezones_good.csv: 3 loaded" in s.value for s in at.success)
    con = db.connect(sample_db)
    assert not bootstrap.is_sample_only(con)  # the sample made way for real data
    assert any("Invalid timezones" in m.label and m.value == "1" for m in at.metric)


def test_uploading_a_file_with_a_wrong_header_is_refused_with_a_message(
    sample_db: Path,
) -> None:
    at = _open("pages/data.py")
    at = _upload(at, "timezones", "timezones_bad_header.csv")
    assert not at.exception
    refused = " ".join(e.value for e in at.error)
    assert "timezones_bad_header.csv" in refused and "timezone_str" in refused
    assert bootstrap.is_sample_only(db.connect(sample_db))  # nothing changed


def test_rows_that_cannot_be_read_are_listed_with_their_reason(sample_db: Path) -> None:
    at = _open("pages/data.py")
    at = _upload(at, "store_status", "store_status_some_bad.csv")
    assert not at.exception
    assert any("3 rejected" in w.value for w in at.warning)
    rejects = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert set(rejects["line"]) == {4, 5, 7}
    assert [b.key for b in at.get("download_button")] == [
        "data_rejects_download", "data_audit_download"]


def test_sync_now_loads_from_the_configured_folder_and_lists_the_run(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(DATA / "timezones_good.csv", feeds / "timezones.csv")
    # The folder source leaves a file modified in the last second alone (it may still be
    # being written): this one was written a minute ago.
    written = time.time() - 60
    os.utime(feeds / "timezones.csv", (written, written))
    monkeypatch.setenv("LOOP_SYNC_FOLDER", str(feeds))
    monkeypatch.setenv("LOOP_SYNC_INTERVAL_MINUTES", "600")
    at = _open("pages/data.py")
    at.button(key="data_sync_now").click().run()
    assert not at.exception, [e.value for e in at.exception]
    result = next(c.value for c in at.code if "sync #" in c.value)
    assert result.splitlines()[0].endswith(": ok")
    runs = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    # The manual run is listed (the scheduler may have run once at start as well), and
    # with only a timezones file in the folder every run ends ok: polls and hours skipped.
    assert "manual" in set(runs["triggered_by"])
    assert set(runs["outcome"]) == {"ok"}
    assert runs["store_status"].str.startswith("skipped").all()
    # the folder's timezones file is now the snapshot: its invalid zone is reported
    assert any("Invalid timezones" in m.label and m.value == "1" for m in at.metric), \
        [(m.label, m.value) for m in at.metric]


def test_a_snapshot_that_would_drop_most_stores_waits_for_confirmation(
    sample_db: Path,
) -> None:
    con = db.connect(sample_db)
    # A real snapshot first (the sample itself is not protected), then a much smaller one.
    real = "\n".join(["store_id,timezone_str", *(f"r{i},UTC" for i in range(30))]) + "\n"
    at = _open("pages/data.py")
    uploader = next(u for u in at.file_uploader if u.key == "data_upload_timezones")
    uploader.set_value(("zones.csv", real.encode(), "text/csv"))
    at.form_submit_button[0].click()
    at = at.run()
    assert any("30 loaded" in s.value for s in at.success)

    at = _upload(at, "timezones", "timezones_good.csv")
    _assert_clean(at)  # a warning, not an error
    held = " ".join(w.value for w in at.warning)
    assert "Held back" in held and "30 stores" in held and "3 stores" in held
    assert con.execute("SELECT count(*) FROM timezones").fetchone() == (30,)

    at.button(key="data_apply_held_back").click().run()
    assert not at.exception
    assert any("timezones_good.csv: 3 loaded" in s.value for s in at.success)
    assert con.execute("SELECT count(*) FROM timezones").fetchone() == (3,)



def test_the_now_page_counts_every_status_and_lists_the_offline_stores(sample_db: Path) -> None:
    from loop_core.status import StoreState, status

    at = _open("pages/now.py")
    _assert_clean(at)
    engine = status(db.connect(sample_db))
    shown = {m.label: m.value for m in at.metric}
    assert shown["Offline while open"] == str(sum(s.status is StoreState.OFFLINE for s in engine))
    assert shown["Closed"] == str(sum(s.status is StoreState.CLOSED for s in engine))
    offline = next(d.value for d in at.dataframe if "downtime_min" in d.value.columns)
    assert sorted(offline["store_id"]) == sorted(
        s.store_id for s in engine if s.status is StoreState.OFFLINE)
    assert list(offline["downtime_min"]) == sorted(offline["downtime_min"], reverse=True)
    assert all(link.startswith("/store?store_id=") for link in offline["link"])
    # The filter narrows the list to matching ids.
    first = str(offline["store_id"].iloc[0])
    at.text_input(key="now_filter").input(first).run()
    narrowed = next(d.value for d in at.dataframe if "downtime_min" in d.value.columns)
    assert list(narrowed["store_id"]) == [first]


def test_the_incidents_page_lists_the_weeks_incidents_with_a_download(sample_db: Path) -> None:
    from loop_core.incidents import incidents

    at = _open("pages/incidents.py")
    _assert_clean(at)
    engine = incidents(db.connect(sample_db))
    table = next(d.value for d in at.dataframe if "downtime_min" in d.value.columns)
    assert len(table) == len(engine) > 0
    assert {m.label: m.value for m in at.metric}["Ongoing"] == str(
        sum(i.ended_at is None for i in engine))
    assert len(at.get("download_button")) == 1


def test_the_incidents_page_says_what_a_week_without_incidents_means(
    empty_db: Path, tmp_path: Path
) -> None:
    from loop_core.ingest import ingest_files
    from tests.conftest import POLLS_HEADER

    # One store open 24x7 (no hours rows), up at every poll: polls, but no incident.
    polls = tmp_path / "polls.csv"
    polls.write_text("\n".join([POLLS_HEADER, *(
        f"calm,active,2024-10-0{d} {h:02d}:00:00 UTC" for d in range(1, 8) for h in (0, 12))])
        + "\n", encoding="utf-8")
    ingest_files(db.connect(empty_db), store_status=polls)
    at = _open("pages/incidents.py")
    _assert_clean(at)
    assert {m.label: m.value for m in at.metric} == {
        "Incidents": "0", "Ongoing": "0", "Downtime (h)": "0.00"}
    (said,) = at.success
    assert "No incident in these 7 days" in said.value and "Now page" in said.value
    assert all(d.value.empty for d in at.dataframe)


def test_the_drill_down_shows_the_status_badge_and_the_stores_incidents(sample_db: Path) -> None:
    from loop_core.incidents import incidents
    from loop_core.status import status

    con = db.connect(sample_db)
    engine = {s.store_id: s for s in status(con)}
    found = incidents(con)
    store_id = max({i.store_id for i in found},
                   key=lambda s: sum(i.downtime_us for i in found if i.store_id == s))
    at = _open("pages/store.py", store_id=store_id)
    _assert_clean(at)
    badge = engine[store_id].status.capitalize()
    assert any(m.value.startswith(f"**{badge}") for m in at.markdown)
    mine = sum(1 for i in found if i.store_id == store_id)
    assert any(f"the store's {mine} incidents in the range" in c.value for c in at.caption)


@pytest.fixture
def alert_hook(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """A loopback webhook as the only alert channel, for the Alerts page's buttons."""
    hook = Webhook()
    monkeypatch.setenv("LOOP_ALERT_URLS", hook.url)
    try:
        yield hook
    finally:
        hook.close()


def test_the_alerts_page_sends_a_test_message_and_lists_its_delivery(
    alert_hook: Webhook,
) -> None:
    at = _open("pages/alerts.py")
    _assert_clean(at)
    channels = next(d.value for d in at.dataframe if "channel" in d.value.columns)
    port = alert_hook.server.server_address[1]
    assert list(channels["channel"]) == [f"json://127.0.0.1:{port}…"]  # no path, no secret
    at.button(key="alerts_test").click().run()
    _assert_clean(at)
    # The alert thread may deliver the sample's own alerts around it: look for it.
    assert "Store Uptime Monitor test message" in alert_hook.titles()
    history = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    test_rows = history[history["kind"] == "test"]
    assert list(test_rows["outcome"]) == ["delivered"]


def test_the_alerts_pages_send_the_digest_now_button_delivers_it_and_lists_it(
    alert_hook: Webhook,
) -> None:
    at = _open("pages/alerts.py")
    _assert_clean(at)
    at.button(key="alerts_digest").click().run()
    _assert_clean(at)
    assert any(s.value.startswith("Digest: 1 channel(s) accepted it") for s in at.success)
    # The alert thread may deliver the sample's own alerts around it: look for it.
    assert any(t.startswith("Weekly uptime digest: ") for t in alert_hook.titles())
    history = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    assert list(history[history["kind"] == "digest"]["outcome"]) == ["delivered"]


def test_a_first_start_with_the_demo_feed_ends_the_sample_at_the_current_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from ui import lifecycle

    monkeypatch.setenv("LOOP_DB", str(tmp_path / "demo.duckdb"))
    monkeypatch.setenv("LOOP_DEMO_FEED", "1")
    try:
        at = _app()
        at.run()
        _assert_clean(at)
        con = db.connect(tmp_path / "demo.duckdb")
        latest = con.execute("SELECT max(timestamp_utc) FROM store_status").fetchone()
        assert latest is not None and datetime.now(UTC) - latest[0] < timedelta(hours=1, minutes=5)
        assert lifecycle.current().demo_feed is not None
        assert any("next hour of polls every hour" in i.value for i in at.info)
    finally:
        lifecycle.stop()


def test_uploading_special_hours_loads_them_and_data_quality_names_an_unknown_store(
    sample_db: Path,
) -> None:
    at = _open("pages/data.py")
    at = _upload(at, "special_hours", "special_hours_unknown_store.csv")
    _assert_clean(at)
    assert any("special_hours_unknown_store.csv: 1 loaded" in s.value for s in at.success)
    assert any(m.label == "Special, unknown id" and m.value == "1" for m in at.metric)


def test_uploading_stores_loads_the_good_rows_and_shows_the_rejected_one(
    sample_db: Path,
) -> None:
    at = _open("pages/data.py")
    at = _upload(at, "stores", "stores_some_bad.csv")
    _assert_clean(at)
    # A load with rejected rows is shown as a warning naming them.
    assert any("stores_some_bad.csv: 1 loaded" in w.value and "1 rejected" in w.value
               for w in at.warning)
    con = db.connect(sample_db)
    assert con.execute("SELECT store_id, name FROM store_attributes").fetchall() == [
        ("1", "Pizza, Elm St")]


def test_fleet_counts_special_hours_today_and_the_drill_down_lists_and_labels_them(
    sample_db: Path, tmp_path: Path
) -> None:
    from loop_core.ingest import ingest_each
    from loop_core.models import Feed

    con = db.connect(sample_db)
    # Two sample stores, on their own local date of the as-of: one closed, one shortened.
    (first, first_day), (second, second_day) = con.execute(
        "SELECT store_id, CAST(timezone(coalesce(z.zone, 'America/Chicago'), "
        "(SELECT max(timestamp_utc) FROM store_status)) AS DATE) "
        "FROM stores LEFT JOIN store_zone(NULL) AS z USING (store_id) ORDER BY store_id LIMIT 2"
    ).fetchall()
    special = tmp_path / "special_hours.csv"
    special.write_text("store_id,date,start_time_local,end_time_local\n"
                       f"{first},{first_day},,\n{second},{second_day},10:00:00,14:00:00\n",
                       encoding="utf-8")
    # Kept beside the sample (an upload would replace it: real files replace the sample).
    ingest_each(con, [(Feed.SPECIAL_HOURS, special)], replace_sample=False)

    fleet = _open("pages/fleet.py")
    _assert_clean(fleet)
    assert any("Special hours today: 2 stores** (1 closed, 1 open on special hours)" in c.value
               for c in fleet.caption)

    store = _open("pages/store.py", store_id=str(first))
    _assert_clean(store)
    listed = next(d.value for d in store.dataframe if "when" in d.value.columns)
    assert listed["local"].tolist() == ["closed (special)"]
    assert listed["when"].tolist() == ["in range"]


def test_names_from_the_stores_feed_stand_beside_the_ids_on_now_fleet_and_the_drill_down(
    sample_db: Path, tmp_path: Path
) -> None:
    from loop_core.ingest import ingest_each
    from loop_core.models import Feed
    from loop_core.report import compute_report

    con = db.connect(sample_db)
    at = _open("pages/now.py")
    offline = next(d.value for d in at.dataframe if "downtime_min" in d.value.columns)
    down = str(offline["store_id"].iloc[0])
    # The store with most downtime last week other than ``down`` (both in one file).
    ranked = compute_report(con).rows.sort_values(["downtime_last_week", "store_id"])
    worst = next(str(s) for s in reversed(list(ranked["store_id"])) if s != down)
    # Markdown in a name must reach the page as the very text of the file.
    stores = tmp_path / "stores.csv"
    stores.write_text(f'store_id,name\n{down},"**Down**, Inc"\n{worst},Worst [x](y)\n',
                      encoding="utf-8")
    # replace_sample=False: the test keeps the sample's polls and names two of its stores.
    (outcome,) = ingest_each(con, [(Feed.STORES, stores)], replace_sample=False)
    assert not isinstance(outcome, Exception) and outcome.rows_loaded == 2

    at.run()
    offline = next(d.value for d in at.dataframe if "downtime_min" in d.value.columns)
    assert list(offline.columns[:2]) == ["store_id", "name"]
    assert offline.set_index("store_id").loc[down, "name"] == "**Down**, Inc"
    fleet = _open("pages/fleet.py")
    _assert_clean(fleet)
    table = next(d.value for d in fleet.dataframe if "downtime_last_week" in d.value.columns)
    assert list(table.columns[:2]) == ["store_id", "name"]
    assert table.set_index("store_id").loc[worst, "name"] == "Worst [x](y)"
    store = _open("pages/store.py", store_id=down)
    _assert_clean(store)
    assert "**Down**, Inc" in [t.value for t in store.text]


def test_fleet_says_how_many_stores_had_downtime_and_lists_them_all_on_request(
    sample_db: Path,
) -> None:
    from loop_core.report import compute_report

    rows = compute_report(db.connect(sample_db)).rows
    down = int((rows["downtime_last_week"] > 0).sum())
    at = _open("pages/fleet.py")
    _assert_clean(at)
    assert f"15 of {down:,} stores with downtime last week" in _texts(at)
    assert at.expander[0].label == f"All {down:,} stores with downtime last week"
    tables = [d.value for d in at.dataframe if "downtime_last_hour" in d.value.columns]
    assert [len(t) for t in tables] == [15, down]


def test_a_custom_range_shows_its_own_figures_with_dates_in_the_stores_zone(
    sample_db: Path,
) -> None:
    from loop_core import timeline
    from loop_core.report import compute_report
    from ui.views import store as store_view

    con = db.connect(sample_db)
    report = compute_report(con)
    worst = report.rows.sort_values("downtime_last_week", ascending=False).iloc[0]
    store_id = str(worst["store_id"])
    at = _open("pages/store.py", store_id=store_id)
    at.segmented_control(key="store_range").set_value("Custom").run()
    _assert_clean(at)
    zone = timeline.store_timeline(con, store_id).timezone
    picker = at.date_input[0]
    assert picker.label == f"Dates ({zone}, inclusive)"
    # Two local dates: the figures are the spans over those days in the store's zone.
    first, last = store_view.local_dates(report.as_of, zone, days=2)
    picker.set_value((first, last)).run()
    _assert_clean(at)
    start, end = store_view.local_dates_range(first, last, zone)
    expected = store_view.range_figures(
        store_view.store_view(timeline.store_timeline(con, store_id, start, end)).spans)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Uptime, this range"] == f"{expected.uptime_h:.2f} h"
    assert shown["Downtime, this range"] == f"{expected.downtime_h:.2f} h"
    assert expected.uptime_h + expected.downtime_h > 0
    # The report's fixed windows are still there, folded away.
    assert any(e.label.startswith("The report's figures") for e in at.expander)
    assert f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC" in _texts(at)
    # In UTC the dates are UTC dates.
    at.segmented_control(key="store_tz_mode").set_value("UTC").run()
    assert at.date_input[0].label == "Dates (UTC, inclusive)"


def test_the_history_says_a_report_came_from_the_dashboard_and_filters_say_when_nothing_matches(
    sample_db: Path,
) -> None:
    at = _open("pages/reports.py")
    at.button(key="reports_generate").click().run()
    report_id = at.query_params["report_id"]
    report_id = report_id[0] if isinstance(report_id, list) else report_id
    deadline = time.monotonic() + TIMEOUT_S
    while not at.get("download_button") and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    history = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert history.loc[history["report_id"] == report_id, "source"].tolist() == ["Dashboard"]
    at.text_input(key="reports_filter_id").input("no-such-store").run()
    _assert_clean(at)
    assert any("No store matches these filters" in i.value for i in at.info)

    now = _open("pages/now.py")
    now.text_input(key="now_filter").input("no-such-store").run()
    _assert_clean(now)
    assert any("No offline store matches this id" in i.value for i in now.info)
