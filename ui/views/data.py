"""The Data page: uploads turned into engine loads, the sync runs as a table, and the
data-quality findings with what each means for the figures."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from loop_core.archive import ArchiveInfo
from loop_core.errors import FeedRefusedError, SnapshotShrinkError
from loop_core.ingest import ingest_each
from loop_core.models import Feed, LoadSummary, ReportResult, in_load_order
from loop_core.sync import SyncResult
from ui.formatting import code_span

NO_OBSERVATIONS = "no poll inside its business hours: all report figures are 0"
_DETAILS = {
    "no_timezone": "no timezone row; America/Chicago is used",
    "no_hours": "no business-hours rows; treated as open 24x7",
}
_SPECIAL_DETAILS = {
    "special_unknown_store": "special hours on {dates} for an id with no poll, hours or "
                             "timezone row: a typo, or a store not polled yet",
    "special_far_date": "special date(s) {dates} more than a year from the latest poll: "
                        "check the year",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file: its summary, or why it was refused."""

    feed: Feed
    file_name: str
    summary: LoadSummary | None
    error: str | None  # set when the whole file was refused (nothing of it loaded)
    # Set when a snapshot was held back because it would drop most stores: a person may
    # apply it anyway (load_uploads(..., allow_shrink=True)).
    held_back: SnapshotShrinkError | None = None


def safe_file_name(name: str, feed: Feed) -> str:
    """A name that is safe to create in a temporary folder, whatever the browser sent."""
    base = _UNSAFE.sub("_", Path(name).name).strip(" .") or f"{feed}.csv"
    return base[:120]


def load_uploads(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[Feed, tuple[str, bytes]],
    *,
    replace_sample: bool = True,
    allow_shrink: bool = False,
    actor: str | None = None,
) -> list[UploadOutcome]:
    """Load uploaded feed files (name and bytes per feed) through the engine's ingestion.

    Each file is written to a private temporary folder and loaded in its own transaction,
    in load order, under the name the user gave. A refused file (wrong header, unreadable)
    does not stop the others; its outcome carries the engine's message. The engine's own
    policy applies: the first real file that loads replaces the built-in sample. ``actor``
    (who uploads) is named in each load's audit entry.
    """
    if not files:
        return []
    feeds = in_load_order(files)
    names = [files[feed][0] for feed in feeds]
    with tempfile.TemporaryDirectory(prefix="loop-upload-") as tmp:
        paths: list[tuple[Feed, str | os.PathLike[str]]] = []
        for feed in feeds:
            name, content = files[feed]
            folder = Path(tmp) / str(feed)
            folder.mkdir()
            path = folder / safe_file_name(name, feed)
            path.write_bytes(content)
            paths.append((feed, path))
        results = ingest_each(con, paths, source="upload", file_names=names,
                              replace_sample=replace_sample, allow_shrink=allow_shrink,
                              actor=actor)
    return [_outcome(feed, name, result)
            for feed, name, result in zip(feeds, names, results, strict=True)]


def _outcome(feed: Feed, name: str, result: LoadSummary | FeedRefusedError) -> UploadOutcome:
    if isinstance(result, SnapshotShrinkError):
        return UploadOutcome(feed, name, None, str(result), held_back=result)
    if isinstance(result, FeedRefusedError):
        return UploadOutcome(feed, name, None, str(result))
    return UploadOutcome(feed, name, result, None)


def sync_history(runs: list[SyncResult]) -> pd.DataFrame:
    """One row per sync run, newest first as given, with each feed's outcome in a column."""
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
                 *(str(feed) for feed in Feed), "message"],
    )


@dataclass(frozen=True)
class DataQuality:
    """Problems in the data that change how stores are counted; each table lists stores
    (store_id, detail)."""

    invalid_timezones: pd.DataFrame
    missing_timezones: pd.DataFrame
    without_hours: pd.DataFrame
    without_observations: pd.DataFrame
    special_unknown_stores: pd.DataFrame  # special rows for ids no other feed knows
    special_far_dates: pd.DataFrame  # special dates more than a year from the latest poll


def _quoted(zone: object) -> str:
    return f'"{zone}"' if isinstance(zone, str) and zone else "(empty)"


def data_quality(findings: pd.DataFrame, report: ReportResult | None) -> DataQuality:
    """The engine's findings (``loadlog.quality_findings``) worded per problem, and the
    report's stores without observations (pass the report already computed: no second run)."""

    def pick(problem: str) -> pd.DataFrame:
        rows = findings[findings["problem"] == problem]
        if problem == "invalid_timezone":
            detail = [f"timezone {_quoted(z)} is not a known IANA zone; America/Chicago is used"
                      for z in rows["zone_given"]]
        elif problem in _SPECIAL_DETAILS:
            detail = [_SPECIAL_DETAILS[problem].format(dates=d) for d in rows["dates"]]
        else:
            detail = [_DETAILS[problem]] * len(rows)
        return pd.DataFrame({"store_id": rows["store_id"].astype("object").to_list(),
                             "detail": detail}, columns=["store_id", "detail"])

    without = list(report.unobserved_store_ids) if report is not None else []
    return DataQuality(
        invalid_timezones=pick("invalid_timezone"),
        missing_timezones=pick("no_timezone"),
        without_hours=pick("no_hours"),
        without_observations=pd.DataFrame(
            {"store_id": pd.Series(without, dtype="object"), "detail": NO_OBSERVATIONS}),
        special_unknown_stores=pick("special_unknown_store"),
        special_far_dates=pick("special_far_date"),
    )


@dataclass(frozen=True)
class ArchiveView:
    """The poll archive as the Data page shows it: four figures and one line of detail."""

    months: str  # "2024-01 – 2024-06", or an em dash when nothing is archived
    polls: str
    size: str
    detail: str  # Markdown


def _size(n_bytes: int) -> str:
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= factor:
            return f"{n_bytes / factor:.1f} {unit}"
    return f"{n_bytes} B"


def archive_view(found: ArchiveInfo, polls_days: int) -> ArchiveView:
    """What the archive holds and where, with the retention setting that fills it."""
    keep = ("Retention is off (`[retention] polls_days = 0`): every poll stays in the database."
            if polls_days == 0 else
            f"Polls older than {polls_days} days move here once a day, a whole month at a "
            "time; every figure reads them back when it needs them.")
    if not found.files or found.first_month is None or found.last_month is None:
        return ArchiveView("—", "0", "0 B", f"Nothing archived yet. {keep}")
    first, last = f"{found.first_month:%Y-%m}", f"{found.last_month:%Y-%m}"
    return ArchiveView(
        months=first if first == last else f"{first} – {last}",
        polls=f"{found.polls:,}",
        size=_size(found.bytes_on_disk),
        # Markdown (the page shows it as a caption): the folder is a code span, never markup.
        detail=f"{found.files} Parquet file(s) in {code_span(found.folder)}. {keep}",
    )
