"""Syncing the feeds from a source into the database, once or on a schedule.

:func:`sync_once` asks the source for each feed's current version, skips a version
whose fingerprint matches the last *successful* sync of that file, downloads the others
into a temporary directory (the source verifies them) and only then ingests them, each
in its own transaction. A cut-off download therefore never reaches the database, and one
failing file does not stop the others. Every run and every file's outcome is recorded in
``sync_runs`` / ``sync_files``.

DuckDB allows one writing process per file, so the hourly sync runs inside the
dashboard's process: :class:`SyncScheduler` is a daemon thread the UI starts once per
server. Syncs in one process never overlap (a module lock serialises them).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import duckdb

from loop_core.errors import LoopCoreError, SnapshotShrinkError
from loop_core.models import Feed, LoadSummary
from loop_core.sources import FileNotReadyError, RemoteFile, Source

LOGGER = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the process stopped before the sync finished"

# One sync at a time per process: the scheduler, "Sync now" and the CLI share it. A run
# still marked running when the lock is free was therefore left behind by a dead process.
_sync_lock = threading.Lock()


class SyncOutcome(StrEnum):
    """How a whole run ended."""

    RUNNING = "running"
    OK = "ok"  # every file loaded, unchanged or skipped
    PARTIAL = "partial"  # some files failed, others did not
    FAILED = "failed"  # nothing could be synced


class FileOutcome(StrEnum):
    """What a run did with one feed's file."""

    LOADED = "loaded"  # downloaded and ingested: the database changed
    UNCHANGED = "unchanged"  # downloaded, but ingestion had already loaded identical bytes
    SKIPPED = "skipped"  # not downloaded: unchanged since the last success, absent, not ready
    FAILED = "failed"  # not loaded; the message says why
    HELD_BACK = "held back"  # a snapshot that would drop most stores: the old one stays


SUCCESSFUL = (FileOutcome.LOADED, FileOutcome.UNCHANGED)


@dataclass(frozen=True)
class FileResult:
    """One feed's outcome in one run."""

    feed: Feed
    outcome: FileOutcome
    message: str
    remote: RemoteFile | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    load_id: int | None = None

    def describe(self) -> str:
        """One human line, e.g. ``store_status: loaded — store_status.csv: 12 loaded, …``."""
        return f"{self.feed}: {self.outcome} — {self.message}"


@dataclass(frozen=True)
class SyncResult:
    """One sync run: when, from where, how it ended, and each feed's outcome."""

    run_id: int
    source: str
    source_label: str
    triggered_by: str
    started_at: datetime
    finished_at: datetime | None
    outcome: SyncOutcome
    message: str | None
    files: tuple[FileResult, ...]

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return self.outcome is SyncOutcome.OK

    def describe(self) -> str:
        """A few human lines: the run, then one line per feed."""
        head = f"sync #{self.run_id} from {self.source_label}: {self.outcome}"
        if self.message:
            head += f" — {self.message}"
        return "\n".join([head, *("  " + f.describe() for f in self.files)])


def sync_once(
    con: duckdb.DuckDBPyConnection, source: Source, *, triggered_by: str = "manual"
) -> SyncResult:
    """Sync every feed of ``source`` into the database once and record the run.

    Never raises for a problem with the source or a file: those end up in the result (and
    in ``sync_runs`` / ``sync_files``). Database errors while recording do propagate.
    """
    with _sync_lock:
        _fail_orphaned_runs(con)
        label = _describe(source)
        run_id, _started_at = _start_run(con, source.kind, label, triggered_by)
        try:
            feeds = source.feeds()
        except Exception as e:  # noqa: BLE001 - any source problem ends the run as failed
            return _finish_run(con, run_id, (), _error_text(e))
        results = tuple(_sync_feed(con, source, run_id, feed) for feed in feeds)
        return _finish_run(con, run_id, results, None)


def record_failed_sync(
    con: duckdb.DuckDBPyConnection,
    message: str,
    *,
    source: str = "unknown",
    source_label: str = "no source",
    triggered_by: str = "manual",
) -> SyncResult:
    """Record a run that failed before it could start (no source configured, bad credentials)."""
    with _sync_lock:
        _fail_orphaned_runs(con)
        run_id, _ = _start_run(con, source, source_label, triggered_by)
        return _finish_run(con, run_id, (), message)


