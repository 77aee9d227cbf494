"""State derived from the feeds and kept in step with them by every load.

* ``stores.hours_hash``: a content hash of each store's effective hours and zone. Stores
  with the same hash share their business intervals, which are computed once per hash.
* ``store_status.in_hours``: whether a poll is an observation (inside business hours).
  Classifying 2.6M polls is the costliest join of the report; done once at load time, a
  report only reads the flag.
* ``interval_cache``: the business intervals of every hash from ``BEHIND_US`` before the
  newest poll to ``AHEAD_US`` after it: the range reports and hourly loads use. Polls there
  are classified against it, and reports read it when it covers them. Its size is bounded
  whatever dates a file holds; a poll older than the cache is classified against
  intervals computed for its own days only (:func:`classify_pending`), so the cost of a
  load follows the number of polls and their days, never the span between them.

* ``observation_days``: per store and UTC day with a poll, its last poll, last observation,
  last observation of the other status and the first of its last run (migrations 009,
  015), so a report finds each store's last observation before its week, and status its
  latest poll and current run, in one row per store and day instead of every poll. It
  summarises the polls in ``store_status`` (compaction drops the archived days' rows). A
  load folds its new polls in (:func:`summarise_load`); whatever reclassifies or removes
  polls notes their (store, day) pairs (:func:`touch_days`) and :func:`summarise_days`
  recomputes those rows.
* ``observation_points``: per store and UTC day, the observations a report's window needs
  (migration 019: the first, the last and those next to one of the other status), kept
  with ``observation_days`` by the same calls, so the report and the fleet's hours window
  a few rows per store and day instead of every observation.

New stores get their hash and new polls their flag as they are inserted
(``ingest/insert_stores.sql``, ``ingest/insert_store_status.sql``). A snapshot
load (hours or timezones) calls :func:`refresh` in its transaction, which reclassifies only
the polls of stores whose hash changed. :func:`ensure_current` runs when a file is opened
and redoes everything if it was built with other zone rules or by an older version.
"""

from __future__ import annotations

import hashlib

import duckdb
import tzdata  # type: ignore[import-untyped]

from loop_core.polls import latest_poll
from loop_core.sqlfiles import load_sql
from loop_core.timeutil import epoch_us
from loop_core.transaction import transaction


def rules_version() -> str:
    """What the derived state depends on besides the data: DuckDB's zone rules, the list of
    valid IANA names (``known_zones``, from the pinned tzdata package) and the definitions
    of business time and of the hours hash in ``rules/macros.sql``."""
    digest = hashlib.sha256(load_sql("rules/macros").encode()).hexdigest()[:12]
    return f"duckdb {duckdb.__version__}; tzdata {tzdata.IANA_VERSION}; macros {digest}"


DAY_US = 86_400_000_000
# The cache reaches this far past the newest poll, so hourly loads rebuild it about once
# every two days, and back far enough for a fresh load of eight days and a report's week.
AHEAD_US = 2 * DAY_US
BEHIND_US = 10 * DAY_US

_GROUPS_FP = "SELECT bit_xor(hours_hash) FROM (SELECT DISTINCT hours_hash FROM stores)"


def cache_covers(cur: duckdb.DuckDBPyConnection, lo_us: int, hi_us: int) -> bool:
    """Whether interval_cache is exact over [lo_us, hi_us] for every store's hours."""
    row = cur.execute(
        f"SELECT lo_us <= ? AND hi_us >= ? AND groups_fp IS NOT DISTINCT FROM ({_GROUPS_FP}) "
        "FROM interval_cache_range",
        [lo_us, hi_us],
    ).fetchone()
    return bool(row and row[0])


def cover(cur: duckdb.DuckDBPyConnection, lo_us: int, hi_us: int) -> tuple[int, int]:
    """Make interval_cache exact over [lo_us, hi_us] as far as it reaches back (BEHIND_US
    before the newest poll) and return the range it is exact for. When it does not cover
    that, it is rebuilt over [newest - BEHIND_US, newest + AHEAD_US]: bounded, and wide
    enough to serve the next report and hourly loads too."""
    latest = latest_poll(cur)
    newest = hi_us if latest is None else max(hi_us, epoch_us(latest))
    if not cache_covers(cur, max(lo_us, newest - BEHIND_US), hi_us):
        lo, hi = newest - BEHIND_US, newest + AHEAD_US
        fp = cur.execute(_GROUPS_FP).fetchone()
        cur.execute("DELETE FROM interval_cache")
        cur.execute("DELETE FROM interval_cache_range")
        cur.execute(load_sql("derived/rebuild_interval_cache"), [lo, hi])
        cur.execute(
            "INSERT INTO interval_cache_range VALUES (?, ?, ?)", [lo, hi, fp[0] if fp else None]
        )
    row = cur.execute("SELECT lo_us, hi_us FROM interval_cache_range").fetchall()[0]
    return int(row[0]), int(row[1])


