"""The drill-down timeline is built from the report's SQL: the two can never disagree."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest

from loop_core.errors import InvalidParameterError, UnknownStoreError
from loop_core.report import report_microseconds
from loop_core.timeline import status_spans, store_timeline
from tests.conftest import Loader


def test_spec_example_timeline_shows_hours_polls_and_the_midpoint_split(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    t = store_timeline(spec_db, "mon", as_of="2024-01-08T12:00:00Z")
    assert (t.timezone, t.timezone_defaulted) == ("UTC", False)
    assert list(t.business[["start_utc", "end_utc"]].itertuples(index=False, name=None)) == [
        (pd.Timestamp("2024-01-08 09:00", tz="UTC"), pd.Timestamp("2024-01-08 12:00", tz="UTC"))
    ]
    assert list(t.spans[["start_utc", "end_utc", "status"]].itertuples(index=False, name=None)) == [
        (
            pd.Timestamp("2024-01-08 09:00", tz="UTC"),
            pd.Timestamp("2024-01-08 10:44:30", tz="UTC"),
            "active",
        ),
        (
            pd.Timestamp("2024-01-08 10:44:30", tz="UTC"),
            pd.Timestamp("2024-01-08 12:00", tz="UTC"),
            "inactive",
        ),
    ]
    assert list(t.polls[["status", "in_hours"]].itertuples(index=False, name=None)) == [
        ("active", True), ("inactive", True),
    ]


def test_polls_outside_hours_are_shown_but_marked(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-08 10:00:00 UTC", "s,inactive,2024-01-08 20:00:00 UTC"],
        hours=["s,0,09:00:00,17:00:00"],
        zones=["s,America/New_York"],
    )
    t = store_timeline(con, "s")
    # 10:00 UTC is 05:00 in New York (closed), 20:00 UTC is 15:00 (open).
    assert list(t.polls["in_hours"]) == [False, True]
    assert t.polls["timestamp_local"].iloc[0] == pd.Timestamp("2024-01-08 05:00")
    assert t.hours.values.tolist()[0][0] == 0


def test_a_defaulted_zone_is_flagged(spec_db: duckdb.DuckDBPyConnection) -> None:
    t = store_timeline(spec_db, "allday")
    assert (t.timezone, t.timezone_defaulted, t.timezone_given) == (
        "America/Chicago", True, "Mars/Olympus_Mons",
    )


def test_an_unknown_store_raises_a_clear_error(spec_db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownStoreError, match="no store with id 'ghost'"):
        store_timeline(spec_db, "ghost")


def test_a_reversed_range_is_refused(spec_db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidParameterError):
        store_timeline(spec_db, "mon", start="2024-01-08", end="2024-01-01")


def test_span_durations_add_up_to_every_stores_weekly_report_figures(load: Loader) -> None:
    polls = [
        f"{store},{'inactive' if (i * 7 + len(store)) % 5 == 0 else 'active'},"
        f"2024-03-{4 + i // 24:02d} {i % 24:02d}:{(i * 13) % 60:02d}:00 UTC"
        for store in ("a", "bb", "ccc")
        for i in range(0, 24 * 9, 1 + len(store))
    ]
    con = load(
        polls=polls,
        hours=["a,0,09:00:00,17:00:00", "a,6,20:00:00,02:00:00", "bb,2,00:00:00,23:59:00"],
        zones=["a,America/New_York", "bb,Europe/Berlin"],
    )
    spans = status_spans(con, with_polls=False)
    spans = spans[spans["kind"] == "span"]
    seconds = (spans["end_utc"] - spans["start_utc"]).dt.total_seconds() * 1_000_000
    by_store = (
        spans.assign(us=seconds.round().astype("int64"))
        .groupby(["store_id", "is_active"])["us"]
        .sum()
    )
    for store_id, *figures, has_obs in report_microseconds(con):
        assert has_obs
        assert by_store.get((store_id, True), 0) == figures[2]  # uptime_last_week
        assert by_store.get((store_id, False), 0) == figures[5]  # downtime_last_week


def test_the_default_range_is_the_week_before_the_latest_poll(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    t = store_timeline(spec_db, "mon")
    assert t.end == datetime(2024, 1, 8, 11, 59, tzinfo=UTC)
    assert t.end - t.start == pd.Timedelta(days=7)