def _describe(source: Source) -> str:
    try:
        return source.describe()
    except Exception:  # noqa: BLE001 - a label is not worth failing a sync for
        return source.kind


def _error_text(e: BaseException) -> str:
    if isinstance(e, LoopCoreError):
        return str(e)
    return f"{type(e).__name__}: {e}"


def _sync_feed(
    con: duckdb.DuckDBPyConnection, source: Source, run_id: int, feed: Feed
) -> FileResult:
    remote: RemoteFile | None = None
    try:
        remote = source.current_version(feed)
        if remote is None:
            message = f"{_describe(source)} has no file for it"
            result = FileResult(feed, FileOutcome.SKIPPED, message)
        else:
            previous = _last_success(con, feed, remote.remote_id)
            if previous is not None and previous[0] == remote.fingerprint:
                result = FileResult(
                    feed,
                    FileOutcome.SKIPPED,
                    f"{remote.name} unchanged since the sync of {previous[1]:%Y-%m-%d %H:%M} UTC",
                    remote,
                )
            else:
                result = _download_and_ingest(con, source, remote)
    except FileNotReadyError as e:
        result = FileResult(feed, FileOutcome.SKIPPED, str(e), remote)
    except SnapshotShrinkError as e:  # a person must confirm it (Data page or CLI)
        LOGGER.warning("sync of %s held back: %s", feed, e)
        result = FileResult(feed, FileOutcome.HELD_BACK, str(e), remote)
    except Exception as e:  # noqa: BLE001 - one file's failure must not stop the others
        LOGGER.warning("sync of %s failed: %s", feed, e)
        result = FileResult(feed, FileOutcome.FAILED, _error_text(e), remote)
    _record_file(con, run_id, result)
    return result


def _download_and_ingest(
    con: duckdb.DuckDBPyConnection, source: Source, remote: RemoteFile
) -> FileResult:
    # Imported here so that the sync log can be read without the ingestion machinery.
    from loop_core.ingest import ingest_file

    with tempfile.TemporaryDirectory(prefix="loop-sync-") as tmp:
        path = Path(tmp) / f"{remote.feed}.csv"
        # Raises SyncError for a cut-off or corrupt download: nothing reaches ingestion.
        source.download(remote, path)
        summary: LoadSummary = ingest_file(
            con, remote.feed, path, source=source.kind, file_name=remote.name
        )
    if summary.unchanged:
        outcome = FileOutcome.UNCHANGED
        message = f"{remote.name}: identical to the file already loaded"
    else:
        outcome = FileOutcome.LOADED
        message = (
            f"{remote.name}: {summary.rows_loaded} loaded, {summary.rows_duplicate} "
            f"duplicates, {summary.rows_rejected} rejected"
        )
    return FileResult(
        remote.feed,
        outcome,
        message,
        remote,
        rows_loaded=0 if summary.unchanged else summary.rows_loaded,
        rows_rejected=0 if summary.unchanged else summary.rows_rejected,
        load_id=summary.load_id,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _start_run(
    con: duckdb.DuckDBPyConnection, source: str, label: str, triggered_by: str
) -> tuple[int, datetime]:
    started_at = _now()
    with con.cursor() as cur:
        row = cur.execute(
            "INSERT INTO sync_runs (run_id, source, source_label, triggered_by, started_at, "
            "outcome) VALUES (nextval('sync_run_id_seq'), ?, ?, ?, ?, ?) RETURNING run_id",
            [source, label, triggered_by, started_at, SyncOutcome.RUNNING.value],
        ).fetchone()
    assert row is not None
    return int(row[0]), started_at


def _finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    files: tuple[FileResult, ...],
    message: str | None,
) -> SyncResult:
    # A held-back snapshot is a problem to report, like a failed file.
    failed = [f for f in files if f.outcome in (FileOutcome.FAILED, FileOutcome.HELD_BACK)]
    if message is not None or (files and len(failed) == len(files)):
        outcome = SyncOutcome.FAILED
    elif failed:
        outcome = SyncOutcome.PARTIAL
    else:
        outcome = SyncOutcome.OK
    if message is None and failed:
        message = "; ".join(f.describe() for f in failed)
    with con.cursor() as cur:
        cur.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = ?, message = ? WHERE run_id = ?",
            [_now(), outcome.value, message, run_id],
        )
    results = last_syncs(con, 1, run_id=run_id)
    # Keep the live RemoteFile objects (the log only stores part of them).
    return _with_files(results[0], files)


