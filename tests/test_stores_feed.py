"""The stores feed is read like the other snapshots: rejects with their line and reason, a
snapshot with the shrink guard, quoted names with commas, an identical file changing
nothing, ``ingest --stores FILE`` on the command line, and no report figure changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from loop_core.errors import FeedRefusedError, SnapshotShrinkError
from loop_core.ingest import ingest_each, ingest_file
from loop_core.models import Feed, LoadSummary

ROOT = Path(__file__).resolve().parent.parent
HEADER = "store_id,name,region,brand,hourly_revenue,uptime_target"


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


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


def test_an_identical_file_changes_nothing_and_a_new_one_replaces_the_snapshot(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = write(tmp_path / "stores.csv", "s1,Old,,,,")
    ingest_file(con, Feed.STORES, first)
    again = ingest_file(con, Feed.STORES, first)
    assert again.unchanged
    assert con.execute("SELECT count(*) FROM loads WHERE feed = 'stores'").fetchone() == (1,)
    ingest_file(con, Feed.STORES, write(tmp_path / "stores2.csv", "s1,New,,,,"))
    assert store_rows(con) == [("s1", "New", None, None, None, None)]


def test_a_snapshot_dropping_most_stores_is_held_back_until_confirmed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ingest_file(con, Feed.STORES, write(tmp_path / "a.csv", *(f"s{i},N{i},,,," for i in range(30))))
    small = write(tmp_path / "b.csv", "s0,N0,,,,")
    (held,) = ingest_each(con, [(Feed.STORES, small)])
    assert isinstance(held, SnapshotShrinkError) and held.old_stores == 30
    assert len(store_rows(con)) == 30
    (applied,) = ingest_each(con, [(Feed.STORES, small)], allow_shrink=True)
    assert isinstance(applied, LoadSummary) and len(store_rows(con)) == 1


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
