"""Incidents (SPEC "Incidents"): runs of consecutive inactive observations and the business
time each owns in a range, from the report's own observations, runs and spans
(``report/runs.part.sql``), so a window's incidents add up to its downtime in the report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from loop_core import observations
from loop_core.errors import InvalidParameterError, NoDataError
from loop_core.report import resolve_as_of
from loop_core.timeutil import iso_z, parse_query_instant
from loop_core.transaction import transaction

INCIDENT_COLUMNS = ("store_id", "started_at", "ended_at", "downtime_minutes",
                    "inactive_observations")


@dataclass(frozen=True)
class Incident:
    """One incident's part in the asked range."""

    store_id: str
    csv_store_id: str  # the id as a CSV cell (spreadsheet-safe)
    started_at: datetime  # its first business instant in the range
    ended_at: datetime | None  # the end of its last business-time piece; None: ongoing
    downtime_us: int  # its business time in the range, in microseconds
    # Its inactive observations from the range's start on (and the last one before the
    # start, when that belongs to it), up to now.
    inactive_observations: int

    @property
    def downtime_minutes(self) -> float:
        """Downtime in minutes, rounded half up to 2 decimals like the report."""
        hundredths = (self.downtime_us * 100 + 30_000_000) // 60_000_000
        return hundredths / 100


def incidents(
    con: duckdb.DuckDBPyConnection,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    store_id: str | None = None,
    as_of: datetime | str | None = None,
) -> list[Incident]:
    """The incidents that own business time in ``[since, until)``, by default the week
    before now (the latest poll, or ``as_of``), for every store or one; sorted by store
    and start. Raises ``NoDataError`` when no poll was ever loaded."""
    now = resolve_as_of(con, as_of)
    if now is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    end = parse_query_instant(until) if until is not None else now
    start = parse_query_instant(since) if since is not None else end - timedelta(days=7)
    if end <= start:
        raise InvalidParameterError("the end of the range must come after its start")
    with con.cursor() as cur, transaction(cur):  # one snapshot, as in report.py
        params = observations.prepare(cur, now, store_id, start, end)
        rows = cur.execute(observations.query("runs", "incidents"), params).fetchall()
    return [Incident(str(r[0]), str(r[1]), r[2], r[3], int(r[4]), int(r[5])) for r in rows]


def incidents_csv(found: list[Incident]) -> str:
    """The incidents as CSV text: INCIDENT_COLUMNS, instants in ISO 8601 UTC with Z (empty
    when none), downtime in minutes with 2 decimals, ids spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(INCIDENT_COLUMNS)
    for i in found:
        writer.writerow([i.csv_store_id, iso_z(i.started_at),
                         "" if i.ended_at is None else iso_z(i.ended_at),
                         f"{i.downtime_minutes:.2f}", i.inactive_observations])
    return buffer.getvalue()
