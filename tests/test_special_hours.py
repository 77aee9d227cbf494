"""SPEC "Special hours", one test per case of the rule, with exact microseconds.

On a store's local date with special-hours rows, those rows alone start the intervals of
that date (a row without times starts none); the weekly rows of that weekday are skipped
there, while a weekly interval that began the day before still runs into it. A 24x7 store
is open [d 00:00, d+1 00:00) on every other date. The interval rules (overnight, 23:59,
DST readings, merging) apply to special rows unchanged. 2024-12-25 is a Wednesday.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from loop_core.report import report_microseconds
from tests.conftest import Loader

H = 3_600_000_000  # microseconds in an hour
M = 60_000_000
EVERY_DAY_9_TO_5 = [f"s,{day},09:00:00,17:00:00" for day in range(7)]


def us(text: str) -> int:
    """Epoch microseconds of a UTC wall time such as '2024-12-25 10:00'."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * 1_000_000


def figures(con: duckdb.DuckDBPyConnection, as_of: str) -> tuple[int, ...]:
    """Store s's (up hour, day, week, down hour, day, week) in microseconds."""
    rows = {r[0]: r[1:7] for r in report_microseconds(con, as_of)}
    return tuple(rows["s"])


def intervals(con: duckdb.DuckDBPyConnection, lo: str, hi: str) -> list[tuple[int, int]]:
    """Store s's merged business intervals that touch [lo, hi) (UTC), from the one macro
    that the report, the timeline, status and incidents all read."""
    rows = con.execute(
        "SELECT start_us, end_us FROM business_intervals(?::TIMESTAMPTZ, ?::TIMESTAMPTZ, 's') "
        "WHERE end_us > epoch_us(?::TIMESTAMPTZ) AND start_us < epoch_us(?::TIMESTAMPTZ) "
        "ORDER BY start_us",
        [lo, hi, lo, hi],
    ).fetchall()
    return [(int(a), int(b)) for a, b in rows]


