"""Every rule of SPEC.md, one test each, on tiny databases with exact expected figures."""

from __future__ import annotations

import csv
import functools
import io
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core import db
from loop_core.report import REPORT_COLUMNS, compute_report, report_microseconds
from tests.conftest import Loader
from tests.depth import examples

H = 3_600_000_000  # microseconds in an hour
M = 60_000_000


def figures(con: duckdb.DuckDBPyConnection, as_of: str | None = None) -> dict[str, tuple[int, ...]]:
    """store_id -> (up hour, day, week, down hour, day, week) in microseconds."""
    return {r[0]: r[1:7] for r in report_microseconds(con, as_of)}


def test_spec_example_splits_monday_at_the_midpoint_between_polls(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    up_week, down_week = figures(spec_db, "2024-01-08T12:00:00Z")["mon"][2::3]
    assert up_week == 1 * H + 44 * M + 30_000_000  # 09:00-10:44:30
    assert down_week == 1 * H + 15 * M + 30_000_000  # 10:44:30-12:00


def test_report_csv_has_spec_columns_units_and_two_decimals(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    result = compute_report(spec_db, "2024-01-08T12:00:00Z")
    assert result.csv.splitlines() == [
        ",".join(REPORT_COLUMNS),
        "allday,60.00,24.00,168.00,0.00,0.00,0.00",
        "mon,0.00,1.74,1.74,60.00,1.26,1.26",
    ]
    assert result.as_of == datetime(2024, 1, 8, 12, tzinfo=UTC)


def test_a_store_without_business_hours_is_open_all_week(load: Loader) -> None:
    con = load(polls=["s,inactive,2024-01-08 11:00:00 UTC"])
    assert figures(con)["s"] == (0, 0, 0, H, 24 * H, 168 * H)


def test_weekdays_without_rows_are_closed(load: Loader) -> None:
    # Open Mondays only (2024-01-08 is a Monday); now = Wednesday 12:00 UTC.
    con = load(
        polls=["s,active,2024-01-08 10:00:00 UTC", "s,inactive,2024-01-10 12:00:00 UTC"],
        hours=["s,0,09:00:00,17:00:00"],
        zones=["s,UTC"],
    )
    up_h, up_d, up_w, down_h, down_d, down_w = figures(con)["s"]
    assert (up_h, up_d, down_h, down_d) == (0, 0, 0, 0)
    assert up_w + down_w == 8 * H
    assert up_w == 8 * H  # the only observation inside hours is active


def test_overnight_hours_count_after_midnight(load: Loader) -> None:
    # Sunday 22:00 - Monday 02:00 (end <= start runs overnight); now Monday 02:00.
    con = load(
        polls=["s,active,2024-01-07 23:00:00 UTC", "s,active,2024-01-08 02:00:00 UTC"],
        hours=["s,6,22:00:00,02:00:00"],
        zones=["s,UTC"],
    )
    assert figures(con)["s"][2] == 4 * H


def test_end_equal_to_start_means_twenty_four_hours(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-08 12:00:00 UTC", "s,active,2024-01-09 00:00:00 UTC"],
        hours=["s,0,12:00:00,12:00:00"],
        zones=["s,UTC"],
    )
    # Now = Tuesday 00:00. The week holds Monday 12:00 -> now (12 h) and the tail of the
    # previous Monday's 24 hours, Tuesday 2024-01-02 00:00-12:00 (12 h).
    assert figures(con)["s"][2] == 24 * H


def test_a_shift_split_at_2359_leaves_no_gap_at_midnight(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-08 19:00:00 UTC", "s,active,2024-01-09 02:00:00 UTC"],
        hours=["s,0,18:00:00,23:59:00", "s,1,00:00:00,02:00:00"],
        zones=["s,UTC"],
    )
    assert figures(con)["s"][2] == 8 * H  # 18:00-02:00 exactly, not 7 h 59 min


def test_polls_outside_business_hours_are_not_observations(load: Loader) -> None:
    # A closed store answering "inactive" at night is not downtime.
    con = load(
        polls=[
            "s,active,2024-01-08 10:00:00 UTC",
            "s,inactive,2024-01-08 20:00:00 UTC",
            "s,inactive,2024-01-08 23:00:00 UTC",
        ],
        hours=["s,0,09:00:00,17:00:00"],
        zones=["s,UTC"],
    )
    assert figures(con)["s"][2::3] == (8 * H, 0)


def test_the_nearest_observation_may_come_from_before_the_window(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-01 10:00:00 UTC", "s,inactive,2024-01-08 16:30:00 UTC"],
        hours=["s,0,09:00:00,17:00:00"],
        zones=["s,UTC"],
    )
    # Now = 2024-01-09 00:00: the week holds Monday 2024-01-08 09-17 only. The midpoint of
    # the polls is Thursday 13:15, so all of Monday takes the LATER poll; with as_of on
    # Monday 10:00, the only earlier observation is last week's, 7 days before.
    assert figures(con, "2024-01-09T00:00:00Z")["s"][2::3] == (0, 8 * H)
    assert figures(con, "2024-01-08T10:00:00Z")["s"][2::3] == (1 * H + 7 * H, 0)


def test_a_store_with_no_observation_in_hours_is_listed_with_zeros(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-08 20:00:00 UTC", "t,active,2024-01-08 20:00:00 UTC"],
        hours=["s,0,09:00:00,17:00:00"],
        zones=["s,UTC"],
    )
    rows = {r[0]: r for r in report_microseconds(con)}
    assert rows["s"][1:] == (0, 0, 0, 0, 0, 0, False)
    assert rows["t"][7] is True
    assert compute_report(con).stores_without_observations == 1


def test_an_invalid_or_missing_zone_falls_back_to_chicago(load: Loader) -> None:
    # 09:00-10:00 Chicago (UTC-6 in January) is 15:00-16:00 UTC.
    con = load(
        polls=[
            "bad,active,2024-01-08 15:30:00 UTC",
            "none,active,2024-01-08 15:30:00 UTC",
            "utc,active,2024-01-08 15:30:00 UTC",
            "ist,active,2024-01-08 15:30:00 UTC",
        ],
        hours=[f"{s},0,09:00:00,10:00:00" for s in ("bad", "none", "utc", "ist")],
        # IST is an old ICU alias DuckDB would accept, but it is not an IANA zone.
        zones=["bad,America/Atlantis", "utc,UTC", "ist,IST"],
    )
    result = figures(con, "2024-01-08T16:00:00Z")
    assert result["bad"][0] == 60 * M
    assert result["ist"][0] == 60 * M
    assert result["none"][0] == 60 * M
    assert result["utc"][0] == 0  # 09:00-10:00 UTC is outside the last hour


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "expected_hours"),
    [
        # Spring forward: 02:00-03:00 does not exist, so 01:00-04:00 lasts 2 hours.
        ("America/New_York", "2024-03-10", "01:00:00", "04:00:00", 2),
        # Fall back: 01:00-02:00 happens twice, so 00:00-03:00 lasts 4 hours.
        ("America/New_York", "2024-11-03", "00:00:00", "03:00:00", 4),
        ("Europe/Berlin", "2024-03-31", "01:00:00", "04:00:00", 2),
        ("Europe/Berlin", "2024-10-27", "01:00:00", "04:00:00", 4),
        ("Australia/Sydney", "2024-10-06", "01:00:00", "04:00:00", 2),
        ("Australia/Sydney", "2024-04-07", "01:00:00", "04:00:00", 4),
    ],
)
def test_dst_days_have_their_real_length_of_business_time(
    load: Loader, zone: str, day: str, start: str, end: str, expected_hours: int
) -> None:
    date = datetime.fromisoformat(day)
    # Polls every 20 minutes around the day, so some fall inside the interval.
    polls = [
        f"s,active,{(date - timedelta(hours=14) + timedelta(minutes=20 * i)):%Y-%m-%d %H:%M:%S} UTC"
        for i in range(3 * 52)
    ]
    con = load(polls=polls, hours=[f"s,{date.weekday()},{start},{end}"], zones=[f"s,{zone}"])
    up_week = figures(con)["s"][2]
    assert up_week == expected_hours * H


