"""The drill-down timeline is built from the report's SQL: the two can never disagree."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core.errors import InvalidParameterError, UnknownStoreError
from loop_core.report import report_microseconds, resolve_as_of
from loop_core.timeline import downtime_by_local_hour, status_spans, store_timeline
from tests.conftest import Loader
from tests.depth import examples
from tests.test_engine_matches_reference import Feeds, feeds, load_feeds

HOUR_US = 3_600_000_000


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


# ---------------------------------------------------------------- Fleet's local hours


def test_a_fall_back_hour_gets_both_of_its_halves_and_every_microsecond_counts_once(
    load: Loader,
) -> None:
    # America/Chicago falls back on 2026-11-01 at 07:00 UTC (02:00 CDT -> 01:00 CST): local
    # 01:00-02:00 happens twice. Open 24x7; up until the midpoint 06:30 UTC (01:30 CDT)
    # between the two polls, down after it, so the down span crosses the fall-back.
    con = load(polls=["chi,active,2026-11-01 05:30:00 UTC", "chi,inactive,2026-11-01 07:30:00 UTC"],
               zones=["chi,America/Chicago"])
    as_of = datetime(2026, 11, 2, 12, tzinfo=UTC)
    cells = downtime_by_local_hour(con, as_of)
    day = cells[cells["local_date"] == pd.Timestamp(2026, 11, 1)].set_index("local_hour")
    # The first 01:00 (06:00-07:00 UTC): half up, half down; the second: all down.
    assert (day.loc[1, "up_h"], day.loc[1, "down_h"]) == (0.5, 1.5)
    assert (day.loc[0, "up_h"], day.loc[0, "down_h"]) == (1.0, 0.0)
    assert (day.loc[2, "up_h"], day.loc[2, "down_h"]) == (0.0, 1.0)
    assert (day["up_h"] + day["down_h"]).sum() == 25.0  # the local day has 25 hours
    # The week is the report's: 29.5 h down since 06:30 UTC, the rest of 168 h up.
    assert (cells["up_h"].sum(), cells["down_h"].sum()) == (138.5, 29.5)
    [row] = report_microseconds(con, as_of)
    assert (row[3], row[6]) == (138.5 * HOUR_US, 29.5 * HOUR_US)  # up and down last week


def _us(hours: pd.Series) -> int:
    # Each cell is exact microseconds / 3.6e9: rounding gives the microseconds back.
    return sum(round(h * HOUR_US) for h in hours)


@settings(max_examples=examples(10), deadline=None)
@given(feeds(), st.data())
def test_the_hourly_cells_add_up_to_the_reports_week_for_the_same_stores(
    data: Feeds, pick: st.DataObject,
) -> None:
    # Random zones, hours and polls around a DST change (feeds() centres on one).
    with tempfile.TemporaryDirectory() as folder:
        con = load_feeds(data, Path(folder))
        try:
            as_of = resolve_as_of(con, data.as_of)
            assert as_of is not None
            rows = report_microseconds(con, as_of)
            # None (every store), or some of the report's (none: an empty report).
            ids = [r[0] for r in rows]
            chosen = pick.draw(st.none() | st.lists(st.sampled_from(ids), unique=True)
                               if ids else st.none())
            cells = downtime_by_local_hour(con, as_of, store_ids=chosen)
            kept = [r for r in rows if chosen is None or r[0] in chosen]
            assert _us(cells["down_h"]) == sum(r[6] for r in kept)
            assert _us(cells["up_h"]) == sum(r[3] for r in kept)
        finally:
            con.close()
