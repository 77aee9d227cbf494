"""The pure-Python reference report (tests/reference.py) against hand-computed figures.

Every expected value below is worked out by hand from SPEC.md, in exact microseconds.
Dates: 2024-01-01 and 2024-01-08 are Mondays.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.reference import (
    DAY_US,
    HOUR_US,
    MINUTE_US,
    WEEK_US,
    WINDOWS_US,
    DayRow,
    HoursRow,
    Interval,
    Poll,
    business_intervals,
    business_time,
    compute,
    resolve_zone,
    rounded,
    to_us,
)

SECOND_US = 1_000_000


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return to_us(utc(year, month, day, hour, minute, second))


def one_day(rows: list[DayRow], zone: str | None, day: date) -> list[Interval]:
    return business_intervals(rows, zone, day, day)


def test_the_spec_example_splits_monday_at_the_midpoint_of_the_two_polls() -> None:
    # New York in January is UTC-5: 10:14 and 11:15 local are 15:14 and 16:15 UTC.
    hours: list[HoursRow] = [("s", 0, time(9), time(12))]
    polls: list[Poll] = [
        ("s", True, utc(2024, 1, 8, 15, 14)),
        ("s", False, utc(2024, 1, 8, 16, 15)),
    ]
    report = compute(polls, hours, {"s": "America/New_York"}, as_of=utc(2024, 1, 8, 18))
    up = (1 * 60 + 44) * MINUTE_US + 30 * SECOND_US  # 09:00-10:44:30
    down = (1 * 60 + 15) * MINUTE_US + 30 * SECOND_US  # 10:44:30-12:00
    assert report.figures == {"s": (0, up, up, 0, down, down)}
    assert report.observed == {"s"}


def test_without_as_of_now_is_the_latest_poll_and_the_first_observation_owns_earlier_days() -> None:
    hours: list[HoursRow] = [("s", 0, time(9), time(12))]
    polls: list[Poll] = [
        ("s", True, utc(2024, 1, 8, 15, 14)),
        ("s", False, utc(2024, 1, 8, 16, 15)),
    ]
    report = compute(polls, hours, {"s": "America/New_York"})
    assert report.now == utc(2024, 1, 8, 16, 15)
    # Midpoint 15:44:30 UTC. Hour [15:15, 16:15). Day: Monday 14:00-16:15 UTC so far.
    # Week [Jan 1 16:15, Jan 8 16:15) also holds Jan 1 16:15-17:00 (before both polls).
    assert report.figures["s"] == (
        29 * MINUTE_US + 30 * SECOND_US,
        104 * MINUTE_US + 30 * SECOND_US,
        (45 + 104) * MINUTE_US + 30 * SECOND_US,
        30 * MINUTE_US + 30 * SECOND_US,
        30 * MINUTE_US + 30 * SECOND_US,
        30 * MINUTE_US + 30 * SECOND_US,
    )


def test_a_store_without_business_hours_rows_is_open_around_the_clock() -> None:
    polls: list[Poll] = [("s", True, utc(2024, 1, 10, 10)), ("s", False, utc(2024, 1, 10, 12))]
    report = compute(polls, [], {})
    # Midpoint 11:00 = now - 1 h: the last hour is all down, everything before it up.
    assert report.figures["s"] == (0, 23 * HOUR_US, WEEK_US - HOUR_US, HOUR_US, HOUR_US, HOUR_US)


def test_a_weekday_without_rows_is_closed_and_its_polls_are_ignored() -> None:
    hours: list[HoursRow] = [("s", 1, time(0), time(23, 59))]  # Tuesdays only
    polls: list[Poll] = [
        ("s", True, utc(2024, 1, 9, 12)),  # Tuesday
        ("s", False, utc(2024, 1, 10, 12)),  # Wednesday: closed, not an observation
    ]
    report = compute(polls, hours, {"s": "UTC"})
    # Day [Tue 12:00, Wed 12:00) holds Tuesday's last 12 h; the week only this Tuesday.
    assert report.figures["s"] == (0, 12 * HOUR_US, 24 * HOUR_US, 0, 0, 0)
    assert report.business["s"] == [
        (at(2024, 1, 2), at(2024, 1, 3)),
        (at(2024, 1, 9), at(2024, 1, 10)),
    ]


def test_an_overnight_row_runs_into_the_next_day() -> None:
    hours: list[HoursRow] = [("s", 4, time(22), time(2))]  # Friday 22:00 to Saturday 02:00
    assert one_day([(4, time(22), time(2))], "UTC", date(2024, 1, 12)) == [
        (at(2024, 1, 12, 22), at(2024, 1, 13, 2))
    ]
    polls: list[Poll] = [("s", True, utc(2024, 1, 13, 1))]
    report = compute(polls, hours, {"s": "UTC"}, as_of=utc(2024, 1, 13, 3))
    # The week window starts Jan 6 03:00, after the previous Friday's shift ended.
    assert report.figures["s"] == (0, 4 * HOUR_US, 4 * HOUR_US, 0, 0, 0)


def test_a_poll_at_an_interval_start_is_inside_and_one_at_its_end_is_outside() -> None:
    hours: list[HoursRow] = [("s", 0, time(9), time(12))]
    polls: list[Poll] = [("s", True, utc(2024, 1, 8, 9)), ("s", False, utc(2024, 1, 8, 12))]
    report = compute(polls, hours, {"s": "UTC"}, as_of=utc(2024, 1, 8, 13))
    assert report.figures["s"] == (0, 3 * HOUR_US, 3 * HOUR_US, 0, 0, 0)


def test_a_split_shift_ending_at_2359_leaves_no_gap_at_midnight() -> None:
    rows: list[DayRow] = [(4, time(18), time(23, 59)), (5, time(0), time(2))]
    assert business_intervals(rows, "UTC", date(2024, 1, 12), date(2024, 1, 13)) == [
        (at(2024, 1, 12, 18), at(2024, 1, 13, 2))
    ]
    hours: list[HoursRow] = [("s", d, s, e) for d, s, e in rows]
    polls: list[Poll] = [("s", True, utc(2024, 1, 12, 19))]
    report = compute(polls, hours, {"s": "UTC"}, as_of=utc(2024, 1, 13, 3))
    assert report.figures["s"] == (0, 8 * HOUR_US, 8 * HOUR_US, 0, 0, 0)


def test_an_end_of_23_59_59_makes_a_whole_day() -> None:
    assert one_day([(0, time(0), time(23, 59, 59))], "UTC", date(2024, 1, 8)) == [
        (at(2024, 1, 8), at(2024, 1, 9))
    ]


@pytest.mark.parametrize("start", [time(0), time(9), time(23, 58, 59)])
def test_an_end_equal_to_the_start_means_24_hours(start: time) -> None:
    opens = to_us(datetime.combine(date(2024, 1, 8), start, UTC))
    assert one_day([(0, start, start)], "UTC", date(2024, 1, 8)) == [(opens, opens + DAY_US)]


def test_an_end_at_or_after_23_59_means_midnight_even_when_it_is_not_after_the_start() -> None:
    # Resolution of an ambiguity: the 23:59 rule wins over the overnight rule.
    assert one_day([(0, time(23, 59, 30), time(23, 59))], "UTC", date(2024, 1, 8)) == [
        (at(2024, 1, 8, 23, 59, 30), at(2024, 1, 9))
    ]
    assert one_day([(0, time(23, 59), time(23, 59))], "UTC", date(2024, 1, 8)) == [
        (at(2024, 1, 8, 23, 59), at(2024, 1, 9))
    ]


# (zone, local date, start, end, UTC start, UTC end): the smaller offset reads every
# wall time that a DST gap skips or a fold repeats.
DST_CASES = {
    "New York gap, 01:30 EST to 03:30 EDT": (
        "America/New_York", date(2024, 3, 10), time(1, 30), time(3, 30),
        utc(2024, 3, 10, 6, 30), utc(2024, 3, 10, 7, 30),
    ),
    "New York gap, 02:30 does not exist and is read as EST": (
        "America/New_York", date(2024, 3, 10), time(2, 30), time(4),
        utc(2024, 3, 10, 7, 30), utc(2024, 3, 10, 8),
    ),
    "New York fold, 00:00 EDT to 02:00 EST is 3 hours": (
        "America/New_York", date(2024, 11, 3), time(0), time(2),
        utc(2024, 11, 3, 4), utc(2024, 11, 3, 7),
    ),
    "New York fold, 01:30 happens twice and is read as EST": (
        "America/New_York", date(2024, 11, 3), time(1, 30), time(3),
        utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 8),
    ),
    "Berlin gap, 02:30 is read as CET": (
        "Europe/Berlin", date(2024, 3, 31), time(2, 30), time(4),
        utc(2024, 3, 31, 1, 30), utc(2024, 3, 31, 2),
    ),
    "Berlin gap, the whole day is 23 hours": (
        "Europe/Berlin", date(2024, 3, 31), time(0), time(23, 59),
        utc(2024, 3, 30, 23), utc(2024, 3, 31, 22),
    ),
    "Berlin fold, 02:30 is read as CET": (
        "Europe/Berlin", date(2024, 10, 27), time(2, 30), time(5),
        utc(2024, 10, 27, 1, 30), utc(2024, 10, 27, 4),
    ),
    "Berlin fold, the whole day is 25 hours": (
        "Europe/Berlin", date(2024, 10, 27), time(0), time(0),
        utc(2024, 10, 26, 22), utc(2024, 10, 27, 23),
    ),
    "Sydney gap, 02:30 is read as AEST": (
        "Australia/Sydney", date(2024, 10, 6), time(2, 30), time(4),
        utc(2024, 10, 5, 16, 30), utc(2024, 10, 5, 17),
    ),
    "Sydney gap, the whole day is 23 hours": (
        "Australia/Sydney", date(2024, 10, 6), time(0), time(0),
        utc(2024, 10, 5, 14), utc(2024, 10, 6, 13),
    ),
    "Sydney fold, 02:30 is read as AEST": (
        "Australia/Sydney", date(2024, 4, 7), time(2, 30), time(5),
        utc(2024, 4, 6, 16, 30), utc(2024, 4, 6, 19),
    ),
    "Sydney fold, the whole day is 25 hours": (
        "Australia/Sydney", date(2024, 4, 7), time(0), time(23, 59, 59),
        utc(2024, 4, 6, 13), utc(2024, 4, 7, 14),
    ),
}


@pytest.mark.parametrize("case", DST_CASES.values(), ids=DST_CASES.keys())
def test_dst_gap_and_fold_days_read_wall_times_with_the_smaller_offset(
    case: tuple[str, date, time, time, datetime, datetime],
) -> None:
    zone, day, start, end, utc_start, utc_end = case
    expected = [(to_us(utc_start), to_us(utc_end))]
    assert one_day([(day.weekday(), start, end)], zone, day) == expected


def test_an_interval_wholly_inside_a_dst_gap_is_empty() -> None:
    # Resolution of an ambiguity: 02:30 reads as EST (07:30 UTC), 03:00 as EDT (07:00 UTC);
    # the interval would end before it starts, so it holds no time.
    assert one_day([(6, time(2, 30), time(3))], "America/New_York", date(2024, 3, 10)) == []


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "america/chicago", None])
def test_an_invalid_or_missing_zone_falls_back_to_chicago(zone: str | None) -> None:
    assert resolve_zone(zone) == "America/Chicago"
    # Chicago in January is UTC-6.
    assert one_day([(0, time(9), time(12))], zone, date(2024, 1, 8)) == [
        (at(2024, 1, 8, 15), at(2024, 1, 8, 18))
    ]


def test_a_store_with_an_invalid_zone_takes_its_observations_in_chicago_hours() -> None:
    # 17:30 UTC is 11:30 in Chicago (open) but 12:30 in New York and 17:30 in UTC (closed).
    hours: list[HoursRow] = [("s", 0, time(9), time(12))]
    polls: list[Poll] = [("s", True, utc(2024, 1, 8, 17, 30))]
    report = compute(polls, hours, {"s": "Not/AZone"}, as_of=utc(2024, 1, 8, 20))
    assert report.figures["s"] == (0, 3 * HOUR_US, 3 * HOUR_US, 0, 0, 0)


def test_polls_outside_business_hours_are_ignored() -> None:
    hours: list[HoursRow] = [("s", 0, time(9), time(12))]
    polls: list[Poll] = [
        ("s", False, utc(2024, 1, 7, 23)),  # Sunday night: closed
        ("s", True, utc(2024, 1, 8, 10)),
        ("s", False, utc(2024, 1, 8, 20)),  # Monday evening: closed
    ]
    report = compute(polls, hours, {"s": "UTC"})
    # The week window starts Jan 1 20:00, after that Monday's hours.
    assert report.figures["s"] == (0, 3 * HOUR_US, 3 * HOUR_US, 0, 0, 0)


def test_a_store_without_observations_is_listed_with_zeros_and_one_without_polls_is_not() -> None:
    hours: list[HoursRow] = [("closed", 0, time(9), time(12))]
    polls: list[Poll] = [
        ("closed", False, utc(2024, 1, 8, 20)),
        ("open", True, utc(2024, 1, 8, 21)),
        ("later", True, utc(2024, 1, 9, 12)),  # after as_of: ignored
    ]
    report = compute(polls, hours, {}, as_of=utc(2024, 1, 8, 22))
    assert report.rows() == [
        ("closed", 0, 0, 0, 0, 0, 0, False),
        ("open", HOUR_US, DAY_US, WEEK_US, 0, 0, 0, True),
    ]


def test_no_polls_and_no_as_of_give_an_empty_report() -> None:
    report = compute([], [("s", 0, time(9), time(12))], {"s": "UTC"})
    assert report.now is None
    assert report.rows() == []


def test_polls_at_the_same_instant_give_the_time_before_to_inactive_and_after_to_active() -> None:
    t = utc(2024, 1, 8, 12)
    polls: list[Poll] = [("s", True, t), ("s", False, t)]
    report = compute(polls, [], {}, as_of=t + timedelta(minutes=30))
    half = 30 * MINUTE_US
    assert report.figures["s"] == (half, half, half, half, DAY_US - half, WEEK_US - half)


def test_midpoints_are_floored_to_the_microsecond() -> None:
    t = utc(2024, 1, 8, 12)
    polls: list[Poll] = [("s", True, t), ("s", False, t + timedelta(microseconds=3))]
    report = compute(polls, [], {}, as_of=t + timedelta(hours=1))
    # Midpoint t + 1.5 us is floored to t + 1 us: up owns [t, t + 1 us) of the last hour.
    assert report.figures["s"][0] == 1
    assert report.figures["s"][3] == HOUR_US - 1


def test_uptime_plus_downtime_equals_business_time_in_each_window() -> None:
    rng = random.Random(7)
    zones = {"ny": "America/New_York", "berlin": "Europe/Berlin", "sydney": "Australia/Sydney"}
    hours: list[HoursRow] = [
        ("ny", 6, time(1, 30), time(3, 30)),
        ("ny", 5, time(22), time(2)),
        ("berlin", 6, time(0), time(23, 59)),
        ("berlin", 0, time(9), time(9)),
        ("sydney", 6, time(2, 30), time(5)),
    ]
    start = utc(2024, 3, 5)
    polls: list[Poll] = [
        (rng.choice(["ny", "berlin", "sydney", "allday"]), rng.random() < 0.7,
         start + timedelta(minutes=rng.randrange(9 * 24 * 60)))
        for _ in range(400)
    ]
    report = compute(polls, hours, zones)
    assert report.now is not None
    now = to_us(report.now)
    assert report.observed == {"ny", "berlin", "sydney", "allday"}
    for store, figures in report.figures.items():
        for n, length in enumerate(WINDOWS_US):
            business = business_time(report.business[store], now - length, now)
            assert figures[n] + figures[n + 3] == business


def test_rounded_gives_minutes_and_hours_to_two_decimals_as_duckdb_rounds() -> None:
    figures = (
        7_500_000,  # 0.125 min: half away from zero, 0.13 (Python's round says 0.12)
        6_270_000_000,  # 1.741666 h
        WEEK_US,  # 168 h
        60_300_000,  # 1.005 min is 1.00499999... as a double: 1.0, as in DuckDB
        0,
        9_000_000,  # 0.0025 h
    )
    assert rounded(figures) == (0.13, 1.74, 168.0, 1.0, 0.0, 0.0)
