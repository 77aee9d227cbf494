"""The evidence behind each store's report figures (docs/RULES.md "Evidence").

Per window (last hour, day, week): how many observations the report's interpolation used,
the latest observation (time and status), and the poll coverage: the share of the window's
business time within :data:`COVERAGE_RADIUS` of an observation. A figure resting on one
poll days ago has a coverage near 0, and says so.

It is the report's own start (``observations.prepare`` and ``report/observations.part.sql``)
followed by ``evidence/evidence.part.sql``, so the observations and the business time are
exactly the report's. One row per store of the report, keyed by ``store_id``: join it to
``ReportResult.rows`` on that column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from loop_core import observations
from loop_core.errors import NoDataError
from loop_core.report import resolve_as_of
from loop_core.sqlfiles import load_sql
from loop_core.transaction import transaction

COVERAGE_RADIUS = timedelta(minutes=90)
WINDOWS = ("hour", "day", "week")
EVIDENCE_COLUMNS = [
    "store_id",
    *(f"observations_last_{w}" for w in WINDOWS),
    "latest_observation_at",
    "latest_observation_active",
    *(f"coverage_last_{w}" for w in WINDOWS),
]


@dataclass(frozen=True)
class EvidenceRow:
    """One store's evidence in exact microseconds (``covered_us`` and ``business_us`` per
    window: hour, day, week) and its ``coverage``: the covered share of each window's
    business time, None when it holds none (computed once, by evidence.part.sql)."""

    store_id: str
    observations: tuple[int, int, int]
    latest_observation_at: datetime | None
    latest_observation_active: bool | None
    covered_us: tuple[int, int, int]
    business_us: tuple[int, int, int]
    coverage: tuple[float | None, float | None, float | None]


def fill_evidence_us(
    cur: duckdb.DuckDBPyConnection, now: datetime, store_id: str | None = None
) -> None:
    """Fill the temp table ``evidence_us`` (evidence/evidence.part.sql's columns, exact
    microseconds) as of ``now`` in the caller's transaction: the extended CSV reads it in
    the snapshot its report figures come from."""
    sql = (load_sql("report/params.part") + load_sql("report/observations.part")
           + load_sql("evidence/evidence.part"))
    params = observations.prepare(cur, now, store_id)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE evidence_us AS {sql}",
                [*params, COVERAGE_RADIUS // timedelta(microseconds=1)])


def evidence_rows(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    store_id: str | None = None,
) -> list[EvidenceRow]:
    """The evidence of every store of the report at ``as_of`` (default: the latest poll),
    or of ``store_id`` only, sorted by store id.

    Raises ``NoDataError`` when no poll was ever loaded and no ``as_of`` is given.
    """
    now = resolve_as_of(con, as_of)
    if now is None:
        raise NoDataError("no polls loaded yet: load the store status feed first")
    # One snapshot for both statements, as in report.py.
    with con.cursor() as cur, transaction(cur):
        fill_evidence_us(cur, now, store_id)
        found = cur.execute("SELECT * FROM evidence_us ORDER BY store_id").fetchall()
    return [
        EvidenceRow(
            store_id=str(r[0]),
            observations=(int(r[1]), int(r[2]), int(r[3])),
            latest_observation_at=r[4],
            latest_observation_active=None if r[5] is None else bool(r[5]),
            covered_us=(int(r[6]), int(r[7]), int(r[8])),
            business_us=(int(r[9]), int(r[10]), int(r[11])),
            coverage=(r[12], r[13], r[14]),  # DOUBLE or NULL
        )
        for r in found
    ]


def store_evidence(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | str | None = None,
    store_id: str | None = None,
) -> pd.DataFrame:
    """:func:`evidence_rows` as a DataFrame with EVIDENCE_COLUMNS: ``observations_last_*``
    (int), ``latest_observation_at`` (UTC; NaT without an observation),
    ``latest_observation_active`` (nullable boolean), ``coverage_last_*`` (0..1; NaN when
    the window holds no business time)."""
    found = evidence_rows(con, as_of, store_id)
    frame = pd.DataFrame(
        [(r.store_id, *r.observations, r.latest_observation_at, r.latest_observation_active,
          *r.coverage) for r in found],
        columns=EVIDENCE_COLUMNS,
    )
    frame["store_id"] = frame["store_id"].astype("string")
    for window in WINDOWS:
        frame[f"observations_last_{window}"] = frame[f"observations_last_{window}"].astype("int64")
        frame[f"coverage_last_{window}"] = frame[f"coverage_last_{window}"].astype("float64")
    frame["latest_observation_at"] = pd.to_datetime(frame["latest_observation_at"], utc=True)
    frame["latest_observation_active"] = frame["latest_observation_active"].astype("boolean")
    return frame
