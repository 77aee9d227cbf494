"""The pages' access to the engine: the process's connection and cached engine calls.

Caches of data are keyed by the database path and the data version (the newest load id),
so a load, an upload or a sync invalidates them at once; the ``ttl`` only bounds memory.
``loop_core`` never imports streamlit, so every cache lives here. Each accessor wraps its
call in :func:`ui.entry.guard`: an engine error becomes a message, never a traceback.
Each action (upload, sync, report, test alert) and each admin view first checks the
session's role (:func:`ui.access.require`) and then writes the audit log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st
from streamlit import config as st_config

from loop_core import alerts as alerts_module
from loop_core import archive as archive_module
from loop_core import (
    audit,
    context,
    daily,
    db,
    freshness,
    jobs,
    loadlog,
    special,
    stores,
    timeline,
)
from loop_core import digest as digest_module
from loop_core import evidence as evidence_module
from loop_core import incidents as incidents_module
from loop_core import status as status_module
from loop_core.config import ReportsConfig
from loop_core.errors import NoDataError, ReportUnavailableError, SyncError
from loop_core.incidents import Incident
from loop_core.models import Feed, ReportResult, ReportState, ReportStatus
from loop_core.report import compute_report, resolve_as_of
from loop_core.status import StoreStatus
from loop_core.sync import SyncResult, SyncScheduler, last_syncs
from ui import lifecycle
from ui.access import Action, require
from ui.entry import guard
from ui.views import alerts as alerts_view
from ui.views import context as context_view
from ui.views import data as data_view
from ui.views import evidence as evidence_view
from ui.views import fleet as fleet_view
from ui.views import groups as groups_view
from ui.views import incidents as incidents_view
from ui.views import now as now_view_model
from ui.views import reports as reports_view
from ui.views import status_page as status_view
from ui.views import store as store_view_model

LOGGER = logging.getLogger(__name__)
CACHE_TTL_S = 3600
NO_FILTER = groups_view.StoreFilter()  # every store
WARM_THREAD = "loop-warm-caches"
TREND_WEEKS = 8  # the Fleet page's weekly trend


def services() -> lifecycle.Services:
    """The process's running services (started on first use outside the server)."""
    with guard("Cannot start"):
        return lifecycle.ensure()


def con() -> duckdb.DuckDBPyConnection:
    """The process's DuckDB connection (one per database file, shared by all sessions)."""
    return services().con


def _path() -> str:
    return str(services().settings.db_path)


def _con(path: str) -> duckdb.DuckDBPyConnection:
    # The registry's connection, opened by lifecycle.start: one per file and process.
    return db.connect(path)


def data_version() -> int:
    """The newest load id: changes with every load, so caches keyed on it stay correct."""
    with guard():
        return freshness.data_version(con())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _freshness(path: str, version: int) -> freshness.Freshness:
    return freshness.freshness(_con(path))


def data_freshness() -> freshness.Freshness:
    """Latest poll, latest load, size of the data (cached per data version)."""
    with guard():
        return _freshness(_path(), data_version())


def staleness() -> freshness.Staleness:
    """The data's lag behind the wall clock and the last sync's outcome (not cached)."""
    with guard():
        return freshness.staleness(con())


# show_spinner is off on every cached function: the warming thread calls them without a
# page to draw on. The accessors below show a spinner around the call instead.
@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _report(path: str, version: int, as_of: datetime | None) -> ReportResult:
    return compute_report(_con(path), as_of)


def current_report(as_of: datetime | None = None) -> ReportResult:
    """The report at ``as_of`` (default: the latest poll), cached per data version."""
    with guard("Could not compute the report"), st.spinner("Computing the report…"):
        return _report(_path(), data_version(), as_of)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _overview(path: str, version: int, as_of: datetime | None,
              chosen: groups_view.StoreFilter = NO_FILTER) -> fleet_view.FleetOverview:
    return fleet_view.fleet_overview(_report(path, version, as_of),
                                     names=_store_names(path, version),
                                     store_ids=_chosen_ids(path, version, chosen))


def fleet_overview(as_of: datetime | None = None,
                   chosen: groups_view.StoreFilter = NO_FILTER) -> fleet_view.FleetOverview:
    """Fleet KPIs, weekly uptime distribution and worst stores, of the stores ``chosen``
    keeps (cached)."""
    with guard("Could not compute the fleet overview"), st.spinner("Computing the report…"):
        return _overview(_path(), data_version(), as_of, chosen)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _downtime(path: str, version: int, as_of: datetime,
              chosen: groups_view.StoreFilter = NO_FILTER) -> fleet_view.FleetDowntime:
    cells = timeline.downtime_by_local_hour(_con(path), as_of,
                                            store_ids=_chosen_ids(path, version, chosen))
    return fleet_view.fleet_downtime(cells, as_of)


