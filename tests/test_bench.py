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
    naive = [(r[0], *map(int, r[1:])) for r in con.execute(load_sql("bench_naive")).fetchall()]
    engine = [r[:7] for r in report_microseconds(con)]
    assert len(engine) == 60
    assert any(r[4] + r[5] + r[6] > 0 for r in engine)  # some downtime, or the test is idle
    assert naive == engine
