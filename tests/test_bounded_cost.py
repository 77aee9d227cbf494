"""The cost of a load follows the size of the file, never the dates in it: polls far
older than the interval cache are classified against intervals of their own days only,
and exactly as the cache would have classified them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from loop_core import db, derived
from loop_core.ingest import ingest_each
from loop_core.models import Feed
from loop_core.report import compute_report
from loop_core.sample import write_sample

END = datetime(2024, 10, 14, 12, tzinfo=UTC)


def _snapshots(tmp_path: Path) -> dict[Feed, Path]:
    # 40 stores of the sample: several zones (DST ones too), overnight and 24x7 hours.
    return write_sample(tmp_path / "feeds", stores=40, days=1, seed=3, end=END)


def _store_ids(con: duckdb.DuckDBPyConnection, feeds: dict[Feed, Path]) -> list[str]:
    text = feeds[Feed.STORE_STATUS].read_text(encoding="utf-8").splitlines()[1:]
    return sorted({line.split(",")[0] for line in text})


def _polls_file(path: Path, ids: list[str], stamps: list[datetime]) -> Path:
    rng = random.Random(7)
    lines = [f"{rng.choice(ids)},{rng.choice(['active', 'inactive'])},"
             f"{t:%Y-%m-%d %H:%M:%S} UTC" for t in stamps]
    path.write_text("store_id,status,timestamp_utc\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def _database(tmp_path: Path, name: str, feeds: dict[Feed, Path]) -> duckdb.DuckDBPyConnection:
    con = db.connect(tmp_path / f"{name}.duckdb")
    ingest_each(con, [(Feed.TIMEZONES, feeds[Feed.TIMEZONES]),
                      (Feed.BUSINESS_HOURS, feeds[Feed.BUSINESS_HOURS]),
                      (Feed.STORE_STATUS, feeds[Feed.STORE_STATUS])])
    return con


def test_polls_spread_over_twenty_years_cost_what_polls_of_one_day_cost(tmp_path: Path) -> None:
    feeds = _snapshots(tmp_path)
    one_day = [END - timedelta(minutes=7 * i) for i in range(200)]
    rng = random.Random(11)
    twenty_years = [datetime(2005, 1, 1, tzinfo=UTC)
                    + timedelta(seconds=rng.randrange(20 * 365 * 86400)) for _ in range(200)]
    sizes = {}
    for name, stamps in (("day", one_day), ("years", twenty_years)):
        con = _database(tmp_path, name, feeds)
        ids = _store_ids(con, feeds)
        (summary,) = ingest_each(con, [(Feed.STORE_STATUS,
                                        _polls_file(tmp_path / f"{name}.csv", ids, stamps))])
        assert not isinstance(summary, Exception) and summary.rows_rejected == 0
        cache = con.execute("SELECT count(*) FROM interval_cache").fetchone()
        unclassified = con.execute(
            "SELECT count(*) FROM store_status WHERE in_hours IS NULL").fetchone()
        assert unclassified == (0,)
        con.execute("CHECKPOINT")
        sizes[name] = ((tmp_path / f"{name}.duckdb").stat().st_size, cache[0] if cache else 0)
        db.close(tmp_path / f"{name}.duckdb")
    # The same bounded cache either way, and a file of the same size (before: twenty
    # years of intervals for every hours pattern were computed and stored).
    assert sizes["years"][1] == sizes["day"][1]
    assert sizes["years"][0] <= sizes["day"][0] * 1.25


def test_old_polls_are_classified_exactly_as_the_cache_would_classify_them(
    tmp_path: Path,
) -> None:
    feeds = _snapshots(tmp_path)
    rng = random.Random(5)
    # Old polls over a few years, DST changes included, at any minute of the day.
    old = [datetime(2019, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(3 * 365 * 1440))
           for _ in range(600)]

    only_old = _database(tmp_path, "only_old", feeds)  # its sample polls are from 2024 ...
    ids = _store_ids(only_old, feeds)
    polls = _polls_file(tmp_path / "old.csv", ids, old)
    ingest_each(only_old, [(Feed.STORE_STATUS, polls)])
    flags_sparse = only_old.execute(
        "SELECT store_id, timestamp_utc, is_active, in_hours FROM store_polls "
        "WHERE timestamp_utc < '2023-01-01' ORDER BY ALL").fetchall()

    # ... so the old ones took the sparse path. Classified from scratch through a cache
    # that covers them (the whole table reclassified), they must get the same flags.
    with only_old.cursor() as cur:
        cur.execute("UPDATE store_status SET in_hours = NULL")
        lo = int(cur.execute("SELECT epoch_us(min(timestamp_utc)) FROM store_status").fetchone()[0])
        hi = int(cur.execute("SELECT epoch_us(max(timestamp_utc)) FROM store_status").fetchone()[0])
        cur.execute("DELETE FROM interval_cache")
        cur.execute("DELETE FROM interval_cache_range")
        cur.execute(derived.load_sql("derived/rebuild_interval_cache"), [lo, hi])
        cur.execute("INSERT INTO interval_cache_range VALUES (?, ?, NULL)", [lo, hi])
        cur.execute("CREATE TEMP TABLE changed_stores (store_key BIGINT)")
        derived.use_cached_buckets(cur)
        cur.execute(derived.load_sql("derived/classify_polls"), [lo, hi, True])
    flags_cached = only_old.execute(
        "SELECT store_id, timestamp_utc, is_active, in_hours FROM store_polls "
        "WHERE timestamp_utc < '2023-01-01' ORDER BY ALL").fetchall()
    assert len(flags_sparse) == 600
    assert flags_sparse == flags_cached
    assert {f[3] for f in flags_sparse} == {True, False}  # both kinds occur


def test_a_report_as_of_an_old_date_uses_the_old_polls(tmp_path: Path) -> None:
    feeds = _snapshots(tmp_path)
    con = _database(tmp_path, "report", feeds)
    ids = _store_ids(con, feeds)
    as_of = datetime(2021, 6, 1, 12, tzinfo=UTC)
    hourly = [as_of - timedelta(hours=h) for h in range(24 * 8)]
    ingest_each(con, [(Feed.STORE_STATUS, _polls_file(tmp_path / "june.csv", ids, hourly))])

    fresh = _database(tmp_path, "fresh", feeds)
    with fresh.cursor() as cur:  # the same polls, without the 2024 sample polls
        cur.execute("DELETE FROM store_status")
    ingest_each(fresh, [(Feed.STORE_STATUS, tmp_path / "june.csv")])
    assert compute_report(con, as_of).csv == compute_report(fresh, as_of).csv
