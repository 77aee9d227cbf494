"""The status page's engine: per store and local date, business, up and down time and the
day's incidents, from the report's own spans (loop_core/daily.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_core import daily, db, timeline
from loop_core.errors import InvalidParameterError, NoDataError
from loop_core.ingest import ingest_files
from tests.conftest import HOURS_HEADER, POLLS_HEADER, ZONES_HEADER, Loader
from tests.depth import examples

H = 3_600_000_000  # one hour in microseconds
AS_OF = "2024-10-10T17:00:00Z"  # Thursday


def _days(frame: pd.DataFrame, store_id: str) -> dict[str, tuple[int, ...]]:
    rows = frame[frame["store_id"] == store_id]
    return {
        f"{r.local_date:%a}": (r.business_us, r.up_us, r.down_us, r.incidents,
                               r.longest_incident_us)
        for r in rows.itertuples(index=False)
    }


@pytest.fixture
def week(load: Loader) -> daily.StoreDays:
    # "shop" (UTC): open 09:00-17:00 on Monday, Tuesday and Thursday only (Wednesday closed).
    # "allday" (New York, UTC-4 in October): 24x7, down from Tuesday 00:00Z to Thursday 00:00Z.
    con = load(
        polls=["shop,active,2024-10-07 10:00:00 UTC", "shop,active,2024-10-08 10:00:00 UTC",
               "shop,inactive,2024-10-08 16:00:00 UTC", "shop,active,2024-10-10 12:00:00 UTC",
               "allday,active,2024-10-07 12:00:00 UTC", "allday,inactive,2024-10-08 12:00:00 UTC",
               "allday,inactive,2024-10-09 12:00:00 UTC", "allday,active,2024-10-10 12:00:00 UTC"],
        hours=[f"shop,{d},09:00:00,17:00:00" for d in (0, 1, 3)],
        zones=["shop,UTC", "allday,America/New_York"],
    )
    return daily.store_days(con, days=4, as_of=AS_OF)


def test_a_day_fully_up_a_day_half_down_and_a_closed_day_have_exact_figures(
    week: daily.StoreDays,
) -> None:
    # Tuesday: active at 10:00, inactive at 16:00: the midpoint 13:00 splits it 4 h / 4 h,
    # one incident. Wednesday has no business hours: the incident owns no time there.
    assert _days(week.frame, "shop") == {
        "Mon": (8 * H, 8 * H, 0, 0, 0),
        "Tue": (8 * H, 4 * H, 4 * H, 1, 4 * H),
        "Wed": (0, 0, 0, 0, 0),
        "Thu": (8 * H, 8 * H, 0, 0, 0),
    }


def test_time_running_past_local_midnight_is_cut_into_the_store_local_days(
    week: daily.StoreDays,
) -> None:
    # New York days start at 04:00Z. Down from Tue 00:00Z (Mon 20:00 local) to Thu 00:00Z
    # (Wed 20:00 local): one incident over three local days; Thursday ends at now, 13:00 local.
    assert _days(week.frame, "allday") == {
        "Mon": (24 * H, 20 * H, 4 * H, 1, 4 * H),
        "Tue": (24 * H, 0, 24 * H, 1, 24 * H),
        "Wed": (24 * H, 4 * H, 20 * H, 1, 20 * H),
        "Thu": (13 * H, 13 * H, 0, 0, 0),
    }
    thursday = week.frame[(week.frame["store_id"] == "allday")].iloc[-1]
    assert thursday["day_start_utc"] == pd.Timestamp("2024-10-10 04:00", tz="UTC")
    assert thursday["day_end_utc"] == pd.Timestamp(AS_OF)
    assert week.start == datetime(2024, 10, 7, tzinfo=UTC)  # the earliest zone's Monday


def test_a_day_before_the_store_was_first_polled_says_so(load: Loader) -> None:
    con = load(polls=["s,active,2024-10-08 12:00:00 UTC", "s,active,2024-10-10 12:00:00 UTC"],
               zones=["s,UTC"])
    found = daily.store_days(con, days=5, as_of=AS_OF).frame
    # The rules give the days before the first poll its status; the flag lets a page say so.
    assert found["before_first_poll"].tolist() == [True, True, False, False, False]
    assert found["up_us"].tolist() == [24 * H, 24 * H, 24 * H, 24 * H, 17 * H]


def test_one_store_can_be_asked_for_alone_and_an_unknown_one_has_no_days(
    week: daily.StoreDays, load: Loader
) -> None:
    con = load()
    alone = daily.store_days(con, days=4, as_of=AS_OF, store_id="allday").frame
    assert _days(alone, "allday") == _days(week.frame, "allday")
    assert set(alone["store_id"]) == {"allday"}
    assert daily.store_days(con, days=4, as_of=AS_OF, store_id="nope").frame.empty


def test_bad_day_counts_and_an_empty_database_are_refused(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(NoDataError):
        daily.store_days(con)
    with pytest.raises(InvalidParameterError, match="days must be between"):
        daily.store_days(con, days=0)


# ---------------------------------------------------------------- the days add up

ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
hours_row = st.tuples(
    st.integers(0, 6), st.integers(0, 23), st.sampled_from([0, 30]), st.integers(1, 20),
)


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[str], list[str], list[str]]:
    polls, hours, zones = [], [], []
    for store in ("a", "b", "c"):
        zones.append(f"{store},{draw(st.sampled_from(ZONES))}")
        for day, hour, minute, length in draw(st.lists(hours_row, max_size=4)):
            end = (hour * 60 + minute + length * 60) % (24 * 60)  # may run overnight
            hours.append(f"{store},{day},{hour:02d}:{minute:02d}:00,"
                         f"{end // 60:02d}:{end % 60:02d}:00")
        # Around New York's fall-back (2024-11-03) and Lord Howe's spring-forward (10-06).
        for offset in draw(st.lists(st.integers(0, 9 * 24 * 60), min_size=0, max_size=12)):
            at = datetime(2024, 10, 28, tzinfo=UTC) + timedelta(minutes=offset)
            status = draw(st.sampled_from(["active", "inactive"]))
            polls.append(f"{store},{status},{at:%Y-%m-%d %H:%M:%S} UTC")
    polls.append("a,active,2024-11-06 00:00:00 UTC")  # now, whatever else was drawn
    return polls, hours, zones


def _write(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@settings(max_examples=examples(10), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fleet=fleets(), days=st.integers(1, 8))
def test_a_stores_days_add_up_to_its_spans_over_the_whole_range(
    tmp_path: Path, fleet: tuple[list[str], list[str], list[str]], days: int
) -> None:
    polls, hours, zones = fleet
    con = db.connect(":memory:")
    try:
        ingest_files(con, store_status=_write(tmp_path, "p.csv", POLLS_HEADER, polls),
                     business_hours=_write(tmp_path, "h.csv", HOURS_HEADER, hours),
                     timezones=_write(tmp_path, "z.csv", ZONES_HEADER, zones))
        found = daily.store_days(con, days=days)
        for store_id, rows in found.frame.groupby("store_id"):
            assert len(rows) == days
            # The store's own range: from its first day's start to now.
            start = rows["day_start_utc"].min().to_pydatetime()
            if start >= found.as_of:  # now is the store's local midnight: one empty day
                assert (rows[["business_us", "up_us", "down_us"]] == 0).all().all()
                continue
            spans = timeline.status_spans(con, str(store_id), start, found.as_of,
                                          as_of=found.as_of, with_polls=False)
            length = (spans["end_utc"] - spans["start_utc"]) // pd.Timedelta(microseconds=1)
            kind = spans["kind"]
            assert rows["business_us"].sum() == length[kind == "business"].sum()
            assert rows["up_us"].sum() == length[(kind == "span") & spans["is_active"]].sum()
            assert rows["down_us"].sum() == length[(kind == "span") & ~spans["is_active"]
                                                   .fillna(False).astype(bool)].sum()
            observed = rows["up_us"].sum() + rows["down_us"].sum() > 0
            if observed:  # a store with observations: every day's time has a status
                assert (rows["up_us"] + rows["down_us"] == rows["business_us"]).all()
            assert (rows["longest_incident_us"] <= rows["down_us"]).all()
            assert ((rows["incidents"] > 0) == (rows["down_us"] > 0)).all()
    finally:
        con.close()
