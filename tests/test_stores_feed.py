"""The stores feed is read like the other snapshots: rejects with their line and reason,
quoted names with commas, ``ingest --stores FILE`` on the command line, and no report
figure changed. The snapshot rules every feed shares (an identical file changes nothing, the
shrink guard) are tested over all snapshot feeds in test_snapshot_guard.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from loop_core.errors import FeedRefusedError
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from tests.feeds import write_feed

ROOT = Path(__file__).resolve().parent.parent
HEADER = "store_id,name,region,brand,hourly_revenue,uptime_target"


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    return write_feed(path, header, *rows)


def store_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT store_id, name, region, brand, hourly_revenue, uptime_target "
        "FROM store_attributes ORDER BY ALL"
    ).fetchall()


def test_a_clean_file_loads_quoted_names_with_commas_and_empty_fields_as_null(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "stores.csv", 's1,"Pizza, Austin 6th St",TX,Pizza,120.5,99.5',
                 "s2,,,,,")
    summary = ingest_file(con, Feed.STORES, path)
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 0)
    assert store_rows(con) == [
        ("s1", "Pizza, Austin 6th St", "TX", "Pizza", 120.5, 99.5),
        ("s2", None, None, None, None, None),
    ]


def test_a_header_with_only_some_columns_loads_the_others_as_null(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "stores.csv", "s1,80,Downtown", header="store_id,uptime_target,name")
    ingest_file(con, Feed.STORES, path)
    assert store_rows(con) == [("s1", "Downtown", None, None, None, 80.0)]


def test_a_header_without_store_id_is_refused_whole(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "stores.csv", "Downtown", header="name")
    with pytest.raises(FeedRefusedError, match="missing column"):
        ingest_file(con, Feed.STORES, path)


def test_bad_rows_are_rejected_with_reasons_and_the_rest_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "stores.csv",
        "ok,Fine,,,10,99",
        "neg,A,,,-1,",
        "zero,B,,,,0",
        "over,C,,,,100.5",
        "text,D,,,lots,",
        f"long,{'x' * 201},,,,",
        ",E,,,,",
        "twice,F,,,,",
        "twice,G,,,,",
        "edge,H,,,0,100",
    )
    summary = ingest_file(con, Feed.STORES, path)
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 8)
    assert [r[0] for r in store_rows(con)] == ["edge", "ok"]
    reasons = dict(con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall())
    assert reasons == {
        3: 'negative hourly_revenue "-1"',
        4: 'uptime_target "0" is outside (0, 100]',
        5: 'uptime_target "100.5" is outside (0, 100]',
        6: 'bad hourly_revenue "lots"',
        7: "name longer than 200 characters",
        8: "empty store_id",
        9: "store has 2 different rows in this file",
        10: "store has 2 different rows in this file",
    }


def test_ingest_stores_on_the_command_line_leaves_the_report_csv_byte_identical(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "x.duckdb")
    polls = tmp_path / "polls.csv"
    polls.write_text("store_id,status,timestamp_utc\ns,inactive,2024-12-25 12:00:00 UTC\n"
                     "t,active,2024-12-25 13:00:00 UTC\n", encoding="utf-8")
    stores = write(tmp_path / "stores.csv", 's,"=cmd, Inc",TX,Pizza,100,99', "t,T,,,,")

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "loop_core", *args, "--db", db], cwd=ROOT,
                              capture_output=True, timeout=120)

    assert run("ingest", "--store-status", str(polls)).returncode == 0
    before = run("report", "--as-of", "2024-12-26T00:00:00Z")
    assert before.returncode == 0 and before.stdout.count(b"\n") == 3
    out = run("ingest", "--stores", str(stores))
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().splitlines() == [
        "stores: stores.csv: 2 loaded, 0 duplicates, 0 rejected"]
    after = run("report", "--as-of", "2024-12-26T00:00:00Z")
    assert after.stdout == before.stdout
