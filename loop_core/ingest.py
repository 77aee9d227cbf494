"""Loading the feed files into DuckDB.

Each file loads in one transaction: all of it lands or none of it does. Rows that cannot
be read go to ``rejects`` with their line and reason while the rest of the file loads; a
file whose header lacks a required column is refused whole. Polls are appended with exact
duplicates skipped; business hours, special hours, timezones and stores are snapshots that
replace the table.
An identical file (same sha256) loaded again changes nothing and is not recorded.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from loop_core import archive, audit, bootstrap, derived
from loop_core.csv_records import read_records
from loop_core.errors import FeedRefusedError, LoopCoreError, SnapshotShrinkError
from loop_core.models import Feed, LoadSummary
from loop_core.sqlfiles import load_sql, quote_identifier
from loop_core.transaction import transaction

# Ids that the fast path does not tidy: one starting or ending with a blank (only the
# careful path trims it), or holding a NUL byte (which the careful reader rejects). Tabs
# and NULs are checked only in a file that holds one (found while hashing it): the checks
# cost 0.035 s over 2.6M polls, and real files hold neither.
_TAB_OR_NUL = (
    "starts_with(store_id, chr(9)) OR ends_with(store_id, chr(9)) "
    "OR contains(store_id, chr(0))"
)


@dataclass(frozen=True)
class _Layout:
    """The columns a feed needs; each tuple lists accepted header names for one column."""

    columns: tuple[tuple[str, ...], ...]
    stage_sql: str
    table: str
    table_columns: str
    # A whole-file query with typed columns for the fast path, and the condition that
    # sends a row it read to the careful path.
    native_sql: str | None = None
    native_types: tuple[str, ...] = ()
    native_check: str = ""
    # How many of the leading columns the header must have; the others may be absent
    # (read as NULL). None: all of them.
    required: int | None = None


_LAYOUTS = {
    Feed.STORE_STATUS: _Layout(
        (("store_id",), ("status",), ("timestamp_utc",)),
        "ingest/stage_store_status.part",
        "store_status",
        "store_key, is_active, timestamp_utc",
        native_sql="ingest/stage_store_status_native.part",
        # The timestamp as text: the native SQL parses it (poll_time), in one read.
        native_types=("VARCHAR", "VARCHAR", "VARCHAR"),
        native_check=(
            "store_id = '' OR is_active IS NULL OR timestamp_utc IS NULL "
            "OR starts_with(store_id, ' ') OR ends_with(store_id, ' ') "
            "OR store_id_too_long(store_id) OR NOT poll_time_plausible(timestamp_utc)"
        ),
    ),
    Feed.BUSINESS_HOURS: _Layout(
        (("store_id",), ("dayofweek", "day"), ("start_time_local",), ("end_time_local",)),
        "ingest/stage_business_hours.part",
        "business_hours",
        "store_id, day_of_week, start_time_local, end_time_local",
        native_sql="ingest/stage_business_hours_native.part",
        native_types=("VARCHAR", "TINYINT", "TIME", "TIME"),
        native_check=(
            "store_id = '' OR day_of_week IS NULL OR day_of_week NOT BETWEEN 0 AND 6 "
            "OR start_time_local IS NULL OR end_time_local IS NULL "
            "OR store_id_too_long(store_id)"
        ),
    ),
    Feed.SPECIAL_HOURS: _Layout(
        (("store_id",), ("date",), ("start_time_local",), ("end_time_local",)),
        "ingest/stage_special_hours.part",
        "special_hours",
        "store_id, local_date, start_time_local, end_time_local",
        native_sql="ingest/stage_special_hours_native.part",
        native_types=("VARCHAR", "DATE", "TIME", "TIME"),
        # Both times empty (NULL) is a closed day; only one of them empty is a bad row.
        native_check=(
            "store_id = '' OR local_date IS NULL OR NOT special_date_plausible(local_date) "
            "OR (start_time_local IS NULL) <> (end_time_local IS NULL) "
            "OR store_id_too_long(store_id)"
        ),
    ),
    Feed.TIMEZONES: _Layout(
        (("store_id",), ("timezone_str",)),
        "ingest/stage_timezones.part",
        "timezones",
        "store_id, timezone_str",
    ),
    Feed.STORES: _Layout(
        (("store_id",), ("name",), ("region",), ("brand",), ("hourly_revenue",),
         ("uptime_target",)),
        "ingest/stage_stores.part",
        "store_attributes",
        "store_id, name, region, brand, hourly_revenue, uptime_target",
        required=1,
    ),
}


load_lock = threading.Lock()


def _digest(path: Path) -> tuple[str, bool]:
    """The file's sha256 and whether it holds a tab or a NUL byte, in one pass."""
    digest = hashlib.sha256()
    found = False
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as stream:
        while size := stream.readinto(buffer):
            digest.update(view[:size])  # releases the GIL: staging goes on meanwhile
            found = found or buffer.find(b"\t", 0, size) >= 0 \
                or buffer.find(b"\x00", 0, size) >= 0
    return digest.hexdigest(), found


