"""The SQL engine's report equals the pure-Python reference's, to the microsecond.

Hypothesis draws small random feeds (1-4 stores; hours with overnight rows, 23:59 ends,
equal start and end, missing weekdays or no rows at all; DST zones, an invalid zone and
a missing one; up to 40 polls over ten days around a DST change, often on an hour or
15-minute grid so that ties and polls exactly on interval boundaries happen, often in the
last hours so that the hour and day windows hold both statuses; special-hours rows on
dates of the polled span, closed or with times, several per date), writes them
as CSV files in the real formats, loads them through ``loop_core.ingest`` and compares
``loop_core.report.report_microseconds`` with ``tests.reference.compute``.
"""

from __future__ import annotations

import csv
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.depth import examples
from tests.reference import (
    HOUR_US,
    WINDOWS_US,
    HoursRow,
    Poll,
    Report,
    SpecialRow,
    business_time,
    compute,
    store_context,
    to_us,
)

STORE_IDS = [
    "0042",
    "54515546588432327",
    "8139926242460185114",
    "d84a4552-3668-4075-ad1d-16840294f818",
]
# None: the store has no timezone row. "Mars/Olympus_Mons" is invalid for both
# the reference and DuckDB (names valid in only one of them: see tests/reference.py).
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Santiago",  # changes at local midnight
    "Asia/Beirut",  # changes at local midnight
    "Asia/Kolkata",  # UTC+05:30, no DST
    "America/Chicago",
    "Mars/Olympus_Mons",
    None,
]
DST_DATES = [
    date(2024, 3, 10),  # United States: spring forward
    date(2024, 3, 31),  # Europe, Beirut: spring forward
    date(2024, 4, 7),  # Sydney, Santiago: fall back
    date(2024, 9, 8),  # Santiago: spring forward
    date(2024, 10, 6),  # Sydney: spring forward
    date(2024, 10, 27),  # Europe, Beirut: fall back
    date(2024, 11, 3),  # United States: fall back
]
SPAN_US = 10 * 24 * HOUR_US
NOTABLE_TIMES = [
    time(0),
    time(1, 30),
    time(2),
    time(2, 30),
    time(3),
    time(9),
    time(12),
    time(18),
    time(22),
    time(23, 59),
    time(23, 59, 30),
    time(23, 59, 59),
]


@dataclass(frozen=True)
class Feeds:
    polls: list[Poll]
    hours: list[HoursRow]
    zones: dict[str, str]
    as_of: datetime | None
    special: tuple[SpecialRow, ...] = ()

    def reference(self) -> Report:
        return compute(self.polls, self.hours, self.zones, self.as_of, self.special)


local_times = st.one_of(
    st.sampled_from(NOTABLE_TIMES),
    st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
)
day_rows = st.tuples(
    st.integers(0, 6),
    st.one_of(st.tuples(local_times, local_times), local_times.map(lambda t: (t, t))),
)


