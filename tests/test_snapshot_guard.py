"""A snapshot that would drop more than half of the stores of the one in place (when that
has at least 20) is held back until a person confirms it (SPEC "Bad input")."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from loop_core.errors import SnapshotShrinkError
from loop_core.ingest import ingest_each, ingest_file
from loop_core.models import Feed, LoadSummary
from loop_core.sources import FolderSource
from loop_core.sync import FileOutcome, SyncOutcome, sync_once
from tests.feeds import SNAPSHOT_FEEDS, SnapshotFeed

ROOT = Path(__file__).resolve().parent.parent


def _zones(path: Path, n: int, start: int = 0) -> Path:
    rows = [f"s{i},America/New_York" for i in range(start, start + n)]
    path.write_text("store_id,timezone_str\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _load(con: duckdb.DuckDBPyConnection, path: Path, **options: bool) -> object:
    (outcome,) = ingest_each(con, [(Feed.TIMEZONES, path)], **options)
    return outcome


def _zone_rows(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM timezones").fetchone()
    return int(row[0]) if row else -1


def test_a_snapshot_dropping_most_stores_is_held_back_with_both_counts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    assert isinstance(_load(con, _zones(tmp_path / "all.csv", 40)), LoadSummary)
    loads_before = con.execute("SELECT count(*) FROM loads").fetchone()

    held = _load(con, _zones(tmp_path / "cut.csv", 2))

    assert isinstance(held, SnapshotShrinkError)
    assert (held.old_stores, held.old_rows, held.new_stores, held.new_rows) == (40, 40, 2, 2)
    assert "held back" in str(held) and "would drop 38 of the 40 stores" in str(held)
    assert _zone_rows(con) == 40  # nothing changed
    assert con.execute("SELECT count(*) FROM loads").fetchone() == loads_before


def test_a_confirmed_shrinking_snapshot_is_applied(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _load(con, _zones(tmp_path / "all.csv", 40))
    applied = _load(con, _zones(tmp_path / "cut.csv", 2), allow_shrink=True)
    assert isinstance(applied, LoadSummary) and _zone_rows(con) == 2


@pytest.mark.parametrize(("old", "kept", "held"), [
    (40, 20, False),  # exactly half dropped: applied
    (40, 19, True),  # more than half dropped: held back
    (19, 1, False),  # a snapshot of fewer than 20 stores is never protected
])
def test_the_guard_holds_back_only_more_than_half_of_at_least_twenty_stores(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, old: int, kept: int, held: bool
) -> None:
    _load(con, _zones(tmp_path / "old.csv", old))
    # Kept stores, plus as many new ones: the count alone does not decide, the drop does.
    outcome = _load(con, _zones(tmp_path / "new.csv", old, start=old - kept))
    assert isinstance(outcome, SnapshotShrinkError) is held


def test_the_cli_holds_a_shrinking_snapshot_back_until_allow_shrink(tmp_path: Path) -> None:
    db_path = tmp_path / "cli.duckdb"

    def ingest(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "loop_core", "ingest", "--db", str(db_path), *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert ingest("--timezones", str(_zones(tmp_path / "all.csv", 40))).returncode == 0
    cut = str(_zones(tmp_path / "cut.csv", 2))
    held = ingest("--timezones", cut)
    assert held.returncode == 3
    assert "held back" in held.stderr and "--allow-shrink" in held.stderr
    assert len(held.stderr.strip().splitlines()) == 1
    applied = ingest("--timezones", cut, "--allow-shrink")
    assert applied.returncode == 0, applied.stderr
    con = duckdb.connect(str(db_path))
    try:
        assert con.execute("SELECT count(*) FROM timezones").fetchone() == (2,)
    finally:
        con.close()


def test_a_sync_keeps_the_old_snapshot_and_reports_the_held_back_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _zones(inbox / "timezones.csv", 40)
    assert sync_once(con, FolderSource(inbox, settle_s=0)).outcome is SyncOutcome.OK
    shutil.copy(_zones(tmp_path / "cut.csv", 2), inbox / "timezones.csv")

    result = sync_once(con, FolderSource(inbox, settle_s=0))

    (zones,) = [f for f in result.files if f.feed is Feed.TIMEZONES]
    assert zones.outcome is FileOutcome.HELD_BACK and "would drop 38" in zones.message
    assert result.outcome is SyncOutcome.PARTIAL and "held back" in (result.message or "")
    assert _zone_rows(con) == 40
    logged = con.execute(
        "SELECT outcome FROM sync_files WHERE run_id = ? AND feed = 'timezones'",
        [result.run_id]).fetchone()
    assert logged == ("held back",)


def test_the_built_in_sample_is_replaced_by_a_small_real_snapshot_without_asking(
    tmp_path: Path,
) -> None:
    from loop_core import bootstrap, db

    con = db.connect(tmp_path / "sample.duckdb")
    bootstrap.ensure_sample_data(con, stores=40, days=1)
    outcome = _load(con, _zones(tmp_path / "real.csv", 2))
    assert isinstance(outcome, LoadSummary) and _zone_rows(con) == 2


def _rows(con: duckdb.DuckDBPyConnection, feed: SnapshotFeed) -> list[tuple[object, ...]]:
    # The table name comes from the test's own table of feeds, never from data.
    return con.execute(f"SELECT * EXCLUDE (load_id) FROM {feed.table} ORDER BY ALL").fetchall()


@pytest.mark.parametrize("feed", SNAPSHOT_FEEDS, ids=lambda f: f.feed.value)
def test_each_snapshot_feed_ignores_an_identical_file_and_replaces_itself_with_a_new_one(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, feed: SnapshotFeed
) -> None:
    first = feed.file(tmp_path / "a.csv", range(3), v=1)
    ingest_file(con, feed.feed, first)
    loaded = _rows(con, feed)
    again = ingest_file(con, feed.feed, first)
    assert again.unchanged
    assert con.execute("SELECT count(*) FROM loads WHERE feed = ?", [feed.feed.value]
                       ).fetchone() == (1,)
    assert _rows(con, feed) == loaded

    ingest_file(con, feed.feed, feed.file(tmp_path / "b.csv", range(1, 2), v=2))
    assert len(_rows(con, feed)) == 1 and _rows(con, feed) != loaded[1:2]


@pytest.mark.parametrize("feed", SNAPSHOT_FEEDS, ids=lambda f: f.feed.value)
def test_each_snapshot_feed_holds_back_a_shrink_until_it_is_confirmed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, feed: SnapshotFeed
) -> None:
    ingest_file(con, feed.feed, feed.file(tmp_path / "all.csv", range(40)))
    few = feed.file(tmp_path / "few.csv", range(1, 2), v=2)

    (held,) = ingest_each(con, [(feed.feed, few)])

    assert isinstance(held, SnapshotShrinkError)
    assert f"{feed.feed.value} snapshot" in str(held)
    assert "would drop 39 of the 40 stores" in str(held)
    assert len(_rows(con, feed)) == 40
    (applied,) = ingest_each(con, [(feed.feed, few)], allow_shrink=True)
    assert isinstance(applied, LoadSummary) and len(_rows(con, feed)) == 1