def fleet_downtime(as_of: datetime,
                   chosen: groups_view.StoreFilter = NO_FILTER) -> fleet_view.FleetDowntime:
    """Downtime by local hour of week and per day before ``as_of``, of the stores ``chosen``
    keeps (cached)."""
    with guard("Could not compute downtime by hour"), st.spinner("Computing downtime by hour…"):
        return _downtime(_path(), data_version(), as_of, chosen)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _store_names(path: str, version: int) -> dict[str, str]:
    return stores.store_names(_con(path))


def store_names() -> dict[str, str]:
    """Store id -> name from the stores feed (cached per data version)."""
    with guard("Could not read the store names"):
        return _store_names(_path(), data_version())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _special_today(path: str, version: int, as_of: datetime) -> special.SpecialToday:
    return special.special_today(_con(path), as_of)


def special_today(as_of: datetime) -> special.SpecialToday:
    """How many stores are closed or on special hours on their local date of ``as_of``."""
    with guard("Could not count the special hours"):
        return _special_today(_path(), data_version(), as_of)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _quality(path: str, version: int) -> data_view.DataQuality:
    try:
        report: ReportResult | None = _report(path, version, None)
    except NoDataError:  # hours and zones can be checked before any poll is loaded
        report = None
    return data_view.data_quality(loadlog.quality_findings(_con(path)), report)


def data_quality() -> data_view.DataQuality:
    """Invalid/missing timezones, stores without hours or observations (cached)."""
    with guard("Could not check data quality"), st.spinner("Checking data quality…"):
        return _quality(_path(), data_version())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _store_view(path: str, version: int, store_id: str, start: datetime | None,
                end: datetime | None) -> store_view_model.StoreView:
    return store_view_model.store_view(timeline.store_timeline(_con(path), store_id, start, end))


def store_view(
    store_id: str, start: datetime | None, end: datetime | None
) -> store_view_model.StoreView:
    """One store's timeline, daily uptime and hours (cached per data version)."""
    with guard(f"Store {store_id!r}"):
        return _store_view(_path(), data_version(), store_id, start, end)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _preview(csv_path: str, contains: str, min_down: float, path: str, version: int,
             chosen: groups_view.StoreFilter) -> reports_view.ReportPreview:
    # A report's file never changes once written; names and groups follow the data version.
    text = Path(csv_path).read_text(encoding="utf-8")
    return reports_view.report_preview(text, contains, min_down,
                                       names=_store_names(path, version),
                                       store_ids=_chosen_ids(path, version, chosen))


def report_preview(csv_path: Path, contains: str, min_down: float,
                   chosen: groups_view.StoreFilter = NO_FILTER) -> reports_view.ReportPreview:
    """A report's rows filtered for display, and their summary (cached per file and filter)."""
    with guard("Could not read the report"):
        return _preview(str(csv_path), contains, min_down, _path(), data_version(), chosen)


# ---------------------------------------------------------------- uncached, read each run


def report_status(report_id: str) -> ReportStatus:
    """One report job (its CSV too once Complete). Not guarded: raises
    ``UnknownReportError``, so that the page can show the error and still go on."""
    return jobs.get_report(con(), report_id)


def report_retention() -> ReportsConfig:
    """How many completed reports keep their CSV, and for how long (the settings)."""
    return services().settings.reports


def report_csv(report_id: str, extended: bool = False) -> bytes:
    """A Complete report's CSV (``extended``: its extended twin) read from its file, for the
    download buttons (which call it only when clicked). Raises if it expired meanwhile:
    the button shows the error."""
    return jobs.report_csv(con(), report_id, extended=extended)


def extended_csv_state(report_id: str) -> tuple[str | None, bool]:
    """(None, False) when a Complete report's extended twin can be downloaded, else why
    not and whether it is still being written (the job writes it just after the report
    completes; an older report never had one)."""
    try:
        status, opened = jobs.open_report(con(), report_id, extended=True)
    except ReportUnavailableError as exc:
        return str(exc), False
    if opened is not None:
        opened.file.close()
        return None, False
    if status.status is ReportState.RUNNING:
        return "The extended CSV is being written: about as long again as the report.", True
    return f"No extended CSV: the report is {status.status}.", False