def _header_positions(feed: Feed, path: Path, file_name: str) -> tuple[list[int], int]:
    """1-based positions of the feed's columns in the header (0 for an optional column it
    lacks) and the header's width, or refuse the file naming the missing columns."""
    with path.open("rb") as f:
        first = f.readline()
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        raise FeedRefusedError(
            f"{file_name}: this looks like UTF-16 text (spreadsheet 'Unicode text'); "
            "save it as CSV UTF-8 and load it again"
        )
    header = first.decode("utf-8-sig", errors="replace").strip()
    names = [h.strip().strip('"').strip().lower() for h in header.split(",")]
    positions: list[int] = []
    missing: list[str] = []
    required = _LAYOUTS[feed].required
    for k, accepted in enumerate(_LAYOUTS[feed].columns):
        found = next((names.index(a) + 1 for a in accepted if a in names), None)
        if found is None and required is not None and k >= required:
            positions.append(0)
        elif found is None:
            missing.append(" or ".join(_display(a) for a in accepted))
        else:
            positions.append(found)
    if missing:
        shown = header[:200] if header else "(empty file)"
        raise FeedRefusedError(
            f"{file_name}: not a {feed} file: missing column(s) {', '.join(missing)}; "
            f"header was: {shown}"
        )
    return positions, len(names)


def _display(name: str) -> str:
    return "dayOfWeek" if name == "dayofweek" else name


def _native_query(
    layout: _Layout, positions: list[int], width: int, path: Path
) -> tuple[str, list[object]]:
    """The whole-file read tried before the careful path, and its parameters."""
    # Name the header's columns so the validation SQL sees f1..fN in the feed's order.
    fields = {pos: f"f{k}" for k, pos in enumerate(positions, start=1) if pos}
    select = ", ".join(
        quote_identifier(f"f{k}") if pos else f"NULL::VARCHAR AS {quote_identifier(f'f{k}')}"
        for k, pos in enumerate(positions, start=1)
    )

    def columns(native_types: tuple[str, ...]) -> dict[str, str]:
        # native_types may be empty (untyped read): unmatched positions default to VARCHAR.
        types = dict(zip(positions, native_types, strict=False))
        return {fields.get(i, f"ignored_{i}"): types.get(i, "VARCHAR") for i in range(1, width + 1)}

    if layout.native_sql:
        # The reader parses typed columns itself: no text copy of millions of values.
        query = (
            load_sql("ingest/source_typed.part").replace("{fields}", select)
            + load_sql(layout.native_sql)
        )
        return query, [str(path), columns(layout.native_types)]
    source = load_sql("ingest/source_native.part").replace("{fields}", select)
    return source + load_sql(layout.stage_sql), [str(path), columns(()), width]


if TYPE_CHECKING:
    import pyarrow as pa

_BATCH_ROWS = 100_000


