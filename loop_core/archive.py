"""The poll archive: polls older than ``[retention] polls_days``, moved out of DuckDB into
Parquet files beside the database (``compaction.py`` writes them), and read back whenever a
figure needs them, so that no figure changes when polls are archived.

Layout (readable by any Parquet engine as it is): ``<db folder>/archive/polls/month=YYYY-MM/
<prefix>-<stamp>.parquet``, hive-partitioned by the UTC month of the polls, zstd, sorted by
store and time, with the feed's columns ``store_id``, ``status`` ('active' | 'inactive'),
``timestamp_utc`` and the engine's ``in_hours``, ``hours_hash`` and ``load_id``. Only the
files listed in ``archive_files`` belong to it: one a crashed compaction left behind is not
listed (never read, so no poll counts twice) and :func:`recover` deletes it on open.

What a query reads (:func:`stage`, the one place that decides): every figure over a range
``[lo, ...)`` up to now needs the polls after ``lo`` and, from before it, each store's last
observation (the report) or its last observations of each status and the first of its
current run (status). ``archive_summary`` keeps exactly those per store as of each archived
month's end, so a range after the archive reads a few rows per store instead of the
archive, and a range inside it reads the Parquet files from ``lo``'s month on. A store whose
hours changed since (its flags are stale) or that has polls loaded later into the archived
months reads all its archived polls, classified again.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from loop_core import derived
from loop_core.errors import LoopCoreError
from loop_core.sqlfiles import load_sql

ARCHIVE_SUBDIR = Path("archive") / "polls"
TEMP_SUFFIX = ".parquet.tmp"

_EMPTY = (
    "CREATE OR REPLACE TEMP TABLE archived_polls (store_key INTEGER, is_active BOOLEAN, "
    "in_hours BOOLEAN, timestamp_utc TIMESTAMPTZ)"
)


def database_file(cur: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of this database (None for an in-memory one)."""
    row = cur.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return None if row is None or not row[0] else Path(row[0])


def folder(cur: duckdb.DuckDBPyConnection) -> Path | None:
    """The archive folder of this database (None for an in-memory one)."""
    path = database_file(cur)
    return None if path is None else path.parent / ARCHIVE_SUBDIR


