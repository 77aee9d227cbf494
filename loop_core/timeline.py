"""Per-store timeline, fleet-wide status spans and downtime by local hour, from the
report's own SQL.

``report/spans.part.sql`` starts with ``report/observations.part.sql``, exactly as the
report does, so the chart's up/down spans add up to the report's figures for the same
store and window, and so do the fleet's hours (``report/downtime_by_hour.part.sql``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from loop_core import observations
from loop_core.errors import InvalidParameterError, UnknownStoreError
from loop_core.models import StoreTimeline
from loop_core.report import resolve_as_of
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import parse_query_instant
from loop_core.transaction import transaction

SPAN_COLUMNS = ["kind", "store_id", "start_utc", "end_utc", "start_local", "end_local",
                "is_active", "in_hours"]


def status_spans(
    con: duckdb.DuckDBPyConnection,
    store_id: str | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    as_of: datetime | str | None = None,
    with_polls: bool = True,
) -> pd.DataFrame:
    """Business intervals, up/down spans and (``with_polls``) polls over ``[start, end)``
    (default: the week before now) for one store or, with ``store_id=None``, every store.
    Columns: SPAN_COLUMNS; ``kind`` is 'business', 'span' or 'poll'."""
    now = resolve_as_of(con, as_of)
    start_dt = parse_query_instant(start) if start is not None else None
    end_dt = parse_query_instant(end) if end is not None else None
    if start_dt is not None and end_dt is not None and end_dt <= start_dt:
        raise InvalidParameterError("the end of the range must come after its start")
    with con.cursor() as cur, transaction(cur):  # one snapshot, as in report.py
        params = observations.prepare(cur, now, store_id, start_dt, end_dt)
        frame = cur.execute(observations.query("runs", "spans"), [*params, with_polls]).df()
    return frame if len(frame.columns) else pd.DataFrame(columns=SPAN_COLUMNS)


def downtime_by_local_hour(
    con: duckdb.DuckDBPyConnection, as_of: datetime | str, days: int = 7,
    store_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """The fleet's interpolated up and down hours over ``[as_of - days, as_of)``, per
    store-local date and hour: local_date, day_of_week (0 = Monday), local_hour, up_h,
    down_h. Summed, they give the report's fleet figures for the same window. One query:
    the spans of every store stay inside DuckDB (``report/downtime_by_hour.part.sql``).
    ``store_ids`` (None: every store) counts only those stores."""
    end = parse_query_instant(as_of)
    chosen = None if store_ids is None else sorted(store_ids)
    with con.cursor() as cur, transaction(cur):  # one snapshot, as in report.py
        params = observations.prepare(cur, end, None, end - timedelta(days=days), end,
                                      points=True)
        return cur.execute(observations.query("runs", "downtime_by_hour"),
                           [*params, chosen]).df()


def _store_facts(
    cur: duckdb.DuckDBPyConnection, store_id: str
) -> tuple[bool, str | None, str, bool]:
    row = cur.execute(
        "SELECT "
        "  EXISTS (SELECT 1 FROM stores WHERE store_id = ?) "
        "  OR EXISTS (SELECT 1 FROM business_hours WHERE store_id = ?) "
        "  OR EXISTS (SELECT 1 FROM timezones WHERE store_id = ?), "
        "  (SELECT zone_given FROM store_zone(?)), (SELECT zone FROM store_zone(?)), "
        "  (SELECT zone_invalid FROM store_zone(?))",
        [store_id] * 6,
    ).fetchone()
    assert row is not None
    known, given, zone, invalid = row
    return bool(known), given, zone or "America/Chicago", given is None or bool(invalid)


def store_timeline(
    con: duckdb.DuckDBPyConnection,
    store_id: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    as_of: datetime | str | None = None,
) -> StoreTimeline:
    """Everything the drill-down draws for one store over ``[start, end)``, in UTC and local
    time; the default range is the week before now (the latest poll, or ``as_of``)."""
    with con.cursor() as cur:
        known, given, zone, defaulted = _store_facts(cur, store_id)
        if not known:
            raise UnknownStoreError(f"no store with id {store_id!r}")
    now = resolve_as_of(con, as_of)
    end_dt = parse_query_instant(end) if end is not None else now
    if end_dt is None:  # an empty database: nothing was ever polled
        end_dt = datetime.now().astimezone()
    start_dt = parse_query_instant(start) if start is not None else end_dt - timedelta(days=7)
    with con.cursor() as cur:
        hours = cur.execute(load_sql("report/weekly_hours"), [store_id, end_dt]).df()
        special = cur.execute(load_sql("report/special_dates"),
                              [store_id, start_dt, end_dt, now or end_dt]).df()
    rows = status_spans(con, store_id, start_dt, end_dt, as_of=now)
    business = rows[rows["kind"] == "business"][
        ["start_utc", "end_utc", "start_local", "end_local"]
    ]
    spans = rows[rows["kind"] == "span"].assign(
        status=lambda f: f["is_active"].map({True: "active", False: "inactive"})
    )[["start_utc", "end_utc", "start_local", "end_local", "status"]]
    polls = rows[rows["kind"] == "poll"].assign(
        status=lambda f: f["is_active"].map({True: "active", False: "inactive"})
    )
    polls = polls.rename(columns={"start_utc": "timestamp_utc", "start_local": "timestamp_local"})[
        ["timestamp_utc", "timestamp_local", "status", "in_hours"]
    ]
    return StoreTimeline(
        store_id=store_id,
        timezone=zone,
        timezone_defaulted=defaulted,
        timezone_given=given,
        start=start_dt,
        end=end_dt,
        business=business.reset_index(drop=True),
        polls=polls.reset_index(drop=True),
        spans=spans.reset_index(drop=True),
        hours=hours,
        special=special,
    )
