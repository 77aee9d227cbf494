"""The special-hours feed is read like the hours feed: the same readers, rejects with their
line and reason, and ``ingest --special-hours FILE`` on the command line. The snapshot
rules every feed shares (an identical file changes nothing, the shrink guard) are tested over
all snapshot feeds in test_snapshot_guard.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, time
from pathlib import Path

import duckdb
import pytest

from loop_core.errors import FeedRefusedError
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from tests.conftest import SPECIAL_HEADER
from tests.feeds import write_feed

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, *rows: str) -> Path:
    return write_feed(path, SPECIAL_HEADER, *rows)


def special_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT store_id, local_date, start_time_local, end_time_local FROM special_hours "
        "ORDER BY ALL"
    ).fetchall()


def test_a_clean_file_loads_closed_days_as_rows_without_times(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "special_hours.csv", "s,2024-12-25,,",
                 "s,2024-12-31,18:00:00,03:00:00", "s,2024-12-31,18:00:00,03:00:00")
    summary = ingest_file(con, Feed.SPECIAL_HOURS, path)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_duplicate,
            summary.rows_rejected) == (3, 2, 1, 0)
    assert special_rows(con) == [
        ("s", date(2024, 12, 25), None, None),
        ("s", date(2024, 12, 31), time(18), time(3)),
    ]


def test_each_unreadable_row_is_kept_aside_with_its_line_and_reason(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "special_hours.csv",
        "s,2024-12-25,,",
        "s,25/12/2024,,",
        "s,2024-12-26,10:00:00,",
        "s,2024-12-27,,14:00:00",
        "s,2024-12-28,ten,14:00:00",
        "s,2024-12-29,10:00:00,25:00:00",
        ",2024-12-30,,",
        "s,1999-12-31,,",
        " s , 2024-12-24 , 10:00 , 14:00 ",
    )
    summary = ingest_file(con, Feed.SPECIAL_HOURS, path)
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 7)
    assert con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall() == [
        (3, 'bad date "25/12/2024" (expected YYYY-MM-DD)'),
        (4, "only one of start_time_local and end_time_local is empty "
            "(both empty means closed that day)"),
        (5, "only one of start_time_local and end_time_local is empty "
            "(both empty means closed that day)"),
        (6, 'bad start time "ten"'),
        (7, 'bad end time "25:00:00"'),
        (8, "empty store_id"),
        (9, 'date "1999-12-31" is outside the plausible range (2000-01-01 to 2099-12-31)'),
    ]
    # The careful path trims blanks, as for every feed.
    assert special_rows(con) == [
        ("s", date(2024, 12, 24), time(10), time(14)),
        ("s", date(2024, 12, 25), None, None),
    ]


def test_a_file_without_the_date_column_is_refused_naming_it(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "special_hours.csv"
    path.write_text("store_id,day,start_time_local,end_time_local\ns,2,,\n", encoding="utf-8")
    with pytest.raises(FeedRefusedError, match=r"missing column\(s\) date"):
        ingest_file(con, Feed.SPECIAL_HOURS, path)
    assert special_rows(con) == []


def test_ingest_special_hours_on_the_command_line_changes_the_report(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    polls = tmp_path / "polls.csv"
    polls.write_text("store_id,status,timestamp_utc\ns,inactive,2024-12-25 12:00:00 UTC\n",
                     encoding="utf-8")
    special = write(tmp_path / "special_hours.csv", "s,2024-12-25,,")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "loop_core", *args, "--db", db], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    loaded = run("ingest", "--store-status", str(polls))
    assert loaded.returncode == 0, loaded.stderr
    before = run("report", "--as-of", "2024-12-26T00:00:00Z")
    # Open 24x7 and down since its only poll: the whole week is downtime.
    assert before.stdout.splitlines()[1] == "s,0.00,0.00,0.00,60.00,24.00,168.00"

    out = run("ingest", "--special-hours", str(special))

    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "special_hours: special_hours.csv: 1 loaded, 0 duplicates, 0 rejected"]
    # A 24x7 store (no hours rows) closed on 25 December (America/Chicago, the default
    # zone): its only poll is no longer an observation, so all figures are 0.
    after = run("report", "--as-of", "2024-12-26T00:00:00Z")
    assert after.stdout.splitlines()[1] == "s,0.00,0.00,0.00,0.00,0.00,0.00"
