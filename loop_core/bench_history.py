"""``python -m loop_core bench --weeks W``: what a long history costs, paired against the
one-week database of the same bench run.

The history database holds ``W`` weeks of polls for the same stores: ``W - 1`` older weeks
of the sample, loaded oldest first as a feed would have brought them, then the bench's own
one-week sample. The sample draws every poll from its store and hour, so the last eight
days of both databases are the same polls. Each round runs every measurement on the one-week
database and on the history database in turn; the growth ratio is the median of the rounds'
ratios, so a slow spell of a shared machine slows both sides of a pair alike.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from loop_core import db, freshness, timeline
from loop_core.bench import ROOT, run_usage
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from loop_core.sample import DEFAULT_END, FILE_NAMES, write_sample

WEEK = timedelta(days=7)
ONE_WEEK_DAYS = 8  # the bench's own sample: a week and the day before it


def _older_week(base: Path, stores: int, k: int) -> Path:
    """The sample's k-th week before the one-week sample (k = 1 is the newest)."""
    folder = base / f"history-{stores}" / f"week-{k}"
    if not (folder / FILE_NAMES[Feed.STORE_STATUS]).exists():
        end = DEFAULT_END - timedelta(days=ONE_WEEK_DAYS) - (k - 1) * WEEK
        write_sample(folder, stores=stores, days=7, seed=0, end=end)
    return folder


def _hour_file(base: Path, stores: int) -> Path:
    """The polls of the hour after the samples' end: what an hourly load brings."""
    path = base / f"hour-{stores}.csv"
    if path.exists():
        return path
    day = base / f"next-day-{stores}"
    write_sample(day, stores=stores, days=1, seed=0, end=DEFAULT_END + timedelta(hours=1))
    cut = DEFAULT_END.strftime("%Y-%m-%d %H:%M:%S")
    with (day / FILE_NAMES[Feed.STORE_STATUS]).open(encoding="utf-8") as source, \
            path.open("w", encoding="utf-8") as out:
        out.write(next(source))
        out.writelines(line if line.endswith("\n") else line + "\n"
                       for line in source if line.split(",")[2][:19] >= cut)
    return path


def build_history(base: Path, stores: int, weeks: int, one_week: Path) -> Path:
    """The ``weeks``-week database (built once, under a temporary name, then renamed)."""
    path = base / f"history-{stores}-{weeks}w.duckdb"
    if path.exists():
        return path
    building = path.with_name(path.name + ".building")
    for suffix in ("", ".wal"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    folders = [_older_week(base, stores, k) for k in range(weeks - 1, 0, -1)] + [one_week]
    started = time.perf_counter()
    for folder in folders:
        subprocess.run(
            [sys.executable, "-m", "loop_core", "ingest", "--db", str(building),
             "--store-status", str(folder / FILE_NAMES[Feed.STORE_STATUS]),
             "--business-hours", str(folder / FILE_NAMES[Feed.BUSINESS_HOURS]),
             "--timezones", str(folder / FILE_NAMES[Feed.TIMEZONES])],
            check=True, cwd=ROOT, capture_output=True,
        )
    building.rename(path)
    print(f"built a {weeks}-week history of {stores} stores in "
          f"{time.perf_counter() - started:.1f} s")
    return path


def _seconds(call: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of one call."""
    started, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - started, time.process_time() - cpu


def _hourly_load(path: Path, scratch: Path, hour: Path) -> tuple[float, float]:
    """Seconds (wall, CPU) to load one hour of polls into a copy of the database ``path``."""
    for suffix in ("", ".wal"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(path, scratch)
    con = db.connect(scratch)
    try:
        return _seconds(lambda: ingest_file(con, Feed.STORE_STATUS, hour))
    finally:
        db.close(scratch)


def run_history_bench(
    base: Path, stores: int, weeks: int, one_week_db: Path, one_week_data: Path,
    scan_s: float, runs: int,
) -> None:
    """Print each history-bound cost at one week and at ``weeks`` weeks, paired."""
    history_db = build_history(base, stores, weeks, one_week_data)
    hour = _hour_file(base, stores)
    dbs = (one_week_db, history_db)
    # phase -> (one week, history) -> [(wall, cpu) per round]
    times: dict[str, tuple[list[tuple[float, float]], list[tuple[float, float]]]] = {}

    def paired(name: str, call: Callable[[int], tuple[float, float]]) -> None:
        times[name] = ([], [])
        for _ in range(runs):
            for i in (0, 1):
                times[name][i].append(call(i))

    # Whole processes first: the in-process phases below hold the files open.
    paired("report (CSV to file)", lambda i: run_usage(
        [sys.executable, "-m", "loop_core", "report", "--db", str(dbs[i]),
         "--out", str(base / "report-history.csv")])[:2])
    cons = [db.connect(p) for p in dbs]
    try:
        row = cons[0].execute(
            "SELECT store_id FROM stores ORDER BY store_id LIMIT 1 OFFSET "
            "(SELECT count(*) // 2 FROM stores)"
        ).fetchone()
        assert row is not None
        store = str(row[0])
        for con in cons:  # the first calls fill DuckDB's caches: not counted
            timeline.store_timeline(con, store)
            freshness.freshness(con)
        paired("store timeline (in process)",
               lambda i: _seconds(lambda: timeline.store_timeline(cons[i], store)))
        paired("sidebar freshness (in process)",
               lambda i: _seconds(lambda: freshness.freshness(cons[i])))
    finally:
        for p in dbs:
            db.close(p)
    paired("hourly load (in process)",
           lambda i: _hourly_load(dbs[i], base / "hourly-scratch.duckdb", hour))
    print(f"\nhistory: 1 week vs {weeks} weeks ({ONE_WEEK_DAYS + 7 * (weeks - 1)} days), "
          f"{stores} stores, store {store}, median of {runs} paired rounds; growth = the "
          "median of the rounds' ratios, in wall and in CPU seconds\n")
    print(f"{'phase':<31} {'1 week':>8} {f'{weeks} weeks':>9} {'x scan':>7} {'growth':>7} "
          f"{'CPU gr.':>7}")
    for name, (short, long) in times.items():
        walls = [statistics.median(w for w, _ in side) for side in (short, long)]
        growth = [statistics.median(b[k] / max(a[k], 1e-9)
                                    for a, b in zip(short, long, strict=True)) for k in (0, 1)]
        scan = f"{walls[1] / scan_s:>7.2f}" if name.startswith("report") else f"{'-':>7}"
        print(f"{name:<31} {walls[0]:>8.3f} {walls[1]:>9.3f} {scan} {growth[0]:>7.2f} "
              f"{growth[1]:>7.2f}")
    print("\ntarget: growth <= 1.10 for the report, the timeline and the freshness at 14,000 "
          "stores with 12 weeks; hourly load <= 0.3 s")