def _careful_batches(
    positions: list[int], width: int, path: Path
) -> Iterator[pa.RecordBatch]:
    """The careful reader's records as Arrow batches (built per 100,000 records, so Python
    never holds the whole file): line, raw, pre_reason, n_fields and the fields f1..fN."""
    import pyarrow as pa  # only the careful path needs it: 0.1 s less for every clean load
    names = ["line", "raw", "pre_reason", "n_fields",
             *(f"f{k}" for k in range(1, len(positions) + 1))]
    schema = pa.schema([("line", pa.int64()), ("raw", pa.string()), ("pre_reason", pa.string()),
                        ("n_fields", pa.int64()), *((n, pa.string()) for n in names[4:])])
    columns: list[list[object]] = [[] for _ in names]
    for record in read_records(path, width):
        fields = record.fields
        columns[0].append(record.line)
        columns[1].append(record.raw)  # a reject shows it, whatever rejects the record
        columns[2].append(record.reason)
        columns[3].append(None if fields is None else len(fields))
        for k, position in enumerate(positions):
            value = fields[position - 1] if fields is not None and 0 < position <= len(fields) \
                else None
            columns[4 + k].append(value)
        if len(columns[0]) >= _BATCH_ROWS:
            yield pa.RecordBatch.from_arrays([pa.array(c, type=schema.field(i).type)
                                              for i, c in enumerate(columns)], schema=schema)
            columns = [[] for _ in names]
    yield pa.RecordBatch.from_arrays([pa.array(c, type=schema.field(i).type)
                                      for i, c in enumerate(columns)], schema=schema)


def _careful_stage(
    cur: duckdb.DuckDBPyConnection, layout: _Layout, positions: list[int], width: int,
    path: Path,
) -> None:
    """Stage the file through the careful reader (``csv_records``) into ``staged``."""
    import pyarrow as pa
    table = pa.Table.from_batches(list(_careful_batches(positions, width, path)))
    cur.register("careful_records", table)
    try:
        source = "WITH source AS (SELECT * FROM careful_records),\n"
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE staged AS {source}{load_sql(layout.stage_sql)}",
            [width],
        )
    finally:
        cur.unregister("careful_records")


@dataclass(frozen=True)
class _Staged:
    rows_read: int
    rows_rejected: int


def _stage(
    cur: duckdb.DuckDBPyConnection, layout: _Layout, positions: list[int], width: int,
    path: Path, tab_or_nul: Callable[[], bool],
) -> _Staged:
    """Stage the file into the temp table ``staged`` and its readable rows into the temp
    view ``readable`` (what the load inserts). ``tab_or_nul`` says (once the hashing pass
    is done) whether the file holds a tab or a NUL byte anywhere."""
    counts = None
    query, params = _native_query(layout, positions, width, path)
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {query}", params)
        check = layout.native_check or "reason IS NOT NULL"
        if layout.native_check and tab_or_nul():
            check = f"{check} OR {_TAB_OR_NUL}"
        # fetchall: a result left open would block the careful path's register().
        counts = cur.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {check}) FROM staged"
        ).fetchall()[0]
    # A malformed line or a value this read cannot convert: the careful path.
    except (duckdb.InvalidInputException, duckdb.ConversionException):
        pass
    if counts is not None and not counts[1]:
        # A typed fast path stages no raw/reason columns: millions of empty strings cost time.
        keep = "*" if layout.native_sql else "* EXCLUDE (raw, reason)"
        cur.execute(f"CREATE OR REPLACE TEMP VIEW readable AS SELECT {keep} FROM staged")
        return _Staged(int(counts[0]), 0)
    # The careful path: every record with its line, each bad one with its reason.
    _careful_stage(cur, layout, positions, width, path)
    counts = cur.execute("SELECT count(*), count(reason) FROM staged").fetchone()
    assert counts is not None
    cur.execute(
        "CREATE OR REPLACE TEMP VIEW readable AS "
        "SELECT * EXCLUDE (raw, line, reason) FROM staged WHERE reason IS NULL"
    )
    return _Staged(int(counts[0]), int(counts[1]))


