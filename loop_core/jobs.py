"""Report jobs: trigger in the background, poll the status, fetch the CSV.

Jobs persist in the ``reports`` table; a Complete job's CSV is a file named after the job
in the database's reports folder (:func:`reports_dir`: ``reports/`` beside the database
file), so serving it never reads a large text column. A job's steps come in the order that
makes a crash harmless:

1. the row is inserted ``Running``;
2. the CSV is written to ``<id>.csv.partial``, flushed to disk and renamed to ``<id>.csv``
   (a rename is atomic: nobody ever sees half a file under the final name);
3. only then is the row marked ``Complete``, with the file's size.

A process that dies anywhere in between leaves a ``Running`` row that nothing will finish:
opening the database (:func:`recover`) marks it ``Failed: interrupted`` and removes what it
had written. After each completed report the ones past ``[reports] keep_count`` or
``keep_days`` expire (:func:`expire`): the rows become ``Expired`` (they keep their figures)
and then their files are removed; files that a crash left behind are removed on open.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import BinaryIO

import duckdb

from loop_core.config import ReportsConfig
from loop_core.errors import ReportUnavailableError, UnknownReportError
from loop_core.models import ReportState, ReportStatus
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import parse_query_instant
from loop_core.transaction import transaction

INTERRUPTED = "interrupted: the process stopped before the report finished"
EXPIRED = "expired: generate it again"
REPORTS_FOLDER = "reports"
_CSV, _PARTIAL = ".csv", ".csv.partial"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

LOGGER = logging.getLogger(__name__)

# Threads started by this process, so a report id can be told apart from an orphan.
_live: dict[str, threading.Thread] = {}
_live_lock = threading.Lock()

_COLUMNS = (
    "report_id, status, created_at, finished_at, as_of_requested, as_of, "
    "row_count, duration_s, error, csv_bytes, expired_at"
)


def reports_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Where this database's report CSVs are: ``reports/`` beside the database file (for
    ``data/loop.duckdb``, ``data/reports/``); for an in-memory database, a temporary folder
    of this process, removed when it exits. Files are named after unguessable report ids,
    so databases that share a folder never touch each other's files."""
    with con.cursor() as cur:
        row = cur.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
    if row is None or not row[0]:
        return _memory_reports_dir()
    return Path(str(row[0])).resolve().parent / REPORTS_FOLDER


_memory_dir: Path | None = None


def _memory_reports_dir() -> Path:
    global _memory_dir
    with _live_lock:
        if _memory_dir is None:
            _memory_dir = Path(tempfile.mkdtemp(prefix="loop-reports-"))
            atexit.register(shutil.rmtree, _memory_dir, ignore_errors=True)
        return _memory_dir


def _file_name(report_id: str) -> str:
    # Ids made here are URL-safe tokens; any other id (a hand-made row) gets a digest, so a
    # name can never leave the folder.
    if _SAFE_ID.match(report_id):
        return report_id
    return "id-" + sha256(report_id.encode()).hexdigest()


def csv_file(folder: Path, report_id: str) -> Path:
    """The path of report ``report_id``'s CSV in ``folder`` (whether or not it exists)."""
    return folder / (_file_name(report_id) + _CSV)


def trigger_report(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    *,
    keep: ReportsConfig | None = None,
) -> str:
    """Start a report in a background thread and return its unguessable ``report_id``.

    ``as_of`` (a datetime or ISO 8601 text) overrides "now"; by default the report uses
    the latest poll. A bad ``as_of`` raises ``InvalidParameterError`` before anything starts.
    Once it is Complete, the reports beyond ``keep`` (default: the default settings) expire.
    """
    as_of_dt = parse_query_instant(as_of) if as_of is not None else None
    report_id = secrets.token_urlsafe(16)
    with con.cursor() as cur:
        cur.execute(
            "INSERT INTO reports (report_id, status, created_at, as_of_requested) "
            "VALUES (?, ?, now(), ?)",
            [report_id, ReportState.RUNNING.value, as_of_dt],
        )
    thread = threading.Thread(
        target=_run, args=(con, report_id, as_of_dt, keep or ReportsConfig()),
        name=f"report-{report_id[:8]}", daemon=True,
    )
    with _live_lock:
        _live[report_id] = thread
    thread.start()
    return report_id


def _run(
    con: duckdb.DuckDBPyConnection, report_id: str, as_of: datetime | None, keep: ReportsConfig
) -> None:
    # Imported here so that opening the database does not pull in the report engine.
    from loop_core.report import compute_report

    started = time.perf_counter()
    folder = reports_dir(con)
    try:
        result = compute_report(con, as_of)
        size = _write_csv(folder, report_id, result.csv.encode("utf-8"))
        with con.cursor() as cur:
            cur.execute(
                "UPDATE reports SET status = ?, finished_at = now(), as_of = ?, row_count = ?, "
                "duration_s = ?, csv_bytes = ? WHERE report_id = ?",
                [
                    ReportState.COMPLETE.value,
                    result.as_of,
                    result.row_count,
                    time.perf_counter() - started,
                    size,
                    report_id,
                ],
            )
    except Exception as e:  # noqa: BLE001 - any failure must end as Failed, never stay Running
        _remove_files(folder, [report_id])
        _mark_failed(con, report_id, f"{type(e).__name__}: {e}", time.perf_counter() - started)
        return
    finally:
        with _live_lock:
            _live.pop(report_id, None)
    try:
        expire(con, keep)
    except Exception:
        LOGGER.exception("expiring old reports failed")


