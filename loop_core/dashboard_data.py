"""What the dashboard's Reports and Data pages show, ready to render.

Report jobs come from :mod:`loop_core.jobs`, loads from :mod:`loop_core.ingest`; this
module only shapes them into tables and summaries (and turns uploaded bytes into files
for ingestion), so the pages stay a few widget calls each.
"""

from __future__ import annotations

import io
import os
import re
import statistics
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import duckdb
import pandas as pd

from loop_core import bootstrap, fleet, jobs
from loop_core.models import Feed, LoadSummary, ReportResult, ReportState, ReportStatus
from loop_core.sqlfiles import load_sql
from loop_core.sync import last_syncs

DEFAULT_EXPECTED_S = 3.0


# ---------------------------------------------------------------- reports page


def report_history(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """The newest report jobs: id, created, as-of, status, duration, stores, error, link."""
    statuses = jobs.list_reports(con, limit=limit)
    return pd.DataFrame(
        [
            {
                "report_id": s.report_id,
                "created_at": s.created_at,
                "as_of": s.as_of or s.as_of_requested,
                "status": str(s.status),
                "duration_s": s.duration_s,
                "stores": s.row_count,
                "error": s.error,
                "link": f"?report_id={s.report_id}",
            }
            for s in statuses
        ],
        columns=["report_id", "created_at", "as_of", "status", "duration_s", "stores",
                 "error", "link"],
    )


def report_link(page_url: str | None, report_id: str) -> str:
    """The shareable address of a report: this page's URL with ``?report_id=…`` only."""
    parts = urlsplit(page_url or "")
    query = urlencode({"report_id": report_id})
    if not parts.netloc:
        return f"?{query}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def expected_duration_s(con: duckdb.DuckDBPyConnection) -> float:
    """How long a report usually takes here: the median of the last Complete ones."""
    done = [s.duration_s for s in jobs.list_reports(con, limit=20)
            if s.status is ReportState.COMPLETE and s.duration_s is not None]
    return statistics.median(done) if done else DEFAULT_EXPECTED_S


def running_progress(status: ReportStatus, expected_s: float, now: datetime) -> float:
    """A progress fraction for a running job from its elapsed time; never reaches 1."""
    elapsed = max(0.0, (now - status.created_at).total_seconds())
    return min(0.95, elapsed / max(expected_s, 0.1))


def report_file_name(status: ReportStatus) -> str:
    """``store-uptime-report_as-of_2024-10-14T115745Z.csv``: the as-of, safe on any OS."""
    when = status.as_of or status.as_of_requested or status.created_at
    return f"store-uptime-report_as-of_{when:%Y-%m-%dT%H%M%SZ}.csv"


@dataclass(frozen=True)
class ReportPreview:
    """One report's rows (filtered for display) and its fleet summary (unfiltered)."""

    rows: pd.DataFrame  # SPEC columns plus uptime_pct_week, after the filters
    total_rows: int
    uptime_pct: dict[str, float | None]  # window -> % of business time up, whole report
    stores_all_zero: int  # stores with no business time or no observations in the week
    most_downtime: pd.DataFrame  # the 10 stores with the most downtime last week


def report_preview(
    csv_text: str, contains: str = "", min_downtime_week_h: float = 0.0
) -> ReportPreview:
    """Parse a report CSV (ids kept as text) and filter it by store id and weekly downtime."""
    rows = pd.read_csv(io.StringIO(csv_text), dtype={"store_id": "string"})
    rows["uptime_pct_week"] = fleet.weekly_uptime_pct(rows)
    most = (rows.sort_values(["downtime_last_week", "store_id"], ascending=[False, True])
            .head(10).loc[:, ["store_id", "downtime_last_week", "uptime_pct_week"]]
            .reset_index(drop=True))
    shown = rows
    needle = contains.strip()
    if needle:
        shown = shown[shown["store_id"].str.contains(needle, case=False, regex=False)]
    if min_downtime_week_h > 0:
        shown = shown[shown["downtime_last_week"] >= min_downtime_week_h]
    return ReportPreview(
        rows=shown.reset_index(drop=True),
        total_rows=len(rows),
        uptime_pct=fleet.fleet_uptime_pct(rows),
        stores_all_zero=int(rows["uptime_pct_week"].isna().sum()),
        most_downtime=most[most["downtime_last_week"] > 0].reset_index(drop=True),
    )


# ---------------------------------------------------------------- data page


def load_history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The newest loads: when, which feed and file, from where, and what each did."""
    with con.cursor() as cur:
        return cur.execute(load_sql("dashboard/load_history"), [limit]).df()


def rejected_rows(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """Rejected rows (file, line, raw text, reason), spreadsheet-safe, newest load first."""
    with con.cursor() as cur:
        return cur.execute(load_sql("dashboard/rejects"), [limit]).df()


def rejected_rows_csv(con: duckdb.DuckDBPyConnection) -> str:
    """All rejected rows as CSV text, for the download button."""
    return str(rejected_rows(con).to_csv(index=False))


@dataclass(frozen=True)
class DataQuality:
    """Problems in the data that change how stores are counted; each table lists stores."""

    invalid_timezones: pd.DataFrame  # store_id, detail
    missing_timezones: pd.DataFrame  # store_id, detail
    without_hours: pd.DataFrame  # store_id, detail
    without_observations: pd.DataFrame  # store_id, detail


def data_quality(con: duckdb.DuckDBPyConnection, report: ReportResult | None) -> DataQuality:
    """Invalid or missing timezones, stores without hours, and the report's stores without
    observations (pass the report the dashboard already computed: no second run)."""
    with con.cursor() as cur:
        found = cur.execute(load_sql("dashboard/quality")).df()
    without = list(report.unobserved_store_ids) if report is not None else []
    no_obs = pd.DataFrame({
        "store_id": pd.Series(without, dtype="object"),
        "detail": "no poll inside its business hours: all report figures are 0",
    })

    def pick(problem: str) -> pd.DataFrame:
        return found.loc[found["problem"] == problem, ["store_id", "detail"]].reset_index(
            drop=True)

    return DataQuality(
        invalid_timezones=pick("invalid_timezone"),
        missing_timezones=pick("no_timezone"),
        without_hours=pick("no_hours"),
        without_observations=no_obs,
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _safe_name(name: str, feed: Feed) -> str:
    base = _UNSAFE.sub("_", Path(name).name).strip(" .") or f"{feed}.csv"
    return base[:120]


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file: its summary, or why it was refused."""

    feed: Feed
    file_name: str
    summary: LoadSummary | None
    error: str | None  # set when the whole file was refused (nothing of it loaded)


UPLOAD_ORDER = (Feed.TIMEZONES, Feed.BUSINESS_HOURS, Feed.STORE_STATUS)


def load_uploads(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[Feed, tuple[str, bytes]],
    *,
    source: str = "upload",
    replace_sample: bool = True,
) -> list[UploadOutcome]:
    """Load uploaded feed files (name and bytes per feed) through the engine's ingestion.

    Each file is written to a private temporary folder under its own (sanitised) name, so
    the load history shows the name the user uploaded, and loaded in its own transaction.
    A refused file (``FeedRefusedError``: wrong header, unreadable) does not stop the
    others; its outcome carries the engine's message instead of a summary. With
    ``replace_sample``, when the database held only the first-start sample, the sample's
    rows are deleted once a file has loaded, so real polls never mix with synthetic ones.
    """
    from loop_core.errors import FeedRefusedError
    from loop_core.ingest import ingest_each

    outcomes: list[UploadOutcome] = []
    if not files:
        return outcomes
    sample_only = replace_sample and bootstrap.is_sample_only(con)
    feeds = [feed for feed in UPLOAD_ORDER if feed in files]
    with tempfile.TemporaryDirectory(prefix="loop-upload-") as tmp:
        paths: list[tuple[Feed, str | os.PathLike[str]]] = []
        for feed in feeds:
            name, content = files[feed]
            folder = Path(tmp) / str(feed)
            folder.mkdir()
            path = folder / _safe_name(name, feed)
            path.write_bytes(content)
            paths.append((feed, path))
        names = [files[feed][0] for feed in feeds]
        results = ingest_each(con, paths, source=source, file_names=names)
        for feed, name, result in zip(feeds, names, results, strict=True):
            if isinstance(result, FeedRefusedError):
                outcomes.append(UploadOutcome(feed, name, None, str(result)))
            else:
                outcomes.append(UploadOutcome(feed, name, result, None))
    # Only once real data landed: a refused upload leaves the working sample in place.
    if sample_only and any(o.summary is not None for o in outcomes):
        bootstrap.remove_sample_data(con)
    return outcomes


# ---------------------------------------------------------------- sync


def sync_history(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The newest sync runs, one row per run with each feed's outcome in a column."""
    runs = last_syncs(con, limit=limit)
    return pd.DataFrame(
        [
            {
                "run_id": r.run_id,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "source": r.source_label,
                "triggered_by": r.triggered_by,
                "outcome": str(r.outcome),
                **{str(f.feed): f"{f.outcome}: {f.message}" for f in r.files},
                "message": r.message,
            }
            for r in runs
        ],
        columns=["run_id", "started_at", "finished_at", "source", "triggered_by", "outcome",
                 *(str(feed) for feed in UPLOAD_ORDER), "message"],
    )