def _unchanged(cur: duckdb.DuckDBPyConnection, feed: Feed, sha: str) -> bool:
    if feed is Feed.STORE_STATUS:
        # Polls only ever accumulate: a file seen before can add nothing.
        row = cur.execute(
            "SELECT count(*) FROM loads WHERE feed = ? AND sha256 = ?", [feed.value, sha]
        ).fetchone()
        return bool(row and row[0])
    # A snapshot is unchanged only if it is the one in place now (A, B, A reloads A).
    row = cur.execute(
        "SELECT sha256 FROM loads WHERE feed = ? ORDER BY load_id DESC LIMIT 1", [feed.value]
    ).fetchone()
    return bool(row and row[0] == sha)


@dataclass
class _StagedFile:
    """A file read into temp tables on its own cursor, not loaded yet (see ingest_file)."""

    feed: Feed
    path: Path
    name: str
    layout: _Layout
    cur: duckdb.DuckDBPyConnection
    staged: _Staged
    sha_pool: ThreadPoolExecutor
    sha: Future[tuple[str, bool]]  # the file's sha256, and whether it holds a tab or NUL
    stage_s: float  # reading time; the load's duration adds its own transaction, not waits

    def close(self) -> None:
        self.sha_pool.shutdown(wait=True)
        self.cur.close()


def _stage_file(
    con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, name: str
) -> _StagedFile:
    """Check the header and read the file into temp tables of a new cursor. Only temp
    tables are written, so several files can be staged at once, outside the load lock."""
    if not path.is_file():
        raise FeedRefusedError(f"{name}: no such file")
    positions, width = _header_positions(feed, path, name)
    layout = _LAYOUTS[feed]
    started = time.perf_counter()
    # hashing releases the GIL: the checksum is computed while DuckDB stages the file.
    pool = ThreadPoolExecutor(max_workers=1)
    sha = pool.submit(_digest, path)
    cur = con.cursor()
    try:
        staged = _stage(cur, layout, positions, width, path, lambda: sha.result()[1])
    except BaseException as e:
        pool.shutdown(wait=True)
        cur.close()
        if isinstance(e, duckdb.Error):  # nothing was written yet: refuse the file whole
            reason = str(e).splitlines()[0]
            raise FeedRefusedError(f"{name}: cannot be read as CSV: {reason}") from e
        raise
    stage_s = time.perf_counter() - started
    return _StagedFile(feed, path, name, layout, cur, staged, pool, sha, stage_s)


def _load_staged(file: _StagedFile, source: str, allow_shrink: bool, actor: str) -> LoadSummary:
    """Load a staged file in one transaction (or skip it if identical), then drop it."""
    try:
        # Loads of one process run one at a time (the sync thread and an upload may
        # overlap): DuckDB would otherwise fail one of two transactions writing one table.
        with load_lock:
            # Loads report reading + their own transaction, not the wait for this lock.
            started = time.perf_counter() - file.stage_s
            cur, sha = file.cur, file.sha.result()[0]
            if _unchanged(cur, file.feed, sha):
                return LoadSummary(file.feed, file.name, sha, 0, 0, 0, 0, unchanged=True)
            return _in_transaction(
                cur,
                file.name,
                lambda: _load(
                    cur, file.feed, file.layout, file.name, sha, file.staged,
                    source, started, allow_shrink, actor,
                ),
            )
    finally:
        _drop_staging(file.cur)
        file.close()


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    feed: Feed | str,
    path: str | os.PathLike[str],
    *,
    source: str = "cli",
    file_name: str | None = None,
    allow_shrink: bool = False,
    actor: str | None = None,
) -> LoadSummary:
    """Load one feed file in one transaction and return what it did (as
    :func:`ingest_each`, so a real file replaces the sample here too).

    Raises ``FeedRefusedError`` (nothing loaded) when the header lacks a required column
    or the file cannot be read.
    """
    name = file_name or Path(path).name
    (outcome,) = ingest_each(con, [(Feed(feed), path)], source=source, file_names=[name],
                             allow_shrink=allow_shrink, actor=actor)
    if isinstance(outcome, FeedRefusedError):
        raise outcome
    return outcome


