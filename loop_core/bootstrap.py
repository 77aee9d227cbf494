"""First start: give an empty database deterministic sample data so the dashboard works at once.

The server calls :func:`ensure_sample_data` once when it starts (``Settings.sample`` says
whether to). It never touches a database that has seen any load. Loads made here are
recorded with ``source = 'sample'``, which is how the dashboard knows to show its "this is
sample data" banner (:func:`is_sample_only`). Real files replace the sample: the first real
load that succeeds removes it (``ingest.ingest_each`` calls :func:`remove_sample_data`), so
real polls never mix with synthetic ones, and a refused file leaves the sample in place. A
server started with a sync source configured removes it at once (``ui/lifecycle.py``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loop_core import archive, derived
from loop_core.errors import LoopCoreError
from loop_core.models import LoadSummary
from loop_core.sqlfiles import quote_identifier
from loop_core.transaction import transaction

SAMPLE_SOURCE = "sample"
SAMPLE_STORES = 200
SAMPLE_DAYS = 8
SAMPLE_SEED = 0


@dataclass(frozen=True)
class SampleLoad:
    """What the first-start sample load did."""

    stores: int
    days: int
    seed: int
    summaries: list[LoadSummary]


def database_is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no file was ever loaded and there is not a single poll."""
    with con.cursor() as cur:
        row = cur.execute(
            "SELECT (SELECT count(*) FROM loads) + (SELECT count(*) FROM store_status)"
        ).fetchone()
    return row is None or int(row[0]) == 0


def is_sample_only(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every load so far came from the built-in sample (and there was at least one)."""
    with con.cursor() as cur:
        row = cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE source <> ?) FROM loads", [SAMPLE_SOURCE]
        ).fetchone()
    return row is not None and int(row[0]) > 0 and int(row[1]) == 0


def ensure_sample_data(
    con: duckdb.DuckDBPyConnection,
    *,
    stores: int = SAMPLE_STORES,
    days: int = SAMPLE_DAYS,
    seed: int = SAMPLE_SEED,
    end: datetime | None = None,
) -> SampleLoad | None:
    """Load the deterministic sample into an empty database; return None if it was not empty.

    The sample files are written to a temporary folder and loaded through the normal
    ingestion, so they show up in the load history like any other file. ``end`` is where
    the polls stop (default: the sample's fixed date; the server passes the current hour).
    """
    if not database_is_empty(con):
        return None
    # Imported here: the sample generator and ingestion are only needed on first start.
    from loop_core.ingest import ingest_files
    from loop_core.models import Feed
    from loop_core.sample import write_sample

    with tempfile.TemporaryDirectory(prefix="loop-sample-") as tmp:
        try:
            paths = write_sample(Path(tmp), stores=stores, days=days, seed=seed, end=end)
        except OSError as e:
            raise LoopCoreError(f"could not write the sample data: {e}") from e
        summaries = ingest_files(
            con,
            store_status=paths.get(Feed.STORE_STATUS),
            business_hours=paths.get(Feed.BUSINESS_HOURS),
            timezones=paths.get(Feed.TIMEZONES),
            source=SAMPLE_SOURCE,
        )
    return SampleLoad(stores=stores, days=days, seed=seed, summaries=summaries)


def current_hour(now: datetime | None = None) -> datetime:
    """The start of the hour ``now`` (default: the wall clock) is in, in UTC."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return when.replace(minute=0, second=0, microsecond=0)


def advance_demo(
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    *,
    stores: int = SAMPLE_STORES,
    seed: int = SAMPLE_SEED,
) -> LoadSummary | None:
    """The demo feed: while the database holds only the sample, append its polls up to the
    current hour (at most a day back). The sample is a pure function of the hour, so the
    polls already loaded come again as duplicates and only the new hours are added.
    Returns what the load did, or None when there is no sample to advance."""
    if not is_sample_only(con):
        return None
    from loop_core.ingest import ingest_each
    from loop_core.models import Feed
    from loop_core.sample import write_sample

    with tempfile.TemporaryDirectory(prefix="loop-demo-") as tmp:
        try:
            paths = write_sample(Path(tmp), stores=stores, days=1, seed=seed,
                                 end=current_hour(now))
        except OSError as e:
            raise LoopCoreError(f"could not write the demo polls: {e}") from e
        (outcome,) = ingest_each(con, [(Feed.STORE_STATUS, paths[Feed.STORE_STATUS])],
                                 source=SAMPLE_SOURCE, file_names=["demo-feed.csv"])
    if not isinstance(outcome, LoadSummary):
        raise LoopCoreError(f"the demo feed could not load: {outcome}")
    return outcome


def remove_sample_data(con: duckdb.DuckDBPyConnection) -> int:
    """Delete everything the sample load put in the database; return how many loads it undid.

    Called once the first real file has loaded, so that real polls are never mixed with
    synthetic ones (polls are appended, not replaced). One transaction: all of it goes or
    none, and the derived state (hours hashes, poll flags) follows the removed snapshots.
    """
    archived: list[str] = []
    with con.cursor() as cur:
        try:
            with transaction(cur):
                ids = [int(r[0]) for r in cur.execute(
                    "SELECT load_id FROM loads WHERE source = ?", [SAMPLE_SOURCE]).fetchall()]
                if ids:
                    # The days of the sample's polls lose their observations.
                    derived.touch_days(cur, "list_contains(?, load_id)", [ids])
                    for table in ("store_status", "business_hours", "timezones", "rejects"):
                        cur.execute(
                            f"DELETE FROM {quote_identifier(table)} "
                            "WHERE list_contains(?, load_id)",
                            [ids],
                        )
                    cur.execute("DELETE FROM loads WHERE list_contains(?, load_id)", [ids])
                    # Store keys stand for "ever polled": forget the ids only the sample polled.
                    cur.execute(
                        "DELETE FROM stores WHERE store_key NOT IN "
                        "(SELECT DISTINCT store_key FROM store_status)"
                    )
                    # The sample's hours or zones may have been the ones still in force.
                    derived.refresh(cur)
                    derived.summarise_days(cur)
                    # Archived polls can only be the sample's too (the file held nothing else).
                    archived = [str(r[0]) for r in cur.execute(
                        "SELECT file FROM archive_files").fetchall()]
                    cur.execute("DELETE FROM archive_files")
                    cur.execute("DELETE FROM archive_summary")
        except duckdb.Error as e:
            raise LoopCoreError(f"could not remove the sample data: {e}") from e
        archive.remove_files(archive.folder(cur), archived)
    return len(ids)