def test_dst_gap_and_fold_wall_times_use_the_smaller_offset(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT timezone('America/New_York', TIMESTAMP '2024-03-10 02:30:00'), "
        "timezone('America/New_York', TIMESTAMP '2024-11-03 01:30:00'), "
        "timezone('Australia/Sydney', TIMESTAMP '2024-04-07 02:30:00')"
    ).fetchone()
    assert rows == (
        datetime(2024, 3, 10, 7, 30, tzinfo=UTC),  # EST (-5), not EDT (-4)
        datetime(2024, 11, 3, 6, 30, tzinfo=UTC),  # EST
        datetime(2024, 4, 6, 16, 30, tzinfo=UTC),  # AEST (+10), not AEDT (+11)
    )


def test_polls_after_the_as_of_instant_are_ignored(load: Loader) -> None:
    con = load(polls=["s,active,2024-01-08 10:00:00 UTC", "s,inactive,2024-01-08 11:00:00 UTC"])
    assert figures(con, "2024-01-08T10:30:00Z")["s"][2::3] == (168 * H, 0)
    assert figures(con)["s"][0::3] == (30 * M, 30 * M)


def test_stores_first_polled_after_the_as_of_instant_are_not_listed(load: Loader) -> None:
    con = load(polls=["a,active,2024-01-08 10:00:00 UTC", "b,active,2024-01-08 11:00:00 UTC"])
    assert list(figures(con, "2024-01-08T10:30:00Z")) == ["a"]