def _with_files(run: SyncResult, files: tuple[FileResult, ...]) -> SyncResult:
    return SyncResult(
        run.run_id,
        run.source,
        run.source_label,
        run.triggered_by,
        run.started_at,
        run.finished_at,
        run.outcome,
        run.message,
        files,
    )


def _record_file(con: duckdb.DuckDBPyConnection, run_id: int, result: FileResult) -> None:
    remote = result.remote
    with con.cursor() as cur:
        cur.execute(
            "INSERT INTO sync_files (run_id, feed, remote_id, remote_name, fingerprint, "
            "md5_checksum, modified_time, size_bytes, outcome, rows_loaded, rows_rejected, "
            "load_id, message, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                result.feed.value,
                remote.remote_id if remote else None,
                remote.name if remote else None,
                remote.fingerprint if remote else None,
                remote.md5_checksum if remote else None,
                remote.modified_time if remote else None,
                remote.size if remote else None,
                result.outcome.value,
                result.rows_loaded,
                result.rows_rejected,
                result.load_id,
                result.message,
                _now(),
            ],
        )


def _last_success(
    con: duckdb.DuckDBPyConnection, feed: Feed, remote_id: str
) -> tuple[str, datetime] | None:
    with con.cursor() as cur:
        row = cur.execute(
            "SELECT f.fingerprint, r.started_at FROM sync_files f "
            "JOIN sync_runs r USING (run_id) "
            "WHERE f.feed = ? AND f.remote_id = ? AND f.outcome IN (?, ?) "
            "ORDER BY f.run_id DESC LIMIT 1",
            [feed.value, remote_id, *(o.value for o in SUCCESSFUL)],
        ).fetchone()
    if row is None:
        return None
    return str(row[0]), row[1]


def _fail_orphaned_runs(con: duckdb.DuckDBPyConnection) -> None:
    # Called with _sync_lock held: no run of this process is in progress, and DuckDB lets
    # no other process write this file, so any run still "running" died with its process.
    with con.cursor() as cur:
        cur.execute(
            "UPDATE sync_runs SET outcome = ?, finished_at = ?, message = ? WHERE outcome = ?",
            [SyncOutcome.FAILED.value, _now(), INTERRUPTED, SyncOutcome.RUNNING.value],
        )


_RUN_COLUMNS = (
    "run_id, source, source_label, triggered_by, started_at, finished_at, outcome, message"
)
_FILE_COLUMNS = (
    "run_id, feed, remote_id, remote_name, fingerprint, md5_checksum, modified_time, "
    "size_bytes, outcome, rows_loaded, rows_rejected, load_id, message"
)


