"""The sync loop against a local folder: change detection, the run log, the scheduler,
staleness and the ``sync`` command. Real ingestion on a real DuckDB throughout."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loop_core.errors import SyncError
from loop_core.freshness import staleness
from loop_core.models import Feed
from loop_core.sources import FolderSource
from loop_core.sync import (
    INTERRUPTED,
    FileOutcome,
    FileResult,
    SyncOutcome,
    SyncResult,
    SyncScheduler,
    last_syncs,
    sync_once,
)
from loop_core.sync_cli import add_parser, run
from ui.views.freshness import staleness_warning

DATA = Path(__file__).parent / "data" / "sync"
UUID_STORE = "4f3c2b1a-0000-4000-8000-00000000abcd"
NUM_STORE = "8139926242460185114"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A folder holding the first version of the three feeds."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    drop(folder, "store_status_v1.csv", "store_status.csv")
    drop(folder, "menu_hours.csv")
    drop(folder, "timezones.csv")
    return folder


def drop(folder: Path, data_name: str, as_name: str | None = None) -> Path:
    """Put a test file into the folder the way a careful producer does: write, then rename."""
    target = folder / (as_name or data_name)
    partial = folder / (target.name + ".partial")
    shutil.copyfile(DATA / data_name, partial)
    os.replace(partial, target)
    return target


def source(folder: Path) -> FolderSource:
    # settle_s=0: these files are complete the moment they are renamed into place.
    return FolderSource(folder, settle_s=0)


def outcomes(result_files: object) -> dict[str, str]:
    return {str(f.feed): str(f.outcome) for f in result_files}  # type: ignore[attr-defined]


def file_of(result: SyncResult, feed: Feed) -> FileResult:
    (found,) = [f for f in result.files if f.feed is feed]
    return found


def polls(con: duckdb.DuckDBPyConnection) -> list[tuple[str, bool, str]]:
    rows = con.execute(
        "SELECT store_id, is_active, strftime(timestamp_utc, '%Y-%m-%d %H:%M:%S') "
        "FROM store_polls ORDER BY ALL"
    ).fetchall()
    return [(str(r[0]), bool(r[1]), str(r[2])) for r in rows]


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


# ------------------------------------------------------------------- sync_once, folder


def test_a_first_sync_from_a_folder_loads_all_three_feeds(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    result = sync_once(con, source(inbox))

    assert result.outcome is SyncOutcome.OK
    assert outcomes(result.files) == {
        "store_status": "loaded",
        "business_hours": "loaded",
        "timezones": "loaded",
    }
    # Snapshots first, then the polls (the load order of loop_core.models.Feed).
    assert [(str(f.feed), f.rows_loaded) for f in result.files] == [
        ("timezones", 2), ("business_hours", 2), ("store_status", 3),
    ]
    assert polls(con) == [
        (UUID_STORE, True, "2023-01-24 09:30:00"),
        (NUM_STORE, False, "2023-01-24 10:07:11"),
        (NUM_STORE, True, "2023-01-24 09:06:42"),
    ]
    assert con.execute("SELECT DISTINCT source FROM loads").fetchall() == [("folder",)]
    assert con.execute(
        "SELECT feed, remote_name, outcome, rows_loaded, load_id IS NOT NULL FROM sync_files "
        "ORDER BY feed"
    ).fetchall() == [
        ("business_hours", "menu_hours.csv", "loaded", 2, True),
        ("store_status", "store_status.csv", "loaded", 3, True),
        ("timezones", "timezones.csv", "loaded", 2, True),
    ]


def test_a_second_sync_skips_every_file_that_has_not_changed(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))
    loads_before = count(con, "loads")

    result = sync_once(con, source(inbox))

    assert result.outcome is SyncOutcome.OK
    assert set(outcomes(result.files).values()) == {"skipped"}
    assert all("unchanged since the sync of" in f.message for f in result.files)
    assert count(con, "loads") == loads_before


def test_a_new_version_dropped_into_the_folder_is_picked_up_and_only_it_is_loaded(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))
    drop(inbox, "store_status_v2.csv", "store_status.csv")

    result = sync_once(con, source(inbox))

    assert outcomes(result.files) == {
        "store_status": "loaded",
        "business_hours": "skipped",
        "timezones": "skipped",
    }
    # The polls accumulate: v2 repeats v1's three rows and adds two.
    assert file_of(result, Feed.STORE_STATUS).rows_loaded == 2
    assert polls(con) == [
        (UUID_STORE, False, "2023-01-24 10:31:00"),
        (UUID_STORE, True, "2023-01-24 09:30:00"),
        (NUM_STORE, False, "2023-01-24 10:07:11"),
        (NUM_STORE, True, "2023-01-24 09:06:42"),
        (NUM_STORE, True, "2023-01-24 11:05:00"),
    ]


def test_business_hours_csv_is_accepted_in_place_of_menu_hours(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    drop(tmp_path, "menu_hours.csv", "business_hours.csv")

    result = sync_once(con, source(tmp_path))

    assert outcomes(result.files) == {
        "store_status": "skipped",
        "business_hours": "loaded",
        "timezones": "skipped",
    }
    assert count(con, "business_hours") == 2


def test_an_identical_file_under_another_name_is_downloaded_but_recorded_as_unchanged(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))
    # Renaming changes the file's identity, not its bytes: ingestion sees the same sha256.
    os.replace(inbox / "menu_hours.csv", inbox / "business_hours.csv")

    result = sync_once(con, source(inbox))

    assert outcomes(result.files)["business_hours"] == "unchanged"
    assert result.outcome is SyncOutcome.OK


def test_a_feed_missing_from_the_folder_is_skipped_not_failed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    drop(tmp_path, "timezones.csv")

    result = sync_once(con, source(tmp_path))

    assert result.outcome is SyncOutcome.OK
    assert outcomes(result.files) == {
        "store_status": "skipped",
        "business_hours": "skipped",
        "timezones": "loaded",
    }
    assert "has no file for it" in file_of(result, Feed.STORE_STATUS).message


def test_a_file_with_a_wrong_header_is_refused_while_the_others_load(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    drop(inbox, "store_status_bad_header.csv", "store_status.csv")

    result = sync_once(con, source(inbox))

    assert result.outcome is SyncOutcome.PARTIAL
    assert outcomes(result.files) == {
        "store_status": "failed",
        "business_hours": "loaded",
        "timezones": "loaded",
    }
    assert "missing column(s) store_id, status, timestamp_utc" in \
        file_of(result, Feed.STORE_STATUS).message
    assert result.message is not None and "store_status" in result.message
    assert count(con, "store_status") == 0
    assert count(con, "business_hours") == 2
    assert count(con, "timezones") == 2


def test_a_refused_file_is_tried_again_on_every_sync_and_loads_once_fixed(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    drop(inbox, "store_status_bad_header.csv", "store_status.csv")
    sync_once(con, source(inbox))
    again = sync_once(con, source(inbox))
    assert outcomes(again.files)["store_status"] == "failed"

    drop(inbox, "store_status_v1.csv", "store_status.csv")
    fixed = sync_once(con, source(inbox))

    assert outcomes(fixed.files)["store_status"] == "loaded"
    assert count(con, "store_status") == 3


def test_a_missing_folder_fails_the_whole_run_with_a_message_naming_it(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    result = sync_once(con, source(tmp_path / "nowhere"))

    assert result.outcome is SyncOutcome.FAILED
    assert result.files == ()
    assert result.message is not None
    assert str(tmp_path / "nowhere") in result.message


def test_a_file_modified_a_moment_ago_waits_for_the_next_sync(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    drop(tmp_path, "timezones.csv")

    waiting = sync_once(con, FolderSource(tmp_path, settle_s=60))

    assert waiting.outcome is SyncOutcome.OK
    assert outcomes(waiting.files)["timezones"] == "skipped"
    assert "may still be being written" in file_of(waiting, Feed.TIMEZONES).message
    assert count(con, "timezones") == 0
    settled = sync_once(con, FolderSource(tmp_path, settle_s=0))
    assert outcomes(settled.files)["timezones"] == "loaded"


def test_a_file_changed_between_listing_and_copying_is_not_loaded(tmp_path: Path) -> None:
    folder = source(tmp_path)
    drop(tmp_path, "store_status_v1.csv", "store_status.csv")
    listed = folder.current_version(Feed.STORE_STATUS)
    assert listed is not None
    drop(tmp_path, "store_status_v2.csv", "store_status.csv")

    with pytest.raises(SyncError, match="changed while"):
        folder.download(listed, tmp_path / "copy.csv")


def test_last_syncs_lists_the_newest_run_first_with_each_files_outcome(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    first = sync_once(con, source(inbox), triggered_by="cli")
    second = sync_once(con, source(inbox))

    runs = last_syncs(con, 10)

    assert [r.run_id for r in runs] == [second.run_id, first.run_id]
    assert runs[1].triggered_by == "cli"
    assert runs[1].source == "folder"
    assert runs[1].source_label == f"folder {inbox}"
    assert runs[1].finished_at is not None and runs[1].finished_at >= runs[1].started_at
    assert [(str(f.feed), str(f.outcome), f.rows_loaded) for f in runs[1].files] == [
        ("business_hours", "loaded", 2),
        ("store_status", "loaded", 3),
        ("timezones", "loaded", 2),
    ]
    remote = file_of(runs[1], Feed.STORE_STATUS).remote
    assert remote is not None and remote.fingerprint.startswith("sha256:")
    assert len(last_syncs(con, 1)) == 1


def test_a_run_left_running_by_a_dead_process_is_marked_failed_by_the_next_sync(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    con.execute(
        "INSERT INTO sync_runs VALUES (nextval('sync_run_id_seq'), 'folder', 'folder x', "
        "'schedule', now(), NULL, 'running', NULL)"
    )

    sync_once(con, source(inbox))

    orphan = last_syncs(con, 10)[-1]
    assert orphan.outcome is SyncOutcome.FAILED
    assert orphan.message == INTERRUPTED


# ------------------------------------------------------------------- the scheduler


def wait_until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_scheduler_syncs_on_its_interval_and_picks_up_a_new_version(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    scheduler = SyncScheduler(con, lambda: source(inbox), interval_s=0.2)
    scheduler.start()
    try:
        # Two runs *finished*: a run still going could pick up the new file itself.
        wait_until(lambda: sum(r.finished_at is not None for r in last_syncs(con, 10)) >= 2)
        drop(inbox, "store_status_v2.csv", "store_status.csv")
        wait_until(lambda: count(con, "store_status") == 5)
        assert scheduler.running
    finally:
        scheduler.stop()

    assert not scheduler.running
    runs = list(reversed(last_syncs(con, 100)))
    assert all(r.triggered_by == "schedule" and r.outcome is SyncOutcome.OK for r in runs)
    assert set(outcomes(runs[0].files).values()) == {"loaded"}
    assert set(outcomes(runs[1].files).values()) == {"skipped"}
    # The store_status file was loaded exactly twice: v1 on the first run, v2 later.
    store_loads = [f for r in runs for f in r.files if f.feed is Feed.STORE_STATUS]
    assert [f.outcome for f in store_loads if f.outcome is FileOutcome.LOADED] == [
        FileOutcome.LOADED,
        FileOutcome.LOADED,
    ]


def test_the_scheduler_survives_a_source_that_cannot_be_made_and_records_the_failure(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    broken = {"yes": True}

    def factory() -> FolderSource:
        if broken["yes"]:
            raise RuntimeError("credentials file vanished")
        return source(inbox)

    scheduler = SyncScheduler(con, factory, interval_s=0.2)
    scheduler.start()
    try:
        wait_until(lambda: len(last_syncs(con, 10)) >= 2)
        assert scheduler.running
        broken["yes"] = False
        wait_until(lambda: count(con, "store_status") == 3)
    finally:
        scheduler.stop()

    runs = list(reversed(last_syncs(con, 100)))
    assert runs[0].outcome is SyncOutcome.FAILED
    assert runs[0].message == "RuntimeError: credentials file vanished"
    assert any(r.outcome is SyncOutcome.OK for r in runs)


def test_run_now_syncs_in_the_calling_thread_and_returns_the_recorded_result(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    scheduler = SyncScheduler(con, lambda: source(inbox), interval_s=3600)

    result = scheduler.run_now()

    assert result.outcome is SyncOutcome.OK
    assert result.triggered_by == "manual"
    assert scheduler.last_result == result
    assert last_syncs(con, 1)[0].run_id == result.run_id
    assert not scheduler.running


def test_a_restarted_scheduler_waits_one_interval_after_the_last_recorded_run(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))
    scheduler = SyncScheduler(con, lambda: source(inbox), interval_s=3600)
    scheduler.start()
    try:
        wait_until(lambda: scheduler.next_run_at is not None)
        next_run = scheduler.next_run_at
        assert next_run is not None
        assert next_run - datetime.now(UTC) > timedelta(minutes=59)
    finally:
        scheduler.stop()
    assert len(last_syncs(con, 10)) == 1


# ------------------------------------------------------------------- staleness


def test_staleness_is_quiet_when_the_data_is_fresh_and_the_last_sync_succeeded(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))
    now = datetime(2023, 1, 24, 11, 0, tzinfo=UTC)  # the newest poll is 10:07:11

    result = staleness(con, now)

    assert result.latest_poll == datetime(2023, 1, 24, 10, 7, 11, tzinfo=UTC)
    assert result.lag == timedelta(minutes=52, seconds=49)
    assert result.failed_sync is None and not result.polls_stale
    assert not result.is_stale
    assert staleness_warning(result) is None


def test_staleness_warns_when_the_newest_poll_is_more_than_two_hours_old(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))

    result = staleness(con, datetime(2023, 1, 24, 12, 7, 12, tzinfo=UTC))

    assert result.polls_stale and result.is_stale
    assert staleness_warning(result) == \
        "the newest poll (2023-01-24 10:07 UTC) is 2 h 00 min old"
    just_in_time = staleness(con, datetime(2023, 1, 24, 12, 7, 11, tzinfo=UTC))
    assert not just_in_time.is_stale and staleness_warning(just_in_time) is None


def test_staleness_warns_when_the_last_sync_failed(
    con: duckdb.DuckDBPyConnection, inbox: Path, tmp_path: Path
) -> None:
    sync_once(con, source(inbox))
    sync_once(con, source(tmp_path / "gone"))

    result = staleness(con, datetime(2023, 1, 24, 10, 30, tzinfo=UTC))

    assert result.failed_sync is not None and not result.failed_sync.partly
    assert "sync folder" in result.failed_sync.message
    warning = staleness_warning(result)
    assert warning is not None
    assert warning.startswith("the last sync (")
    assert "failed: `sync folder" in warning  # the message as a code span, never markup


def test_staleness_warns_when_some_files_of_the_last_sync_failed(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    sync_once(con, source(inbox))
    drop(inbox, "store_status_bad_header.csv", "store_status.csv")
    sync_once(con, source(inbox))

    result = staleness(con, datetime(2023, 1, 24, 10, 30, tzinfo=UTC))

    assert result.failed_sync is not None and result.failed_sync.partly
    warning = staleness_warning(result)
    assert warning is not None
    assert "partly failed" in warning
    assert "missing column(s)" in warning


def test_staleness_of_an_empty_database_says_there_are_no_polls(
    con: duckdb.DuckDBPyConnection,
) -> None:
    result = staleness(con)

    assert result.latest_poll is None and result.lag is None
    assert result.polls_stale and result.failed_sync is None
    assert staleness_warning(result) == "there are no polls yet"


# ------------------------------------------------------------------- the sync command


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="loop_core")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_the_sync_command_loads_a_folder_into_a_database_file(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "loop.duckdb"
    # The command's folder source waits for files to settle; these were written just now.
    past = time.time() - 60
    for f in inbox.iterdir():
        os.utime(f, (past, past))

    status = run(parse(["sync", "--db", str(path), "--folder", str(inbox)]))

    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("sync #1 from folder ")
    assert "store_status: loaded" in out
    with duckdb.connect(str(path), read_only=True) as check:
        assert check.execute("SELECT count(*) FROM store_status").fetchone() == (3,)
        assert check.execute("SELECT triggered_by, outcome FROM sync_runs").fetchall() == [
            ("cli", "ok")
        ]


def test_the_sync_command_reports_failed_files_with_exit_status_1(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop(inbox, "store_status_bad_header.csv", "store_status.csv")
    past = time.time() - 60
    for f in inbox.iterdir():
        os.utime(f, (past, past))

    status = run(parse(["sync", "--db", str(tmp_path / "x.duckdb"), "--folder", str(inbox)]))

    assert status == 1
    assert "store_status: failed" in capsys.readouterr().out


def test_the_sync_command_without_a_source_explains_what_to_configure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LOOP_DRIVE_") or name.startswith("LOOP_SYNC_"):
            monkeypatch.delenv(name)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[sync]\ninterval_minutes = 30\n")

    status = run(parse(["sync", "--db", str(tmp_path / "x.duckdb"), "--secrets", str(secrets)]))

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("sync: nothing to sync from: set the [drive] file ids")
    assert not (tmp_path / "x.duckdb").exists()


def test_the_sync_command_reads_a_folder_from_the_secrets_file_relative_to_it(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    past = time.time() - 60
    for f in inbox.iterdir():
        os.utime(f, (past, past))
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[folder]\npath = "inbox"\n')

    status = run(parse(["sync", "--db", str(tmp_path / "x.duckdb"), "--secrets", str(secrets)]))

    assert status == 0, capsys.readouterr()


def test_the_sync_command_says_the_database_is_in_use_and_exits_2(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(path)!r})
                print("locked", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"

        status = run(parse(["sync", "--db", str(path), "--folder", str(inbox)]))
    finally:
        holder.communicate("", timeout=30)

    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"sync: the database {path} is locked by another process")
    assert "Sync now" in err


def test_special_hours_csv_in_the_folder_is_synced_after_the_hours_and_before_the_polls(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    drop(inbox, "special_hours.csv")

    result = sync_once(con, source(inbox))

    assert [(str(f.feed), str(f.outcome), f.rows_loaded) for f in result.files] == [
        ("timezones", "loaded", 2), ("business_hours", "loaded", 2),
        ("special_hours", "loaded", 2), ("store_status", "loaded", 3),
    ]
    # Closed on 24 January: that day's polls of the store are not observations.
    assert con.execute(
        "SELECT bool_or(in_hours) FROM store_polls WHERE store_id = ?", [NUM_STORE]
    ).fetchone() == (False,)
    # Optional: a folder without it syncs without a word about it.
    (inbox / "special_hours.csv").unlink()
    again = sync_once(con, source(inbox))
    assert "special_hours" not in outcomes(again.files)
    assert con.execute("SELECT count(*) FROM special_hours").fetchone() == (2,)


def test_stores_csv_in_the_folder_is_synced_when_it_is_there(
    con: duckdb.DuckDBPyConnection, inbox: Path
) -> None:
    drop(inbox, "stores.csv")

    result = sync_once(con, source(inbox))

    assert ("stores", "loaded", 1) in [
        (str(f.feed), str(f.outcome), f.rows_loaded) for f in result.files]
    assert con.execute("SELECT store_id, name, region FROM store_attributes").fetchall() == [
        (NUM_STORE, "Tacos, Main St", "TX")]
    # Optional: a folder without it syncs without a word about it, and keeps the snapshot.
    (inbox / "stores.csv").unlink()
    again = sync_once(con, source(inbox))
    assert "stores" not in outcomes(again.files)
    assert con.execute("SELECT count(*) FROM store_attributes").fetchone() == (1,)
