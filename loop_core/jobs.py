"""Report jobs: trigger in the background, poll the status, fetch the CSV.

Jobs persist in the ``reports`` table; a Complete job's CSV is a file beside the database
(:mod:`loop_core.report_files`), so serving it never reads a large text column. A job's
steps come in the order that makes a crash harmless:

1. the row is inserted ``Running``;
2. the CSV and its gzip twin are written, each whole or not at all;
3. only then is the row marked ``Complete``, with the CSV's size;
4. its extended twin (loop_core.context, the same snapshot) is written, whole or not at
   all: it takes about as long again (the week before is a second report), so the report
   does not wait for it. Asked for before it is there, it answers "still running".

A process that dies anywhere in between leaves a ``Running`` row that nothing will finish:
opening the database (:func:`recover`) marks it ``Failed: interrupted`` and removes what it
had written. After each completed report the ones past ``[reports] keep_count`` or
``keep_days`` expire (:func:`expire`): the rows become ``Expired`` (they keep their figures)
and then their files are removed; files that a crash left behind are removed on open.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import duckdb

from loop_core import report_files
from loop_core.config import ReportsConfig, TargetsConfig
from loop_core.errors import LoopCoreError, ReportUnavailableError, UnknownReportError
from loop_core.models import ReportState, ReportStatus
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import parse_query_instant
from loop_core.transaction import transaction

INTERRUPTED = "interrupted: the process stopped before the report finished"
EXPIRED = "expired: generate it again"

LOGGER = logging.getLogger(__name__)
DEFAULT_TARGET_PCT = TargetsConfig().default_uptime_pct

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
    return _known(con).folder


@dataclass
class _Known:
    """What this process remembers of one database's reports, so that fetching a
    completed report costs no query (a query costs a millisecond or two, most of a
    request): its reports folder, and the Complete reports it has read. A Complete report
    changes only by expiring, which forgets it here first and then removes its file, and
    a remembered report is only answered while its file is there."""

    folder: Path
    complete: dict[str, ReportStatus] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, status: ReportStatus) -> None:
        with self.lock:
            if len(self.complete) >= _REMEMBERED:
                del self.complete[next(iter(self.complete))]  # the first remembered
            self.complete[status.report_id] = status

    def forget(self, report_ids: list[str]) -> None:
        with self.lock:
            for report_id in report_ids:
                self.complete.pop(report_id, None)


_REMEMBERED = 1000
_by_connection: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, _Known] = \
    weakref.WeakKeyDictionary()


def _known(con: duckdb.DuckDBPyConnection) -> _Known:
    known = _by_connection.get(con)
    if known is not None:
        return known
    with con.cursor() as cur:
        row = cur.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
    folder = report_files.folder_for(None if row is None or not row[0] else str(row[0]))
    with _live_lock:
        return _by_connection.setdefault(con, _Known(folder))


# Report ids are read aloud, typed from screenshots and passed on command lines: no
# look-alikes (0/O, 1/l/I), no capitals, and no '-' that a shell tool takes for an option.
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ID_LENGTH = 22  # 31 symbols: 109 bits, as unguessable as the 16 random bytes used before


def new_report_id() -> str:
    """A fresh, unguessable report id made of :data:`ID_ALPHABET` only."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def trigger_report(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    *,
    keep: ReportsConfig | None = None,
    default_target_pct: float = DEFAULT_TARGET_PCT,
) -> str:
    """Start a report in a background thread and return its unguessable ``report_id``.

    ``as_of`` (a datetime or ISO 8601 text) overrides "now"; by default the report uses
    the latest poll. A bad ``as_of`` raises ``InvalidParameterError`` before anything starts.
    Once it is Complete, the reports beyond ``keep`` (default: the default settings) expire.
    Its extended twin measures targets against ``default_target_pct`` where the stores
    feed gives none (``[targets] default_uptime_pct``).
    """
    as_of_dt = parse_query_instant(as_of) if as_of is not None else None
    report_id = new_report_id()
    with con.cursor() as cur:
        cur.execute(
            "INSERT INTO reports (report_id, status, created_at, as_of_requested) "
            "VALUES (?, ?, now(), ?)",
            [report_id, ReportState.RUNNING.value, as_of_dt],
        )
    thread = threading.Thread(
        target=_run,
        args=(con, report_id, as_of_dt, keep or ReportsConfig(), default_target_pct),
        name=f"report-{report_id[:8]}", daemon=True,
    )
    with _live_lock:
        _live[report_id] = thread
    thread.start()
    return report_id