def trigger_report(as_of: datetime | None) -> str:
    """Start a report job in the background; return its id at once."""
    with guard("Could not start the report"):
        who = require(Action.REPORT)
        report_id = jobs.trigger_report(
            con(), as_of, keep=report_retention(),
            default_target_pct=services().settings.targets.default_uptime_pct,
            source="dashboard")
        audit.record(con(), who.actor, audit.Action.REPORT_TRIGGERED, subject=report_id,
                     details={"as_of": None if as_of is None else as_of.isoformat()})
        return report_id


def report_history() -> pd.DataFrame:
    """The newest report jobs as the History table shows them."""
    with guard():
        return reports_view.report_history(jobs.list_reports(con(), limit=50))


def expected_report_s() -> float:
    """How long a report usually takes here (median of the last Complete ones)."""
    with guard():
        return reports_view.expected_duration_s(jobs.list_reports(con(), limit=20))


def load_history() -> pd.DataFrame:
    """The newest loads, for the Data page."""
    with guard():
        return loadlog.load_history(con())


def rejected_rows(limit: int | None = 1000) -> pd.DataFrame:
    """Rejected rows with file, line, raw text and reason, newest load first."""
    with guard():
        return loadlog.rejected_rows(con(), limit=limit)


def rejected_rows_csv() -> str:
    """All rejected rows as CSV text (called only when the download is clicked)."""
    return loadlog.rejected_rows_csv(con())


def sync_history() -> pd.DataFrame:
    """The newest sync runs, one row each."""
    with guard():
        return data_view.sync_history(last_syncs(con(), limit=20))


def archive() -> data_view.ArchiveView:
    """The poll archive's months, polls and size (a small query: not cached)."""
    with guard():
        return data_view.archive_view(archive_module.info(con()),
                                      services().settings.polls_days)


def sync_scheduler() -> SyncScheduler | None:
    """The server's sync thread, or None when no sync source is configured."""
    return services().scheduler


def sync_now() -> SyncResult:
    """Run a sync now (in this thread) for an admin; the page offers it only while a sync
    source is configured."""
    with guard("Sync failed"):
        who = require(Action.SYNC_NOW)
        scheduler = sync_scheduler()
        if scheduler is None:  # the page offers the button only with a scheduler
            raise SyncError("no sync source is configured")
        result = scheduler.run_now()
        audit.record(con(), who.actor, audit.Action.SYNC_NOW,
                     details={"run_id": result.run_id, "outcome": str(result.outcome)})
        return result


def load_uploads(
    files: dict[Feed, tuple[str, bytes]], *, allow_shrink: bool = False
) -> list[data_view.UploadOutcome]:
    """Load uploaded files through the engine; the caches follow the new data version.
    Each load's audit entry names the signed-in user (``local`` without sign-in)."""
    with guard("Upload failed"):
        who = require(Action.CONFIRM_SHRINK if allow_shrink else Action.UPLOAD)
        outcomes = data_view.load_uploads(con(), files, allow_shrink=allow_shrink,
                                          actor=who.actor)
    services().after_load()
    return outcomes


# ---------------------------------------------------------------- warm-up


class _QuietWarmThread(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warning for the warming thread: the
    thread fills the shared caches and draws nothing, so the warning means nothing here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == WARM_THREAD and "ScriptRunContext" in record.getMessage())


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietWarmThread())
_warmed: set[tuple[str, int]] = set()
_warmed_lock = threading.Lock()


def _warm(path: str, version: int, target: float) -> None:
    try:
        report = _report(path, version, None)
        _overview(path, version, None)
        _downtime(path, version, report.as_of)
        _quality(path, version)
        _evidence(path, version, report.as_of)  # the key the Fleet page and previews use
        _now_view(path, version, "", NO_FILTER)
        _incidents_view(path, version, NO_FILTER)
        _status_page(path, version, "store", "", 1)
        _fleet_context(path, version, target, NO_FILTER)
        _rollup(path, version, target, NO_FILTER, "region")
        _trend(path, version, target, NO_FILTER)
    except Exception:
        LOGGER.exception("warming the caches failed")


