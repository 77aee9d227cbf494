"""Report CSVs as files beside the database: expiry, crash recovery, the move out of
DuckDB (migration 011), and that what is served is what the engine produced."""

from __future__ import annotations

import gzip
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_core import db, jobs, report_files
from loop_core.config import ReportsConfig
from loop_core.errors import ReportUnavailableError
from loop_core.models import ReportState
from loop_core.report import compute_report
from tests.conftest import load_spec_example
from tests.depth import examples

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-01-08T12:00:00Z"


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "loop.duckdb"
    yield path
    db.close(path)


@pytest.fixture
def spec_file_db(db_path: Path) -> duckdb.DuckDBPyConnection:
    """The SPEC example in a database file, so its reports folder is a real one."""
    return load_spec_example(db.connect(db_path))


def complete(con: duckdb.DuckDBPyConnection, keep: ReportsConfig | None = None) -> str:
    report_id = jobs.trigger_report(con, AS_OF, keep=keep)
    status = jobs.wait_for_report(con, report_id, timeout_s=60)
    assert status.status is ReportState.COMPLETE, status.error
    return report_id


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


# --- files ---------------------------------------------------------------------------


def test_a_complete_report_is_a_csv_and_its_gzip_twin_beside_the_database(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    report_id = complete(spec_file_db)
    folder = db_path.parent / "reports"
    assert files_in(folder) == {f"{report_id}.csv", f"{report_id}.csv.gz",
                                f"{report_id}.extended.csv"}
    engine = compute_report(spec_file_db, AS_OF).csv.encode("utf-8")
    # Both are the engine's bytes: the plain file as it is, the twin once decompressed.
    assert (folder / f"{report_id}.csv").read_bytes() == engine
    assert gzip.decompress((folder / f"{report_id}.csv.gz").read_bytes()) == engine
    assert jobs.report_csv(spec_file_db, report_id) == engine
    assert jobs.get_report(spec_file_db, report_id).csv_bytes == len(engine)


def test_a_complete_report_has_its_extended_twin_from_the_same_figures(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    from loop_core import context

    report_id = complete(spec_file_db)
    extended = jobs.report_csv(spec_file_db, report_id, extended=True)
    assert extended == context.extended_csv(spec_file_db, AS_OF).encode("utf-8")
    # Its first columns are the report's own lines, byte for byte.
    standard = jobs.report_csv(spec_file_db, report_id).decode().split("\n")
    for line, longer in zip(standard[1:-1], extended.decode().split("\n")[1:-1], strict=True):
        assert longer.startswith(line + ",")
    # It expires with its report.
    complete(spec_file_db, keep=ReportsConfig(keep_count=1))
    assert not (db_path.parent / "reports" / f"{report_id}.extended.csv").exists()
    with pytest.raises(ReportUnavailableError, match="expired"):
        jobs.report_csv(spec_file_db, report_id, extended=True)


def test_a_report_is_complete_before_its_twin_which_answers_running_until_written(
    spec_file_db: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    # The twin takes about as long again as the report (the week before is a second
    # report): the report does not wait for it.
    release = threading.Event()
    real = report_files.write_extended

    def held(folder: Path, report_id: str, data: bytes) -> None:
        release.wait(60)
        real(folder, report_id, data)

    monkeypatch.setattr(report_files, "write_extended", held)
    report_id = jobs.trigger_report(spec_file_db, AS_OF)
    deadline = time.monotonic() + 60
    while jobs.get_report(spec_file_db, report_id).status is ReportState.RUNNING \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert jobs.get_report(spec_file_db, report_id).status is ReportState.COMPLETE
    status, opened = jobs.open_report(spec_file_db, report_id, extended=True)
    assert (status.status, opened) == (ReportState.RUNNING, None)
    with pytest.raises(ReportUnavailableError, match="still running"):
        jobs.report_csv(spec_file_db, report_id, extended=True)
    release.set()
    jobs.wait_for_report(spec_file_db, report_id)
    assert jobs.report_csv(spec_file_db, report_id, extended=True).startswith(b"store_id,")


def test_a_report_made_before_extended_twins_existed_says_so_and_keeps_its_csv(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    report_id = complete(spec_file_db)
    (db_path.parent / "reports" / f"{report_id}.extended.csv").unlink()
    with pytest.raises(ReportUnavailableError, match="no extended CSV"):
        jobs.report_csv(spec_file_db, report_id, extended=True)
    assert jobs.get_report(spec_file_db, report_id).status is ReportState.COMPLETE


def test_the_reports_table_no_longer_holds_any_csv_text(
    spec_file_db: duckdb.DuckDBPyConnection,
) -> None:
    columns = {r[0] for r in spec_file_db.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'reports'").fetchall()}
    assert "csv" not in columns and {"csv_bytes", "expired_at"} <= columns


def test_a_report_whose_file_is_gone_answers_expired(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    # E.g. a database copied without its reports folder: the row cannot serve anything.
    report_id = complete(spec_file_db)
    (db_path.parent / "reports" / f"{report_id}.csv").unlink()
    status = jobs.get_report(spec_file_db, report_id)
    assert (status.status, status.error, status.csv_path) == (
        ReportState.EXPIRED, jobs.EXPIRED, None)
    assert status.row_count == 2  # the figures of the row stay
    with pytest.raises(ReportUnavailableError, match="expired: generate it again"):
        jobs.report_csv(spec_file_db, report_id)
    # ... and it is recorded, so the history says so too.
    [listed] = jobs.list_reports(spec_file_db)
    assert listed.status is ReportState.EXPIRED


def test_a_file_opened_before_its_report_expires_is_still_read_whole(
    spec_file_db: duckdb.DuckDBPyConnection,
) -> None:
    # The API opens the file before it answers: a download racing expiry completes.
    first = complete(spec_file_db)
    _, opened = jobs.open_report(spec_file_db, first)
    assert opened is not None
    complete(spec_file_db, ReportsConfig(keep_count=1))
    assert jobs.get_report(spec_file_db, first).status is ReportState.EXPIRED
    with opened.file as fh:
        assert fh.read() == compute_report(spec_file_db, AS_OF).csv.encode("utf-8")


# --- expiry --------------------------------------------------------------------------


def test_expiry_by_count_keeps_the_newest_files_and_every_row_with_its_figures(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    keep = ReportsConfig(keep_count=2, keep_days=30)
    ids = [complete(spec_file_db, keep) for _ in range(4)]
    statuses = {s.report_id: s for s in jobs.list_reports(spec_file_db)}
    assert [statuses[i].status for i in ids] == [
        ReportState.EXPIRED, ReportState.EXPIRED, ReportState.COMPLETE, ReportState.COMPLETE]
    for old in ids[:2]:
        gone = statuses[old]
        # Metadata kept: what it measured, when, how long it took; and when it expired.
        assert gone.row_count == 2 and gone.as_of is not None and gone.duration_s is not None
        assert gone.expired_at is not None and gone.finished_at is not None
        assert gone.expired_at >= gone.finished_at
        assert gone.error == jobs.EXPIRED
    assert files_in(db_path.parent / "reports") == {
        f"{i}{suffix}" for i in ids[2:] for suffix in (".csv", ".csv.gz", ".extended.csv")}


def test_expiry_by_age_expires_reports_finished_more_than_keep_days_ago(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    old, recent = complete(spec_file_db), complete(spec_file_db)
    # Thirty-one days ago, as the row of a report from last month would say.
    spec_file_db.execute(
        "UPDATE reports SET finished_at = finished_at - INTERVAL 31 DAY WHERE report_id = ?",
        [old])
    assert jobs.expire(spec_file_db, ReportsConfig(keep_count=200, keep_days=30)) == [old]
    assert jobs.get_report(spec_file_db, old).status is ReportState.EXPIRED
    assert jobs.get_report(spec_file_db, recent).status is ReportState.COMPLETE
    assert not (db_path.parent / "reports" / f"{old}.csv").exists()
    # Running it again finds nothing more: it is idempotent.
    assert jobs.expire(spec_file_db, ReportsConfig(keep_count=200, keep_days=30)) == []


def test_expiry_never_touches_running_or_failed_reports(
    spec_file_db: duckdb.DuckDBPyConnection,
) -> None:
    spec_file_db.execute(
        "INSERT INTO reports (report_id, status, created_at, finished_at, error) VALUES "
        "('run', 'Running', now() - INTERVAL 90 DAY, NULL, NULL), "
        "('bad', 'Failed', now() - INTERVAL 90 DAY, now() - INTERVAL 90 DAY, 'boom')")
    assert jobs.expire(spec_file_db, ReportsConfig(keep_count=1, keep_days=1)) == []
    assert jobs.get_report(spec_file_db, "bad").error == "boom"


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ages_h=st.lists(st.integers(min_value=0, max_value=24 * 60), min_size=0, max_size=12),
    keep_count=st.integers(min_value=1, max_value=6),
    keep_days=st.sampled_from([0.5, 1.0, 7.0, 30.0, float("inf")]),
)
def test_after_expiry_exactly_the_newest_reports_within_both_limits_keep_a_file(
    con: duckdb.DuckDBPyConnection, ages_h: list[int], keep_count: int, keep_days: float
) -> None:
    con.execute("DELETE FROM reports")
    now = datetime(2024, 6, 1, tzinfo=UTC)
    folder = jobs.reports_dir(con)
    folder.mkdir(parents=True, exist_ok=True)
    run = secrets.token_hex(4)  # the folder outlives an example: fresh ids for each
    finished = {f"{run}-{n}": now - timedelta(hours=age, seconds=n)
                for n, age in enumerate(ages_h)}
    for report_id, at in finished.items():
        con.execute("INSERT INTO reports (report_id, status, created_at, finished_at, row_count)"
                    " VALUES (?, 'Complete', ?, ?, 7)", [report_id, at, at])
        report_files.csv_file(folder, report_id).write_bytes(b"store_id\n")

    jobs.expire(con, ReportsConfig(keep_count=keep_count, keep_days=keep_days), now=now)

    newest = sorted(finished, key=finished.__getitem__, reverse=True)[:keep_count]
    expected = {i for i in newest
                if keep_days == float("inf") or now - finished[i] <= timedelta(days=keep_days)}
    rows = dict(con.execute("SELECT report_id, status FROM reports").fetchall())
    assert {i for i, s in rows.items() if s == "Complete"} == expected
    assert set(rows) == set(finished)  # no row is ever deleted
    assert {i for i in finished if report_files.csv_file(folder, i).exists()} == expected
    assert con.execute("SELECT count(*) FROM reports WHERE row_count = 7").fetchone() == (
        len(finished),)


# --- crashes -------------------------------------------------------------------------

# A process that triggers a report and dies (os._exit: no cleanup, no finally) at a chosen
# step of writing it, as a kill or a power cut would stop it.
CRASHING_JOB = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from loop_core import db, jobs, report_files

    path, step = sys.argv[1], sys.argv[2]
    con = db.connect(path)
    real_write = report_files.write

    def crash_after_the_file(folder, report_id, data):
        real_write(folder, report_id, data)
        os._exit(17)  # the file is in place; the row still says Running

    def crash_mid_file(folder, report_id, data):
        folder.mkdir(parents=True, exist_ok=True)
        partial = report_files.csv_file(folder, report_id).with_name(report_id + ".csv.partial")
        partial.write_bytes(data[: len(data) // 2])
        os._exit(17)

    def crash_mid_twin(folder, report_id, data):
        # The report is Complete; its extended twin is half-written.
        twin = report_files.csv_file(folder, report_id, extended=True)
        twin.with_name(twin.name + ".partial").write_bytes(data[: len(data) // 2])
        os._exit(17)

    if step == "twin":
        report_files.write_extended = crash_mid_twin
    else:
        report_files.write = crash_after_the_file if step == "after" else crash_mid_file
    print(jobs.trigger_report(con, "2024-01-08T12:00:00Z"), flush=True)
    for thread in list(jobs._live.values()):
        thread.join()
""")


@pytest.mark.parametrize("step", ["after", "mid"])
def test_a_crash_while_writing_a_report_leaves_it_failed_on_next_open_and_no_file_visible(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path, step: str
) -> None:
    db.close(db_path)  # the crashing process needs the file's lock
    run = subprocess.run([sys.executable, "-c", CRASHING_JOB, str(db_path), step],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 17, run.stderr
    report_id = run.stdout.strip()
    folder = db_path.parent / "reports"
    # What the dead process left: a whole file with a Running row, or half a file.
    assert files_in(folder) & {f"{report_id}.csv", f"{report_id}.csv.partial"}

    con = db.connect(db_path)
    status = jobs.get_report(con, report_id)
    assert (status.status, status.error) == (ReportState.FAILED, jobs.INTERRUPTED)
    assert files_in(folder) == set()
    # ... and the next report works as usual.
    assert jobs.report_csv(con, complete(con)) == compute_report(con, AS_OF).csv.encode()


def test_a_crash_while_writing_the_extended_twin_leaves_the_report_complete_without_it(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    db.close(db_path)
    run = subprocess.run([sys.executable, "-c", CRASHING_JOB, str(db_path), "twin"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 17, run.stderr
    report_id = run.stdout.strip()
    folder = db_path.parent / "reports"
    assert f"{report_id}.extended.csv.partial" in files_in(folder)

    con = db.connect(db_path)
    # The standard CSV was in place and recorded: it stays; the half twin goes.
    assert jobs.report_csv(con, report_id) == compute_report(con, AS_OF).csv.encode()
    assert files_in(folder) == {f"{report_id}.csv", f"{report_id}.csv.gz"}
    with pytest.raises(ReportUnavailableError, match="no extended CSV"):
        jobs.report_csv(con, report_id, extended=True)


def test_files_left_by_a_crash_during_expiry_are_removed_on_open_and_others_kept(
    spec_file_db: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    kept, expired = complete(spec_file_db), complete(spec_file_db)
    folder = db_path.parent / "reports"
    # The row says Expired but the process died before removing the file.
    spec_file_db.execute("UPDATE reports SET status = 'Expired', expired_at = now() "
                         "WHERE report_id = ?", [expired])
    # A file of another database sharing the folder: not this database's to remove.
    (folder / "someone-elses.csv").write_bytes(b"store_id\n")
    db.close(db_path)

    db.connect(db_path)
    assert files_in(folder) == {f"{kept}.csv", f"{kept}.csv.gz", f"{kept}.extended.csv",
                                "someone-elses.csv"}


# --- migration 011 -------------------------------------------------------------------


def _version_8_file(path: Path, csvs: dict[str, str]) -> None:
    """A database as the previous release left it: report CSVs in reports.csv."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone='UTC'")
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    for version, name, text in db._migrations():
        if version <= 8:
            con.execute(text)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    for report_id, text in csvs.items():
        con.execute(
            "INSERT INTO reports (report_id, status, created_at, finished_at, row_count, csv) "
            "VALUES (?, 'Complete', now(), now(), 1, ?)", [report_id, text])
    con.execute("INSERT INTO reports (report_id, status, created_at, error) "
                "VALUES ('failed-one', 'Failed', now(), 'boom')")
    con.close()


def test_migration_011_moves_every_stored_csv_to_a_file_byte_for_byte(db_path: Path) -> None:
    csvs = {f"old{n}": f"store_id,uptime_last_hour\n{n},\u00e9t\u00e9 {'x' * n}\n"
            for n in range(5)}
    _version_8_file(db_path, csvs)

    con = db.connect(db_path)
    for report_id, text in csvs.items():
        assert jobs.report_csv(con, report_id) == text.encode("utf-8")
        status = jobs.get_report(con, report_id)
        assert status.csv_bytes == len(text.encode("utf-8")) and status.row_count == 1
    assert con.execute("SELECT count(*) FROM report_csv_pending").fetchone() == (0,)
    assert jobs.get_report(con, "failed-one").error == "boom"


def test_a_crash_in_the_middle_of_the_move_loses_nothing(db_path: Path) -> None:
    _version_8_file(db_path, {"a": "store_id\n1\n", "b": "store_id\n2\n"})
    # Migrate the file but stop before any CSV is written out, with a stale half file of
    # "a" in the folder, as a crash in the middle of writing it would leave.
    raw = duckdb.connect(str(db_path))
    db.migrate(raw)
    raw.close()
    folder = db_path.parent / "reports"
    folder.mkdir()
    (folder / "a.csv.partial").write_bytes(b"store")

    con = db.connect(db_path)
    assert jobs.report_csv(con, "a") == b"store_id\n1\n"
    assert jobs.report_csv(con, "b") == b"store_id\n2\n"
    assert files_in(folder) == {"a.csv", "a.csv.gz", "b.csv", "b.csv.gz"}
