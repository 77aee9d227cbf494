"""What every dashboard page shares: the cached connection, cached engine calls, the
error boundary and the sidebar. The only UI module besides the pages; ``loop_core``
never imports streamlit, so every cache lives here.

Caches of data are keyed by the database path and ``fleet.data_version`` (the newest
load id), so a load, an upload or a sync invalidates them at once; the ``ttl`` only bounds
memory.
"""

from __future__ import annotations

import logging
import os
import runpy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st
from streamlit import config

from loop_core import bootstrap, dashboard_data, db, fleet
from loop_core.errors import LoopCoreError, NoDataError
from loop_core.drive import load_sync_config, make_source
from loop_core.freshness import format_lag, staleness
from loop_core.models import ReportResult
from loop_core.sync import SyncScheduler

LOGGER = logging.getLogger(__name__)
CACHE_TTL_S = 3600

APP_SCRIPT = Path(__file__).resolve().with_name("app.py")
PAGE_REPORTS = "pages/reports.py"
PAGE_FLEET = "pages/fleet.py"
PAGE_STORE = "pages/store.py"
PAGE_DATA = "pages/data.py"


# ---------------------------------------------------------------- entry point


def require_entry_point() -> None:
    """Make sure this page runs inside ``app.py`` (page config, sidebar, first start).

    Streamlit keeps a process-wide flag for apps with a ``pages/`` folder next to the main
    script and clears it only when ``st.navigation`` first runs. Until then a deep link on
    a freshly started server (``/store?store_id=…``) runs the page file alone, the old
    multipage way (AppTest does so on every run). Then this clears the flag and runs
    ``app.py`` in place, whose ``st.navigation`` runs this same page inside it, and stops
    the outer run. No rerun: a button click in this run is not lost. Each page calls this
    first; it does nothing once ``app.py`` has run anywhere in the process.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    runpy.run_path(str(APP_SCRIPT), run_name="__main__")
    st.stop()


# ---------------------------------------------------------------- errors


@contextmanager
def guard(what: str = "") -> Iterator[None]:
    """Turn engine errors into an ``st.error`` message and stop the page (no traceback)."""
    try:
        yield
    except LoopCoreError as e:
        st.error(f"{what}: {e}" if what else str(e), icon=":material/error:")
        st.stop()
    except duckdb.Error as e:  # should be wrapped by the engine; never show a traceback
        LOGGER.exception("database error")
        st.error(f"{what + ': ' if what else ''}database error: {e}", icon=":material/error:")
        st.stop()


# ---------------------------------------------------------------- connection


def db_path() -> str:
    """The database this process uses: ``$LOOP_DB`` or ``data/loop.duckdb``."""
    return db.default_db_path()


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return db.connect(path)


def get_con() -> duckdb.DuckDBPyConnection:
    """The process's DuckDB connection (one per database file, shared by all sessions)."""
    with guard("Cannot open the database"):
        return _connection(db_path())


@st.cache_resource(show_spinner="First start: loading sample data…")
def _first_start(path: str) -> bootstrap.SampleLoad | None:
    return bootstrap.ensure_sample_data(_connection(path))


def first_start() -> bootstrap.SampleLoad | None:
    """Load the sample into an empty database, once per process and database."""
    with guard("Could not load the sample data"):
        return _first_start(db_path())


# ---------------------------------------------------------------- cached engine calls


def data_version() -> int:
    """The newest load id: changes with every load, so caches keyed on it stay correct."""
    with guard():
        return fleet.data_version(get_con())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _freshness(path: str, version: int) -> fleet.Freshness:
    return fleet.freshness(_connection(path))


def freshness() -> fleet.Freshness:
    """Latest poll, latest load, size of the data (cached per data version)."""
    with guard():
        return _freshness(db_path(), data_version())


# show_spinner is off on every cached function: the warming thread calls them without a
# page to draw on. The accessors below show a spinner around the call instead.
@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _report(path: str, version: int, as_of: datetime | None) -> ReportResult:
    from loop_core.report import compute_report

    return compute_report(_connection(path), as_of)


def current_report(as_of: datetime | None = None) -> ReportResult:
    """The report at ``as_of`` (default: the latest poll), cached per data version."""
    with guard("Could not compute the report"), st.spinner("Computing the report…"):
        return _report(db_path(), data_version(), as_of)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _overview(path: str, version: int, as_of: datetime | None) -> fleet.FleetOverview:
    return fleet.fleet_overview(_report(path, version, as_of))


def fleet_overview(as_of: datetime | None = None) -> fleet.FleetOverview:
    """Fleet KPIs, weekly uptime distribution and worst stores (cached)."""
    with guard("Could not compute the fleet overview"), st.spinner("Computing the report…"):
        return _overview(db_path(), data_version(), as_of)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _downtime(path: str, version: int, as_of: datetime) -> fleet.FleetDowntime:
    return fleet.fleet_downtime(_connection(path), as_of)


def fleet_downtime(as_of: datetime) -> fleet.FleetDowntime:
    """Fleet downtime by local hour of week and per day before ``as_of`` (cached)."""
    with guard("Could not compute downtime by hour"), st.spinner("Computing downtime by hour…"):
        return _downtime(db_path(), data_version(), as_of)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _quality(path: str, version: int) -> dashboard_data.DataQuality:
    try:
        report: ReportResult | None = _report(path, version, None)
    except NoDataError:  # hours and zones can be checked before any poll is loaded
        report = None
    return dashboard_data.data_quality(_connection(path), report)


