"""Report jobs: background runs, statuses, persistence and crash recovery."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from loop_core import db
from loop_core.errors import InvalidParameterError, UnknownReportError
from loop_core.ingest import ingest_files
from loop_core.jobs import (
    INTERRUPTED,
    get_report,
    list_reports,
    report_csv,
    trigger_report,
    wait_for_report,
)
from loop_core.models import ReportState
from loop_core.report import compute_report
from tests.conftest import DATA


def test_a_triggered_report_completes_with_the_same_csv_as_a_direct_run(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    report_id = trigger_report(spec_db, "2024-01-08T12:00:00Z")
    status = wait_for_report(spec_db, report_id, timeout_s=30)
    assert status.status is ReportState.COMPLETE
    # The served bytes are the engine's CSV, byte for byte.
    expected = compute_report(spec_db, "2024-01-08T12:00:00Z").csv.encode("utf-8")
    assert report_csv(spec_db, report_id) == expected
    assert status.csv_bytes == len(expected)
    assert status.row_count == 2
    assert status.duration_s is not None and status.duration_s >= 0
    assert status.finished_at is not None and status.finished_at >= status.created_at


def test_report_ids_are_unguessable_and_distinct(spec_db: duckdb.DuckDBPyConnection) -> None:
    ids = {trigger_report(spec_db) for _ in range(5)}
    assert len(ids) == 5
    assert all(len(i) >= 20 for i in ids)
    for i in ids:
        wait_for_report(spec_db, i)


def test_twenty_simultaneous_triggers_all_complete(spec_db: duckdb.DuckDBPyConnection) -> None:
    ids = [trigger_report(spec_db) for _ in range(20)]
    statuses = [wait_for_report(spec_db, i, timeout_s=60) for i in ids]
    assert [s.status for s in statuses] == [ReportState.COMPLETE] * 20
    assert len({report_csv(spec_db, i) for i in ids}) == 1


def test_an_unknown_report_id_raises_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownReportError, match="no report with id 'nope'"):
        get_report(con, "nope")


def test_an_unparseable_as_of_is_refused_before_anything_starts(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(InvalidParameterError, match="ISO 8601"):
        trigger_report(con, "next tuesday")
    assert list_reports(con) == []


def test_a_report_that_raises_ends_failed_with_the_reason(
    spec_db: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import loop_core.context as context_module

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("out of memory")

    # The job computes both CSVs with context.extended_report.
    monkeypatch.setattr(context_module, "extended_report", broken)
    status = wait_for_report(spec_db, trigger_report(spec_db))
    assert status.status is ReportState.FAILED
    assert status.error == "RuntimeError: out of memory"


def test_a_report_left_running_by_a_dead_process_is_failed_on_next_open(tmp_path: Path) -> None:
    path = tmp_path / "loop.duckdb"
    # Simulate a process that died mid-report: a Running row that no thread owns.
    raw = duckdb.connect(str(path))
    db.migrate(raw)
    raw.execute(
        "INSERT INTO reports (report_id, status, created_at) VALUES ('orphan', 'Running', now())"
    )
    raw.close()
    con = db.connect(path)
    try:
        status = get_report(con, "orphan")
        assert status.status is ReportState.FAILED
        assert status.error == INTERRUPTED
    finally:
        db.close(path)


def test_reports_persist_in_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "loop.duckdb"
    con = db.connect(path)
    ingest_files(con, store_status=DATA / "spec" / "store_status.csv")
    report_id = trigger_report(con)
    wait_for_report(con, report_id)
    db.close(path)
    con = db.connect(path)
    try:
        [listed] = list_reports(con)
        assert (listed.report_id, listed.status, listed.row_count) == (
            report_id, ReportState.COMPLETE, 2,
        )
        assert listed.csv_path is None  # the history does not look for the files
        assert get_report(con, report_id).csv_path == tmp_path / "reports" / f"{report_id}.csv"
        assert report_csv(con, report_id).startswith(b"store_id,")
    finally:
        db.close(path)


def test_a_report_on_an_empty_database_fails_with_a_clear_reason(
    con: duckdb.DuckDBPyConnection,
) -> None:
    status = wait_for_report(con, trigger_report(con))
    assert status.status is ReportState.FAILED
    assert status.error == "NoDataError: no polls loaded yet: load the store status feed first"


def test_report_ids_have_no_look_alike_characters_and_never_start_like_an_option() -> None:
    from loop_core.jobs import ID_ALPHABET, new_report_id

    ids = [new_report_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 22 and set(i) <= set(ID_ALPHABET) for i in ids)
    assert not set("01lIoO-_") & set("".join(ids))