def _write_csv(folder: Path, report_id: str, data: bytes) -> int:
    """Write ``data`` as the report's CSV: to a partial file, flushed, then renamed, so the
    final name only ever holds a whole file. Returns its size."""
    folder.mkdir(parents=True, exist_ok=True)
    final = csv_file(folder, report_id)
    partial = final.with_name(_file_name(report_id) + _PARTIAL)
    with partial.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, final)
    # The rename itself reaches the disk before the row says Complete.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return len(data)


def _remove_files(folder: Path, report_ids: list[str]) -> None:
    for report_id in report_ids:
        final = csv_file(folder, report_id)
        for path in (final, final.with_name(_file_name(report_id) + _PARTIAL)):
            path.unlink(missing_ok=True)


def _mark_failed(
    con: duckdb.DuckDBPyConnection, report_id: str, error: str, duration_s: float | None
) -> None:
    with con.cursor() as cur:
        cur.execute(
            "UPDATE reports SET status = ?, finished_at = now(), duration_s = ?, error = ? "
            "WHERE report_id = ?",
            [ReportState.FAILED.value, duration_s, error, report_id],
        )


def expire(
    con: duckdb.DuckDBPyConnection, keep: ReportsConfig, now: datetime | None = None
) -> list[str]:
    """Expire the Complete reports past the newest ``keep.keep_count`` or finished more
    than ``keep.keep_days`` before ``now``: their rows become ``Expired`` (keeping their
    figures), then their files are removed. Returns their ids. One small UPDATE over the
    reports table: cheap enough to run after every report."""
    now = now or datetime.now(UTC)
    try:
        cutoff: datetime | None = now - timedelta(days=keep.keep_days)
    except OverflowError:  # more days than a datetime holds: no age limit
        cutoff = None
    with con.cursor() as cur:
        rows = cur.execute(
            load_sql("jobs/expire_reports"), [keep.keep_count, cutoff, now]
        ).fetchall()
    expired = [str(row[0]) for row in rows]
    _remove_files(reports_dir(con), expired)
    return expired


def recover(con: duckdb.DuckDBPyConnection) -> int:
    """What opening the database does for report jobs; returns how many were interrupted.

    - CSVs that earlier versions kept in the database (``report_csv_pending``, migration
      011) are written out as files, each one deleted from the table once its file is in
      place.
    - ``Running`` reports that no thread of this process runs are marked ``Failed``
      (interrupted), and whatever they had written is removed.
    - Files that a crash left behind (a partial file, the file of a report that expired
      or failed) are removed. Files of report ids this database does not know are left
      alone: they belong to another database in the same folder.
    """
    folder = reports_dir(con)
    _write_pending(con, folder)
    with _live_lock:
        live = list(_live)
    with con.cursor() as cur:
        rows = cur.execute(
            "UPDATE reports SET status = ?, finished_at = now(), error = ? "
            "WHERE status = ? AND NOT list_contains(?::VARCHAR[], report_id) "
            "RETURNING report_id",
            [ReportState.FAILED.value, INTERRUPTED, ReportState.RUNNING.value, live],
        ).fetchall()
    interrupted = [str(row[0]) for row in rows]
    _remove_files(folder, interrupted)
    _remove_leftovers(con, folder, set(live))
    return len(interrupted)


