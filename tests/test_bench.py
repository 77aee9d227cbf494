"""The benchmark's straightforward baseline must compute the same report (no timing here)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from loop_core.ingest import ingest_files
from loop_core.report import report_microseconds
from loop_core.sample import write_sample
from loop_core.sqlfiles import load_sql


def test_the_straightforward_baseline_query_gives_the_engines_figures(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    files = write_sample(tmp_path, stores=60, days=8, seed=3)
    ingest_files(con, **{feed.value: path for feed, path in files.items()})  # type: ignore[arg-type]
    naive = [
        (r[0], *map(int, r[1:])) for r in con.execute(load_sql("report/bench_naive")).fetchall()
    ]
    engine = [r[:7] for r in report_microseconds(con)]
    assert len(engine) == 60
    assert any(r[4] + r[5] + r[6] > 0 for r in engine)  # some downtime, or the test is idle
    assert naive == engine


def test_bench_prints_every_phase_with_its_ratio_to_the_scan(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "loop_core", "bench", "--stores", "30", "--runs", "1",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    assert "straightforward SQL gives exactly the engine's figures for every store" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("phase"))
    table = lines[header + 1 : lines.index("", header)]
    rows = {line[:30].strip(): line[30:].split() for line in table}
    assert list(rows) == [
        "scan polls CSV (DuckDB)",
        "ingest (3 feeds, fresh db)",
        "report (CSV to file)",
        "straightforward SQL (baseline)",
    ]
    assert rows["scan polls CSV (DuckDB)"][1] == "1.00"
    for seconds, ratio, peak in rows.values():
        assert float(seconds) > 0 and float(ratio) > 0 and int(peak) > 0


def test_the_history_bench_prints_each_cost_at_one_week_and_at_w_weeks(tmp_path: Path) -> None:
    # Figures are not asserted (no timed tests): only that it runs and prints them all.
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "loop_core", "bench", "--stores", "20", "--runs", "1",
         "--weeks", "2", "--no-naive", "--workdir", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines)
                  if line.startswith("phase") and "growth" in line)
    assert "2 weeks" in lines[header]
    table = lines[header + 1 : lines.index("", header)]
    rows = {line[:31].strip(): line[31:].split() for line in table}
    assert list(rows) == [
        "report (CSV to file)",
        "store timeline (in process)",
        "sidebar freshness (in process)",
        "hourly load (in process)",
    ]
    for name, (one_week, weeks, scan, growth, cpu_growth) in rows.items():
        assert float(one_week) > 0 and float(weeks) > 0
        assert float(growth) > 0 and float(cpu_growth) > 0
        assert (scan != "-") == name.startswith("report")


def test_bench_with_special_hours_times_them_in_the_same_rounds_and_prints_paired_ratios(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "loop_core", "bench", "--stores", "30", "--runs", "2",
         "--workdir", str(tmp_path), "--no-naive", "--special-share", "0.1"],
        capture_output=True, text=True, check=True, timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    phases = [line[:30].strip() for line in out.splitlines()]
    assert "ingest (with special hours)" in phases and "report (with special hours)" in phases
    assert "report (with special hours) / report (CSV to file): median of 2 paired ratios" in out
    special = (tmp_path / "sample-30-8d" / "special_hours-0.1.csv").read_text().splitlines()
    # Three dates for each chosen store (about a tenth of 30), all in the week before the end.
    assert special[0] == "store_id,date,start_time_local,end_time_local"
    assert len(special) > 1 and (len(special) - 1) % 3 == 0