def last_syncs(
    con: duckdb.DuckDBPyConnection, limit: int = 20, *, run_id: int | None = None
) -> list[SyncResult]:
    """The newest sync runs first, each with its files' outcomes (for the Data page).

    ``run_id`` restricts the answer to that one run.
    """
    where = "WHERE run_id = ?" if run_id is not None else ""
    params: list[object] = [run_id] if run_id is not None else []
    with con.cursor() as cur:
        runs = cur.execute(
            f"SELECT {_RUN_COLUMNS} FROM sync_runs {where} ORDER BY run_id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        ids = [int(r[0]) for r in runs]
        files = (
            cur.execute(
                f"SELECT {_FILE_COLUMNS} FROM sync_files WHERE list_contains(?, run_id) "
                "ORDER BY run_id, feed",
                [ids],
            ).fetchall()
            if ids
            else []
        )
    by_run: dict[int, list[FileResult]] = {}
    for f in files:
        by_run.setdefault(int(f[0]), []).append(_file_result(f))
    return [
        SyncResult(
            run_id=int(r[0]),
            source=str(r[1]),
            source_label=str(r[2]),
            triggered_by=str(r[3]),
            started_at=r[4],
            finished_at=r[5],
            outcome=SyncOutcome(str(r[6])),
            message=None if r[7] is None else str(r[7]),
            files=tuple(by_run.get(int(r[0]), [])),
        )
        for r in runs
    ]


def _file_result(row: tuple[object, ...]) -> FileResult:
    feed = Feed(str(row[1]))
    remote = None
    if row[2] is not None:
        remote = RemoteFile(
            feed=feed,
            remote_id=str(row[2]),
            name=str(row[3]),
            fingerprint=str(row[4]),
            md5_checksum=None if row[5] is None else str(row[5]),
            modified_time=row[6],  # type: ignore[arg-type]
            size=None if row[7] is None else int(row[7]),  # type: ignore[call-overload]
        )
    return FileResult(
        feed=feed,
        outcome=FileOutcome(str(row[8])),
        message=str(row[12]),
        remote=remote,
        rows_loaded=int(row[9]),  # type: ignore[call-overload]
        rows_rejected=int(row[10]),  # type: ignore[call-overload]
        load_id=None if row[11] is None else int(row[11]),  # type: ignore[call-overload]
    )


def last_run_started_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the newest recorded sync run started (``None`` before the first one)."""
    with con.cursor() as cur:
        row = cur.execute("SELECT max(started_at) FROM sync_runs").fetchone()
    return None if row is None else row[0]


class SyncScheduler:
    """Runs :func:`sync_once` every ``interval_s`` seconds in a daemon thread.

    ``source_factory`` is called for every run, so a configuration or credentials error
    is recorded as a failed run instead of stopping the thread; no exception ever ends
    the thread. The first run comes one interval after the last recorded run (at once if
    that is overdue), so restarting the server does not sync again straight away.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source_factory: Callable[[], Source],
        interval_s: float,
        *,
        name: str = "loop-sync",
        after_run: Callable[[SyncResult], None] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._after_run = after_run  # e.g. the alerts' evaluation, after every run
        self._con = con
        self._factory = source_factory
        self.interval_s = interval_s
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._last_result: SyncResult | None = None
        self._next_run_at: datetime | None = None

    @property
    def running(self) -> bool:
        """True while the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def last_result(self) -> SyncResult | None:
        """The outcome of this scheduler's latest run (scheduled or ``run_now``)."""
        with self._state_lock:
            return self._last_result

    @property
    def next_run_at(self) -> datetime | None:
        """When the thread will sync next (``None`` when it is not running)."""
        with self._state_lock:
            return self._next_run_at if self.running else None

    def start(self) -> None:
        """Start the thread (does nothing if it already runs)."""
        with self._state_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the thread to stop and wait up to ``timeout_s`` for a run in progress to end."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def run_now(self, triggered_by: str = "manual") -> SyncResult:
        """Sync now in the calling thread (waiting for a scheduled run in progress) and
        return the result; never raises."""
        return self._run_guarded(triggered_by)

    def _first_delay(self) -> float:
        try:
            last = last_run_started_at(self._con)
        except Exception:  # noqa: BLE001 - an unreadable log just means "sync now"
            return 0.0
        if last is None:
            return 0.0
        due = last + timedelta(seconds=self.interval_s)
        return max(0.0, (due - _now()).total_seconds())

    def _loop(self) -> None:
        delay = self._first_delay()
        while True:
            with self._state_lock:
                self._next_run_at = _now() + timedelta(seconds=delay)
            if self._stop.wait(delay):
                return
            self._run_guarded("schedule")
            delay = self.interval_s

    def _run_guarded(self, triggered_by: str) -> SyncResult:
        try:
            try:
                source = self._factory()
            except Exception as e:  # noqa: BLE001 - a bad configuration is a failed run
                result = record_failed_sync(
                    self._con, _error_text(e), triggered_by=triggered_by
                )
            else:
                result = sync_once(self._con, source, triggered_by=triggered_by)
        except Exception as e:
            LOGGER.exception("sync run failed")
            result = self._fallback(e, triggered_by)
        with self._state_lock:
            self._last_result = result
        if self._after_run is not None:
            try:
                self._after_run(result)
            except Exception:
                LOGGER.exception("the after-sync hook failed")
        return result

    def _fallback(self, error: Exception, triggered_by: str) -> SyncResult:
        # Recording the failure may fail too (e.g. the database itself is broken): then the
        # result lives only in memory, and the thread carries on.
        try:
            return record_failed_sync(self._con, _error_text(error), triggered_by=triggered_by)
        except Exception:
            LOGGER.exception("could not record the failed sync run")
            now = _now()
            return SyncResult(
                0, "unknown", "no source", triggered_by, now, now,
                SyncOutcome.FAILED, _error_text(error), (),
            )
