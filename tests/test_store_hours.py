"""The drill-down's weekly hours table: the engine places each hours row with the report's
own business-time rules (report/weekly_hours.sql), the view only words it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from loop_core.timeline import store_timeline
from tests.conftest import Loader
from ui.views.store import store_view

# Monday 2024-03-11 12:00 in New York (EDT): the week shown ends that day, and DST began
# on Sunday 2024-03-10, so Friday and Saturday are still on EST.
END = datetime(2024, 3, 11, 16, 0, tzinfo=UTC)
START = datetime(2024, 3, 4, 16, 0, tzinfo=UTC)


def test_the_hours_table_applies_the_midnight_overnight_and_24_hour_rules_on_the_shown_week(
    load: Loader,
) -> None:
    con = load(
        polls=["ny,active,2024-03-11 14:00:00 UTC"],
        hours=["ny,0,09:00:00,23:59:00", "ny,4,18:00:00,02:00:00", "ny,5,10:00:00,10:00:00"],
        zones=["ny,America/New_York"],
    )
    view = store_view(store_timeline(con, "ny", START, END))

    assert not view.open_24x7
    assert view.hours_reference == date(2024, 3, 11)
    assert view.hours.to_dict("records") == [
        # 23:59 means until midnight: Tuesday 00:00 EDT is 04:00 UTC.
        {"day": "Mon", "local": "09:00–24:00", "utc": "Mon 13:00–Tue 04:00",
         "utc_offset": "UTC-04:00"},
        # end before start runs overnight, on Friday's EST offset.
        {"day": "Fri", "local": "18:00–02:00 (+1 d)", "utc": "Fri 23:00–Sat 07:00",
         "utc_offset": "UTC-05:00"},
        # end == start is 24 hours of wall time; DST makes it 23 hours of real time.
        {"day": "Sat", "local": "10:00–10:00 (+1 d)", "utc": "Sat 15:00–Sun 14:00",
         "utc_offset": "UTC-05:00"},
    ]


def test_the_engine_places_hours_rows_exactly_as_the_report_counts_business_time(
    load: Loader,
) -> None:
    con = load(
        polls=["ny,active,2024-03-11 14:00:00 UTC"],
        hours=["ny,0,09:00:00,23:59:00"],
        zones=["ny,America/New_York"],
    )
    # A range ending on Tuesday: Monday's whole interval lies inside it.
    end = datetime(2024, 3, 12, 16, 0, tzinfo=UTC)
    timeline = store_timeline(con, "ny", START, end)
    row = timeline.hours.iloc[0]
    assert (row["start_utc"], row["end_utc"]) == (
        datetime(2024, 3, 11, 13, 0, tzinfo=UTC), datetime(2024, 3, 12, 4, 0, tzinfo=UTC))
    # ... and it is exactly one of the business intervals the report and the chart use.
    intervals = set(zip(timeline.business["start_utc"], timeline.business["end_utc"],
                        strict=True))
    assert (row["start_utc"], row["end_utc"]) in intervals


def test_a_store_without_hours_rows_is_shown_as_open_all_week(load: Loader) -> None:
    con = load(polls=["allday,active,2024-03-11 14:00:00 UTC"], zones=["allday,UTC"])
    view = store_view(store_timeline(con, "allday", START, END))

    assert view.open_24x7
    assert view.hours.empty and view.hours_reference is None
