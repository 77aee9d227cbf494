"""The warm-up (ui.caches._warm) fills every page's caches after a load without computing
the same report twice where one computation can serve two views."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loop_core import db, freshness, report
from ui import caches


def test_the_warm_up_computes_the_week_befores_report_once_and_the_trend_no_report_again(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    # Every report (compute_report, and the context's and trend's weeks) goes through
    # report._compute_us: count the instants it is computed as of.
    computed: list[datetime | None] = []
    real = report._compute_us

    def counting(cur: duckdb.DuckDBPyConnection, as_of: datetime | None) -> None:
        computed.append(as_of)
        real(cur, as_of)

    monkeypatch.setattr(report, "_compute_us", counting)
    path = str(sample_db)
    con = db.connect(path)
    now = report.resolve_as_of(con)
    assert now is not None
    with caplog.at_level(logging.ERROR):
        caches._warm(path, freshness.data_version(con), 99.0)
    assert "warming the caches failed" not in caplog.text
    counts = Counter(computed)
    # The sample's history reaches two weeks back: the trend lists now and now - 7 days,
    # the very reports the store context needs. Only the report itself (the Reports and
    # Data pages, warmed first) and the context's transaction each compute today's.
    assert counts == Counter({now: 2, now - timedelta(days=7): 1})
    # And every page's view is warm: the trend's two weeks are there.
    assert len(caches._trend(path, freshness.data_version(con), 99.0, caches.NO_FILTER)) == 2
