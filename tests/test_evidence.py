"""The evidence beside each store's figures (docs/RULES.md "Evidence"): observations used,
the latest observation and poll coverage, exact on tiny feeds, equal to the pure-Python
reference on random ones, and within its bounds."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core import evidence
from loop_core.errors import NoDataError
from loop_core.ingest import ingest_files
from tests import reference
from tests.conftest import SHARED, Loader
from tests.depth import examples
from tests.test_engine_matches_reference import EDGE_CASES, Feeds, feeds, load_feeds

AS_OF = datetime(2024, 1, 8, 12, tzinfo=UTC)  # a Monday
HOUR_S = 3600


@pytest.fixture
def fixture_db(load: Loader) -> duckdb.DuckDBPyConnection:
    """Five stores in UTC, as of Monday 2024-01-08 12:00 (see each test for its polls)."""
    return load(
        polls=[
            # One poll three days before the as-of, open around the clock (no hours rows):
            # the v1 store 8419537941919820732 of the issue.
            "one_poll,inactive,2024-01-05 12:00:00 UTC",
            # Every 30 minutes through Monday 09:00-12:00.
            *(f"half_hourly,active,2024-01-08 {9 + m // 60:02d}:{m % 60:02d}:00 UTC"
              for m in range(0, 180, 30)),
            # Only while closed: no observation.
            "closed_polls,active,2024-01-08 08:00:00 UTC",
            # Open 09:00-10:00 only: the last hour holds no business time.
            "early,active,2024-01-08 09:30:00 UTC",
            "clock,active,2024-01-08 12:00:00 UTC",
        ],
        hours=["half_hourly,0,09:00:00,12:00:00", "closed_polls,0,09:00:00,12:00:00",
               "early,0,09:00:00,10:00:00"],
        zones=[f"{s},UTC" for s in ("one_poll", "half_hourly", "closed_polls", "early", "clock")],
    )


def _row(con: duckdb.DuckDBPyConnection, store_id: str) -> evidence.EvidenceRow:
    rows = evidence.evidence_rows(con, AS_OF, store_id)
    assert [r.store_id for r in rows] == [store_id]
    return rows[0]


def test_one_poll_three_days_ago_is_used_everywhere_but_covers_three_hours_of_the_week(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    row = _row(fixture_db, "one_poll")
    # Its share is all of time, so it decides every window (168 h down last week) ...
    assert row.observations == (1, 1, 1)
    assert row.latest_observation_at == datetime(2024, 1, 5, 12, tzinfo=UTC)
    assert row.latest_observation_active is False
    # ... but only 10:30-13:30 on Friday lies within 90 minutes of it.
    assert row.covered_us == (0, 0, 3 * HOUR_S * 10**6)
    assert row.business_us == (HOUR_S * 10**6, 24 * HOUR_S * 10**6, 168 * HOUR_S * 10**6)
    assert row.coverage == (0.0, 0.0, 3 / 168)


def test_a_store_polled_every_half_hour_inside_its_hours_has_full_coverage(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    row = _row(fixture_db, "half_hourly")
    # Last hour 11:00-12:00: the 11:00 poll owns 10:45-11:15, the 11:30 one the rest.
    assert row.observations == (2, 6, 6)
    assert row.latest_observation_at == datetime(2024, 1, 8, 11, 30, tzinfo=UTC)
    assert row.latest_observation_active is True
    assert row.coverage == (1.0, 1.0, 1.0)


def test_a_store_without_observations_has_no_coverage_and_no_latest_observation(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    row = _row(fixture_db, "closed_polls")
    assert row.observations == (0, 0, 0)
    assert row.latest_observation_at is None
    assert row.latest_observation_active is None
    assert row.business_us == (HOUR_S * 10**6, 3 * HOUR_S * 10**6, 3 * HOUR_S * 10**6)
    assert row.coverage == (0.0, 0.0, 0.0)


def test_a_window_without_business_time_has_no_coverage_at_all(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    row = _row(fixture_db, "early")
    assert row.observations == (0, 1, 1)
    assert row.coverage == (None, 1.0, 1.0)


def test_the_frame_has_one_row_per_report_store_typed_for_a_join(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    from loop_core import report

    frame = evidence.store_evidence(fixture_db, AS_OF)
    assert list(frame.columns) == evidence.EVIDENCE_COLUMNS
    report_ids = report.compute_report(fixture_db, AS_OF).rows["store_id"]
    assert list(frame["store_id"]) == list(report_ids)
    by_id = frame.set_index("store_id")
    assert by_id.loc["closed_polls", "latest_observation_at"] is pd.NaT
    assert by_id.loc["closed_polls", "latest_observation_active"] is pd.NA
    assert math.isnan(by_id.loc["early", "coverage_last_hour"])
    assert by_id.loc["one_poll", "coverage_last_week"] == pytest.approx(3 / 168)
    assert str(frame["observations_last_week"].dtype) == "int64"


def test_one_store_alone_gets_exactly_its_row_of_the_fleet(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    # The drill-down asks for one store (its polls only); the preview for all of them.
    fleet = evidence.evidence_rows(fixture_db, AS_OF)
    assert [_row(fixture_db, r.store_id) for r in fleet] == fleet


def test_an_unknown_store_gives_no_rows_not_every_store(
    fixture_db: duckdb.DuckDBPyConnection,
) -> None:
    assert evidence.evidence_rows(fixture_db, AS_OF, "no such store") == []


def test_an_empty_database_has_no_now_to_measure_from(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoDataError):
        evidence.store_evidence(con)


def test_the_spec_example_uses_both_polls_and_covers_all_but_a_minute_of_the_week(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    # Open Monday 09:00-12:00, polls 10:14 active and 11:15 inactive, as of 11:59 (the
    # latest poll): the week also holds the previous Monday's 11:59-12:00, far from both.
    row = next(r for r in evidence.evidence_rows(spec_db) if r.store_id == "mon")
    assert row.observations == (1, 2, 2)
    assert row.covered_us == (3600 * 10**6, 179 * 60 * 10**6, 179 * 60 * 10**6)
    assert row.business_us == (3600 * 10**6, 179 * 60 * 10**6, 180 * 60 * 10**6)


# ---------------------------------------------------------------- against the reference


def _engine(data: Feeds) -> list[reference.EvidenceRow]:
    with tempfile.TemporaryDirectory() as folder:
        con = load_feeds(data, Path(folder))
        try:
            rows = evidence.evidence_rows(con, data.as_of)
            # One store alone (the drill-down's query) gets exactly its row of the fleet.
            assert [evidence.evidence_rows(con, data.as_of, r.store_id) for r in rows] == \
                [[r] for r in rows]
            # The SQL's coverage (the one place the ratio is written) is the exact ratio of
            # its microseconds, correctly rounded, and none without business time.
            assert [r.coverage for r in rows] == [
                tuple(None if b == 0 else c / b
                      for c, b in zip(r.covered_us, r.business_us, strict=True))
                for r in rows]
        finally:
            con.close()
    return [
        (r.store_id, r.observations,
         None if r.latest_observation_at is None else reference.to_us(r.latest_observation_at),
         r.latest_observation_active, r.covered_us, r.business_us)
        for r in rows
    ]


def _reference(data: Feeds) -> list[reference.EvidenceRow]:
    return reference.evidence(data.polls, data.hours, data.zones, data.as_of, data.special)


WITH_POLLS = {name: data for name, data in EDGE_CASES.items() if data.polls}


@pytest.mark.parametrize("data", WITH_POLLS.values(), ids=WITH_POLLS.keys())
def test_the_engine_evidence_agrees_with_the_reference_on_edge_cases(data: Feeds) -> None:
    assert _engine(data) == _reference(data)


@settings(max_examples=examples(12), deadline=None)
@given(feeds())
def test_the_engine_evidence_equals_the_reference_to_the_microsecond(data: Feeds) -> None:
    assert _engine(data) == _reference(data)


@settings(max_examples=examples(50), deadline=None)
@given(feeds())
def test_coverage_lies_between_0_and_1_and_needs_an_observation(data: Feeds) -> None:
    for _, used, latest, _, covered, business in _reference(data):
        for n in range(3):
            assert 0 <= covered[n] <= business[n]
            # A window with business time uses at least one observation, if there is one.
            assert (used[n] >= 1) == (latest is not None and business[n] > 0)
        if latest is None:
            assert used == (0, 0, 0) and covered == (0, 0, 0)


@settings(max_examples=examples(10), deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), st.sampled_from(
        [time(0), time(6, 15), time(9), time(12, 40), time(18), time(23, 59)]),
        st.sampled_from([time(1), time(9, 30), time(12), time(17, 5), time(23, 59)])),
        max_size=5),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]),
    as_of_minutes=st.integers(0, 7 * 24 * 60),
)
def test_a_store_polled_every_30_minutes_inside_its_hours_has_coverage_1(
    rows: list[tuple[int, time, time]], zone: str, as_of_minutes: int,
) -> None:
    as_of = datetime(2024, 3, 4, tzinfo=UTC) + timedelta(minutes=as_of_minutes)
    now = reference.to_us(as_of)
    # Polls at each business interval's start and every 30 minutes after, up to now.
    intervals = reference.business_intervals(
        rows, zone, (as_of - timedelta(days=9)).date(), (as_of + timedelta(days=1)).date())
    polls: list[reference.Poll] = [("s", True, as_of)]
    for start, end in intervals:
        polls += [("s", n % 3 > 0, reference.from_us(t))
                  for n, t in enumerate(range(start, min(end, now + 1), 30 * reference.MINUTE_US))]
    data = Feeds(polls, [("s", d, a, b) for d, a, b in rows], {"s": zone}, as_of)
    [(_, used, _, _, covered, business)] = _engine(data)
    assert covered == business
    assert all(u > 0 for u, b in zip(used, business, strict=True) if b > 0)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_the_v1_store_with_one_poll_shows_that_one_poll_as_its_evidence(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # The example: 168 h of figures from a single poll three days before the as-of.
    folder = SHARED / "v1-2023-01"
    ingest_files(con, store_status=folder / "store_status_head5031.csv",
                 business_hours=folder / "menu_hours.csv", timezones=folder / "timezones.csv")
    [row] = evidence.evidence_rows(con, store_id="8419537941919820732")
    assert row.observations == (1, 1, 1)
    assert row.latest_observation_at == datetime(2023, 1, 22, 12, 9, 39, 388884, tzinfo=UTC)
    assert row.latest_observation_active is True
    assert row.coverage == (0.0, 0.0, 3 / 168)
