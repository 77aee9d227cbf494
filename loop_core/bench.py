"""``python -m loop_core bench``: time ingest and report as whole processes, next to a
plain DuckDB scan of the same polls CSV (the yardstick the targets are written against).

Each phase runs as its own ``python`` process, as a user would run it, so start-up and
imports are included; peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from loop_core.errors import InvalidParameterError
from loop_core.models import Feed

ROOT = Path(__file__).resolve().parent.parent

# The straightforward query (report/bench_naive.sql), run the same way as the report; it also
# checks that it gives exactly the engine's figures.
_NAIVE = (
    "import sys; from loop_core import db, report; from loop_core.sqlfiles import load_sql; "
    "con = db.connect(sys.argv[1]); rows = con.execute(load_sql('report/bench_naive')).fetchall(); "
    "same = [tuple(r[:7]) for r in report.report_microseconds(con)] == "
    "[(r[0], *map(int, r[1:])) for r in rows] if len(sys.argv) > 2 else None; "
    "print(same); sys.exit(0 if same is not False else 1)"
)

_SCAN = (
    "import duckdb, sys; con = duckdb.connect(); con.execute(\"SET TimeZone='UTC'\"); "
    "print(con.execute('SELECT count(*), max(timestamp_utc) FROM read_csv(?)', "
    "[sys.argv[1]]).fetchall())"
)


@dataclass(frozen=True)
class Measure:
    """One phase: median wall seconds over the runs and the largest peak RSS."""

    phase: str
    seconds: float
    peak_mb: float
    runs: int
    times: tuple[float, ...] = ()  # each round's seconds, for paired ratios
    cpu: tuple[float, ...] = ()  # each round's CPU seconds (user + system)


def run_usage(args: list[str], before: list[str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, all threads) and peak MB of one run. CPU
    time moves less than wall time when other work shares the machine."""
    if before:
        subprocess.run(before, check=True, cwd=ROOT, capture_output=True)
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{' '.join(args)} failed: {err.strip()[-500:]}")
    if proc.stderr:
        proc.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB


@dataclass(frozen=True)
class _Phase:
    name: str
    args: list[str]
    fresh: Path | None = None  # a database file deleted before each run


def _measure(phases: list[_Phase], runs: int) -> list[Measure]:
    """Run the phases in turn, ``runs`` rounds: a slower spell of a shared machine then
    slows every phase of a round alike instead of skewing one phase's median."""
    times: dict[str, list[float]] = {p.name: [] for p in phases}
    cpus: dict[str, list[float]] = {p.name: [] for p in phases}
    peaks: dict[str, list[float]] = {p.name: [] for p in phases}
    for _ in range(runs):
        for phase in phases:
            if phase.fresh is not None:
                for suffix in ("", ".wal"):
                    Path(f"{phase.fresh}{suffix}").unlink(missing_ok=True)
            seconds, cpu, peak = run_usage(phase.args)
            times[phase.name].append(seconds)
            cpus[phase.name].append(cpu)
            peaks[phase.name].append(peak)
    return [
        Measure(p.name, statistics.median(times[p.name]), max(peaks[p.name]), runs,
                tuple(times[p.name]), tuple(cpus[p.name]))
        for p in phases
    ]


