"""Real files replace the built-in sample, once, the same way for every way data arrives
(CLI, upload, sync), and only once a real file has loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from loop_core import bootstrap, db
from loop_core.ingest import ingest_each, ingest_file
from loop_core.models import Feed
from loop_core.report import compute_report
from loop_core.sources import FolderSource
from loop_core.sync import sync_once

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def sample_con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = db.connect(tmp_path / "sample.duckdb")
    assert bootstrap.ensure_sample_data(con, stores=20, days=2) is not None
    assert bootstrap.is_sample_only(con)
    return con


def _polled_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in con.execute("SELECT DISTINCT store_id FROM store_polls").fetchall()}


def test_a_sync_into_a_sample_only_database_replaces_the_sample(
    sample_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / "spec" / "store_status.csv", inbox / "store_status.csv")

    result = sync_once(sample_con, FolderSource(inbox, settle_s=0))

    assert result.files and not bootstrap.is_sample_only(sample_con)
    assert _polled_ids(sample_con) == {"allday", "mon"}
    assert sample_con.execute(
        "SELECT count(*) FROM loads WHERE source = ?", [bootstrap.SAMPLE_SOURCE]
    ).fetchone() == (0,)


def test_a_refused_file_leaves_the_sample_in_place(
    sample_con: duckdb.DuckDBPyConnection,
) -> None:
    before = _polled_ids(sample_con)
    (outcome,) = ingest_each(
        sample_con, [(Feed.TIMEZONES, DATA / "app" / "timezones_bad_header.csv")], source="cli")

    assert isinstance(outcome, Exception)
    assert bootstrap.is_sample_only(sample_con) and _polled_ids(sample_con) == before


def test_the_sample_can_be_kept_on_purpose(sample_con: duckdb.DuckDBPyConnection) -> None:
    ingest_file(sample_con, Feed.STORE_STATUS, DATA / "spec" / "store_status.csv")
    assert not bootstrap.is_sample_only(sample_con)  # the one policy removed it...

    kept = db.connect(":memory:")
    bootstrap.ensure_sample_data(kept, stores=20, days=2)
    ingest_each(kept, [(Feed.STORE_STATUS, DATA / "spec" / "store_status.csv")],
                replace_sample=False)
    assert {"allday", "mon"} < _polled_ids(kept)  # ...unless the caller keeps it


def test_after_the_sample_is_removed_its_hours_no_longer_count_for_a_real_store(
    sample_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A real store that happens to share an id with a sample store: it is loaded while
    # the sample's hours are still there, and those hours go with the sample.
    sample_id = str(sample_con.execute(
        "SELECT store_id FROM business_hours ORDER BY store_id LIMIT 1").fetchone()[0])
    polls = tmp_path / "store_status.csv"
    polls.write_text(
        "store_id,status,timestamp_utc\n"
        f"{sample_id},active,2024-10-14 03:00:00 UTC\n"
        f"{sample_id},inactive,2024-10-14 11:00:00 UTC\n",
        encoding="utf-8",
    )
    ingest_file(sample_con, Feed.STORE_STATUS, polls)

    fresh = db.connect(":memory:")
    ingest_file(fresh, Feed.STORE_STATUS, polls)
    # Only the real poll file is left: both databases must give the same report (24x7).
    assert compute_report(sample_con).csv == compute_report(fresh).csv


def test_the_demo_feed_adds_only_the_new_hour_and_repeats_nothing(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    con = db.connect(tmp_path / "demo.duckdb")
    start = datetime(2026, 11, 30, 9, 20, tzinfo=UTC)
    bootstrap.ensure_sample_data(con, stores=30, days=2, end=bootstrap.current_hour(start))
    before = con.execute("SELECT count(*), max(timestamp_utc) FROM store_status").fetchone()
    assert before is not None and before[1] < datetime(2026, 11, 30, 9, tzinfo=UTC)

    same_hour = bootstrap.advance_demo(con, start + timedelta(minutes=30), stores=30)
    assert same_hour is not None and same_hour.rows_loaded == 0  # all duplicates
    later = bootstrap.advance_demo(con, start + timedelta(hours=1), stores=30)
    assert later is not None and 0 < later.rows_loaded <= 30  # one poll a store, at most
    assert later.rows_duplicate == later.rows_read - later.rows_loaded
    newest = con.execute(
        "SELECT min(timestamp_utc), max(timestamp_utc) FROM store_status WHERE load_id = ?",
        [later.load_id]).fetchone()
    assert newest is not None
    assert datetime(2026, 11, 30, 9, tzinfo=UTC) <= newest[0] <= newest[1] < \
        datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert bootstrap.is_sample_only(con)  # still the demo: it is the sample's own data

    # Real data replaces the sample, and the demo stops.
    ingest_file(con, Feed.STORE_STATUS, DATA / "spec" / "store_status.csv")
    assert bootstrap.advance_demo(con, start + timedelta(hours=2), stores=30) is None