def in_hours(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    rows = con.execute(
        "SELECT strftime(timestamp_utc, '%Y-%m-%d %H:%M'), in_hours FROM store_polls "
        "WHERE store_id = 's'"
    ).fetchall()
    return {str(t): bool(flag) for t, flag in rows}


def test_a_closed_day_holds_no_business_time_and_its_polls_are_not_observations(
    load: Loader,
) -> None:
    con = load(
        polls=["s,active,2024-12-24 12:00:00 UTC", "s,inactive,2024-12-25 12:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
        special=["s,2024-12-25,,"],
    )
    assert intervals(con, "2024-12-24", "2024-12-27") == [
        (us("2024-12-24 09:00"), us("2024-12-24 17:00")),
        (us("2024-12-26 09:00"), us("2024-12-26 17:00")),
    ]
    # The tablet switched off on the holiday: no longer a day of downtime.
    assert in_hours(con)["2024-12-25 12:00"] is False
    # Week: 19-24 December, 6 days of 8 h, all up.
    assert figures(con, "2024-12-26T00:00:00Z") == (0, 0, 48 * H, 0, 0, 0)


def test_a_shortened_day_has_only_its_special_hours(load: Loader) -> None:
    con = load(
        polls=[
            "s,active,2024-12-24 09:30:00 UTC",  # inside the weekly hours, not the special
            "s,active,2024-12-24 10:30:00 UTC",
            "s,inactive,2024-12-24 13:30:00 UTC",
            "s,active,2024-12-24 15:00:00 UTC",  # likewise outside
        ],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
        special=["s,2024-12-24,10:00:00,14:00:00"],
    )
    assert intervals(con, "2024-12-24", "2024-12-25") == [
        (us("2024-12-24 10:00"), us("2024-12-24 14:00"))
    ]
    # Midpoint of 10:30 and 13:30 is 12:00: 2 h up, 2 h down that day; the six days before
    # (48 h) take the first observation's status.
    assert figures(con, "2024-12-25T00:00:00Z") == (0, 2 * H, 50 * H, 0, 2 * H, 2 * H)


def test_an_overnight_special_spills_into_the_next_date_which_keeps_its_weekly_hours(
    load: Loader,
) -> None:
    con = load(
        polls=["s,inactive,2024-12-31 12:00:00 UTC", "s,active,2024-12-31 23:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
        special=["s,2024-12-31,18:00:00,03:00:00"],
    )
    assert intervals(con, "2024-12-31", "2025-01-02") == [
        (us("2024-12-31 18:00"), us("2025-01-01 03:00")),
        (us("2025-01-01 09:00"), us("2025-01-01 17:00")),
    ]
    assert in_hours(con)["2024-12-31 12:00"] is False  # New Year's Eve opens at 18:00
    # Day: 9 h of New Year's Eve night + 3 h of 1 January; week: 5 h of 25 December,
    # 5 days of 8 h, then those 12 h.
    assert figures(con, "2025-01-01T12:00:00Z") == (60 * M, 12 * H, 57 * H, 0, 0, 0)


def test_special_dates_of_a_24x7_store_replace_whole_local_days(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-12-24 17:00:00 UTC"],
        zones=["s,America/New_York"],  # no hours rows: open 24x7
        special=["s,2024-12-25,,", "s,2024-12-26,10:00:00,14:00:00"],
    )
    # Local midnight is 05:00 UTC (EST, UTC-5); the outer ends lie beyond the range asked.
    before, special, after = intervals(con, "2024-12-24 05:00", "2024-12-28 05:00")
    assert before[1] == us("2024-12-25 05:00")
    assert special == (us("2024-12-26 15:00"), us("2024-12-26 19:00"))
    assert after[0] == us("2024-12-27 05:00")
    # Day = local 26 December (4 h); week = local 20-26 December: 5 x 24 h + 0 + 4 h.
    assert figures(con, "2024-12-27T05:00:00Z") == (0, 4 * H, 124 * H, 0, 0, 0)


@pytest.mark.parametrize(
    ("special", "poll", "as_of", "expected"),
    [
        # Spring forward, 2024-03-10: 02:30 does not exist and reads with the smaller
        # offset (EST, -5) as 07:30 UTC; 05:00 is EDT, 09:00 UTC. 1.5 h.
        ("s,2024-03-10,02:30:00,05:00:00", "2024-03-10 08:00", "2024-03-11T00:00:00Z",
         (us("2024-03-10 07:30"), us("2024-03-10 09:00"))),
        # Fall back, 2024-11-03: 00:00 is EDT (04:00 UTC), 03:00 is EST (08:00 UTC): three
        # hours of wall time are four hours of real time.
        ("s,2024-11-03,00:00:00,03:00:00", "2024-11-03 05:00", "2024-11-04T00:00:00Z",
         (us("2024-11-03 04:00"), us("2024-11-03 08:00"))),
    ],
    ids=["DST gap day", "DST fold day"],
)
def test_a_special_on_a_dst_day_reads_wall_times_with_the_smaller_offset(
    load: Loader, special: str, poll: str, as_of: str, expected: tuple[int, int]
) -> None:
    con = load(
        polls=[f"s,active,{poll}:00 UTC"],
        hours=["s,6,09:00:00,17:00:00"],  # both dates are Sundays: the weekly row is skipped
        zones=["s,America/New_York"],
        special=[special],
    )
    # The local date's whole UTC extent (and beyond): the special interval alone.
    assert intervals(con, special[2:12], as_of) == [expected]
    length = expected[1] - expected[0]
    assert figures(con, as_of) == (0, length, length, 0, 0, 0)


def test_a_weekly_overnight_interval_still_runs_into_a_special_date(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-12-25 01:00:00 UTC"],
        # Tuesday 22:00 to Wednesday 02:00, and Wednesday 09:00-17:00.
        hours=["s,1,22:00:00,02:00:00", "s,2,09:00:00,17:00:00"],
        zones=["s,UTC"],
        special=["s,2024-12-25,,"],  # Wednesday closed
    )
    assert intervals(con, "2024-12-24", "2024-12-26") == [
        (us("2024-12-24 22:00"), us("2024-12-25 02:00"))
    ]
    # Day (25 December): the 2 h after midnight; week: that whole Tuesday night, 4 h.
    assert figures(con, "2024-12-26T00:00:00Z") == (0, 2 * H, 4 * H, 0, 0, 0)


def test_a_closed_row_next_to_an_open_row_on_the_same_date_leaves_the_open_row(
    load: Loader,
) -> None:
    con = load(
        polls=["s,active,2024-12-25 11:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
        special=["s,2024-12-25,,", "s,2024-12-25,10:00:00,12:00:00"],
    )
    assert intervals(con, "2024-12-25", "2024-12-26") == [
        (us("2024-12-25 10:00"), us("2024-12-25 12:00"))
    ]
    assert figures(con, "2024-12-26T00:00:00Z") == (0, 2 * H, 50 * H, 0, 0, 0)


def test_special_rows_follow_the_midnight_rule_and_merge_with_each_other(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-12-31 20:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
        # 23:59 means midnight, so 18:00-23:59 and 1 January's 00:00-02:00 leave no gap;
        # the two overlapping rows of 31 December merge.
        special=["s,2024-12-31,18:00:00,23:59:00", "s,2024-12-31,12:00:00,19:00:00",
                 "s,2025-01-01,00:00:00,02:00:00"],
    )
    assert intervals(con, "2024-12-31", "2025-01-02") == [
        (us("2024-12-31 12:00"), us("2025-01-01 02:00"))
    ]


def test_stores_share_an_hours_pattern_only_when_their_special_dates_agree_too(
    load: Loader,
) -> None:
    con = load(
        polls=[f"{s},active,2024-12-24 12:00:00 UTC" for s in ("plain", "holiday", "holiday2")],
        hours=[f"{s},{d},09:00:00,17:00:00" for s in ("plain", "holiday", "holiday2")
               for d in range(7)],
        zones=[f"{s},UTC" for s in ("plain", "holiday", "holiday2")],
        special=["holiday,2024-12-25,,", "holiday2,2024-12-25,,"],
    )
    hashes = dict(con.execute("SELECT store_id, hours_hash FROM stores").fetchall())
    assert hashes["holiday"] == hashes["holiday2"] != hashes["plain"]
    # Read from the interval cache: each store gets its own pattern's day.
    day = {r[0]: r[2] for r in report_microseconds(con, "2024-12-26T00:00:00Z")}
    assert day == {"plain": 8 * H, "holiday": 0, "holiday2": 0}


def test_a_new_special_file_reclassifies_the_polls_of_the_changed_dates(load: Loader) -> None:
    con = load(
        polls=["s,inactive,2024-12-25 12:00:00 UTC", "s,active,2024-12-26 12:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
    )
    assert in_hours(con) == {"2024-12-25 12:00": True, "2024-12-26 12:00": True}
    load(special=["s,2024-12-25,,"])
    assert in_hours(con) == {"2024-12-25 12:00": False, "2024-12-26 12:00": True}
    load(special=["s,2024-12-26,13:00:00,17:00:00"])  # the 25th back to weekly hours
    assert in_hours(con) == {"2024-12-25 12:00": True, "2024-12-26 12:00": False}


def test_a_special_hours_load_reclassifies_only_the_polls_around_the_changed_dates(
    load: Loader,
) -> None:
    con = load(
        polls=["s,active,2024-12-01 12:00:00 UTC", "s,inactive,2024-12-25 12:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
    )
    # A wrong flag planted on a poll far from the date: left alone shows it was not read.
    con.execute("UPDATE store_status SET in_hours = false "
                "WHERE timestamp_utc = TIMESTAMPTZ '2024-12-01 12:00:00+00'")
    load(special=["s,2024-12-25,,"])
    assert in_hours(con) == {"2024-12-01 12:00": False, "2024-12-25 12:00": False}


def test_status_and_incidents_follow_special_hours(load: Loader) -> None:
    from loop_core.incidents import incidents
    from loop_core.status import status

    con = load(
        polls=["s,active,2024-12-24 12:00:00 UTC", "s,inactive,2024-12-25 12:00:00 UTC",
               "s,inactive,2024-12-26 11:00:00 UTC"],
        hours=EVERY_DAY_9_TO_5,
        zones=["s,UTC"],
        special=["s,2024-12-25,,", "s,2024-12-26,10:00:00,14:00:00"],
    )
    (row,) = status(con, "2024-12-25T12:00:00Z")
    # Closed since the 24th's close, and opening at the 26th's special 10:00.
    assert (row.status, row.since, row.opens_at) == (
        "closed", datetime(2024, 12, 24, 17, tzinfo=UTC), datetime(2024, 12, 26, 10, tzinfo=UTC))
    (later,) = status(con, "2024-12-26T12:00:00Z")
    assert later.closes_at == datetime(2024, 12, 26, 14, tzinfo=UTC)
    (incident,) = incidents(con, "2024-12-24T00:00:00Z", "2024-12-26T12:00:00Z")
    # The down run starts at the 26th's special opening (the holiday's poll is no
    # observation) and lasts until now, the latest poll at 11:00.
    assert incident.started_at == datetime(2024, 12, 26, 10, tzinfo=UTC)
    assert incident.downtime_us == 1 * H


def test_special_dates_ahead_of_every_poll_reclassify_nothing_and_keep_the_cache_whole(
    load: Loader,
) -> None:
    from loop_core import derived
    from loop_core.timeutil import epoch_us

    con = load(polls=["s,active,2024-12-01 12:00:00 UTC"], hours=EVERY_DAY_9_TO_5,
               zones=["s,UTC"])
    load(special=["s,2025-01-01,,"])
    # The store's new pattern is in the cache: the next report reads it, not the hours.
    newest = datetime(2024, 12, 1, 12, tzinfo=UTC)
    with con.cursor() as cur:
        assert derived.cache_covers(cur, epoch_us(newest) - 7 * 24 * H, epoch_us(newest))
    assert in_hours(con) == {"2024-12-01 12:00": True}
