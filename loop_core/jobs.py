"""Report jobs: trigger in the background, poll the status, fetch the CSV.

Jobs persist in the ``reports`` table. A process that dies mid-report cannot finish
its rows, so opening the database marks every ``Running`` row left behind as
``Failed: interrupted`` (:func:`fail_orphaned_reports`).
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

import duckdb

from loop_core.errors import UnknownReportError
from loop_core.models import ReportState, ReportStatus
from loop_core.timeutil import parse_query_instant

INTERRUPTED = "interrupted: the process stopped before the report finished"

# Threads started by this process, so a report id can be told apart from an orphan.
_live: dict[str, threading.Thread] = {}
_live_lock = threading.Lock()

_COLUMNS = (
    "report_id, status, created_at, finished_at, as_of_requested, as_of, "
    "row_count, duration_s, error"
)


def trigger_report(
    con: duckdb.DuckDBPyConnection, as_of: datetime | str | None = None
) -> str:
    """Start a report in a background thread and return its unguessable ``report_id``.

    ``as_of`` (a datetime or ISO 8601 text) overrides "now"; by default the report uses
    the latest poll. A bad ``as_of`` raises ``InvalidParameterError`` before anything starts.
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
        target=_run, args=(con, report_id, as_of_dt), name=f"report-{report_id[:8]}", daemon=True
    )
    with _live_lock:
        _live[report_id] = thread
    thread.start()
    return report_id


def _run(con: duckdb.DuckDBPyConnection, report_id: str, as_of: datetime | None) -> None:
    # Imported here so that opening the database does not pull in the report engine.
    from loop_core.report import compute_report

    started = time.perf_counter()
    try:
        result = compute_report(con, as_of)
        with con.cursor() as cur:
            cur.execute(
                "UPDATE reports SET status = ?, finished_at = now(), as_of = ?, row_count = ?, "
                "duration_s = ?, csv = ? WHERE report_id = ?",
                [
                    ReportState.COMPLETE.value,
                    result.as_of,
                    result.row_count,
                    time.perf_counter() - started,
                    result.csv,
                    report_id,
                ],
            )
    except Exception as e:  # noqa: BLE001 - any failure must end as Failed, never stay Running
        _mark_failed(con, report_id, f"{type(e).__name__}: {e}", time.perf_counter() - started)
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


def fail_orphaned_reports(con: duckdb.DuckDBPyConnection) -> int:
    """Mark ``Running`` reports that no thread of this process runs as ``Failed``.

    Return how many.
    """
    with _live_lock:
        live = list(_live)
    with con.cursor() as cur:
        rows = cur.execute(
            "UPDATE reports SET status = ?, finished_at = now(), error = ? "
            "WHERE status = ? AND NOT list_contains(?::VARCHAR[], report_id) "
            "RETURNING report_id",
            [ReportState.FAILED.value, INTERRUPTED, ReportState.RUNNING.value, live],
        ).fetchall()
    return len(rows)


def _status(row: tuple[object, ...], csv: str | None = None) -> ReportStatus:
    return ReportStatus(
        report_id=str(row[0]),
        status=ReportState(str(row[1])),
        created_at=row[2],  # type: ignore[arg-type]
        finished_at=row[3],  # type: ignore[arg-type]
        as_of_requested=row[4],  # type: ignore[arg-type]
        as_of=row[5],  # type: ignore[arg-type]
        row_count=None if row[6] is None else int(row[6]),  # type: ignore[call-overload]
        duration_s=None if row[7] is None else float(row[7]),  # type: ignore[arg-type]
        error=None if row[8] is None else str(row[8]),
        csv=csv,
    )


def get_report(con: duckdb.DuckDBPyConnection, report_id: str) -> ReportStatus:
    """The job's status; a Complete job carries its CSV.

    Unknown ids raise ``UnknownReportError``.
    """
    with con.cursor() as cur:
        row = cur.execute(
            f"SELECT {_COLUMNS}, csv FROM reports WHERE report_id = ?", [report_id]
        ).fetchone()
    if row is None:
        raise UnknownReportError(f"no report with id {report_id!r}")
    return _status(row[:-1], csv=row[-1])


def list_reports(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[ReportStatus]:
    """The newest reports first, without their CSV."""
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