def run_bench(
    stores: int = 14_000,
    days: int = 8,
    workdir: str | None = None,
    runs: int = 3,
    naive: bool | None = None,
    weeks: int = 1,
    special_share: float = 0.0,
) -> int:
    """Generate data for ``stores`` stores, time scan / ingest / report, print the table;
    with ``weeks`` > 1, also what a history of that many weeks costs (bench_history.py).
    With ``special_share``, that share of the stores also gets three special dates in the
    week, loaded into a second database whose ingest and report run in the same rounds."""
    from loop_core.sample import write_sample

    if weeks > 1 and days != 8:
        raise InvalidParameterError("--weeks compares with the one-week sample: leave --days at 8")

    base = Path(workdir) if workdir else Path(tempfile.gettempdir()) / "loop-bench"
    data = base / f"sample-{stores}-{days}d"
    if not (data / "store_status.csv").exists():
        started = time.perf_counter()
        write_sample(data, stores=stores, days=days, seed=0)
        print(f"generated {stores} stores x {days} days in {time.perf_counter() - started:.1f} s")
    files = {feed: data / name for feed, name in (
        (Feed.STORE_STATUS, "store_status.csv"),
        (Feed.BUSINESS_HOURS, "menu_hours.csv"),
        (Feed.TIMEZONES, "timezones.csv"),
    )}
    with files[Feed.STORE_STATUS].open("rb") as f:
        polls = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 24), b""))
    size_mb = files[Feed.STORE_STATUS].stat().st_size / 1e6
    db_path = base / f"bench-{stores}.duckdb"
    python = sys.executable
    phases = [
        _Phase("scan polls CSV (DuckDB)", [python, "-c", _SCAN, str(files[Feed.STORE_STATUS])]),
        _Phase(
            "ingest (3 feeds, fresh db)",
            [python, "-m", "loop_core", "ingest", "--db", str(db_path),
             "--store-status", str(files[Feed.STORE_STATUS]),
             "--business-hours", str(files[Feed.BUSINESS_HOURS]),
             "--timezones", str(files[Feed.TIMEZONES])],
            fresh=db_path,
        ),
        _Phase(
            "report (CSV to file)",
            [python, "-m", "loop_core", "report", "--db", str(db_path),
             "--out", str(base / "report.csv")],
        ),
    ]
    if special_share > 0:
        phases += _special_phases(data, base, stores, special_share, phases[1:3])
    with_naive = naive if naive is not None else stores <= 20_000
    if with_naive:
        phases.append(
            _Phase("straightforward SQL (baseline)", [python, "-c", _NAIVE, str(db_path)])
        )
    measured = _measure(phases, runs)
    scan = measured[0]
    if with_naive:
        # Once more, to check it agrees with the engine to the microsecond.
        run_usage([python, "-c", _NAIVE, str(db_path), "check"])
        print("straightforward SQL gives exactly the engine's figures for every store")
    print(f"\n{stores} stores, {days} days, ~{polls:,} polls ({size_mb:,.0f} MB CSV), "
          f"{os.cpu_count()} cores, median of {runs} rounds of whole-process runs, "
          "phases interleaved\n")
    print(f"{'phase':<30} {'seconds':>8} {'x scan':>7} {'peak MB':>8}")
    for m in measured:
        print(f"{m.phase:<30} {m.seconds:>8.2f} {m.seconds / scan.seconds:>7.2f} {m.peak_mb:>8.0f}")
    # On a shared machine wall time follows the other sessions; CPU time moves far less.
    print(f"\n{'CPU (user + system)':<30} {'CPU s':>8} {'x scan':>7}  (median of paired ratios)")
    for m in measured:
        paired = statistics.median(c / s for c, s in zip(m.cpu, scan.cpu, strict=True))
        print(f"{m.phase:<30} {statistics.median(m.cpu):>8.2f} {paired:>7.2f}")
    print("\ntargets: report <= 1.0x scan and ingest <= 3.0x scan at 14,000 stores; "
          "report <= 10 s and <= 2,048 MB at 140,000 stores")
    if special_share > 0:
        by_name = {m.phase: m for m in measured}
        for plain, special in (("ingest (3 feeds, fresh db)", _SPECIAL_INGEST),
                               ("report (CSV to file)", _SPECIAL_REPORT)):
            ratios = [b / a for a, b in zip(by_name[plain].times, by_name[special].times,
                                            strict=True)]
            print(f"{special} / {plain}: median of {runs} paired ratios "
                  f"{statistics.median(ratios):.3f}")
        print(f"target: report with {special_share:.0%} of stores on three special dates "
              "<= 1.10x the report without")
    _live_queries(db_path, runs)
    if weeks > 1:
        from loop_core.bench_history import run_history_bench

        run_history_bench(base, stores, weeks, db_path, data, scan.seconds, runs)
    return 0


_SPECIAL_INGEST = "ingest (with special hours)"
_SPECIAL_REPORT = "report (with special hours)"


def _special_phases(
    data: Path, base: Path, stores: int, share: float, plain: list[_Phase]
) -> list[_Phase]:
    """The ingest and report phases again, on a second database that also holds special
    hours for ``share`` of the stores (the same polls, hours and zones)."""
    from loop_core.sample import write_special_hours

    special = write_special_hours(data / f"special_hours-{share:g}.csv", stores, share, seed=0)
    db_path = str(base / f"bench-{stores}-special.duckdb")

    def on_db(args: list[str]) -> list[str]:
        at = args.index("--db") + 1
        return [*args[:at], db_path, *args[at + 1:]]

    ingest, report = plain
    return [
        _Phase(_SPECIAL_INGEST, [*on_db(ingest.args), "--special-hours", str(special)],
               fresh=Path(db_path)),
        _Phase(_SPECIAL_REPORT, on_db(report.args)),
    ]


def _live_queries(db_path: Path, runs: int) -> None:
    """Status and incidents as a running server answers them: in one process, on an
    open connection (median of ``runs``; the first call, which warms caches, not counted)."""
    from loop_core import db
    from loop_core.incidents import incidents
    from loop_core.status import status

    con = db.connect(db_path)
    try:
        print(f"\n{'in a running server':<30} {'seconds':>8}")
        for name, call in (("status now (all stores)", lambda: status(con)),
                           ("incidents (the week)", lambda: incidents(con))):
            call()
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            print(f"{name:<30} {statistics.median(times):>8.3f}")
        print("target: <= 0.3 s each at 14,000 stores")
    finally:
        db.close(db_path)
