"""What starts and stops with the server process, in one place.

:func:`start` opens the database, expires old reports, loads the first-start sample into an
empty one, starts the hourly sync, the alerts, the demo feed and the daily compaction, and
warms the heavy caches. ``serve.py`` calls it from the ``st.App`` lifespan, so all of this
happens when the server starts, before any page is opened (an API-only server syncs too),
and :func:`stop` ends the sync thread when it shuts down.

A script run outside that server (``streamlit run app.py``, AppTest) calls :func:`ensure`,
which starts the same services on first use, and again when the settings changed (tests
point the app at another database through ``LOOP_DB``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from streamlit.logger import get_logger

from loop_core import alerts, audit, bootstrap, compaction, config, db, digest, jobs
from loop_core.config import AlertConfig, Settings
from loop_core.errors import LoopCoreError, ServiceUnavailableError
from loop_core.sync import SyncScheduler

# Streamlit's logger setup: these lines reach the server's log at its log level (info).
LOGGER = get_logger(__name__)


class NotStartedError(ServiceUnavailableError):
    """The server's services are not running (yet, or any more)."""


@dataclass(frozen=True)
class Services:
    """The process's running parts: its settings, its connection and its sync thread."""

    settings: Settings
    con: duckdb.DuckDBPyConnection
    sample: bootstrap.SampleLoad | None  # what the first start loaded (None: nothing)
    scheduler: SyncScheduler | None  # None when no sync source is configured
    pinned: bool = False  # started by the server's lifespan: settings are not re-read
    alert_ticker: AlertTicker | None = None  # None when no alert channel is configured
    demo_feed: DemoFeed | None = None  # None unless the sample advances hour by hour
    compactor: Compactor | None = None  # None when retention is off (polls_days = 0)
    digest_ticker: DigestTicker | None = None  # None without a channel or with it off

    def stop(self) -> None:
        """Stop the sync, alert, demo, compaction and digest threads (waits for a run in
        progress)."""
        for part in (self.scheduler, self.alert_ticker, self.demo_feed, self.compactor,
                     self.digest_ticker):
            if part is not None:
                part.stop()

    def after_load(self) -> None:
        """Evaluate alerts after a load (in the background: a page must not wait)."""
        if self.alert_ticker is not None:
            self.alert_ticker.poke()


class DemoFeed:
    """While the database holds only the sample and no source is configured, appends the
    sample's next hour of polls a minute after every hour (bootstrap.advance_demo), then
    lets the alerts look at it. It ends itself once real data replaced the sample. (The
    hours missed while the server was down are caught up by :func:`start`.)"""

    def __init__(self, con: duckdb.DuckDBPyConnection, ticker: AlertTicker | None) -> None:
        self._con, self._ticker = con, ticker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="loop-demo-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        # start() caught up already: the first new hour is due a minute after the next hour.
        while not self._stop.is_set():
            now = bootstrap.current_hour()
            wait = (now + timedelta(hours=1, minutes=1) - datetime.now(UTC)).total_seconds()
            if self._stop.wait(max(1.0, wait)):
                return
            try:
                if bootstrap.advance_demo(self._con) is None:
                    return  # real data replaced the sample: the demo is over
                if self._ticker is not None:
                    self._ticker.poke()
            except Exception:
                LOGGER.exception("the demo feed failed")


class _Periodic:
    """A daemon thread that runs ``_once`` ``first_after_s`` after it starts, then every
    ``every_s`` seconds and at once when poked. One run at a time; errors are logged, never
    raised. ``runs`` counts the finished runs (tests wait on it). A subclass sets its own
    fields before calling ``__init__``: the thread starts there."""

    thread_name = "loop-periodic"
    failure = "a background task failed"

    def __init__(self, con: duckdb.DuckDBPyConnection, *, every_s: float,
                 first_after_s: float = 0.0) -> None:
        self._con, self._every_s, self._first_after_s = con, every_s, first_after_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.runs = 0
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def _once(self) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        wait = self._first_after_s
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._once()
            except Exception:
                LOGGER.exception(self.failure)
            self.runs += 1
            wait = self._every_s


class Compactor(_Periodic):
    """Moves polls older than ``[retention] polls_days`` into the Parquet archive once a
    day (compaction.compact), starting ``first_after_s`` after the server started. The
    write it holds the database for is one short transaction under the load lock; running
    pages read the same figures before and after it."""

    thread_name = "loop-compaction"
    failure = "compaction failed"

    def __init__(self, con: duckdb.DuckDBPyConnection, keep_days: int, *,
                 first_after_s: float = 300.0, every_s: float = 86_400.0) -> None:
        self._keep_days = keep_days
        super().__init__(con, every_s=every_s, first_after_s=first_after_s)

    def _once(self) -> None:
        result = compaction.compact(self._con, self._keep_days)
        if result.polls_moved or result.stores_rebuilt:
            LOGGER.info("compaction: moved %s polls from before %s into %s file(s)",
                        result.polls_moved, result.cutoff, len(result.files_written))


class AlertTicker(_Periodic):
    """Evaluates and delivers alerts at start, every ``every_s`` seconds and whenever poked
    (after a load or a sync): a stale feed is noticed without any load, and failed
    deliveries are retried."""

    thread_name = "loop-alerts"
    failure = "alert evaluation failed"

    def __init__(self, con: duckdb.DuckDBPyConnection, config: AlertConfig,
                 every_s: float = 300.0) -> None:
        self._config = config
        super().__init__(con, every_s=every_s)

    def _once(self) -> None:
        alerts.run(self._con, self._config)


