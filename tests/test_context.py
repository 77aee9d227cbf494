"""Store context (docs/RULES.md "Store context"): exact figures on a tiny fleet, worked out
by hand below, the standard CSV unchanged byte for byte by the stores feed, and group sums
equal to the sums of their stores."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core import context
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from loop_core.report import compute_report, report_microseconds
from tests import test_engine_matches_reference as engine_cases
from tests.conftest import Loader
from tests.depth import examples
from tests.test_engine_matches_reference import STORE_IDS, Feeds, day_rows, load_feeds

NOW = datetime(2024, 1, 15, 12, tzinfo=UTC)  # a Monday; the latest poll
PREVIOUS = datetime(2024, 1, 8, 12, tzinfo=UTC)

# a: open 24x7 (no hours rows), in UTC. Down from its first poll until the midpoint
#    2024-01-08 09:00, up since: the week before now is all up (168 h), the week before
#    that is 165 h down and 3 h up.
# b: open 09:00-17:00 every day, in UTC. Up until the midpoint 2024-01-11 11:30 between
#    its active and inactive polls, down since. Last week's business time is 5 h on Jan 8,
#    6 x 8 h, 3 h on Jan 15 = 56 h, of which 23.5 h up (5 + 8 + 8 + 2.5) and 32.5 h down.
#    Not polled before 2024-01-10: not in the previous week's report.
# c: open Mondays 09:00-10:00 in America/Chicago (no zone row), polled only outside its
#    hours: no observation, every figure 0, no uptime % and no money.
POLLS = [
    "a,inactive,2024-01-01 12:00:00 UTC",
    "a,inactive,2024-01-08 06:00:00 UTC",
    "a,active,2024-01-08 12:00:00 UTC",
    "a,active,2024-01-15 12:00:00 UTC",
    "b,active,2024-01-10 10:00:00 UTC",
    "b,inactive,2024-01-12 13:00:00 UTC",
    "b,inactive,2024-01-15 11:00:00 UTC",
    "c,active,2024-01-14 20:00:00 UTC",
]
HOURS = [f"b,{day},09:00:00,17:00:00" for day in range(7)] + ["c,0,09:00:00,10:00:00"]
ZONES = ["a,UTC", "b,UTC"]
STORES = (
    "store_id,name,region,brand,hourly_revenue,uptime_target\n"
    'a,"Austin, 6th St",TX,Pizza,10,\n'
    "b,Tacos Dallas,TX,Tacos,100,50\n"
    'c,"=HYPERLINK(""x"")",,Pizza,5,\n'
)


def load_stores(con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str = STORES) -> None:
    path = tmp_path / "stores.csv"
    path.write_text(text, encoding="utf-8")
    ingest_file(con, Feed.STORES, path)


@pytest.fixture
def fleet(load: Loader, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = load(polls=POLLS, hours=HOURS, zones=ZONES)
    load_stores(con, tmp_path)
    return con


def row(frame: pd.DataFrame, store_id: str) -> dict[str, object]:
    found = frame[frame["store_id"] == store_id]
    assert len(found) == 1
    return dict(found.iloc[0])


def test_each_store_gets_its_names_zone_target_and_exact_hours_and_percentages(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    frame = context.store_context(fleet)
    assert list(frame["store_id"]) == ["a", "b", "c"]
    a, b, c = row(frame, "a"), row(frame, "b"), row(frame, "c")
    assert (a["name"], a["region"], a["brand"], a["timezone"]) == (
        "Austin, 6th St", "TX", "Pizza", "UTC")
    assert (c["name"], c["region"], c["timezone"]) == ('=HYPERLINK("x")', "", "America/Chicago")
    assert (a["uptime_target"], a["target_from_feed"]) == (99.0, False)
    assert (b["uptime_target"], b["target_from_feed"]) == (50.0, True)
    assert (a["uptime_h_last_week"], a["downtime_h_last_week"]) == (168.0, 0.0)
    assert (b["uptime_h_last_week"], b["downtime_h_last_week"]) == (23.5, 32.5)
    assert (b["downtime_h_last_day"], b["downtime_h_last_hour"]) == (8.0, 1.0)
    assert a["uptime_pct_last_week"] == 100.0
    assert b["uptime_pct_last_week"] == pytest.approx(100 * 23.5 / 56, abs=1e-12)
    assert b["uptime_pct_last_day"] == 0.0
    # No observation: no uptime % (NaN, not 0), and so never below its target.
    assert math.isnan(float(str(c["uptime_pct_last_week"])))
    assert (a["below_target"], b["below_target"], c["below_target"]) == (False, True, False)


def test_lost_revenue_is_downtime_hours_times_the_rate_and_nothing_without_one(
    fleet: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    frame = context.store_context(fleet)
    b = row(frame, "b")
    assert (b["lost_revenue_last_week"], b["lost_revenue_last_day"],
            b["lost_revenue_last_hour"]) == (3250.0, 800.0, 100.0)
    assert row(frame, "a")["lost_revenue_last_week"] == 0.0  # a rate and no downtime: 0
    # c has a rate but no known status: no money is put on it.
    assert math.isnan(float(str(row(frame, "c")["lost_revenue_last_week"])))
    load_stores(fleet, tmp_path, "store_id,name\na,A\nb,B\nc,C\n")
    without = context.store_context(fleet)
    assert without["lost_revenue_last_week"].isna().all()
    assert without["hourly_revenue"].isna().all()


def test_the_budget_is_what_the_target_allows_of_the_weeks_business_time_minus_its_downtime(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    frame = context.store_context(fleet)
    # a: 1 % of 168 h, no downtime. b: 50 % of 56 h = 28 h allowed, 32.5 h used.
    assert row(frame, "a")["budget_left_h"] == pytest.approx(1.68, abs=1e-12)
    assert row(frame, "b")["budget_left_h"] == pytest.approx(-4.5, abs=1e-12)
    assert math.isnan(float(str(row(frame, "c")["budget_left_h"])))
    # The default target comes from the caller ([targets] default_uptime_pct).
    stricter = context.store_context(fleet, default_target_pct=99.5)
    assert row(stricter, "a")["budget_left_h"] == pytest.approx(0.84, abs=1e-12)
    assert row(stricter, "b")["uptime_target"] == 50.0  # the feed's own target stays


def test_week_over_week_compares_with_the_same_report_as_of_seven_days_earlier(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    frame = context.store_context(fleet)
    a = row(frame, "a")
    assert a["downtime_h_last_week_previous"] == 165.0
    assert a["downtime_h_last_week_change"] == -165.0
    assert a["uptime_pct_last_week_previous"] == pytest.approx(100 * 3 / 168, abs=1e-12)
    assert a["uptime_pct_last_week_change"] == pytest.approx(100 - 100 * 3 / 168, abs=1e-12)
    assert a["lost_revenue_last_week_previous"] == 1650.0
    # b was not in the report a week ago: no previous figures at all.
    b = row(frame, "b")
    for column in ("downtime_h_last_week_previous", "downtime_h_last_week_change",
                   "uptime_pct_last_week_previous", "lost_revenue_last_week_previous"):
        assert math.isnan(float(str(b[column]))), column
    # "The same computation": the previous figures are that report's own.
    earlier = row(context.store_context(fleet, PREVIOUS), "a")
    assert earlier["downtime_h_last_week"] == a["downtime_h_last_week_previous"]
    assert earlier["uptime_pct_last_week"] == a["uptime_pct_last_week_previous"]


def test_the_extended_csv_adds_the_context_after_the_standard_columns(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    text = context.extended_csv(fleet)
    assert text.split("\n") == [
        ",".join(context.EXTENDED_COLUMNS),
        'a,60.00,24.00,168.00,0.00,0.00,0.00,"Austin, 6th St",TX,Pizza,UTC,10.00,99.00,'
        "100.00,100.00,false,1.68,0.00,0.00,1.79,165.00,-165.00,1650.00,"
        # Evidence: the polls at 12:00 a week ago and now; 90 min of each is covered
        # (1.5 h of the day, 3 h of the week's 168 h).
        "1,1,2,2024-01-15T12:00:00Z,true,100.00,6.25,1.79",
        "b,0.00,0.00,23.50,60.00,8.00,32.50,Tacos Dallas,TX,Tacos,UTC,100.00,50.00,"
        "0.00,41.96,true,-4.50,800.00,3250.00,,,,,"
        # 09:30-12:00 of the day's 8 business hours; 2.5 + 3 + 2.5 h of the week's 56 h.
        "1,1,3,2024-01-15T11:00:00Z,false,100.00,31.25,14.29",
        # The name would run as a formula: guarded with an apostrophe, then quoted.
        "c,0.00,0.00,0.00,0.00,0.00,0.00,\"'=HYPERLINK(\"\"x\"\")\",,Pizza,America/Chicago,"
        # No observation: none used, no latest, and none of its one business hour covered.
        "5.00,99.00,,,false,,,,,,,,0,0,0,,,,,0.00",
        "",
    ]
    header = text.split("\n")[0].split(",")
    for needed in ("name", "region", "brand", "uptime_pct_last_week", "uptime_target",
                   "below_target", "lost_revenue_last_week", "downtime_last_week_previous",
                   "downtime_last_week_change"):
        assert needed in header


def test_the_extended_csvs_coverage_is_the_evidences_own_share_as_a_percentage(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    # The ratio is computed once (evidence.part.sql): the CSV only scales and rounds it.
    from loop_core import evidence

    lines = context.extended_csv(fleet).split("\n")[1:-1]
    shares = {r.store_id: r.coverage for r in evidence.evidence_rows(fleet)}
    assert len(lines) == len(shares) == 3
    for line in lines:
        cells = line.rsplit(",", 3)
        expected = ["" if s is None else f"{100 * s:.2f}" for s in shares[line.split(",")[0]]]
        assert cells[1:] == expected


def test_the_standard_csv_is_byte_identical_with_and_without_the_stores_feed(
    load: Loader, tmp_path: Path
) -> None:
    con = load(polls=POLLS, hours=HOURS, zones=ZONES)
    before = compute_report(con).csv
    load_stores(con, tmp_path)
    both = context.extended_report(con)
    assert compute_report(con).csv == before
    assert both.csv == before
    # Every extended line starts with its standard line, byte for byte.
    for standard, extended in zip(before.split("\n")[1:-1], both.extended_csv.split("\n")[1:-1],
                                  strict=True):
        assert extended.startswith(standard + ",")


def test_group_rollups_add_up_the_stores_of_each_group(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    frame = context.store_context(fleet)
    by_region = context.group_rollup(frame, "region", offline_ids=["b"])
    assert list(by_region.columns) == list(context.ROLLUP_COLUMNS)
    assert list(by_region["group"]) == ["", "TX"]
    blank, tx = by_region.iloc[0], by_region.iloc[1]
    assert (blank["stores"], blank["downtime_h_last_week"], blank["stores_below_target"],
            blank["offline_now"]) == (1, 0.0, 0, 0)
    assert math.isnan(blank["uptime_pct_last_week"]) and math.isnan(
        blank["lost_revenue_last_week"])
    assert (tx["stores"], tx["downtime_h_last_week"], tx["lost_revenue_last_week"],
            tx["stores_below_target"], tx["offline_now"]) == (2, 32.5, 3250.0, 1, 1)
    # Its budget is its stores' (1.68 h left and 4.5 h over): below target as a group.
    assert tx["budget_left_h"] == pytest.approx(1.68 - 4.5, abs=1e-12)
    assert math.isnan(blank["budget_left_h"])
    # Weighted by business time: (168 + 23.5) h up of (168 + 56) h.
    assert tx["uptime_pct_last_week"] == pytest.approx(100 * 191.5 / 224, abs=1e-12)
    by_brand = context.group_rollup(frame, "brand")
    # Pizza: a's 0 and c's "no value" sum to 0, not to "no value".
    assert by_brand.set_index("group")["lost_revenue_last_week"].to_dict() == {
        "Pizza": 0.0, "Tacos": 3250.0}
    assert list(context.group_rollup(frame, "timezone")["group"]) == ["America/Chicago", "UTC"]
    with pytest.raises(ValueError, match="group by one of"):
        context.group_rollup(frame, "name")


def test_the_weekly_trend_lists_the_weeks_the_history_covers_oldest_first(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    trend = context.weekly_trend(fleet, weeks=3)
    assert list(trend.columns) == list(context.TREND_COLUMNS)
    # The week ending 2024-01-01 12:00 ends at the first poll: no history, not listed.
    assert [t.to_pydatetime() for t in trend["week_end"]] == [PREVIOUS, NOW]
    assert list(trend["business_h"]) == [168.0, 224.0]
    assert trend["uptime_pct"].tolist() == pytest.approx([100 * 3 / 168, 100 * 191.5 / 224],
                                                         abs=1e-12)
    assert trend["full_week"].tolist() == [True, True]
    only_b = context.weekly_trend(fleet, weeks=3, store_ids=["b"])
    assert math.isnan(only_b["uptime_pct"].iloc[0]) and only_b["business_h"].iloc[0] == 0.0
    assert only_b["uptime_pct"].iloc[1] == pytest.approx(100 * 23.5 / 56, abs=1e-12)


def test_fleet_totals_sum_the_stores_for_last_week_and_the_week_before(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    totals = context.fleet_totals(context.store_context(fleet))
    assert (totals.stores, totals.stores_below_target) == (3, 1)
    assert totals.uptime_pct == pytest.approx(100 * 191.5 / 224, abs=1e-12)
    # The week before, only a was in the report: 3 h up of 168 h.
    assert totals.uptime_pct_previous == pytest.approx(100 * 3 / 168, abs=1e-12)
    assert totals.uptime_pct_change == pytest.approx(100 * 191.5 / 224 - 100 * 3 / 168,
                                                     abs=1e-12)
    assert (totals.downtime_h, totals.downtime_h_previous) == (32.5, 165.0)
    assert (totals.lost_revenue, totals.lost_revenue_previous) == (3250.0, 1650.0)
    # The same as the trend's two weeks.
    trend = context.weekly_trend(fleet, weeks=2)
    assert trend["uptime_pct"].tolist() == pytest.approx(
        [totals.uptime_pct_previous, totals.uptime_pct], abs=1e-12)


def test_an_empty_database_has_no_context_to_compute(con: duckdb.DuckDBPyConnection) -> None:
    from loop_core.errors import NoDataError

    with pytest.raises(NoDataError):
        context.store_context(con)


# ------------------------------------------------------------------ invariants

_figure = st.floats(min_value=0, max_value=500, allow_nan=False)
_store = st.tuples(
    st.sampled_from(["", "TX", "CA", "=x"]),  # region
    _figure,  # uptime hours
    _figure,  # downtime hours
    st.one_of(st.just(math.nan), st.floats(min_value=0, max_value=1000)),  # rate
    st.booleans(),  # below target
    st.booleans(),  # offline now
)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(_store, min_size=1, max_size=30))
def test_the_sums_of_the_groups_equal_the_sums_of_their_stores(
    stores: list[tuple[str, float, float, float, bool, bool]],
) -> None:
    frame = pd.DataFrame({
        "store_id": [f"s{i}" for i in range(len(stores))],
        "region": [s[0] for s in stores],
        "uptime_h_last_week": [s[1] for s in stores],
        "downtime_h_last_week": [s[2] for s in stores],
        "lost_revenue_last_week": [s[2] * s[3] for s in stores],
        "below_target": [s[4] for s in stores],
        # 1 % of the business time allowed, none without business time.
        "budget_left_h": [(s[1] + s[2]) * 0.01 - s[2] if s[1] + s[2] > 0 else math.nan
                          for s in stores],
    })
    offline = [f"s{i}" for i, s in enumerate(stores) if s[5]]
    rollup = context.group_rollup(frame, "region", offline_ids=offline)
    assert rollup["stores"].sum() == len(stores)
    assert rollup["downtime_h_last_week"].sum() == pytest.approx(
        frame["downtime_h_last_week"].sum())
    assert rollup["stores_below_target"].sum() == frame["below_target"].sum()
    assert rollup["offline_now"].sum() == len(offline)
    assert rollup["budget_left_h"].sum() == pytest.approx(frame["budget_left_h"].sum())
    rated = frame["lost_revenue_last_week"].dropna()
    if rated.empty:
        assert rollup["lost_revenue_last_week"].isna().all()
    else:
        assert rollup["lost_revenue_last_week"].sum() == pytest.approx(rated.sum())
    # The business-time weighted % of the groups gives back the fleet's uptime hours.
    business = (frame["uptime_h_last_week"] + frame["downtime_h_last_week"]).groupby(
        frame["region"], sort=True).sum()
    up = (rollup["uptime_pct_last_week"].fillna(0).to_numpy() / 100 * business.to_numpy()).sum()
    assert up == pytest.approx(frame["uptime_h_last_week"].sum(), rel=1e-9, abs=1e-9)


# ------------------------------------------------------------------ the trend from weekly totals

_TREND_BASE = datetime(2024, 10, 20, tzinfo=UTC)  # 22 days of polls: the US fall-back inside
_TREND_SPAN_US = 22 * 24 * 3_600_000_000


@st.composite
def _trend_feeds(draw: st.DrawFn) -> tuple[Feeds, list[str]]:
    stores = draw(st.lists(st.sampled_from(STORE_IDS), min_size=1, max_size=4, unique=True))
    hours = [(s, d, a, b) for s in stores for d, (a, b) in draw(st.lists(day_rows, max_size=3))]
    zones = {s: z for s in stores if (z := draw(st.sampled_from(engine_cases.ZONES))) is not None}
    offsets = st.integers(0, _TREND_SPAN_US)
    polls = [(s, active, _TREND_BASE + timedelta(microseconds=t)) for s, active, t in draw(
        st.lists(st.tuples(st.sampled_from(stores), st.booleans(), offsets),
                 min_size=1, max_size=30))]
    as_of = draw(st.none() | offsets.map(lambda t: _TREND_BASE + timedelta(microseconds=t)))
    # The filter may name stores the report lacks (an id only in the stores feed).
    chosen = draw(st.lists(st.sampled_from([*STORE_IDS, "not polled"]), unique=True))
    return Feeds(polls, hours, zones, as_of), chosen


@settings(max_examples=examples(8), deadline=None)
@given(_trend_feeds())
def test_the_filtered_trend_sums_the_chosen_stores_weekly_totals_of_the_weeks_reports(
    drawn: tuple[Feeds, list[str]],
) -> None:
    data, chosen = drawn
    with tempfile.TemporaryDirectory() as folder:
        con = load_feeds(data, Path(folder))
        try:
            now = data.as_of or max(t for _, _, t in data.polls)
            trend = context.weekly_trend(con, 3, data.as_of, store_ids=chosen)
            totals = context.week_totals(con, 3, data.as_of)
            # The Fleet page's one call (the context's two reports are the trend's newest
            # two weeks) gives the same totals and the same context as the separate calls.
            shared_context, shared_totals = context.context_and_week_totals(con, 3, data.as_of)
            assert shared_totals.weeks == totals.weeks
            pd.testing.assert_frame_equal(shared_totals.frame, totals.frame)
            pd.testing.assert_frame_equal(shared_context, context.store_context(con, data.as_of))
            # The weeks that end after the first poll, and each one's own report.
            first = min(t for _, _, t in data.polls)
            ends = [now - k * context.WEEK for k in range(3) if first < now - k * context.WEEK]
            assert [w.to_pydatetime() for w in trend["week_end"]] == ends[::-1]
            kept = totals.frame[totals.frame["store_id"].isin(chosen)]
            for week in trend.itertuples():
                rows = [r for r in report_microseconds(con, week.week_end.to_pydatetime())
                        if r[0] in chosen]
                up, down = sum(r[3] for r in rows), sum(r[6] for r in rows)
                of_week = kept[kept["week_end"] == week.week_end]
                assert (int(of_week["up_us"].sum()), int(of_week["down_us"].sum())) == (up, down)
                assert week.business_h == (up + down) / 3_600_000_000
                if up + down == 0:
                    assert math.isnan(week.uptime_pct)
                else:
                    assert week.uptime_pct == pytest.approx(100 * up / (up + down), rel=1e-12)
        finally:
            con.close()