def ingest_each(
    con: duckdb.DuckDBPyConnection,
    files: list[tuple[Feed, str | os.PathLike[str]]],
    *,
    source: str = "cli",
    file_names: list[str] | None = None,
    replace_sample: bool = True,
    allow_shrink: bool = False,
    actor: str | None = None,
) -> list[LoadSummary | FeedRefusedError]:
    """Load several files, each in its own transaction and in the given order; a refused
    file does not stop the others. All are read at once first: the small snapshots load
    while DuckDB is still reading a large polls file.
    ``file_names`` (one per file) are the names recorded instead of the paths' names.

    Real files replace the built-in sample: when the database held only the sample and a
    file of this call loaded, the sample is removed afterwards (``replace_sample=False``
    keeps it). Every caller (CLI, upload, sync) gets this one behaviour.

    A snapshot (hours, special hours, timezones, stores) that would drop more than half of the
    stores of the one in place (when that has at least ``SHRINK_MIN_STORES``) is held back:
    its outcome is a ``SnapshotShrinkError`` with both counts, and nothing changes, unless
    ``allow_shrink`` (a person confirmed it).

    Each load writes its audit entry (``audit.Action.LOAD``, and ``SNAPSHOT_CONFIRMED`` for
    a confirmed shrink) in its own transaction, naming ``actor`` (a person's email), by
    default the one ``audit.actor_for_source`` gives."""
    names = file_names or [Path(path).name for _, path in files]
    who = actor or audit.actor_for_source(source)
    sample_only = replace_sample and source != bootstrap.SAMPLE_SOURCE \
        and bootstrap.is_sample_only(con)

    def stage(item: tuple[tuple[Feed, str | os.PathLike[str]], str]) -> _StagedFile:
        (feed, path), name = item
        return _stage_file(con, Feed(feed), Path(path), name)

    outcomes: list[LoadSummary | FeedRefusedError] = []
    with ThreadPoolExecutor(max_workers=max(1, len(files))) as pool:
        futures = [pool.submit(stage, item) for item in zip(files, names, strict=True)]
        try:
            for future in futures:
                try:
                    outcomes.append(_load_staged(future.result(), source, allow_shrink, who))
                except FeedRefusedError as e:
                    outcomes.append(e)
        finally:
            # After an unexpected error, release the files staged but not loaded.
            for future in futures[len(outcomes) + 1 :]:
                if future.exception() is None:
                    _drop_staging(future.result().cur)
                    future.result().close()
    if sample_only and any(isinstance(o, LoadSummary) and not o.unchanged for o in outcomes):
        bootstrap.remove_sample_data(con)
    return outcomes


def _in_transaction(
    cur: duckdb.DuckDBPyConnection, name: str, work: Callable[[], LoadSummary]
) -> LoadSummary:
    try:
        with transaction(cur):
            return work()
    except duckdb.Error as e:
        raise LoopCoreError(f"{name}: load failed, nothing was changed: {e}") from e


