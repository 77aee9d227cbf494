"""State derived from the feeds and kept in step with them by every load.

* ``stores.hours_hash``: a content hash of each store's effective hours and zone. Stores
  with the same hash share their business intervals, which are computed once per hash.
* ``store_status.in_hours``: whether a poll is an observation (inside business hours).
  Classifying 2.6M polls is the costliest join of the report; done once at load time, a
  report only reads the flag.

New stores get their hash and new polls their flag as they are inserted
(``insert_stores.sql``, ``insert_store_status.sql``). A snapshot
load (hours or timezones) calls :func:`refresh` in its transaction, which reclassifies only
the polls of stores whose hash changed. :func:`ensure_current` runs when a file is opened
and redoes everything if it was built with other zone rules or by an older version.
"""

from __future__ import annotations

import duckdb
import tzdata  # type: ignore[import-untyped]

from loop_core.sqlfiles import load_sql


def rules_version() -> str:
    """What the classification depends on besides the data: DuckDB's zone rules and the
    list of valid IANA names (``known_zones``, from the pinned tzdata package)."""
    return f"duckdb {duckdb.__version__}; tzdata {tzdata.IANA_VERSION}"


def refresh(cur: duckdb.DuckDBPyConnection, *, unclassified: bool = False) -> None:
    """Recompute hours hashes and reclassify the polls of stores whose hash changed (and,
    with ``unclassified``, any poll without a flag). Runs inside the caller's transaction."""
    cur.execute(load_sql("refresh_hours_hash"))
    row = cur.execute("SELECT count(*) FROM changed_stores").fetchone()
    # Planning the classification costs ~20 ms: skip it when no store changed.
    if unclassified or (row and row[0]):
        cur.execute(load_sql("classify_polls"))
    cur.execute("DROP TABLE IF EXISTS changed_stores")


def ensure_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring the derived state up to date after a migration or a change of zone rules;
    return whether anything had to be redone."""
    version = rules_version()
    with con.cursor() as cur:
        row = cur.execute(
            "SELECT (SELECT any_value(rules_version) FROM derived_state), "
            "EXISTS (SELECT 1 FROM stores WHERE hours_hash IS NULL), "
            "EXISTS (SELECT 1 FROM store_status WHERE in_hours IS NULL)"
        ).fetchone()
        assert row is not None
        stored_version, unhashed, unclassified = row
        if stored_version == version and not unhashed and not unclassified:
            return False
        has_stores = bool(cur.execute("SELECT EXISTS (SELECT 1 FROM stores)").fetchall()[0][0])
        cur.execute("BEGIN TRANSACTION")
        try:
            # A new file has nothing derived yet: only the version is recorded.
            if has_stores:
                if stored_version != version:
                    # Other rules may move any interval: recompute every store from scratch.
                    cur.execute("UPDATE stores SET hours_hash = NULL")
                    cur.execute("UPDATE store_status SET in_hours = NULL")
                refresh(cur, unclassified=True)
            cur.execute("DELETE FROM derived_state")
            cur.execute("INSERT INTO derived_state VALUES (?)", [version])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    return True