class DigestTicker(_Periodic):
    """Sends the weekly digest when it is due ([digest]; digest.send_if_due), checking
    every ``every_s`` seconds: the digest of a week is written once, also across restarts
    (the database records it)."""

    thread_name = "loop-digest"
    failure = "the weekly digest failed"

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings,
                 every_s: float = 300.0) -> None:
        self._settings = settings
        super().__init__(con, every_s=every_s)

    def _once(self) -> None:
        sent = digest.send_if_due(self._con, self._settings)
        if sent is not None:
            LOGGER.info("weekly digest written (message %s)", sent.message_id)


_lock = threading.Lock()
_current: Services | None = None
_start_error: str | None = None  # why the server's start failed, until a start succeeds


def start(
    settings: Settings | None = None, *, warm: bool = True, pinned: bool = False
) -> Services:
    """Start the services for ``settings`` (default: :func:`config.load`), or return the
    running ones if they were started with the same settings. ``pinned`` (the server's
    lifespan) keeps them for the life of the process: :func:`ensure` then reads nothing."""
    global _current, _start_error
    settings = settings or config.load()
    with _lock:
        if _current is not None and _current.settings == settings:
            return _current
        if _current is not None:
            _current.stop()
            _current = None
        con = db.connect(settings.db_path, memory_limit=settings.memory_limit)
        # Reports expire after each new one; a lower keep_count or keep_days applies now.
        jobs.expire(con, settings.reports)
        audit.record(con, audit.SERVER, audit.Action.SERVER_START,
                     details=audit.settings_in_force(settings))
        sample = _first_data(con, settings)
        demo = settings.sample and settings.demo_feed and bootstrap.is_sample_only(con)
        if demo:
            # Catch up on the hours the server was down before anything reads the data:
            # the first alert evaluation and the warm caches then see the current hour.
            _advance_demo(con)
        ticker = AlertTicker(con, settings.alerts) if settings.alerts.configured else None
        feed = DemoFeed(con, ticker) if demo else None
        scheduler = _scheduler(con, settings, ticker)
        compactor = Compactor(con, settings.polls_days) if settings.polls_days else None
        digests = DigestTicker(con, settings) \
            if settings.alerts.configured and settings.digest.enabled else None
        _current = Services(settings, con, sample, scheduler, pinned, ticker, feed, compactor,
                            digests)
        _start_error = None
        services = _current
    LOGGER.info(
        "services started: database %s, %s, sync %s", settings.db_path,
        "sample loaded" if sample is not None else "no sample load",
        f"every {settings.sync.interval_minutes:g} min from {settings.sync.source}"
        if scheduler is not None else "not configured",
    )
    if warm:
        from ui import caches  # the Streamlit side; imported only when there is one

        caches.warm(services)
    return services


def _first_data(con: duckdb.DuckDBPyConnection, settings: Settings) -> bootstrap.SampleLoad | None:
    """The sample for an empty database, unless a real source is configured: then the
    source's files are the data, and a sample left from before is removed at once rather
    than at the first real load (whose sync may take a while, or fail)."""
    if settings.sync.configured:
        if bootstrap.is_sample_only(con):
            undone = bootstrap.remove_sample_data(con)
            LOGGER.info("a sync source is configured: removed the sample (%d loads)", undone)
        return None
    if not settings.sample:
        return None
    # With the demo feed on, the sample ends at the current hour and then advances.
    end = bootstrap.current_hour() if settings.demo_feed else None
    return bootstrap.ensure_sample_data(con, end=end)


def _advance_demo(con: duckdb.DuckDBPyConnection) -> None:
    try:
        bootstrap.advance_demo(con)
    except LoopCoreError as e:  # the demo is a nicety: the server starts all the same
        LOGGER.error("the demo feed could not catch up: %s", e)


def _scheduler(
    con: duckdb.DuckDBPyConnection, settings: Settings, ticker: AlertTicker | None
) -> SyncScheduler | None:
    if not settings.sync.configured:
        return None

    def source() -> Any:
        # Imported per run: the Google client is slow to import and only Drive needs it.
        from loop_core.drive import make_source

        return make_source(settings.sync)

    scheduler = SyncScheduler(con, source, settings.sync.interval_s,
                              after_run=None if ticker is None else lambda _: ticker.poke())
    scheduler.start()
    return scheduler


def ensure(*, warm: bool = True) -> Services:
    """The running services, started (or restarted) for the current settings if needed.
    Under the server (pinned services) this reads no setting at all."""
    services = _current
    if services is not None and services.pinned:
        return services
    return start(config.load(), warm=warm)


def current() -> Services:
    """The running services; raises :class:`NotStartedError` before :func:`start`."""
    services = _current
    if services is None:
        if _start_error is not None:
            raise NotStartedError(f"the server could not start: {_start_error}")
        raise NotStartedError("the server is still starting; try again in a moment")
    return services


def stop() -> None:
    """Stop the running services (the sync thread); the connection stays open."""
    global _current
    with _lock:
        services, _current = _current, None
    if services is not None:
        services.stop()
        LOGGER.info("services stopped: the sync thread has ended")


def lifespan(
    settings: Settings,
) -> Callable[[Any], AbstractAsyncContextManager[dict[str, Any] | None]]:
    """The ``st.App(lifespan=...)`` hook: start the services with the server, stop them
    when it shuts down. Start-up work runs off the event loop."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[dict[str, Any] | None]:
        global _start_error
        try:
            await asyncio.to_thread(lambda: start(settings, pinned=True))
        except LoopCoreError as e:
            # The server stays up and says why: /healthz answers 503 with this reason and
            # every page shows it (a page view tries again, e.g. once a lock is released).
            _start_error = str(e)
            LOGGER.error("could not start the services: %s", e)
        try:
            yield None
        finally:
            await asyncio.to_thread(stop)

    return run