def _load(
    cur: duckdb.DuckDBPyConnection,
    feed: Feed,
    layout: _Layout,
    name: str,
    sha: str,
    staged: _Staged,
    source: str,
    started: float,
    allow_shrink: bool,
    actor: str,
) -> LoadSummary:
    rows_read, rows_rejected = staged.rows_read, staged.rows_rejected
    load_row = cur.execute("SELECT nextval('load_id_seq')").fetchone()
    assert load_row is not None
    load_id = int(load_row[0])
    if rows_rejected:
        # Every reject with the line its record starts on and its text as in the file.
        cur.execute(
            "INSERT INTO rejects SELECT ?, ?, ?, line, raw, reason FROM staged "
            "WHERE reason IS NOT NULL",
            [load_id, feed.value, name],
        )
    cols = layout.table_columns
    if feed is Feed.STORE_STATUS:
        _drop_repeated_rows(cur, rows_read - rows_rejected)
        cur.execute(load_sql("ingest/insert_stores"))
        file_range = cur.execute(
            "SELECT epoch_us(min(timestamp_utc)), epoch_us(max(timestamp_utc)), "
            "min(timestamp_utc), max(timestamp_utc) FROM readable"
        ).fetchall()[0]
        if file_range[0] is None:  # no readable poll
            inserted: tuple[Any, ...] | None = (0,)
        else:
            # A poll that was archived is a duplicate too (usually no archive file overlaps).
            archive.stage_range(cur, file_range[2], file_range[3])
            # Polls in the cache's (bounded) range are classified as they are inserted;
            # older ones afterwards, against intervals of their own days only.
            lo, hi = derived.cover(cur, int(file_range[0]), int(file_range[1]))
            derived.use_cached_buckets(cur)
            inserted = cur.execute(
                load_sql("ingest/insert_store_status"), [lo, hi, load_id]
            ).fetchone()
            derived.summarise_load(cur, load_id)
            if int(file_range[0]) < lo or int(file_range[1]) > hi:
                derived.classify_pending(cur)  # summarises the polls it classifies
    else:
        shrink = _shrinking(cur, feed, layout, name)
        if shrink is not None and not allow_shrink:
            raise shrink
        if shrink is not None:
            audit.record_in(cur, actor, audit.Action.SNAPSHOT_CONFIRMED, subject=name, details={
                "feed": feed.value, "old_stores": shrink.old_stores, "old_rows": shrink.old_rows,
                "new_stores": shrink.new_stores, "new_rows": shrink.new_rows})
        special = feed is Feed.SPECIAL_HOURS
        if special:  # which dates change, before the old rows go
            cur.execute(load_sql("derived/special_changes"))
        cur.execute(f"DELETE FROM {layout.table}")
        inserted = cur.execute(
            f"INSERT INTO {layout.table} SELECT DISTINCT {cols}, ? FROM readable",
            [load_id],
        ).fetchone()
        # New hours or zones: reclassify the polls of the stores whose hours changed (new
        # special hours: only their polls around the changed dates). Store attributes
        # change no figure: nothing to reclassify.
        if feed is not Feed.STORES:
            derived.refresh(cur, special_changes=special)
    rows_loaded = int(inserted[0]) if inserted else 0
    rows_duplicate = rows_read - rows_rejected - rows_loaded
    cur.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
        [
            load_id, feed.value, name, sha, source, rows_read, rows_loaded,
            rows_duplicate, rows_rejected, time.perf_counter() - started,
        ],
    )
    audit.record_in(cur, actor, audit.Action.LOAD, subject=name, details={
        "feed": feed.value, "sha256": sha, "source": source, "load_id": load_id,
        "rows_read": rows_read, "rows_loaded": rows_loaded, "rows_duplicate": rows_duplicate,
        "rows_rejected": rows_rejected})
    _drop_staging(cur)
    return LoadSummary(
        feed, name, sha, rows_read, rows_loaded, rows_duplicate, rows_rejected, load_id=load_id
    )


SHRINK_MIN_STORES = 20