def on_grid(step_us: int) -> st.SearchStrategy[int]:
    return st.integers(0, SPAN_US // step_us).map(lambda n: n * step_us)


@st.composite
def feeds(draw: st.DrawFn) -> Feeds:
    stores = draw(st.lists(st.sampled_from(STORE_IDS), min_size=1, max_size=4, unique=True))
    hours: list[HoursRow] = []
    zones: dict[str, str] = {}
    for store in stores:
        # An empty list is a store without rows: open 24x7.
        for weekday, (start, end) in draw(st.lists(day_rows, max_size=6)):
            hours.append((store, weekday, start, end))
        zone = draw(st.sampled_from(ZONES))
        if zone is not None:
            zones[store] = zone
    center = draw(st.sampled_from(DST_DATES))
    base = datetime.combine(center - timedelta(days=5), time(0), UTC)
    # Special dates over the polled span (and a day either side), the DST day included;
    # a row without times closes the date.
    special_times = st.none() | st.one_of(
        st.tuples(local_times, local_times), local_times.map(lambda t: (t, t)))
    special: list[SpecialRow] = []
    for store in stores:
        for offset, times in draw(st.lists(
                st.tuples(st.integers(-1, 11), special_times), max_size=4)):
            day = base.date() + timedelta(days=offset)
            start, end = times if times is not None else (None, None)
            special.append((store, day, start, end))
    offsets = st.one_of(
        on_grid(HOUR_US),  # on business-hours boundaries, and ties
        on_grid(HOUR_US // 4),
        st.integers(0, SPAN_US),  # anywhere, to the microsecond
        st.integers(SPAN_US - 6 * HOUR_US, SPAN_US),  # busy last hour and day
    )
    count = draw(st.sampled_from(range(1, 41)))  # no polls at all: see EDGE_CASES
    polls: list[Poll] = [
        (store, active, base + timedelta(microseconds=offset))
        for store, active, offset in draw(
            st.lists(
                st.tuples(st.sampled_from(stores), st.booleans(), offsets),
                min_size=count,
                max_size=count,
            )
        )
    ]
    as_of_offset = draw(st.none() | offsets)
    as_of = None if as_of_offset is None else base + timedelta(microseconds=as_of_offset)
    return Feeds(polls, hours, zones, as_of, tuple(special))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def special_csv(path: Path, data: Feeds) -> Path:
    """The feeds' special-hours rows as a special_hours.csv file (no times: closed)."""
    return write_csv(
        path,
        ["store_id", "date", "start_time_local", "end_time_local"],
        [[store, f"{d:%Y-%m-%d}", "" if s is None else f"{s:%H:%M:%S}",
          "" if e is None else f"{e:%H:%M:%S}"] for store, d, s, e in data.special],
    )


def load_feeds(data: Feeds, folder: Path) -> duckdb.DuckDBPyConnection:
    """The feeds written as CSV files in the real formats and loaded into a fresh database."""
    # Imported here so that the reference-only property below runs without the engine.
    from loop_core import db, ingest

    store_status = write_csv(
        folder / "store_status.csv",
        ["store_id", "status", "timestamp_utc"],
        [
            [store, "active" if active else "inactive", f"{t:%Y-%m-%d %H:%M:%S.%f} UTC"]
            for store, active, t in data.polls
        ],
    )
    business_hours = write_csv(
        folder / "menu_hours.csv",
        ["store_id", "dayOfWeek", "start_time_local", "end_time_local"],
        [[store, str(d), f"{s:%H:%M:%S}", f"{e:%H:%M:%S}"] for store, d, s, e in data.hours],
    )
    timezones = write_csv(
        folder / "timezones.csv",
        ["store_id", "timezone_str"],
        [[store, zone] for store, zone in data.zones.items()],
    )
    special_hours = special_csv(folder / "special_hours.csv", data)
    con = db.connect(":memory:")
    ingest.ingest_files(
        con, store_status=store_status, business_hours=business_hours, timezones=timezones,
        special_hours=special_hours,
    )
    return con


def engine_rows(data: Feeds, folder: Path) -> list[tuple[object, ...]]:
    from loop_core import report

    con = load_feeds(data, folder)
    try:
        return [tuple(row) for row in report.report_microseconds(con, data.as_of)]
    finally:
        con.close()


# Cases worth running every time: the points SPEC.md leaves open (resolved as in
# tests/reference.py) and reports without any poll.
MONDAY = datetime(2024, 1, 8, 12, tzinfo=UTC)
GAP_DAY = datetime(2024, 3, 10, tzinfo=UTC)  # New York springs forward at 02:00
EDGE_CASES = {
    "an end of 23:59 or later means midnight even when not after the start": Feeds(
        [("s", True, MONDAY + timedelta(hours=11, minutes=59, seconds=45))],
        [("s", 0, time(23, 59, 30), time(23, 59)), ("s", 0, time(23, 59), time(23, 59))],
        {"s": "UTC"},
        MONDAY + timedelta(days=1),
    ),
    "an interval that starts in a DST gap and ends before its UTC start is empty": Feeds(
        [("s", True, GAP_DAY + timedelta(hours=6, minutes=30))],
        [
            ("s", 6, time(2, 30), time(3)),
            ("s", 6, time(2, 30), time(3, 15)),
            ("s", 6, time(1), time(2)),
        ],
        {"s": "America/New_York"},
        GAP_DAY + timedelta(hours=12),
    ),
    "polls at one instant give the time before to inactive and after to active": Feeds(
        [("s", True, MONDAY), ("s", False, MONDAY)], [], {}, MONDAY + timedelta(minutes=30)
    ),
    "midpoints are floored to the microsecond": Feeds(
        [("s", True, MONDAY), ("s", False, MONDAY + timedelta(microseconds=3))],
        [],
        {},
        MONDAY + timedelta(hours=1),
    ),
    "no polls and no as_of give no rows": Feeds([], [("s", 0, time(9), time(12))], {}, None),
    "no polls at or before as_of give no rows": Feeds(
        [("s", True, MONDAY)], [], {}, MONDAY - timedelta(hours=1)
    ),
}


def assert_engine_matches_reference(data: Feeds) -> None:
    with tempfile.TemporaryDirectory() as folder:
        got = engine_rows(data, Path(folder))
    assert got == data.reference().rows()


@pytest.mark.parametrize("data", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_the_engine_agrees_with_the_reference_on_edge_cases(data: Feeds) -> None:
    assert_engine_matches_reference(data)


@settings(max_examples=examples(20), deadline=None)
@given(feeds())
def test_the_engine_report_equals_the_reference_to_the_microsecond(data: Feeds) -> None:
    assert_engine_matches_reference(data)


@settings(max_examples=examples(100), deadline=None)
@given(feeds())
def test_the_reference_splits_each_window_business_time_into_uptime_and_downtime(
    data: Feeds,
) -> None:
    report = data.reference()
    if report.now is None:
        return
    now = to_us(report.now)
    assert set(report.figures) == {s for s, _, t in data.polls if to_us(t) <= now}
    for store, figures in report.figures.items():
        if store not in report.observed:
            assert figures == (0, 0, 0, 0, 0, 0)
            continue
        for n, length in enumerate(WINDOWS_US):
            business = business_time(report.business[store], now - length, now)
            assert figures[n] + figures[n + 3] == business


# --- store context (docs/RULES.md "Store context") -----------------------------------

_attributes = st.tuples(
    st.none() | st.integers(0, 50_000).map(lambda cents: cents / 100),  # hourly revenue
    st.none() | st.integers(1, 10_000).map(lambda hundredths: hundredths / 100),  # target %
)


@settings(max_examples=examples(10), deadline=None)
@given(feeds(), st.lists(_attributes, min_size=4, max_size=4),
       st.integers(1, 10_000).map(lambda hundredths: hundredths / 100))
def test_the_store_context_equals_the_reference_for_any_rates_and_targets(
    data: Feeds, attributes: list[tuple[float | None, float | None]], default_target: float
) -> None:
    from loop_core import context, ingest
    from loop_core.models import Feed

    now = data.reference()
    if now.now is None or not now.figures:
        return  # no report, no context (test_context covers the empty database)
    previous = compute(data.polls, data.hours, data.zones, now.now - timedelta(days=7),
                       data.special)
    rates = {s: a[0] for s, a in zip(STORE_IDS, attributes, strict=False)}
    targets = {s: a[1] for s, a in zip(STORE_IDS, attributes, strict=False)}
    expected = store_context(now, previous, rates, targets, default_target)
    with tempfile.TemporaryDirectory() as folder:
        con = load_feeds(data, Path(folder))
        try:
            stores = write_csv(
                Path(folder) / "stores.csv", ["store_id", "hourly_revenue", "uptime_target"],
                [[s, "" if rates[s] is None else f"{rates[s]:.2f}",
                  "" if targets[s] is None else f"{targets[s]:.2f}"] for s in rates])
            ingest.ingest_file(con, Feed.STORES, stores)
            frame = context.store_context(con, data.as_of, default_target_pct=default_target)
        finally:
            con.close()
    assert list(frame["store_id"]) == sorted(expected)
    for _, got in frame.iterrows():
        want = expected[str(got["store_id"])]
        for key, value in want.items():
            if value is None:
                assert math.isnan(float(got[key])), key
            elif isinstance(value, bool):
                assert bool(got[key]) is value, key
            else:
                assert float(got[key]) == pytest.approx(value, rel=1e-9, abs=1e-9), key