def warm(running: lifecycle.Services) -> None:
    """Compute the heavy cached views in the background once per data version.

    Called when the server starts and on every page run: after a load or a sync the first
    visit of the Fleet, Data, Now or Incidents page would otherwise wait for the report,
    the hourly downtime, the status or the week's incidents (seconds at 14,000 stores).
    Streamlit's caches compute each key once even when a page asks while this thread is at
    it.
    """
    if st_config.get_option("global.appTest"):
        return  # AppTest replaces the runtime per run; a thread would outlive it
    path = str(running.settings.db_path)
    version = freshness.data_version(running.con)
    with _warmed_lock:
        if (path, version) in _warmed or freshness.freshness(running.con).latest_poll is None:
            return
        _warmed.add((path, version))
    threading.Thread(target=_warm, name=WARM_THREAD, daemon=True,
                     args=(path, version, running.settings.targets.default_uptime_pct)).start()


def warm_current() -> None:
    """:func:`warm` for this process's services (each page run calls it)."""
    warm(services())


# ---------------------------------------------------------------- now and incidents


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=8)
def _status(path: str, version: int) -> tuple[datetime, list[StoreStatus]]:
    con_ = _con(path)
    at = resolve_as_of(con_, None)
    assert at is not None  # status() raises NoDataError first
    return at, status_module.status(con_, at)


# One computation serves the Now page (downtime so far) and the Incidents page.
@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=8)
def _week_incidents(path: str, version: int) -> list[Incident]:
    return incidents_module.incidents(_con(path))  # the week before the latest poll


# The shaped views are cached too: shaping 14,000 statuses or a week's incidents in pandas
# took most of a warm rerun of these pages (docs/PERFORMANCE.md).
@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _now_view(path: str, version: int, contains: str,
              chosen: groups_view.StoreFilter) -> now_view_model.NowView:
    at, rows = _status(path, version)
    return now_view_model.now_view(rows, _week_incidents(path, version), at, contains,
                                   names=_store_names(path, version),
                                   store_ids=_chosen_ids(path, version, chosen))


def now_view(contains: str = "",
             chosen: groups_view.StoreFilter = NO_FILTER) -> now_view_model.NowView:
    """Every store's status now (the latest poll) of the stores ``chosen`` keeps, shaped for
    the Now page (cached)."""
    with guard("Could not compute the status"), st.spinner("Checking every store…"):
        return _now_view(_path(), data_version(), contains, chosen)


def store_status(store_id: str) -> StoreStatus | None:
    """One store's status now (None when it has no poll), from the cached fleet status."""
    with guard():
        _, rows = _status(_path(), data_version())
    return next((row for row in rows if row.store_id == store_id), None)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _store_incidents(path: str, version: int, store_id: str, start: datetime | None,
                     end: datetime | None) -> list[Incident]:
    return incidents_module.incidents(_con(path), start, end, store_id)


def store_incidents(store_id: str, start: datetime | None, end: datetime | None,
                    zone: str, range_end: datetime) -> pd.DataFrame:
    """One store's incidents in the range, as bars for its timeline (cached)."""
    with guard(f"Store {store_id!r}"):
        found = _store_incidents(_path(), data_version(), store_id, start, end)
    return store_view_model.store_incidents(found, zone, range_end)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=8)
def _incidents_view(path: str, version: int,
                    chosen: groups_view.StoreFilter) -> incidents_view.IncidentsView:
    return incidents_view.incidents_view(_week_incidents(path, version),
                                         names=_store_names(path, version),
                                         store_ids=_chosen_ids(path, version, chosen))


def fleet_incidents(chosen: groups_view.StoreFilter = NO_FILTER) -> incidents_view.IncidentsView:
    """The incidents of the week before now of the stores ``chosen`` keeps, and their CSV
    (cached)."""
    with guard("Could not list the incidents"), st.spinner("Listing incidents…"):
        return _incidents_view(_path(), data_version(), chosen)


# ---------------------------------------------------------------- alerts


def alert_settings() -> alerts_view.AlertSettings:
    """The configured channels (without secrets) and thresholds (admins only)."""
    with guard():
        require(Action.ALERT_SETTINGS)
    return alerts_view.alert_settings(services().settings.alerts)


def alert_history() -> pd.DataFrame:
    """The newest messages with their delivery outcomes (not cached: it changes alone)."""
    with guard():
        return alerts_view.alert_history(alerts_module.history(con()))


def send_test_alert() -> tuple[int, int]:
    """Write a test message and deliver it now: (accepted, failed)."""
    running = services()
    with guard("Could not send the test message"):
        who = require(Action.TEST_ALERT)
        alerts_module.write_test_message(running.con, running.settings.alerts)
        accepted, failed = alerts_module.deliver(running.con, running.settings.alerts)
        audit.record(running.con, who.actor, audit.Action.TEST_ALERT,
                     details={"accepted": accepted, "failed": failed})
        return accepted, failed