def _run(
    con: duckdb.DuckDBPyConnection, report_id: str, as_of: datetime | None, keep: ReportsConfig,
    default_target_pct: float,
) -> None:
    # Imported here so that opening the database does not pull in the report engine.
    from loop_core.context import extended_report

    started = time.perf_counter()
    folder = reports_dir(con)
    completed = False

    def complete(now: datetime, csv: str, row_count: int) -> None:
        # The standard CSV is known: the report is Complete now, its twin follows.
        nonlocal completed
        size = report_files.write(folder, report_id, csv.encode("utf-8"))
        with con.cursor() as cur:
            cur.execute(
                "UPDATE reports SET status = ?, finished_at = now(), as_of = ?, "
                "row_count = ?, duration_s = ?, csv_bytes = ? WHERE report_id = ?",
                [ReportState.COMPLETE.value, now, row_count, time.perf_counter() - started,
                 size, report_id],
            )
        completed = True

    try:
        try:
            # Both CSVs from one snapshot: the twin starts with the very same lines.
            result = extended_report(con, as_of, default_target_pct=default_target_pct,
                                     on_standard=complete)
            report_files.write_extended(folder, report_id, result.extended_csv.encode("utf-8"))
        except Exception as e:  # any failure must end as Failed (or logged), never Running
            if completed:  # only the twin is missing: asking for it says so
                LOGGER.exception("the extended CSV of report %s failed", report_id)
            else:
                report_files.remove(folder, [report_id])
                _mark_failed(con, report_id, f"{type(e).__name__}: {e}",
                             time.perf_counter() - started)
                return
        try:
            expire(con, keep)
        except Exception:  # the report is Complete: the next one expires again
            LOGGER.exception("expiring old reports failed")
    finally:
        with _live_lock:
            _live.pop(report_id, None)


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
    known = _known(con)
    known.forget(expired)
    report_files.remove(known.folder, expired)
    return expired


def recover(con: duckdb.DuckDBPyConnection) -> int:
    """What opening the database does for report jobs; returns how many were interrupted.

    - CSVs that earlier versions kept in the database (``report_csv_pending``, migration
      011) are written out as files, each one deleted from the table once its file is in
      place.
    - ``Running`` reports that no thread of this process runs are marked ``Failed``
      (interrupted).
    - Files that a crash left behind are removed: a partial file, or any file of a report
      that failed (so also of those just interrupted) or expired. Files of report ids
      this database does not know are left alone: another database in the same folder
      owns them.
    """
    folder = reports_dir(con)
    try:
        _write_pending(con, folder)
    except OSError as e:  # e.g. a read-only folder: one line, and the CSVs stay pending
        raise LoopCoreError(f"cannot write the report files in {folder}: {e}") from e
    with _live_lock:
        live = list(_live)
    with con.cursor() as cur:
        rows = cur.execute(
            "UPDATE reports SET status = ?, finished_at = now(), error = ? "
            "WHERE status = ? AND NOT list_contains(?::VARCHAR[], report_id) "
            "RETURNING report_id",
            [ReportState.FAILED.value, INTERRUPTED, ReportState.RUNNING.value, live],
        ).fetchall()
    try:
        _remove_leftovers(con, folder, set(live))
    except OSError as e:  # left for the next open: they are not served
        LOGGER.warning("could not remove leftover report files in %s: %s", folder, e)
    return len(rows)


