"""Retention: compaction moves old polls into the Parquet archive and no figure changes.

Each test builds two databases from the same feeds, one compacted and one not, and
compares what they answer: the report, status, incidents and a store's timeline, byte for
byte. The feeds are the synthetic sample over 100 days plus a few polls that make the
archive matter: a store silent since its first days, and two polls at one instant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_core import archive, audit, compaction, db
from loop_core.evidence import store_evidence
from loop_core.incidents import incidents, incidents_csv
from loop_core.ingest import ingest_file, ingest_files
from loop_core.models import Feed
from loop_core.polls import latest_poll
from loop_core.report import compute_report
from loop_core.sample import write_sample
from loop_core.status import status, status_csv
from loop_core.timeline import status_spans
from tests.depth import examples

ROOT = Path(__file__).resolve().parent.parent
KEEP_DAYS = 20  # the sample ends 2024-10-14: July and August move to the archive
SILENT = "silent-store"
EXTRA_POLLS = [
    # Polled on its first days only: every later figure needs its last archived observation.
    f"{SILENT},active,2024-07-10 10:00:00 UTC",
    f"{SILENT},inactive,2024-07-11 10:00:00 UTC",
    # Two statuses at one instant in the archived range: the active one sorts last.
    "tied-store,inactive,2024-08-20 12:00:00 UTC",
    "tied-store,active,2024-08-20 12:00:00 UTC",
    "tied-store,inactive,2024-09-20 12:00:00 UTC",
]


@dataclass(frozen=True)
class Feeds:
    folder: Path
    store_status: Path
    business_hours: Path
    timezones: Path
    extra: Path


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Feeds:
    folder = tmp_path_factory.mktemp("feeds")
    # Ten stores are enough: what matters here is the months the polls span, and every
    # figure below is computed on both databases, so each store costs twice.
    paths = write_sample(folder, stores=10, days=100, seed=5)
    extra = folder / "extra_polls.csv"
    extra.write_text("store_id,status,timestamp_utc\n" + "\n".join(EXTRA_POLLS) + "\n",
                     encoding="utf-8")
    return Feeds(folder, paths[Feed.STORE_STATUS], paths[Feed.BUSINESS_HOURS],
                 paths[Feed.TIMEZONES], extra)


def _build(path: Path, feeds: Feeds) -> duckdb.DuckDBPyConnection:
    con = db.connect(path)
    ingest_files(con, store_status=feeds.store_status, business_hours=feeds.business_hours,
                 timezones=feeds.timezones)
    ingest_file(con, Feed.STORE_STATUS, feeds.extra)
    return con


@dataclass
class Pair:
    plain: duckdb.DuckDBPyConnection
    compacted: duckdb.DuckDBPyConnection
    compacted_path: Path
    result: compaction.CompactResult


def _pair(folder: Path, feeds: Feeds) -> Pair:
    plain = _build(folder / "plain" / "loop.duckdb", feeds)
    path = folder / "compacted" / "loop.duckdb"
    compacted = _build(path, feeds)
    return Pair(plain, compacted, path, compaction.compact(compacted, KEEP_DAYS))


def _close(pair: Pair) -> None:
    for con in (pair.plain, pair.compacted):
        path = archive.database_file(con)
        assert path is not None
        db.close(path)


@pytest.fixture(scope="module")
def pair(feeds: Feeds, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    built = _pair(tmp_path_factory.mktemp("pair"), feeds)
    yield built
    _close(built)


@pytest.fixture
def own_pair(feeds: Feeds, tmp_path: Path) -> Iterator[Pair]:
    """A pair a test may change."""
    built = _pair(tmp_path, feeds)
    yield built
    _close(built)


def figures(con: duckdb.DuckDBPyConnection, at: datetime, store_id: str,
            since: datetime | None = None) -> list[str]:
    """Everything a user can ask as of ``at``, as text."""
    return [
        compute_report(con, at).csv,
        status_csv(status(con, at), at),
        incidents_csv(incidents(con, as_of=at)),
        incidents_csv(incidents(con, since, at, as_of=at)) if since else "",
        status_spans(con, store_id, as_of=at).to_csv(),
        status_spans(con, None, since, at, as_of=at, with_polls=False).to_csv()
        if since else "",
        store_evidence(con, at).to_csv(),
    ]


def _stores(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [str(r[0]) for r in con.execute("SELECT store_id FROM stores ORDER BY 1").fetchall()]


FIRST = datetime(2024, 7, 6, tzinfo=UTC)
LAST = datetime(2024, 10, 15, tzinfo=UTC)


def test_compaction_moves_whole_months_before_the_limit(pair: Pair) -> None:
    result = pair.result
    assert result.cutoff == datetime(2024, 9, 1, tzinfo=UTC)
    assert [f.split("/")[0] for f in result.files_written] == ["month=2024-07", "month=2024-08"]
    left = pair.compacted.execute(
        "SELECT min(timestamp_utc), count(*) FROM store_status").fetchone()
    total = pair.plain.execute("SELECT count(*) FROM store_status").fetchone()
    assert left is not None and total is not None
    assert left[0] >= result.cutoff
    assert result.polls_moved > 0 and left[1] + result.polls_moved == total[0]
    found = archive.info(pair.compacted)
    assert (found.files, found.polls) == (2, result.polls_moved)
    assert found.bytes_on_disk > 0
    # The audit log says so, written in the transaction that moved the polls.
    log = audit.entries(pair.compacted)
    entry = log[log["action"] == "compaction"].iloc[0]
    assert entry["actor"] == "server"
    assert json.loads(entry["details"]) == {
        "cutoff": result.cutoff.isoformat(), "polls_moved": result.polls_moved,
        "files": result.files_written}


@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    at=st.datetimes(min_value=FIRST.replace(tzinfo=None), max_value=LAST.replace(tzinfo=None),
                    timezones=st.just(UTC)),
    back_h=st.integers(min_value=1, max_value=24 * 40),
    store_index=st.integers(min_value=0, max_value=11),
)
def test_every_figure_is_the_same_after_compaction_whatever_the_as_of(
    pair: Pair, at: datetime, back_h: int, store_index: int
) -> None:
    stores = _stores(pair.plain)
    store_id = stores[store_index % len(stores)]
    since = at - timedelta(hours=back_h)
    assert figures(pair.compacted, at, store_id, since) == figures(pair.plain, at, store_id,
                                                                   since)


def test_the_silent_store_keeps_its_last_archived_observation(pair: Pair) -> None:
    at = latest_poll(pair.plain)
    assert at is not None
    report = compute_report(pair.compacted, at).csv
    row = next(line for line in report.splitlines() if line.startswith(SILENT))
    # Inactive since July: the whole week's business time (24x7) is downtime.
    assert row == f"{SILENT},0.00,0.00,0.00,60.00,24.00,168.00"
    assert report == compute_report(pair.plain, at).csv


def test_compact_is_idempotent(pair: Pair) -> None:
    files = sorted(p.name for p in pair.compacted_path.parent.rglob("*.parquet"))
    again = compaction.compact(pair.compacted, KEEP_DAYS)
    assert (again.polls_moved, again.files_written, again.stores_rebuilt) == (0, [], 0)
    assert sorted(p.name for p in pair.compacted_path.parent.rglob("*.parquet")) == files


def test_the_archive_is_read_by_pyarrow_alone_and_holds_exactly_the_moved_polls(
    pair: Pair,
) -> None:
    folder = pair.compacted_path.parent / "archive" / "polls"
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    assert set(table.column_names) >= {"store_id", "status", "timestamp_utc", "month"}
    assert set(table.column("month").to_pylist()) == {"2024-07", "2024-08"}
    archived = set(zip(table.column("store_id").to_pylist(), table.column("status").to_pylist(),
                       table.column("timestamp_utc").to_pylist(), strict=True))
    kept = set(pair.compacted.execute(
        "SELECT store_id, CASE WHEN is_active THEN 'active' ELSE 'inactive' END, "
        "timestamp_utc FROM store_polls").fetchall())
    every = set(pair.plain.execute(
        "SELECT store_id, CASE WHEN is_active THEN 'active' ELSE 'inactive' END, "
        "timestamp_utc FROM store_polls").fetchall())
    assert len(archived) == table.num_rows == pair.result.polls_moved  # no poll twice
    assert not archived & kept and archived | kept == every


def test_loading_the_same_files_again_after_compaction_changes_nothing(
    own_pair: Pair, feeds: Feeds, tmp_path: Path
) -> None:
    con = own_pair.compacted
    at = latest_poll(con)
    assert at is not None
    before = figures(con, at, SILENT)
    again = ingest_file(con, Feed.STORE_STATUS, feeds.store_status)
    assert again.unchanged
    # The same polls in another file (another checksum): the duplicate check must see the
    # archived ones, or they would be stored a second time.
    copy = tmp_path / "store_status_again.csv"
    lines = feeds.store_status.read_text(encoding="utf-8").splitlines()
    copy.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    summary = ingest_file(con, Feed.STORE_STATUS, copy)
    assert (summary.rows_loaded, summary.rows_duplicate) == (0, len(lines) - 1)
    assert con.execute(
        "SELECT count(*) FROM store_status WHERE timestamp_utc < DATE '2024-09-01'"
    ).fetchone() == (0,)
    assert figures(con, at, SILENT) == before


def test_polls_loaded_later_into_archived_months_count_once_and_everywhere(
    own_pair: Pair, tmp_path: Path
) -> None:
    late = tmp_path / "late.csv"
    rows = [
        # Between archived polls of the silent store: its run and its status change.
        f"{SILENT},active,2024-07-10 22:00:00 UTC",
        f"{SILENT},active,2024-08-25 09:30:00 UTC",
        # An exact copy of an archived poll: a duplicate.
        f"{SILENT},inactive,2024-07-11 10:00:00 UTC",
    ]
    late.write_text("store_id,status,timestamp_utc\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    for con in (own_pair.plain, own_pair.compacted):
        summary = ingest_file(con, Feed.STORE_STATUS, late)
        assert (summary.rows_loaded, summary.rows_duplicate) == (2, 1)
    ats = [datetime(2024, 7, 20, tzinfo=UTC), datetime(2024, 8, 28, 3, tzinfo=UTC),
           datetime(2024, 10, 14, 11, tzinfo=UTC)]
    for at in ats:
        assert figures(own_pair.compacted, at, SILENT, at - timedelta(days=30)) == \
            figures(own_pair.plain, at, SILENT, at - timedelta(days=30))
    # The next compaction archives them beside the first files: still the same figures.
    result = compaction.compact(own_pair.compacted, KEEP_DAYS)
    assert result.polls_moved == 2 and len(result.files_written) == 2
    for at in ats:
        assert figures(own_pair.compacted, at, SILENT) == figures(own_pair.plain, at, SILENT)


def test_status_reads_late_polls_one_by_one_on_the_days_archived_polls_share(
    own_pair: Pair, tmp_path: Path
) -> None:
    # Live polls around the archived inactive poll of 2024-07-11 10:00: a summary of the
    # live ones alone (inactive 08:00, then active from 09:00) would start the current run
    # at 09:00, before that archived poll. It starts at 12:00, so online since 11:00.
    late = tmp_path / "late.csv"
    rows = [f"{SILENT},inactive,2024-07-11 08:00:00 UTC",
            f"{SILENT},active,2024-07-11 09:00:00 UTC",
            f"{SILENT},active,2024-07-11 12:00:00 UTC",
            f"{SILENT},active,2024-07-12 10:30:00 UTC"]
    late.write_text("store_id,status,timestamp_utc\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    for con in (own_pair.plain, own_pair.compacted):
        assert ingest_file(con, Feed.STORE_STATUS, late).rows_loaded == 4
    at = datetime(2024, 7, 12, 11, tzinfo=UTC)
    silent = next(s for s in status(own_pair.compacted, at) if s.store_id == SILENT)
    assert (silent.status, silent.since) == ("online", datetime(2024, 7, 11, 11, tzinfo=UTC))
    assert figures(own_pair.compacted, at, SILENT) == figures(own_pair.plain, at, SILENT)


def test_archived_polls_follow_a_change_of_business_hours(
    own_pair: Pair, feeds: Feeds, tmp_path: Path
) -> None:
    lines = feeds.business_hours.read_text(encoding="utf-8").splitlines()
    stores = sorted({line.split(",")[0] for line in lines[1:]})
    changed = set(stores[:4])  # these become open 24x7: other polls are observations
    hours = tmp_path / "menu_hours.csv"
    hours.write_text("\n".join([lines[0], *(x for x in lines[1:]
                                            if x.split(",")[0] not in changed)]) + "\n",
                     encoding="utf-8")
    for con in (own_pair.plain, own_pair.compacted):
        ingest_file(con, Feed.BUSINESS_HOURS, hours)
    ats = [datetime(2024, 7, 25, 15, tzinfo=UTC), datetime(2024, 9, 3, tzinfo=UTC),
           datetime(2024, 10, 14, 11, tzinfo=UTC)]
    store = stores[0]
    for at in ats:
        assert figures(own_pair.compacted, at, store, at - timedelta(days=9)) == \
            figures(own_pair.plain, at, store, at - timedelta(days=9))
    # The next compaction rebuilds those stores' summary rows; the figures stay.
    result = compaction.compact(own_pair.compacted, KEEP_DAYS)
    assert result.polls_moved == 0 and result.stores_rebuilt == len(changed)
    assert compaction.compact(own_pair.compacted, KEEP_DAYS).stores_rebuilt == 0
    for at in ats:
        assert figures(own_pair.compacted, at, store) == figures(own_pair.plain, at, store)


_CRASH = """
import os, sys
from loop_core import compaction, db
real_replace = os.replace
renamed = []
def replace_then_die(src, dst):
    real_replace(src, dst)
    renamed.append(dst)
    if len(renamed) == int(sys.argv[2]):
        os._exit(9)  # the process dies: no rollback, no cleanup, no close