def send_digest_now() -> tuple[int, int]:
    """Write the weekly digest and deliver it now, outside its schedule: (accepted, failed)."""
    running = services()
    with guard("Could not send the digest"):
        who = require(Action.SEND_DIGEST)
        accepted, failed = digest_module.send_digest_now(running.con, running.settings)
        audit.record(running.con, who.actor, audit.Action.DIGEST_SENT,
                     details={"accepted": accepted, "failed": failed})
        return accepted, failed


# ---------------------------------------------------------------- audit log (admins)


def audit_log() -> pd.DataFrame:
    """The newest audit entries (not cached: every action adds one)."""
    with guard():
        require(Action.AUDIT_LOG)
        return audit.entries(con())


def audit_log_csv() -> Callable[[], str]:
    """What the download button calls for the whole audit log as CSV text. The role is
    checked now, as the page draws the button: the button's own call comes later, from
    the server's file handler, outside this session's script run (no ``st.user`` there)."""
    with guard():
        require(Action.AUDIT_LOG)
    running = con()
    return lambda: audit.entries_csv(running)


# ---------------------------------------------------------------- evidence beside the figures


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _evidence(path: str, version: int, as_of: datetime | None) -> pd.DataFrame:
    return evidence_module.store_evidence(_con(path), as_of)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _one_store_evidence(path: str, version: int, store_id: str, as_of: datetime) -> pd.DataFrame:
    return evidence_module.store_evidence(_con(path), as_of, store_id)


def store_evidence(store_id: str, as_of: datetime, zone: str) -> evidence_view.StoreEvidence | None:
    """One store's observations used, latest observation and poll coverage at ``as_of``
    (the report's), for the drill-down; None when it is not in the report (cached)."""
    with guard(f"Store {store_id!r}"):
        frame = _one_store_evidence(_path(), data_version(), store_id, as_of)
    return evidence_view.store_evidence(evidence_view.evidence_row(frame, store_id), zone, as_of)


def preview_evidence(rows: pd.DataFrame, as_of: datetime | None,
                     only_low: bool = False) -> evidence_view.PreviewEvidence:
    """The report preview's rows with their poll coverage at the report's ``as_of``, and the
    stores flagged below 50 % (the evidence is cached per data version and as-of)."""
    with guard("Could not compute the poll coverage"), st.spinner("Checking poll coverage…"):
        frame = _evidence(_path(), data_version(), as_of)
    return evidence_view.preview_evidence(rows, frame, only_low)


def low_coverage(as_of: datetime) -> evidence_view.LowCoverage:
    """The stores below 50 % poll coverage last week at ``as_of``, lowest first (cached;
    a report's preview at the same as-of shares the computation)."""
    with guard("Could not compute the poll coverage"), st.spinner("Checking poll coverage…"):
        return evidence_view.low_coverage(_evidence(_path(), data_version(), as_of),
                                          _store_names(_path(), data_version()))


# ---------------------------------------------------------------- status page


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _store_regions(path: str, version: int) -> dict[str, str]:
    return stores.store_regions(_con(path))


# Resources, not data: every store's days (420,000 rows at 14,000 stores) are only read,
# and st.cache_data would copy them each time another grouping, search or page asks.
@st.cache_resource(ttl=CACHE_TTL_S, show_spinner=False, max_entries=2)
def _store_days(path: str, version: int) -> daily.StoreDays:
    return daily.store_days(_con(path), status_view.DAYS)


@st.cache_resource(ttl=CACHE_TTL_S, show_spinner=False, max_entries=6)
def _status_grid(path: str, version: int, grouping: str) -> status_view.StatusGrid:
    return status_view.status_grid(
        _store_days(path, version), grouping,
        names=_store_names(path, version), regions=_store_regions(path, version))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _status_page(path: str, version: int, grouping: str, contains: str,
                 page: int, within: tuple[str, str] | None = None) -> status_view.StatusPage:
    return status_view.status_page(_status_grid(path, version, grouping), contains, page,
                                   within=within)


def status_page(grouping: str, contains: str, page: int,
                within: tuple[str, str] | None = None) -> status_view.StatusPage:
    """One page of the status page's rows (stores, regions or zones; worst first) and
    their last 30 days, cached per data version, grouping, search, page and group."""
    with guard("Could not compute the status page"), \
            st.spinner(f"Computing the last {status_view.DAYS} days…"):
        return _status_page(_path(), data_version(), grouping, contains, page, within)