def use_cached_buckets(cur: duckdb.DuckDBPyConnection) -> None:
    """Point ``classify_buckets`` (what the classification joins read) at the interval
    cache: a view, so the join reads the cache as before, with nothing copied."""
    _drop_buckets(cur)
    cur.execute("CREATE TEMP VIEW classify_buckets AS SELECT * FROM cached_day_buckets()")


def _drop_buckets(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("DROP VIEW IF EXISTS classify_buckets")
    cur.execute("DROP TABLE IF EXISTS sparse_day_buckets")


# The polls classify_pending (re)classifies.
_PENDING = "in_hours IS NULL OR store_key IN (SELECT store_key FROM changed_stores)"


def classify_pending(cur: duckdb.DuckDBPyConnection) -> None:
    """Classify the pending polls: those without a flag, and those of the stores in the
    temp table ``changed_stores`` (if any). Polls the cache covers are classified against
    it; older ones against intervals computed for their own days and hashes only."""
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS changed_stores (store_key BIGINT)")
    span = cur.execute(
        f"SELECT epoch_us(min(timestamp_utc)), epoch_us(max(timestamp_utc)) FROM store_status "
        f"WHERE {_PENDING}"
    ).fetchall()[0]
    if span[0] is None:
        return
    touch_days(cur, _PENDING, [])
    lo, hi = cover(cur, int(span[0]), int(span[1]))
    use_cached_buckets(cur)
    cur.execute(load_sql("derived/classify_polls"), [lo, hi, True])
    if int(span[0]) < lo or int(span[1]) > hi:
        _drop_buckets(cur)
        cur.execute(load_sql("derived/sparse_buckets"), [lo, hi])
        cur.execute("CREATE TEMP VIEW classify_buckets AS SELECT * FROM sparse_day_buckets")
        cur.execute(load_sql("derived/classify_polls"), [lo, hi, False])
    _drop_buckets(cur)
    summarise_days(cur)


_TOUCHED_DAYS = "CREATE TEMP TABLE IF NOT EXISTS touched_days (store_key INTEGER, day INTEGER)"


def touch_days(cur: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> None:
    """Note the (store, day) pairs of the polls that satisfy ``where`` (a condition over
    ``store_status`` written in the code, values bound as ``params``): their observations
    are about to change, or just did. :func:`summarise_days` then brings them up to date."""
    cur.execute(_TOUCHED_DAYS)
    cur.execute(
        "INSERT INTO touched_days SELECT DISTINCT store_key, "
        f"(epoch_us(timestamp_utc) // {DAY_US})::INTEGER FROM store_status WHERE {where}",
        params,
    )


def summarise_days(cur: duckdb.DuckDBPyConnection) -> None:
    """Recompute the observation_days rows of the touched (store, day) pairs from the polls
    as they are now (``derived/summarise_days.sql``). Runs inside the caller's transaction."""
    cur.execute(_TOUCHED_DAYS)
    if cur.execute("SELECT EXISTS (SELECT 1 FROM touched_days)").fetchall()[0][0]:
        sql = "".join(load_sql(f"derived/{name}")
                      for name in ("summarise_days", "day_rows.part", "days_final.part"))
        cur.execute(f"CREATE OR REPLACE TEMP TABLE summarised AS {sql}")
        _replace_points(cur, "touched_days", load_sql("derived/summarise_days"), [])
        _replace_days(cur, "touched_days")
    cur.execute("DROP TABLE touched_days")


def summarise_load(cur: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Fold the polls that load ``load_id`` added into observation_days (the cheap path of
    every load: ``derived/summarise_load.sql``); the (store, day) pairs whose stored
    observations it interleaves with are recomputed from their polls instead."""
    sql = "".join(load_sql(f"derived/{name}")
                  for name in ("summarise_load", "day_rows.part", "merge_load_days.part"))
    cur.execute(f"CREATE OR REPLACE TEMP TABLE summarised AS {sql}", [load_id])
    cur.execute(_TOUCHED_DAYS)
    cur.execute("INSERT INTO touched_days SELECT store_key, day FROM summarised WHERE interleaved")
    cur.execute("DELETE FROM summarised WHERE interleaved")
    cur.execute("ALTER TABLE summarised DROP COLUMN interleaved")
    _replace_points(cur, "summarised", load_sql("derived/load_points"), [load_id])
    _replace_days(cur, "summarised")
    summarise_days(cur)


def _replace_points(
    cur: duckdb.DuckDBPyConnection, pairs: str, head: str, params: list[object]
) -> None:
    """Replace the observation_points rows of the (store, day) pairs in the temp table
    ``pairs`` with those of ``head`` (SQL ending in the CTE ``day_polls``) followed by
    ``derived/day_points.part.sql``."""
    cur.execute("CREATE OR REPLACE TEMP TABLE new_points AS "
                f"{head}{load_sql('derived/day_points.part')}", params)
    cur.execute(
        f"DELETE FROM observation_points AS d USING {pairs} AS t "
        "WHERE d.store_key = t.store_key AND d.day = t.day "
        f"AND d.day >= (SELECT min(day) FROM {pairs}) AND d.day <= (SELECT max(day) FROM {pairs})"
    )
    cur.execute("INSERT INTO observation_points SELECT * FROM new_points ORDER BY day")
    cur.execute("DROP TABLE new_points")


def _replace_days(cur: duckdb.DuckDBPyConnection, pairs: str) -> None:
    """Replace the observation_days rows of the (store, day) pairs in the temp table
    ``pairs`` with the rows of the temp table ``summarised``, and lower the stores'
    ``first_observation_day`` where a new row comes earlier."""
    # The day range lets the scan skip the row groups of other days.
    cur.execute(
        f"DELETE FROM observation_days AS d USING {pairs} AS t "
        "WHERE d.store_key = t.store_key AND d.day = t.day "
        f"AND d.day >= (SELECT min(day) FROM {pairs}) AND d.day <= (SELECT max(day) FROM {pairs})"
    )
    cur.execute("INSERT INTO observation_days SELECT * FROM summarised ORDER BY day")
    cur.execute(
        "UPDATE stores SET first_observation_day = f.day "
        "FROM (SELECT store_key, min(day) AS day FROM summarised WHERE last_key IS NOT NULL "
        "GROUP BY store_key) AS f "
        "WHERE stores.store_key = f.store_key "
        "AND (stores.first_observation_day IS NULL OR f.day < stores.first_observation_day)"
    )
    cur.execute("DROP TABLE summarised")


def refresh(
    cur: duckdb.DuckDBPyConnection, *, unclassified: bool = False, special_changes: bool = False
) -> None:
    """Recompute hours hashes and reclassify the polls of stores whose hash changed (and,
    with ``unclassified``, any poll without a flag). Runs inside the caller's transaction.

    ``special_changes``: a special-hours load, which filled the temp table
    ``special_changes`` (derived/special_changes.sql); only its stores' polls around the
    changed dates are reclassified."""
    if not cur.execute("SELECT EXISTS (SELECT 1 FROM stores)").fetchall()[0][0]:
        return  # no store yet (snapshots loaded before any poll): nothing to derive
    cur.execute(load_sql("derived/refresh_hours_hash"))
    row = cur.execute("SELECT count(*) FROM changed_stores").fetchone()
    changed = bool(row and row[0])
    if special_changes and changed:
        cur.execute(load_sql("derived/special_windows"))
        # The new hashes may have no poll to classify (a date ahead): the cache gains them
        # all the same, for the next report (cover() rebuilds it only when it must).
        latest = latest_poll(cur)
        if latest is not None:
            cover(cur, epoch_us(latest), epoch_us(latest))
        unclassified = True
    # Planning the classification has a fixed cost: skip it when no store changed.
    if unclassified or changed:
        classify_pending(cur)
    cur.execute("DROP TABLE IF EXISTS changed_stores")
    cur.execute("DROP TABLE IF EXISTS special_changes")


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
        with transaction(cur):
            if stored_version != version:
                # Other rules may move any interval: recompute every store from scratch.
                cur.execute("UPDATE stores SET hours_hash = NULL")
                cur.execute("UPDATE store_status SET in_hours = NULL")
                cur.execute("DELETE FROM interval_cache_range")
            refresh(cur, unclassified=True)  # returns at once in a new, empty file
            cur.execute("DELETE FROM derived_state")
            cur.execute("INSERT INTO derived_state VALUES (?)", [version])
    return True
