"""Compaction: move the polls older than the retention limit into the Parquet archive
(``archive.py`` has the layout and reads them back), a whole UTC month at a time.

The steps, so that a crash anywhere leaves the old state or the new one:

1. In a read snapshot, each month's polls are written to a temporary file
   (``.<prefix>-<stamp>.parquet.tmp``, which Parquet readers skip), and the summary rows
   that stand for the archive in later figures are computed (``archive/summarize.sql``).
2. Under the load lock (no load writes meanwhile; checked: nothing was loaded since step 1),
   the files are synced and renamed to their final names, and one transaction lists them,
   deletes their polls from ``store_status`` and replaces the summary rows. A crash before
   it commits leaves the polls in the database and the files unlisted: never read, and
   deleted when the file is opened next (``archive.recover``).
3. A checkpoint writes the change into the file. DuckDB reuses the freed blocks for later
   loads, but does not hand them back to the file system (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from loop_core import archive, audit, derived
from loop_core.errors import InvalidParameterError, LoopCoreError
from loop_core.ingest import load_lock  # loads and compaction write one at a time
from loop_core.polls import latest_poll
from loop_core.sqlfiles import load_sql
from loop_core.transaction import transaction


@dataclass(frozen=True)
class CompactResult:
    """What one compaction did."""

    cutoff: datetime | None  # polls before it are archived (None: no poll at all)
    polls_moved: int
    files_written: list[str]
    stores_rebuilt: int  # stores whose summary was rebuilt from their archived polls
    db_bytes_before: int
    db_bytes_after: int
    duration_s: float


_WRITE = (
    "COPY (SELECT k.store_id, CASE WHEN s.is_active THEN 'active' ELSE 'inactive' END AS status, "
    "s.timestamp_utc, s.in_hours, k.hours_hash, s.load_id "
    "FROM store_status AS s INNER JOIN stores AS k USING (store_key) "
    "WHERE s.timestamp_utc >= ? AND s.timestamp_utc < ? AND s.timestamp_utc < ? "
    "ORDER BY k.store_id, s.timestamp_utc, s.is_active) TO {path} "
    "(FORMAT parquet, COMPRESSION zstd)"
)


def _quote_path(path: Path) -> str:
    # COPY TO takes its target as a literal, not a parameter; the path is ours (the
    # database's folder and a generated name), quoted as a string literal.
    return "'" + str(path).replace("'", "''") + "'"


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _db_bytes(cur: duckdb.DuckDBPyConnection) -> int:
    """The database file and its write-ahead log, as the file system counts them."""
    path = archive.database_file(cur)
    if path is None:
        return 0
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def compact(
    con: duckdb.DuckDBPyConnection, keep_days: int, *, actor: str = audit.SERVER
) -> CompactResult:
    """Archive every poll older than the UTC month that holds ``latest poll - keep_days``,
    and rebuild the summary rows of stores whose hours changed since they were archived.
    Running it again changes nothing. A compaction that moved polls writes its audit entry
    (``actor``: the server's daily run, or ``cli``) in the transaction that moves them."""
    if keep_days < 0:
        raise InvalidParameterError("--keep-days must be 0 or more")
    started = time.perf_counter()
    with con.cursor() as cur:
        base = archive.folder(cur)
        if base is None:
            raise LoopCoreError("an in-memory database has no archive folder")
        before = _db_bytes(cur)
        newest = latest_poll(cur)
        if newest is None:
            return CompactResult(None, 0, [], 0, before, before, time.perf_counter() - started)
        cutoff = archive.month_start(newest - timedelta(days=keep_days))
        with load_lock:
            prefix = archive.file_prefix(cur)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        written: list[tuple[str, Path, date, int, datetime, datetime]] = []
        try:
            with transaction(cur):  # step 1: one snapshot for the files and the summary
                loads_seen = cur.execute("SELECT count(*), max(load_id) FROM loads").fetchall()
                for month, polls, first, last in cur.execute(
                    "SELECT date_trunc('month', timestamp_utc)::DATE AS m, count(*), "
                    "min(timestamp_utc), max(timestamp_utc) FROM store_status "
                    "WHERE timestamp_utc < ? GROUP BY m ORDER BY m", [cutoff]
                ).fetchall():
                    name = f"month={archive.month_key(month)}/{prefix}-{stamp}.parquet"
                    temp = base / name.replace(f"{prefix}-", f".{prefix}-").replace(
                        ".parquet", archive.TEMP_SUFFIX)
                    temp.parent.mkdir(parents=True, exist_ok=True)
                    cur.execute(_WRITE.replace("{path}", _quote_path(temp)),
                                [month, _next_month(month), cutoff])
                    written.append((name, temp, month, int(polls), first, last))
                rebuilt = _summaries(cur, base, [(n, t, m) for n, t, m, *_ in written])
            with load_lock:  # step 2, unless a load changed polls or flags meanwhile
                loaded = cur.execute("SELECT count(*), max(load_id) FROM loads").fetchall()
                moved = _commit(cur, base, written, cutoff, actor) if loaded == loads_seen \
                    else None
        except duckdb.Error as e:
            raise LoopCoreError(f"compaction failed, nothing was changed: {e}") from e
        finally:
            for _, temp, *_ in written:  # left over unless renamed: never part of the archive
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
        if moved is None:  # the next run (tomorrow's, or the next command) does it
            return CompactResult(cutoff, 0, [], 0, before, before, time.perf_counter() - started)
        with contextlib.suppress(duckdb.Error):  # another transaction is open: next time
            cur.execute("CHECKPOINT")
        return CompactResult(cutoff, moved, [w[0] for w in written], rebuilt, before,
                             _db_bytes(cur), time.perf_counter() - started)


def _commit(
    cur: duckdb.DuckDBPyConnection, base: Path,
    written: list[tuple[str, Path, date, int, datetime, datetime]], cutoff: datetime,
    actor: str,
) -> int:
    """Step 2: rename the files into place and move their polls in one transaction."""
    for _, temp, *_ in written:
        with temp.open("rb") as f:
            os.fsync(f.fileno())
    finals = []
    try:
        for name, temp, *_ in written:
            final = base / name
            os.replace(temp, final)
            finals.append(final)
        for directory in {f.parent for f in finals}:
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        rules = derived.rules_version()
        with transaction(cur):
            for name, _, month, polls, first, last in written:
                cur.execute(
                    "INSERT INTO archive_files VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                    [name, month, polls, first, last, (base / name).stat().st_size, rules],
                )
            deleted = cur.execute(
                "DELETE FROM store_status WHERE timestamp_utc < ?", [cutoff]).fetchall()
            moved = int(deleted[0][0]) if deleted else 0
            if moved != sum(w[3] for w in written):
                raise LoopCoreError(
                    f"compaction wrote {sum(w[3] for w in written)} polls but would delete "
                    f"{moved}: nothing was changed")
            # observation_days and observation_points summarise the polls still in
            # store_status (the archived ones are in archive_summary): the archived days
            # are whole UTC days.
            for table in ("observation_days", "observation_points"):
                cur.execute(f"DELETE FROM {table} WHERE day < epoch_us(?::TIMESTAMPTZ) "
                            f"// {derived.DAY_US}", [cutoff])
            cur.execute(
                "DELETE FROM archive_summary AS a USING new_summary AS n "
                "WHERE a.month = n.month AND a.store_key = n.store_key")
            cur.execute("INSERT INTO archive_summary SELECT * FROM new_summary")
            cur.execute("UPDATE archive_state SET summary_rules_version = ?", [rules])
            if moved:
                audit.record_in(cur, actor, audit.Action.COMPACTION, details={
                    "cutoff": cutoff.isoformat(), "polls_moved": moved,
                    "files": [name for name, *_ in written]})
        return moved
    except BaseException:
        for final in finals:  # the transaction did not commit: its files must not stay
            with contextlib.suppress(FileNotFoundError):
                final.unlink()
        raise
    finally:
        cur.execute("DROP TABLE IF EXISTS new_summary")


def _summaries(
    cur: duckdb.DuckDBPyConnection, base: Path, new: list[tuple[str, Path, date]]
) -> int:
    """Compute, into the temp table ``new_summary``, the summary rows (migration 010) of
    every month from the first new one on, and of every month for the stores whose rows
    are stale (hours changed since, or another rules version); return how many of those."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE new_summary AS SELECT * FROM archive_summary LIMIT 0")
    rules = derived.rules_version()
    current = cur.execute(
        "SELECT coalesce(any_value(summary_rules_version) = ?, false) FROM archive_state",
        [rules]).fetchall()[0][0]
    stale = [int(r[0]) for r in cur.execute(
        "SELECT DISTINCT s.store_key FROM archive_summary AS s "
        "INNER JOIN stores AS k USING (store_key) "
        "WHERE s.hours_hash <> k.hours_hash OR NOT ?", [current]).fetchall()]
    files: dict[date, list[tuple[str, str]]] = {}  # month -> (path, rules version)
    for name, month, version in cur.execute(
            "SELECT file, month, rules_version FROM archive_files").fetchall():
        files.setdefault(month, []).append((str(base / name), str(version)))
    for _, temp, month in new:
        files.setdefault(month, []).append((str(temp), rules))
    months = sorted(files)
    first_new = min((m for _, _, m in new), default=None)
    if first_new is not None:
        # Stores that are not stale go on from their summary before the first new month.
        _chain(cur, files, [m for m in months if m >= first_new], stale, keep_out=True,
               start_from=first_new)
    if stale and months:
        _chain(cur, files, months, stale, keep_out=False, start_from=None)
    return len(stale)


def _chain(
    cur: duckdb.DuckDBPyConnection, files: dict[date, list[tuple[str, str]]],
    months: list[date], keys: list[int], *, keep_out: bool, start_from: date | None,
) -> None:
    """Month after month, summarise (the previous month's summary + this month's polls),
    for the stores in ``keys`` (``keep_out``: all the others), into ``new_summary``."""
    rules = derived.rules_version()
    keys_filter = "NOT list_contains(?::INTEGER[], store_key)" if keep_out \
        else "list_contains(?::INTEGER[], store_key)"
    previous: date | None = None
    if start_from is not None:
        row = cur.execute("SELECT max(month) FROM archive_summary WHERE month < ?",
                          [start_from]).fetchone()
        previous = row[0] if row else None
    source = "archive_summary"
    for month in months:
        cur.execute(archive._EMPTY)
        if previous is not None:
            cur.execute(
                "INSERT INTO archived_polls SELECT store_key, is_active, in_hours, timestamp_utc "
                f"FROM {source} WHERE month = ? AND {keys_filter}", [previous, keys])
        paths = [p for p, _ in files[month]]
        trusted = all(v == rules for _, v in files[month])
        # Only the stores in keys (no month is after '9999-12'), or all, then without them.
        cur.execute(load_sql("archive/stage_raw"), [
            paths, trusted, None, None, None if keep_out else "9999-12", keys, None])
        if keep_out and keys:
            cur.execute("DELETE FROM archived_polls WHERE list_contains(?, store_key)", [keys])
        archive.classify(cur)
        cur.execute(
            f"INSERT INTO new_summary SELECT ?::DATE, * FROM ({load_sql('archive/summarize')})",
            [month])
        previous, source = month, "new_summary"
    cur.execute("DROP TABLE IF EXISTS archived_polls")