def _shrinking(
    cur: duckdb.DuckDBPyConnection, feed: Feed, layout: _Layout, name: str
) -> SnapshotShrinkError | None:
    """The SnapshotShrinkError to hold back a staged snapshot that would drop more than half
    of the stores of the one in place (SPEC "Bad input"), else None; runs inside the load's
    transaction. The built-in sample is not protected: real files replace it whatever their
    size."""
    last = cur.execute(
        "SELECT source FROM loads WHERE feed = ? ORDER BY load_id DESC LIMIT 1", [feed.value]
    ).fetchall()
    # No snapshot in place (a first load) drops nothing: skip counting the new one's stores
    # (0.06-0.18 s for 109,000 hours rows).
    if not last or last[0][0] == bootstrap.SAMPLE_SOURCE:
        return None
    table = quote_identifier(layout.table)
    old_stores, old_rows, new_stores, new_rows, dropped = cur.execute(
        f"SELECT (SELECT count(DISTINCT store_id) FROM {table}), (SELECT count(*) FROM {table}), "
        "(SELECT count(DISTINCT store_id) FROM readable), (SELECT count(*) FROM readable), "
        f"(SELECT count(DISTINCT store_id) FROM {table} "
        " WHERE store_id NOT IN (SELECT store_id FROM readable))"
    ).fetchall()[0]
    if old_stores < SHRINK_MIN_STORES or 2 * dropped <= old_stores:
        return None
    return SnapshotShrinkError(
        f"{name}: held back, nothing changed: this {feed} snapshot has {new_stores:,} "
        f"stores ({new_rows:,} rows) and would drop {dropped:,} of the {old_stores:,} "
        f"stores ({old_rows:,} rows) of the one in place",
        old_stores=int(old_stores), old_rows=int(old_rows),
        new_stores=int(new_stores), new_rows=int(new_rows),
    )


def _drop_staging(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("DROP VIEW IF EXISTS readable")
    cur.execute("DROP TABLE IF EXISTS archived_polls")
    cur.execute("DROP TABLE IF EXISTS deduplicated")
    cur.execute("DROP TABLE IF EXISTS staged")


# Rows the duplicate check hashes at once. Its hash table holds an entry per row: for the
# 26M polls of 140,000 stores that took the load's peak to 1.8 GB beside the staged file.
# Duplicates share their timestamp, so slices by timestamp can be checked one by one.
_DUPLICATE_CHECK_ROWS = 4_000_000


def _drop_repeated_rows(cur: duckdb.DuckDBPyConnection, rows: int) -> None:
    """Keep one of each exact duplicate row of ``readable`` (``rows`` rows; an exact
    duplicate poll counts once). Distinct hashes prove there is none; only otherwise (a
    duplicate, or a hash collision) is the exact DISTINCT paid: 0.15 s instead of 0.35 s for
    2.6M clean polls."""
    slices = max(1, -(-rows // _DUPLICATE_CHECK_ROWS))
    where = "" if slices == 1 else "WHERE epoch_us(timestamp_utc) % ? = ?"
    for k in range(slices):
        row = cur.execute(
            "SELECT count(*) = count(DISTINCT hash(store_id, is_active, timestamp_utc)) "
            f"FROM readable {where}",
            [] if slices == 1 else [slices, k],
        ).fetchone()
        if not (row and row[0]):
            cur.execute(
                "CREATE OR REPLACE TEMP TABLE deduplicated AS SELECT DISTINCT * FROM readable"
            )
            cur.execute("CREATE OR REPLACE TEMP VIEW readable AS SELECT * FROM deduplicated")
            return


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    *,
    store_status: str | os.PathLike[str] | None = None,
    business_hours: str | os.PathLike[str] | None = None,
    timezones: str | os.PathLike[str] | None = None,
    special_hours: str | os.PathLike[str] | None = None,
    stores: str | os.PathLike[str] | None = None,
    source: str = "cli",
) -> list[LoadSummary]:
    """Load whichever of the files are given (each in its own transaction); raise the
    first ``FeedRefusedError`` once the others are loaded."""
    given = {
        Feed.TIMEZONES: timezones,
        Feed.BUSINESS_HOURS: business_hours,
        Feed.SPECIAL_HOURS: special_hours,
        Feed.STORES: stores,
        Feed.STORE_STATUS: store_status,
    }
    files = [(feed, path) for feed in Feed if (path := given[feed]) is not None]
    outcomes = ingest_each(con, files, source=source)
    for outcome in outcomes:
        if isinstance(outcome, FeedRefusedError):
            raise outcome
    return [o for o in outcomes if isinstance(o, LoadSummary)]