def _write_pending(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    with con.cursor() as cur:
        pending = [str(r[0]) for r in cur.execute(
            "SELECT report_id FROM report_csv_pending ORDER BY report_id").fetchall()]
        for report_id in pending:
            # One at a time: a thousand stored reports would not fit in memory at once.
            row = cur.execute("SELECT csv FROM report_csv_pending WHERE report_id = ?",
                              [report_id]).fetchone()
            assert row is not None
            size = _write_csv(folder, report_id, str(row[0]).encode("utf-8"))
            with transaction(cur):
                cur.execute("UPDATE reports SET csv_bytes = ? WHERE report_id = ?",
                            [size, report_id])
                cur.execute("DELETE FROM report_csv_pending WHERE report_id = ?", [report_id])
        if pending:
            cur.execute("CHECKPOINT")  # gives the moved text's space back to the file
            LOGGER.info("moved %d stored report CSVs to %s", len(pending), folder)


def _remove_leftovers(con: duckdb.DuckDBPyConnection, folder: Path, live: set[str]) -> None:
    if not folder.is_dir():
        return
    found: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        for suffix in (_PARTIAL, _CSV):  # the longer suffix first
            if path.name.endswith(suffix):
                found.setdefault(path.name[: -len(suffix)], []).append(path)
                break
    if not found:
        return
    with con.cursor() as cur:
        statuses = dict(cur.execute(
            "SELECT report_id, status FROM reports WHERE list_contains(?::VARCHAR[], report_id)",
            [list(found)],
        ).fetchall())
    for report_id, paths in found.items():
        status = statuses.get(report_id)
        if status is None or report_id in live:
            continue  # another database's file, or a job of this process still writing
        for path in paths:
            if path.name.endswith(_PARTIAL) or status != ReportState.COMPLETE.value:
                path.unlink(missing_ok=True)


def _status(row: tuple[object, ...]) -> ReportStatus:
    state = ReportState(str(row[1]))
    return ReportStatus(
        report_id=str(row[0]),
        status=state,
        created_at=row[2],  # type: ignore[arg-type]
        finished_at=row[3],  # type: ignore[arg-type]
        as_of_requested=row[4],  # type: ignore[arg-type]
        as_of=row[5],  # type: ignore[arg-type]
        row_count=None if row[6] is None else int(row[6]),  # type: ignore[call-overload]
        duration_s=None if row[7] is None else float(row[7]),  # type: ignore[arg-type]
        error=EXPIRED if state is ReportState.EXPIRED else None if row[8] is None
        else str(row[8]),
        csv_bytes=None if row[9] is None else int(row[9]),  # type: ignore[call-overload]
        expired_at=row[10],  # type: ignore[arg-type]
    )


def get_report(con: duckdb.DuckDBPyConnection, report_id: str) -> ReportStatus:
    """The job's status; a Complete job carries the path of its CSV file (``csv_path``).

    A Complete job whose file is gone (deleted by hand, or a database copied without its
    reports folder) is recorded and answered as Expired. Unknown ids raise
    ``UnknownReportError``.
    """
    with con.cursor() as cur:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM reports WHERE report_id = ?", [report_id]
        ).fetchone()
    if row is None:
        raise UnknownReportError(f"no report with id {report_id!r}")
    status = _status(row)
    if status.status is not ReportState.COMPLETE:
        return status
    path = csv_file(reports_dir(con), report_id)
    if path.is_file():
        return replace(status, csv_path=path)
    return _expired_now(con, status)


def _expired_now(con: duckdb.DuckDBPyConnection, status: ReportStatus) -> ReportStatus:
    now = datetime.now(UTC)
    try:
        with con.cursor() as cur:
            cur.execute(
                "UPDATE reports SET status = ?, expired_at = ? WHERE report_id = ? AND status = ?",
                [ReportState.EXPIRED.value, now, status.report_id, ReportState.COMPLETE.value],
            )
    except duckdb.Error:  # a concurrent write to the row: the next read records it
        LOGGER.warning("could not record report %s as expired", status.report_id)
    return replace(status, status=ReportState.EXPIRED, expired_at=now, error=EXPIRED,
                   csv_path=None)


def open_report(
    con: duckdb.DuckDBPyConnection, report_id: str
) -> tuple[ReportStatus, BinaryIO | None]:
    """The job's status and, when Complete, its CSV file open for reading (the caller
    closes it). An open file stays whole even if the report expires while it is read."""
    status = get_report(con, report_id)
    if status.csv_path is None:
        return status, None
    try:
        return status, status.csv_path.open("rb")
    except FileNotFoundError:  # it expired between the two steps
        return _expired_now(con, status), None


def report_csv(con: duckdb.DuckDBPyConnection, report_id: str) -> bytes:
    """A Complete report's CSV, the bytes the engine produced.

    Raises ``ReportUnavailableError`` (the message says why: running, failed or expired)
    for any other job, ``UnknownReportError`` for an unknown id.
    """
    status, fh = open_report(con, report_id)
    if fh is not None:
        with fh:
            return fh.read()
    raise ReportUnavailableError(unavailable_reason(status))


def unavailable_reason(status: ReportStatus) -> str:
    """Why a job has no CSV to give, in one line."""
    if status.status is ReportState.RUNNING:
        return f"report {status.report_id!r} is still running: ask again in a moment"
    if status.status is ReportState.FAILED:
        return f"report {status.report_id!r} failed: {status.error or 'no reason recorded'}"
    return f"report {status.report_id!r} {EXPIRED}"


def list_reports(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[ReportStatus]:
    """The newest reports first (without their files)."""
    with con.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM reports ORDER BY created_at DESC LIMIT ?", [limit]
        ).fetchall()
    return [_status(row) for row in rows]


def wait_for_report(
    con: duckdb.DuckDBPyConnection, report_id: str, timeout_s: float = 60.0
) -> ReportStatus:
    """Poll until the job leaves ``Running`` or ``timeout_s`` passes; return the last status."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = get_report(con, report_id)
        if status.status is not ReportState.RUNNING or time.monotonic() > deadline:
            return status
        time.sleep(0.05)
