"""Plain data returned by the engine's public functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only when a DataFrame is really built
    import pandas as pd


class Feed(StrEnum):
    """The feeds, named as in the load log, and declared in the order they load (special
    hours and stores are optional).

    Snapshots load before polls: new polls are then classified against the hours they
    arrived with, instead of being classified once and again after the snapshot.
    Iterating ``Feed`` (or :func:`in_load_order`) is the one definition of that order.
    """

    TIMEZONES = "timezones"
    BUSINESS_HOURS = "business_hours"
    SPECIAL_HOURS = "special_hours"
    STORES = "stores"
    STORE_STATUS = "store_status"


def in_load_order(feeds: Iterable[Feed | str]) -> list[Feed]:
    """The given feeds in load order (see :class:`Feed`)."""
    given = {Feed(feed) for feed in feeds}
    return [feed for feed in Feed if feed in given]


@dataclass(frozen=True)
class LoadSummary:
    """What one file did to the database."""

    feed: Feed
    file_name: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_rejected: int
    unchanged: bool = False  # an identical file was loaded before: nothing was done
    load_id: int | None = None

    def describe(self) -> str:
        """One human line, as the CLI and the Data page print it."""
        if self.unchanged:
            return f"{self.feed}: {self.file_name} unchanged (identical file already loaded)"
        return (
            f"{self.feed}: {self.file_name}: {self.rows_loaded} loaded, "
            f"{self.rows_duplicate} duplicates, {self.rows_rejected} rejected"
        )


class ReportState(StrEnum):
    """A report job's status, spelled as the original API did."""

    RUNNING = "Running"
    COMPLETE = "Complete"
    FAILED = "Failed"
    EXPIRED = "Expired"  # was Complete; its CSV was removed ([reports] keep_count, keep_days)


@dataclass(frozen=True)
class ReportStatus:
    """One report job. ``csv_path`` (the CSV file, as the engine wrote it) is only set by
    ``jobs.get_report`` on a Complete job whose file is in place."""

    report_id: str
    status: ReportState
    created_at: datetime
    finished_at: datetime | None
    as_of_requested: datetime | None
    as_of: datetime | None
    row_count: int | None
    duration_s: float | None
    error: str | None  # why it failed; for an Expired report, jobs.EXPIRED
    csv_bytes: int | None = None
    expired_at: datetime | None = None
    csv_path: Path | None = None
    source: str | None = None  # dashboard / api / cli (jobs.SOURCES); None: not recorded


@dataclass(frozen=True)
class ReportResult:
    """A computed report: its "now", its rows (SPEC columns) and the CSV text."""

    as_of: datetime
    csv: str
    row_count: int
    stores_without_observations: int
    # Stores polled but never inside their business hours: all six figures are 0 (SPEC).
    unobserved_store_ids: tuple[str, ...] = ()

    @cached_property
    def table(self) -> list[tuple[str, ...]]:
        """The CSV's rows (without header), figures as exact text ('1.74')."""
        import csv
        import io

        return [tuple(row) for row in csv.reader(io.StringIO(self.csv))][1:]

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The rows as a DataFrame with float figures and the real store ids (without the
        CSV's spreadsheet guard), built on first use."""
        import pandas as pd

        from loop_core.report import REPORT_COLUMNS, unguarded_id

        frame = pd.DataFrame(self.table, columns=REPORT_COLUMNS)
        frame["store_id"] = [unguarded_id(cell) for cell in frame["store_id"]]
        for column in REPORT_COLUMNS[1:]:
            frame[column] = frame[column].astype("float64")
        return frame


@dataclass(frozen=True)
class StoreTimeline:
    """Everything the drill-down chart shows for one store over ``[start, end)`` (UTC)."""

    store_id: str
    timezone: str
    timezone_defaulted: bool  # no row, or an invalid zone name: America/Chicago was used
    timezone_given: str | None
    start: datetime
    end: datetime
    business: pd.DataFrame  # start_utc, end_utc, start_local, end_local
    polls: pd.DataFrame  # timestamp_utc, timestamp_local, status, in_hours
    spans: pd.DataFrame  # start_utc, end_utc, status ('active' | 'inactive')
    # The weekly hours rows placed on the local week ending with the range (empty = open
    # 24x7): day_of_week, start_time_local, end_time_local, local_date, week_ends (the
    # week's last local date), start_local, end_local (naive local wall times, by the
    # business-time rules), start_utc, end_utc, utc_offset_minutes (at the start).
    hours: pd.DataFrame
    # The special-hours rows on the local dates of the range and of the 14 days from now
    # on (empty: none): local_date, start_time_local, end_time_local (both None: closed),
    # in_range, start_local, end_local, start_utc, end_utc, day_start_utc, day_end_utc
    # (the UTC extent of the local date).
    special: pd.DataFrame
