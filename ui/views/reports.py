"""The Reports page: history, shareable links, progress of a running job, the file name of
the download, and the preview of a finished report."""

from __future__ import annotations

import io
import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd

from loop_core.config import ReportsConfig
from loop_core.models import ReportState, ReportStatus
from loop_core.report import unguarded_id
from ui.views.fleet import fleet_uptime_pct, weekly_uptime_pct
from ui.views.groups import name_matches

DEFAULT_EXPECTED_S = 3.0
HISTORY_COLUMNS = ["report_id", "created_at", "as_of", "status", "source", "stores",
                   "duration_s", "error", "link"]
# How the History table names where a job was started (jobs.SOURCES); jobs recorded before
# the source was kept show "unknown".
SOURCE_LABELS = {"dashboard": "Dashboard", "api": "API", "cli": "CLI"}
UNKNOWN_SOURCE = "unknown"


def report_history(statuses: list[ReportStatus]) -> pd.DataFrame:
    """One row per report job, newest first as given, with a link to open it."""
    return pd.DataFrame(
        [
            {
                "report_id": s.report_id,
                "created_at": s.created_at,
                "as_of": s.as_of or s.as_of_requested,
                "status": str(s.status),
                "source": SOURCE_LABELS.get(s.source or "", UNKNOWN_SOURCE),
                "duration_s": s.duration_s,
                "stores": s.row_count,
                # Empty, not None: a table would print the word "None" for a missing error.
                "error": s.error or "",
                "link": f"?report_id={s.report_id}",
            }
            for s in statuses
        ],
        columns=HISTORY_COLUMNS,
    )


def report_link(page_url: str | None, report_id: str) -> str:
    """The shareable address of a report: this page's URL with ``?report_id=…`` only."""
    parts = urlsplit(page_url or "")
    query = urlencode({"report_id": report_id})
    if not parts.netloc:
        return f"?{query}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def expected_duration_s(statuses: list[ReportStatus]) -> float:
    """How long a report usually takes here: the median of the Complete ones given."""
    done = [s.duration_s for s in statuses
            if s.status is ReportState.COMPLETE and s.duration_s is not None]
    return statistics.median(done) if done else DEFAULT_EXPECTED_S


def running_progress(status: ReportStatus, expected_s: float, now: datetime) -> float:
    """A progress fraction for a running job from its elapsed time; never reaches 1."""
    elapsed = max(0.0, (now - status.created_at).total_seconds())
    return min(0.95, elapsed / max(expected_s, 0.1))


def expired_message(status: ReportStatus, keep: ReportsConfig) -> str:
    """What the page says about an expired report: that it must be generated again, and
    why its CSV is gone."""
    when = "" if status.expired_at is None else f" on {status.expired_at:%Y-%m-%d %H:%M} UTC"
    limits = f"while among the newest {keep.keep_count:,}"
    if keep.keep_days != float("inf"):
        limits += f" and for {keep.keep_days:g} days"
    return (
        f"Expired: generate it again. Its CSV was removed{when}: completed reports keep "
        f"theirs {limits}. Generating it again measures up to the same as-of."
    )


def report_file_name(status: ReportStatus, extended: bool = False) -> str:
    """``store-uptime-report_as-of_2024-10-14T115745Z.csv``: the as-of, safe on any OS
    (``…_extended.csv`` for the extended twin)."""
    when = status.as_of or status.as_of_requested or status.created_at
    tail = "_extended" if extended else ""
    return f"store-uptime-report_as-of_{when:%Y-%m-%dT%H%M%SZ}{tail}.csv"


@dataclass(frozen=True)
class ReportPreview:
    """One report's rows after the filters, and their summary: the figures and the list
    follow the filters (#16: a filtered preview must not show fleet-wide figures)."""

    rows: pd.DataFrame  # store_id, name, SPEC figures, uptime_pct_week, after the filters
    total_rows: int  # the whole report
    uptime_pct: dict[str, float | None]  # window -> % of business time up, rows shown
    stores_all_zero: int  # shown stores with no business time or no observations in the week
    most_downtime: pd.DataFrame  # the 10 shown stores with the most downtime last week
    stores_with_downtime: int  # how many shown stores had any downtime last week


def report_preview(
    csv_text: str, contains: str = "", min_downtime_week_h: float = 0.0,
    names: Mapping[str, str] | None = None, store_ids: Collection[str] | None = None,
) -> ReportPreview:
    """Parse a report CSV (ids kept as text, without the spreadsheet guard) and filter it
    by ``store_ids`` (the group filter; None keeps all), store id or name and weekly
    downtime; ``names`` (id -> name, stores feed) fills the name column."""
    rows = pd.read_csv(io.StringIO(csv_text), dtype={"store_id": "string"},
                       keep_default_na=False)
    rows["store_id"] = rows["store_id"].map(unguarded_id).astype("string")
    names = names or {}
    rows.insert(1, "name", [names.get(str(s), "") for s in rows["store_id"]])
    rows["uptime_pct_week"] = weekly_uptime_pct(rows)
    shown = rows
    if store_ids is not None:
        shown = shown[shown["store_id"].isin(list(store_ids))]
    if contains.strip():
        found = name_matches([str(s) for s in shown["store_id"]], names, contains)
        shown = shown[shown["store_id"].isin(list(found))]
    if min_downtime_week_h > 0:
        shown = shown[shown["downtime_last_week"] >= min_downtime_week_h]
    most = (shown.sort_values(["downtime_last_week", "store_id"], ascending=[False, True])
            .head(10).loc[:, ["store_id", "name", "downtime_last_week", "uptime_pct_week"]]
            .reset_index(drop=True))
    return ReportPreview(
        rows=shown.reset_index(drop=True),
        total_rows=len(rows),
        uptime_pct=fleet_uptime_pct(shown),
        stores_all_zero=int(shown["uptime_pct_week"].isna().sum()),
        most_downtime=most[most["downtime_last_week"] > 0].reset_index(drop=True),
        stores_with_downtime=int((shown["downtime_last_week"] > 0).sum()),
    )


def most_downtime_caption(preview: ReportPreview) -> str:
    """How much of the fleet the capped "Most downtime" list shows, and where the rest is."""
    total = preview.stores_with_downtime
    if total == 0:
        return "No store had downtime last week."
    shown = len(preview.most_downtime)
    if shown == total:
        return f"All {total:,} stores with downtime last week."
    return (f"{shown:,} of {total:,} stores with downtime last week: sort the table by "
            "\"Down, week\" to see all.")