def month_start(when: datetime) -> datetime:
    """The first instant of ``when``'s UTC month."""
    utc = when.astimezone(UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_key(month: date | datetime) -> str:
    """A month as its partition value, e.g. ``2024-01``."""
    return f"{month.year:04d}-{month.month:02d}"


def file_prefix(cur: duckdb.DuckDBPyConnection) -> str:
    """This database's file name prefix (created with the first archive file)."""
    row = cur.execute("SELECT any_value(file_prefix) FROM archive_state").fetchone()
    if row and row[0]:
        return str(row[0])
    cur.execute("INSERT INTO archive_state VALUES ('', substr(md5(uuid()::VARCHAR), 1, 8))")
    return file_prefix(cur)


def _paths(base: Path, files: list[str]) -> list[str]:
    missing = [f for f in files if not (base / f).is_file()]
    if missing:
        raise LoopCoreError(
            f"the poll archive in {base} is missing {missing[0]} ({len(missing)} file(s)): "
            "restore it from a backup; figures over archived dates cannot be computed"
        )
    return [str(base / f) for f in files]


def _read(cur: duckdb.DuckDBPyConnection, base: Path, files: list[str], trusted: bool,
          lo: datetime | None, hi: datetime, after_month: str | None,
          whole_keys: list[int], only_store: str | None) -> None:
    """Append the archived polls of ``files`` to ``archived_polls`` (archive/stage_raw.sql)."""
    if files:
        cur.execute(load_sql("archive/stage_raw"), [
            _paths(base, files), trusted, lo, hi, after_month, whole_keys, only_store])


def stage(
    cur: duckdb.DuckDBPyConnection,
    now: datetime | None,
    lo: datetime | None,
    only_store: str | None = None,
) -> None:
    """Fill the temp table ``archived_polls`` with what a figure over a range starting at
    ``lo`` (default: ``now``) up to ``now`` needs of the archive (empty when nothing); the
    polls queries read it beside ``store_status``. Runs inside the caller's transaction."""
    cur.execute(_EMPTY)
    if now is None:
        return
    files = cur.execute(
        "SELECT file, month, rules_version FROM archive_files WHERE first_poll <= ? "
        "ORDER BY month, file", [now]
    ).fetchall()
    base = folder(cur)
    if not files or base is None:
        return
    rules = derived.rules_version()
    start = month_start(min(lo or now, now)).date()
    # The summary as of the end of the last archived month before lo's month, if current.
    row = cur.execute(
        "SELECT max(month) FROM archive_summary WHERE month < ? "
        "AND (SELECT any_value(summary_rules_version) FROM archive_state) = ?",
        [start, rules],
    ).fetchone()
    summary_month: date | None = row[0] if row else None
    whole: list[int] = []
    if summary_month is not None:
        whole = _stale_stores(cur, summary_month)
        cur.execute(
            "INSERT INTO archived_polls "
            "SELECT s.store_key, s.is_active, s.in_hours, s.timestamp_utc "
            "FROM archive_summary AS s INNER JOIN stores AS k USING (store_key) "
            "WHERE s.month = ? AND NOT list_contains(?::INTEGER[], s.store_key) "
            "AND (?::VARCHAR IS NULL OR k.store_id = ?)",
            [summary_month, whole, only_store, only_store],
        )
    after = None if summary_month is None else month_key(summary_month)
    wanted = [str(f) for f, month, _ in files
              if summary_month is None or month > summary_month or whole]
    trusted = all(r == rules for _, _, r in files)
    _read(cur, base, wanted, trusted, None, now, after, whole, only_store)
    classify(cur)


def _stale_stores(cur: duckdb.DuckDBPyConnection, summary_month: date) -> list[int]:
    """Stores whose summary rows cannot stand for their archived polls: their hours changed
    since (other flags), or polls of theirs from archived months were loaded after the
    archive was written (they interleave with it)."""
    row = cur.execute(
        "SELECT list(DISTINCT store_key) FROM ("
        "  SELECT s.store_key FROM archive_summary AS s INNER JOIN stores AS k USING (store_key)"
        "  WHERE s.month = ? AND s.hours_hash <> k.hours_hash"
        "  UNION ALL"
        "  SELECT store_key FROM store_status"
        "  WHERE timestamp_utc <= (SELECT max(last_poll) FROM archive_files))",
        [summary_month],
    ).fetchone()
    return sorted(int(k) for k in (row[0] if row and row[0] else []))


def stage_range(cur: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> None:
    """Fill ``archived_polls`` with the archived polls in ``[lo, hi]`` as they are (the
    duplicate check of a load: a poll that was archived is not stored again)."""
    cur.execute(_EMPTY)
    files = [str(r[0]) for r in cur.execute(
        "SELECT file FROM archive_files WHERE first_poll <= ? AND last_poll >= ? ORDER BY file",
        [hi, lo],
    ).fetchall()]
    base = folder(cur)
    if files and base is not None:
        _read(cur, base, files, False, lo, hi, None, [], None)


def classify(cur: duckdb.DuckDBPyConnection) -> None:
    """Compute the flags of the rows of ``archived_polls`` that have none."""
    row = cur.execute("SELECT count(*) FROM archived_polls WHERE in_hours IS NULL").fetchone()
    if row and row[0]:
        cur.execute(load_sql("archive/classify"))


@dataclass(frozen=True)
class ArchiveInfo:
    """What the archive holds: its files, polls, months and size on disk."""

    folder: Path | None
    files: int
    polls: int
    first_month: date | None
    last_month: date | None
    first_poll: datetime | None
    last_poll: datetime | None
    bytes_on_disk: int


def info(con: duckdb.DuckDBPyConnection) -> ArchiveInfo:
    """The archive's range and size (the Data page shows it)."""
    with con.cursor() as cur:
        base = folder(cur)
        row = cur.execute(
            "SELECT count(*), coalesce(sum(polls), 0), min(month), max(month), "
            "min(first_poll), max(last_poll), list(file) FROM archive_files"
        ).fetchone()
    assert row is not None  # aggregates always return one row
    size = 0
    for name in row[6] or []:
        with contextlib.suppress(OSError):  # a missing file counts 0; reading it says so
            size += (base / name).stat().st_size if base is not None else 0
    return ArchiveInfo(base, int(row[0]), int(row[1]), row[2], row[3], row[4], row[5], size)


def recover(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """Delete this database's archive files that no committed compaction lists (a crash
    came between writing them and the transaction that moves their polls, which are still
    in the database), and temporary files; return what was deleted. Runs on open."""
    with con.cursor() as cur:
        base = folder(cur)
        row = cur.execute("SELECT any_value(file_prefix) FROM archive_state").fetchone()
        if base is None or not base.is_dir() or not (row and row[0]):
            return []
        prefix = str(row[0])
        listed = {str(r[0]) for r in cur.execute("SELECT file FROM archive_files").fetchall()}
    removed = []
    for path in sorted(base.glob("month=*/*")):
        name = path.relative_to(base).as_posix()
        ours = path.name.startswith((f"{prefix}-", f".{prefix}-"))
        if ours and name not in listed:
            path.unlink()
            removed.append(path)
    return removed


def remove_files(base: Path | None, files: list[str]) -> None:
    """Delete archive files (after the transaction that forgot them committed)."""
    for name in files:
        if base is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(base / name)