# ---------------------------------------------------------------- store groups (filters)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _store_groups(path: str, version: int) -> pd.DataFrame:
    return stores.store_groups(_con(path))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _chosen_ids(path: str, version: int,
                chosen: groups_view.StoreFilter) -> frozenset[str] | None:
    return groups_view.matching_ids(_store_groups(path, version), chosen)


def store_filter_options() -> dict[str, list[str]]:
    """The region, brand and timezone values the filter offers (cached per data version)."""
    with guard("Could not read the store groups"):
        return groups_view.filter_options(_store_groups(_path(), data_version()))


def filtered_store_count(chosen: groups_view.StoreFilter) -> tuple[int, int]:
    """(stores ``chosen`` keeps, known stores), for the filter's caption."""
    with guard("Could not read the store groups"):
        path, version = _path(), data_version()
        kept = _chosen_ids(path, version, chosen)
        total = len(_store_groups(path, version))
        return (total if kept is None else len(kept)), total


# ---------------------------------------------------------------- store context (Fleet)


def _target() -> float:
    return services().settings.targets.default_uptime_pct


# A resource, not data: read only. The store context and the trend's per-store weekly
# totals come from one engine call, so the context's two reports (now and the week before)
# are the trend's two newest weeks, computed once per data version.
@st.cache_resource(ttl=CACHE_TTL_S, show_spinner=False, max_entries=2)
def _context_weeks(path: str, version: int,
                   target: float) -> tuple[pd.DataFrame, context.WeekTotals]:
    return context.context_and_week_totals(_con(path), TREND_WEEKS,
                                           _report(path, version, None).as_of,
                                           default_target_pct=target)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=4)
def _context(path: str, version: int, target: float) -> pd.DataFrame:
    return _context_weeks(path, version, target)[0]


def _chosen_context(path: str, version: int, target: float,
                    chosen: groups_view.StoreFilter) -> pd.DataFrame:
    return context_view.only(_context(path, version, target),
                             _chosen_ids(path, version, chosen))


def _offline_ids(path: str, version: int) -> set[str]:
    _, rows = _status(path, version)
    return {r.store_id for r in rows if r.status is status_module.StoreState.OFFLINE}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _fleet_context(path: str, version: int, target: float,
                   chosen: groups_view.StoreFilter) -> context_view.FleetContext:
    return context_view.fleet_context(_chosen_context(path, version, target, chosen))


def fleet_context(chosen: groups_view.StoreFilter = NO_FILTER) -> context_view.FleetContext:
    """Money, targets, budget and week over week of the stores ``chosen`` keeps (cached)."""
    with guard("Could not compute the store context"), st.spinner("Comparing with last week…"):
        return _fleet_context(_path(), data_version(), _target(), chosen)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=32)
def _rollup(path: str, version: int, target: float, chosen: groups_view.StoreFilter,
            by: str) -> pd.DataFrame:
    return context_view.rollup_table(_chosen_context(path, version, target, chosen), by,
                                     _offline_ids(path, version))


def group_rollup(by: str, chosen: groups_view.StoreFilter = NO_FILTER) -> pd.DataFrame:
    """One row per ``by`` group of the stores ``chosen`` keeps (cached)."""
    with guard("Could not compute the groups"), st.spinner("Adding up the groups…"):
        return _rollup(_path(), data_version(), _target(), chosen, by)


def group_rollup_csv(table: pd.DataFrame) -> Callable[[], str]:
    """What the rollup's download button calls: the table as CSV text, group names
    spreadsheet-safe."""
    running = con()
    return lambda: context_view.rollup_csv(table,
                                           lambda cells: stores.spreadsheet_safe(running, cells))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=16)
def _trend(path: str, version: int, target: float,
           chosen: groups_view.StoreFilter) -> pd.DataFrame:
    # Any filter sums the cached per-store weekly totals (milliseconds, not a report a week).
    trend = context.trend_of(_con(path), _context_weeks(path, version, target)[1],
                             store_ids=_chosen_ids(path, version, chosen))
    return context_view.weekly_trend(trend)


def weekly_trend(chosen: groups_view.StoreFilter = NO_FILTER) -> pd.DataFrame:
    """Weekly uptime % of the last 8 weeks the stored history covers (cached)."""
    with guard("Could not compute the weekly trend"), st.spinner("Measuring 8 weeks…"):
        return _trend(_path(), data_version(), _target(), chosen)