def test_overlapping_intervals_never_count_twice(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-08 10:00:00 UTC", "s,active,2024-01-08 18:00:00 UTC"],
        hours=["s,0,09:00:00,12:00:00", "s,0,11:00:00,15:00:00", "s,0,10:00:00,11:00:00"],
        zones=["s,UTC"],
    )
    assert figures(con, "2024-01-08T18:00:00Z")["s"][2] == 6 * H


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(load: Loader) -> None:
    con = load(
        polls=["=HYPERLINK(1),active,2024-01-08 10:00:00 UTC", "@x,active,2024-01-08 10:00:00 UTC"]
    )
    lines = compute_report(con).csv.splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["'=HYPERLINK(1)", "'@x"]


def test_uptime_plus_downtime_equals_business_time_in_each_window(load: Loader) -> None:
    con = load(
        polls=[
            f"s,{'active' if i % 3 else 'inactive'},"
            f"2024-01-{8 + i // 24:02d} {i % 24:02d}:17:00 UTC"
            for i in range(60)
        ],
        hours=["s,0,09:00:00,17:30:00", "s,1,22:00:00,03:00:00", "s,2,00:00:00,23:59:00"],
        zones=["s,Europe/Berlin"],
    )
    up_h, up_d, up_w, down_h, down_d, down_w = figures(con)["s"]
    # Now = Wednesday 11:17 UTC (12:17 Berlin). Business time by hand, in Berlin time:
    # last hour 11:17-12:17 Wed: 60 min; last day Tue 12:17 -> Wed 12:17: Tue 22:00-24:00
    # (2 h) + Wed 00:00-03:00 overlaps Wed 00:00-12:17 -> 12 h 17 min; total 14 h 17 min.
    assert up_h + down_h == 60 * M
    assert up_d + down_d == 14 * H + 17 * M
    # The week (Berlin Wed 2024-01-03 12:17 -> Wed 01-10 12:17): Wed 3rd 12:17-24:00
    # (11 h 43), Mon 8th 09:00-17:30 (8 h 30), Tue 9th 22:00 -> Wed 10th 12:17 (14 h 17).
    assert up_w + down_w == 34 * H + 30 * M


def test_the_csv_text_is_what_pythons_csv_module_writes_for_the_rounded_figures(
    load: Loader,
) -> None:
    # Quoted ids reach the fast reader whole: a comma, a quote, a line break inside an id.
    con = load(
        polls=[
            '"a,b",active,2024-01-08 10:00:00 UTC',
            '"say ""hi""",inactive,2024-01-08 10:20:00 UTC',
            '"two\nlines",active,2024-01-08 10:40:00 UTC',
            "-1,inactive,2024-01-08 10:50:00 UTC",
            "plain,active,2024-01-08 09:00:00.000001 UTC",
        ],
        hours=["plain,0,09:00:00,10:59:59"],
    )
    result = compute_report(con)

    def hundredths(us: int, unit: int) -> str:
        h = (us * 100 + unit // 2) // unit
        return f"{h // 100}.{h % 100:02d}"

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for store, *us, _ in report_microseconds(con):
        safe = "'" + store if store[0] in "=+-@\t\r'" else store
        units = [M, H, H, M, H, H]
        writer.writerow([safe, *(hundredths(u, unit) for u, unit in zip(us, units, strict=True))])
    assert result.csv == buffer.getvalue()
    assert result.row_count == 5
    assert [row[0] for row in result.table] == ["'-1", "a,b", "plain", 'say "hi"', "two\nlines"]


@functools.cache
def _macros() -> duckdb.DuckDBPyConnection:
    # One in-memory database for every example: the macro is code, it holds no data.
    return db.connect(":memory:")


@settings(max_examples=examples(25), deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", ",", '"', "\r", "\n", " ", "'", "=", "é"]),
               max_size=8))
def test_the_csv_field_macro_quotes_a_cell_exactly_as_pythons_csv_module_does(cell: str) -> None:
    # Both CSVs (report_csv.sql's ids, extended_tail.sql's names) quote through this one
    # macro. Python quotes a CR only when its line terminator holds one: the default
    # "\r\n" (the macro always quotes a CR, so no reader can take it for a line end). A
    # row of two fields, as in a real line (a lone empty field is written '""').
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell, "x"])
    row = _macros().execute("SELECT csv_field(?)", [cell]).fetchone()
    assert row is not None
    assert row[0] + ",x\r\n" == buffer.getvalue()
    assert next(csv.reader(io.StringIO(row[0] + ",x\n"))) == [cell, "x"]