def data_quality() -> dashboard_data.DataQuality:
    """Invalid/missing timezones, stores without hours or observations (cached)."""
    with guard("Could not check data quality"), st.spinner("Checking data quality…"):
        return _quality(db_path(), data_version())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _store_view(path: str, version: int, store_id: str, start: datetime | None,
                end: datetime | None) -> fleet.StoreView:
    return fleet.store_view(_connection(path), store_id, start, end)


def store_view(store_id: str, start: datetime | None, end: datetime | None) -> fleet.StoreView:
    """One store's timeline, daily uptime and hours (cached per data version)."""
    with guard(f"Store {store_id!r}"):
        return _store_view(db_path(), data_version(), store_id, start, end)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _preview(csv_text: str, contains: str, min_down: float) -> dashboard_data.ReportPreview:
    return dashboard_data.report_preview(csv_text, contains, min_down)


def report_preview(csv_text: str, contains: str, min_down: float) -> dashboard_data.ReportPreview:
    """A report's rows filtered for display, and its summary (cached per CSV and filter)."""
    with guard("Could not read the report"):
        return _preview(csv_text, contains, min_down)


@st.cache_resource(show_spinner=False)
def _warmed_versions() -> set[tuple[str, int]]:
    return set()


class _QuietWarmThread(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warning for the warming thread: the
    thread fills the shared caches and draws nothing, so the warning means nothing here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == WARM_THREAD and "ScriptRunContext" in record.getMessage())


WARM_THREAD = "loop-warm-caches"
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietWarmThread())


def _warm(path: str, version: int) -> None:
    try:
        report = _report(path, version, None)
        _overview(path, version, None)
        _downtime(path, version, report.as_of)
        _quality(path, version)
    except Exception:  # noqa: BLE001 - warming is best effort; the pages report errors
        LOGGER.exception("warming the caches failed")


def warm_caches() -> None:
    """Compute the heavy cached views in the background once per data version.

    After a load or a sync the first visit of the Fleet or Data page would otherwise wait
    for the report and the hourly downtime (seconds at 14,000 stores). Streamlit's caches
    compute each key once even when a page asks while this thread is at it.
    """
    if config.get_option("global.appTest"):
        return  # AppTest replaces the runtime per run; a thread would outlive it
    key = (db_path(), data_version())
    warmed = _warmed_versions()
    if key in warmed or fleet.freshness(get_con()).latest_poll is None:
        return
    warmed.add(key)
    threading.Thread(target=_warm, args=key, name=WARM_THREAD, daemon=True).start()


def clear_data_caches() -> None:
    """Forget cached data at once (the keys would change anyway; this frees memory)."""
    for cached in (_freshness, _report, _overview, _downtime, _quality, _store_view):
        cached.clear()


# ---------------------------------------------------------------- sync


def _secrets() -> dict[str, Any]:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets.toml at all is the normal case
        return {}


@st.cache_resource(show_spinner=False)
def _scheduler(path: str) -> SyncScheduler | None:
    config = load_sync_config(_secrets(), os.environ)
    if not config.configured:
        return None
    scheduler = SyncScheduler(_connection(path), lambda: make_source(config), config.interval_s)
    scheduler.start()
    return scheduler


def sync_scheduler() -> SyncScheduler | None:
    """The background sync thread (one per server), or None when no source is configured."""
    with guard("Sync configuration"):
        return _scheduler(db_path())


# ---------------------------------------------------------------- sidebar


def _utc(value: datetime | None) -> str:
    return "—" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M}"


def render_sidebar() -> None:
    """Data freshness: latest poll (= the report's as-of), last load, lag vs the clock."""
    fresh = freshness()
    lag = fresh.lag(datetime.now(UTC))
    with st.sidebar:
        st.markdown("**Data freshness** <small>(times in UTC)</small>", unsafe_allow_html=True)
        st.markdown(
            f"Latest poll: **{_utc(fresh.latest_poll)}**  \n"
            f"Reports' as-of: **{_utc(fresh.latest_poll)}**  \n"
            f"Last load: **{_utc(fresh.last_load)}**  \n"
            f"Lag vs wall clock: **{'—' if lag is None else format_lag(lag)}**  \n"
            f"{fresh.stores:,} stores · {fresh.polls:,} polls"
        )
        if fresh.sample_only:
            st.caption("Sample data has fixed dates, so its lag is expected.")
        else:
            _staleness_warning()
        st.caption("Reports measure the hour, day and week before the as-of, which is the "
                   "latest poll unless you choose another.")


def _staleness_warning() -> None:
    with guard():
        state = staleness(get_con())
    if state.warning:
        st.warning(f"Data may be stale: {state.warning}.", icon=":material/schedule:")


def render_sample_banner() -> None:
    """Say clearly when the dashboard shows generated sample data, and how to load real data."""
    fresh = freshness()
    if not fresh.sample_only:
        return
    until = "" if fresh.latest_poll is None else f" ending {fresh.latest_poll:%Y-%m-%d}"
    st.info(
        f"**Sample data**: {fresh.stores:,} generated stores with polls{until}, loaded "
        "because the database was empty. To use real data, upload the three CSV feeds on "
        "the **Data** page; the sample is then removed.",
        icon=":material/science:",
    )
