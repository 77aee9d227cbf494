"""Status now (SPEC "Status now"): which stores are online, offline, closed or unknown at
an instant, and since when, from the same observations as the report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import duckdb

from loop_core import archive
from loop_core.errors import NoDataError
from loop_core.report import resolve_as_of
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import iso_z
from loop_core.transaction import transaction

STALE_AFTER_S = 2 * 3600  # an observation older than this leaves the status unknown


class StoreState(StrEnum):
    """A store's status at an instant."""

    ONLINE = "online"
    OFFLINE = "offline"  # down while it should be open
    CLOSED = "closed"  # outside its business time
    UNKNOWN = "unknown"  # no observation, or none in the last 2 hours


@dataclass(frozen=True)
class StoreStatus:
    """One store's status at ``at``, and the facts it comes from."""

    store_id: str
    csv_store_id: str  # the id as a CSV cell (spreadsheet-safe)
    status: StoreState
    since: datetime | None  # when this status began (SPEC); None when not known
    latest_poll: datetime
    latest_poll_active: bool
    latest_observation: datetime | None  # the latest poll inside business hours
    latest_observation_active: bool | None
    open_now: bool  # inside business time at ``at``
    closes_at: datetime | None  # the end of the current business interval (within 8 days)
    opens_at: datetime | None  # the start of the next one (within 8 days)
    zone: str  # the zone its wall times are read in (its own, or America/Chicago)


def status(con: duckdb.DuckDBPyConnection, at: datetime | str | None = None) -> list[StoreStatus]:
    """Every store with a poll at or before ``at`` (default: the latest poll), by store id.
    Raises ``NoDataError`` when no poll was ever loaded and no ``at`` is given."""
    when = resolve_as_of(con, at)
    if when is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    with con.cursor() as cur, transaction(cur):
        archive.stage(cur, when, when)  # what status at `when` needs of the archive
        rows = cur.execute(load_sql("report/status"), [when]).fetchall()
    return [
        StoreStatus(str(r[0]), str(r[1]), StoreState(r[2]), r[3], r[4], bool(r[5]), r[6],
                    None if r[7] is None or r[6] is None else bool(r[7]), bool(r[8]), r[9],
                    r[10], str(r[11]))
        for r in rows
    ]


STATUS_COLUMNS = ("store_id", "status", "since", "latest_poll", "latest_poll_status",
                  "latest_observation", "latest_observation_status",
                  "observation_age_minutes", "open_now", "closes_at", "opens_at")


def status_csv(rows: list[StoreStatus], at: datetime) -> str:
    """The statuses as CSV text: STATUS_COLUMNS, instants in ISO 8601 UTC with Z (empty
    when none), the latest observation's age at ``at`` in minutes, ids spreadsheet-safe."""

    def when(value: datetime | None) -> str:
        return "" if value is None else iso_z(value)

    def word(active: bool | None) -> str:
        return "" if active is None else ("active" if active else "inactive")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STATUS_COLUMNS)
    for s in rows:
        age = "" if s.latest_observation is None else \
            f"{(at - s.latest_observation).total_seconds() / 60:.2f}"
        writer.writerow([s.csv_store_id, s.status, when(s.since), when(s.latest_poll),
                         word(s.latest_poll_active), when(s.latest_observation),
                         word(s.latest_observation_active), age,
                         "true" if s.open_now else "false", when(s.closes_at),
                         when(s.opens_at)])
    return buffer.getvalue()
