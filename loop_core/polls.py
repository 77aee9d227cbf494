"""The one question every part asks of the stored polls: when was the latest one?"""

from __future__ import annotations

from datetime import datetime

import duckdb


def latest_poll(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest ``timestamp_utc`` of all stored polls (the report's default "now"), or
    None before the first poll. ``con`` may be the root connection or a cursor: inside a
    transaction it answers from that transaction's snapshot."""
    with con.cursor() as cur:
        row = cur.execute("SELECT max(timestamp_utc) FROM store_status").fetchone()
    return None if row is None else row[0]