compaction.os.replace = replace_then_die
compaction.compact(db.connect(sys.argv[1]), int(sys.argv[3]))
"""


def test_a_crash_between_the_parquet_write_and_the_delete_is_recovered_on_open(
    feeds: Feeds, tmp_path: Path
) -> None:
    path = tmp_path / "crash" / "loop.duckdb"
    plain = _build(tmp_path / "plain" / "loop.duckdb", feeds)
    con = _build(path, feeds)
    polls = con.execute("SELECT count(*) FROM store_status").fetchone()
    db.close(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    died = subprocess.run([sys.executable, "-c", _CRASH, str(path), "2", str(KEEP_DAYS)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert died.returncode == 9, died.stderr
    folder = path.parent / "archive" / "polls"
    assert len(list(folder.rglob("*.parquet"))) == 2  # renamed, never listed
    con = db.connect(path)  # the open recovers: the unlisted files go
    try:
        assert list(folder.rglob("*.parquet")) == []
        assert con.execute("SELECT count(*) FROM store_status").fetchone() == polls
        at = datetime(2024, 10, 14, 11, tzinfo=UTC)
        assert figures(con, at, SILENT) == figures(plain, at, SILENT)
        # And the next compaction does the work, once.
        result = compaction.compact(con, KEEP_DAYS)
        assert len(result.files_written) == 2
        assert figures(con, at, SILENT) == figures(plain, at, SILENT)
    finally:
        db.close(path)
        db.close(tmp_path / "plain" / "loop.duckdb")


def test_a_crash_while_writing_leaves_only_a_temporary_file_that_the_open_removes(
    feeds: Feeds, tmp_path: Path
) -> None:
    path = tmp_path / "loop.duckdb"
    _build(path, feeds)
    db.close(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Dies at the first rename, i.e. after every file was written under its temporary name.
    crash = _CRASH.replace("    real_replace(src, dst)\n", "")
    died = subprocess.run([sys.executable, "-c", crash, str(path), "1", str(KEEP_DAYS)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert died.returncode == 9, died.stderr
    folder = path.parent / "archive" / "polls"
    temporary = list(folder.rglob(f"*{archive.TEMP_SUFFIX}"))
    assert len(temporary) == 2 and all(p.name.startswith(".") for p in temporary)
    # A Parquet engine reading the folder skips them (hidden names).
    assert ds.dataset(folder, format="parquet", partitioning="hive").count_rows() == 0
    db.connect(path)
    try:
        assert list(folder.rglob("*.*")) == []
    finally:
        db.close(path)


def test_the_compact_command_moves_the_polls_and_says_so(feeds: Feeds, tmp_path: Path) -> None:
    path = tmp_path / "cli" / "loop.duckdb"
    _build(path, feeds)
    db.close(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOOP_RETENTION_POLLS_DAYS": "20"}
    done = subprocess.run([sys.executable, "-m", "loop_core", "compact", "--db", str(path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "into 2 archive file(s)" in done.stdout
    con = db.connect(path)
    try:
        log = audit.entries(con)
        assert log[log["action"] == "compaction"]["actor"].to_list() == ["cli"]
    finally:
        db.close(path)
    off = subprocess.run([sys.executable, "-m", "loop_core", "compact", "--db", str(path),
                          "--keep-days", "0"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert off.returncode == 0 and "retention is off" in off.stderr


def test_the_server_compacts_in_the_background(feeds: Feeds, tmp_path: Path) -> None:
    from ui.lifecycle import Compactor

    path = tmp_path / "loop.duckdb"
    con = _build(path, feeds)
    try:
        compactor = Compactor(con, KEEP_DAYS, first_after_s=0.01, every_s=3600)
        deadline = time.monotonic() + 120
        while compactor.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        compactor.stop()
        assert compactor.runs == 1
        assert archive.info(con).files == 2
    finally:
        db.close(path)


def test_the_data_page_shows_the_archives_range_and_size(
    feeds: Feeds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "app" / "loop.duckdb"
    compaction.compact(_build(path, feeds), KEEP_DAYS)
    db.close(path)
    monkeypatch.setenv("LOOP_DB", str(path))
    monkeypatch.setenv("LOOP_NO_SAMPLE", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Archived months"] == "2024-07 – 2024-08"
    assert int(metrics["Archived polls"].replace(",", "")) > 0
    assert metrics["Size on disk"].endswith(("kB", "MB"))