def _write_pending(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    with con.cursor() as cur:
        pending = [str(r[0]) for r in cur.execute(
            "SELECT report_id FROM report_csv_pending ORDER BY report_id").fetchall()]
        for report_id in pending:
            # One at a time: a thousand stored reports would not fit in memory at once.
            row = cur.execute("SELECT csv FROM report_csv_pending WHERE report_id = ?",
                              [report_id]).fetchone()
            assert row is not None
            size = report_files.write(folder, report_id, str(row[0]).encode("utf-8"))
            with transaction(cur):
                cur.execute("UPDATE reports SET csv_bytes = ? WHERE report_id = ?",
                            [size, report_id])
                cur.execute("DELETE FROM report_csv_pending WHERE report_id = ?", [report_id])
        if pending:
            cur.execute("CHECKPOINT")  # gives the moved text's space back to the file
            LOGGER.info("moved %d stored report CSVs to %s", len(pending), folder)


def _remove_leftovers(con: duckdb.DuckDBPyConnection, folder: Path, live: set[str]) -> None:
    found = report_files.present(folder)
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
            if path.name.endswith(report_files.PARTIAL) or status != ReportState.COMPLETE.value:
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
    known = _known(con)
    remembered = known.complete.get(report_id)
    if remembered is not None and remembered.csv_path is not None \
            and remembered.csv_path.is_file():
        return remembered
    with con.cursor() as cur:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM reports WHERE report_id = ?", [report_id]
        ).fetchone()
    if row is None:
        raise UnknownReportError(f"no report with id {report_id!r}")
    status = _status(row)
    if status.status is not ReportState.COMPLETE:
        return status
    path = report_files.csv_file(known.folder, report_id)
    if not path.is_file():
        return _expired_now(con, status)
    found = replace(status, csv_path=path)
    known.remember(found)
    return found


def _expired_now(con: duckdb.DuckDBPyConnection, status: ReportStatus) -> ReportStatus:
    _known(con).forget([status.report_id])
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


@dataclass(frozen=True)
class OpenCsv:
    """A report's CSV file, open for reading: ``size`` bytes, gzip-compressed when
    ``compressed`` (its ``.csv.gz`` twin)."""

    file: BinaryIO
    size: int
    compressed: bool


def open_report(
    con: duckdb.DuckDBPyConnection, report_id: str, *, compressed: bool = False,
    extended: bool = False,
) -> tuple[ReportStatus, OpenCsv | None]:
    """The job's status and, when Complete, its CSV file open for reading (the caller
    closes it): the gzip twin if ``compressed`` and it is there, else the plain CSV. An
    open file stays whole even if the report expires while it is read.

    ``extended``: its extended twin instead (never compressed); a report completed before
    reports had one raises ``ReportUnavailableError``."""
    status = get_report(con, report_id)
    if status.csv_path is None:
        return status, None
    if extended:
        path = report_files.csv_file(status.csv_path.parent, report_id, extended=True)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            with _live_lock:
                writing = report_id in _live
            if writing:  # the job is still writing it
                return replace(status, status=ReportState.RUNNING, csv_path=None), None
            if status.csv_path.is_file():
                raise ReportUnavailableError(
                    f"report {report_id!r} has no extended CSV (it was made before reports "
                    "had one): generate it again") from None
            return _expired_now(con, status), None
        return status, OpenCsv(fh, os.fstat(fh.fileno()).st_size, False)
    twin = report_files.csv_file(status.csv_path.parent, report_id, compressed=True)
    for path in [twin, status.csv_path] if compressed else [status.csv_path]:
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            continue
        return status, OpenCsv(fh, os.fstat(fh.fileno()).st_size, path == twin)
    return _expired_now(con, status), None  # it expired between the two steps


def report_csv(
    con: duckdb.DuckDBPyConnection, report_id: str, *, extended: bool = False
) -> bytes:
    """A Complete report's CSV, the bytes the engine produced (``extended``: its extended
    twin, loop_core.context.EXTENDED_COLUMNS).

    Raises ``ReportUnavailableError`` (the message says why: running, failed or expired,
    or no extended twin) for any other job, ``UnknownReportError`` for an unknown id.
    """
    status, opened = open_report(con, report_id, extended=extended)
    if opened is not None:
        with opened.file as fh:
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
    """Poll until the job leaves ``Running`` and its thread has ended (the expiry that
    follows a report included), or ``timeout_s`` passes; return the last status."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = get_report(con, report_id)
        if status.status is not ReportState.RUNNING or time.monotonic() > deadline:
            with _live_lock:
                thread = _live.get(report_id)
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
            return status
        time.sleep(0.05)
