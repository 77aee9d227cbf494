"""A long history with gaps gives the reference's figures: the report reads each store's
last observation before its week from observation_days (migration 009), not from every
poll, status its latest poll and current run (migration 015), and that summary follows
every load, reclassification and removal of polls."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core import bootstrap, db, ingest, report, timeline
from loop_core.status import status
from tests import reference
from tests.depth import examples
from tests.reference import HOUR_US, HoursRow, Poll, compute, to_us
from tests.test_engine_matches_reference import STORE_IDS, ZONES, day_rows, write_csv

DAY = timedelta(days=1)
END = datetime(2024, 10, 14, 12, tzinfo=UTC)
SPAN_DAYS = 70


def _polls_csv(path: Path, polls: list[Poll]) -> Path:
    return write_csv(
        path,
        ["store_id", "status", "timestamp_utc"],
        [[s, "active" if a else "inactive", f"{t:%Y-%m-%d %H:%M:%S.%f} UTC"] for s, a, t in polls],
    )


def _load(
    con: duckdb.DuckDBPyConnection, folder: Path, chunks: list[list[Poll]],
    hours: list[HoursRow], zones: dict[str, str],
) -> None:
    ingest.ingest_files(
        con,
        business_hours=write_csv(
            folder / "menu_hours.csv",
            ["store_id", "dayOfWeek", "start_time_local", "end_time_local"],
            [[s, str(d), f"{a:%H:%M:%S}", f"{b:%H:%M:%S}"] for s, d, a, b in hours],
        ),
        timezones=write_csv(
            folder / "timezones.csv", ["store_id", "timezone_str"], list(map(list, zones.items()))
        ),
    )
    for n, chunk in enumerate(chunks):
        ingest.ingest_files(con, store_status=_polls_csv(folder / f"polls-{n}.csv", chunk))


def _loaded(chunks: list[list[Poll]], hours: list[HoursRow],
            zones: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """A new in-memory database with the feeds loaded (the polls in these files, in turn)."""
    con = db.connect(":memory:")
    with tempfile.TemporaryDirectory() as folder:
        _load(con, Path(folder), chunks, hours, zones)
    return con


def _engine(con: duckdb.DuckDBPyConnection, as_of: datetime | None) -> list[tuple[object, ...]]:
    return [tuple(r) for r in report.report_microseconds(con, as_of)]


@st.composite
def long_histories(draw: st.DrawFn) -> tuple[list[list[Poll]], list[HoursRow], dict[str, str],
                                              datetime | None]:
    stores = draw(st.lists(st.sampled_from(STORE_IDS), min_size=1, max_size=3, unique=True))
    hours = [(s, d, a, b) for s in stores for d, (a, b) in draw(st.lists(day_rows, max_size=4))]
    zones = {s: z for s in stores if (z := draw(st.sampled_from(ZONES))) is not None}
    start = END - timedelta(days=SPAN_DAYS)
    # Clusters of polls with long gaps between them: early history, a few weeks before
    # the end (more than the two weeks read for every store), and the last week.
    clusters = draw(st.lists(st.sampled_from([(0, 10), (30, 45), (55, 62), (62, 70)]),
                             min_size=1, max_size=4, unique=True))
    polls: list[Poll] = []
    for lo, hi in clusters:
        for store, active, hour in draw(st.lists(
            st.tuples(st.sampled_from(stores), st.booleans(), st.integers(lo * 24, hi * 24 - 1)),
            min_size=1, max_size=12,
        )):
            polls.append((store, active, start + timedelta(hours=hour, minutes=draw(
                st.sampled_from([0, 15, 30, 59])))))
    # Loaded in one to three files, oldest first or not: old polls take the slower
    # classification path (derived.classify_pending), new ones are classified on insert.
    polls.sort(key=lambda p: p[2])
    cuts = sorted(draw(st.lists(st.integers(0, len(polls)), max_size=2)))
    chunks = [polls[a:b] for a, b in zip([0, *cuts], [*cuts, len(polls)], strict=True)]
    chunks = [c for c in chunks if c] or [polls]
    if draw(st.booleans()):
        chunks.reverse()
    as_of = draw(st.none() | st.integers(40 * 24, SPAN_DAYS * 24).map(
        lambda h: start + timedelta(hours=h)))
    return chunks, hours, zones, as_of


@settings(max_examples=examples(15), deadline=None)
@given(long_histories())
def test_a_long_history_with_gaps_gives_the_reference_report(
    data: tuple[list[list[Poll]], list[HoursRow], dict[str, str], datetime | None],
) -> None:
    chunks, hours, zones, as_of = data
    con = _loaded(chunks, hours, zones)
    try:
        got = _engine(con, as_of)
    finally:
        con.close()
    assert got == compute([p for c in chunks for p in c], hours, zones, as_of).rows()


@settings(max_examples=examples(15), deadline=None)
@given(long_histories())
def test_a_long_history_with_gaps_gives_the_reference_status(
    data: tuple[list[list[Poll]], list[HoursRow], dict[str, str], datetime | None],
) -> None:
    # Runs that began weeks before the instant, stores polled only long ago, and days
    # loaded out of order: status reads two weeks of observation_days for every store and
    # older days only for some, and must still give what every poll gives.
    chunks, hours, zones, at = data
    polls = [p for c in chunks for p in c]
    con = _loaded(chunks, hours, zones)
    try:
        rows = status(con, at)
    finally:
        con.close()
    got = [(s.store_id, str(s.status), None if s.since is None else to_us(s.since), s.open_now,
            None if s.closes_at is None else to_us(s.closes_at),
            None if s.opens_at is None else to_us(s.opens_at)) for s in rows]
    assert got == reference.status(polls, hours, zones, at)
    when = at or max(t for _, _, t in polls)
    latest = {store: max((t, a) for s2, a, t in polls if s2 == store and t <= when)
              for store, _, t in polls if t <= when}
    assert [(s.store_id, s.latest_poll, s.latest_poll_active) for s in rows] == [
        (store, t, a) for store, (t, a) in sorted(latest.items())]


def test_an_observation_weeks_before_the_report_week_still_decides_its_status(
    con: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    # Open 24x7; inactive 40 days before the end and never polled since (another store
    # sets "now"): the old observation owns the whole week, well past the two weeks
    # before it that are read for every store.
    old = END - 40 * DAY
    polls: list[Poll] = [("s", True, old - DAY), ("s", False, old), ("t", True, END)]
    _load(con, tmp_path, [polls], [], {})
    got = _engine(con, None)
    assert got == compute(polls, [], {}, None).rows()
    week_down = got[0][6]
    assert week_down == 7 * 24 * HOUR_US
    # The timeline draws the same: its down spans in the week add up to the report's.
    spans = timeline.store_timeline(con, "s").spans
    down = spans[spans["status"] == "inactive"]
    assert int((down["end_utc"] - down["start_utc"]).sum().value // 1000) == week_down


def test_new_hours_reclassify_old_observations_and_the_report_follows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    # The only observation before the week is 30 days old, at 03:00 UTC on a Sunday.
    old = datetime(2024, 9, 15, 3, tzinfo=UTC)
    polls: list[Poll] = [("s", False, old), ("s", True, END - DAY), ("t", True, END)]
    _load(con, tmp_path, [polls], [], {"s": "UTC"})
    before = _engine(con, None)
    assert before == compute(polls, [], {"s": "UTC"}, None).rows()
    # New hours close Sunday nights: the old poll is no observation any more.
    hours: list[HoursRow] = [("s", d, time(9), time(17)) for d in range(7)]
    _load(con, tmp_path / "..", [], hours, {"s": "UTC"})
    after = _engine(con, None)
    assert after == compute(polls, hours, {"s": "UTC"}, None).rows()
    assert after != before


def test_removing_the_sample_removes_its_observations_from_the_summary(
    con: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    assert bootstrap.ensure_sample_data(con, stores=20, days=2) is not None
    assert con.execute("SELECT count(*) FROM observation_days").fetchone() != (0,)
    polls: list[Poll] = [("real", True, END - 20 * DAY), ("real", False, END)]
    _load(con, tmp_path, [polls], [], {})
    assert not bootstrap.is_sample_only(con)
    keys = con.execute("SELECT DISTINCT store_key FROM observation_days").fetchall()
    assert keys == con.execute("SELECT store_key FROM stores WHERE store_id = 'real'").fetchall()
    assert _engine(con, None) == compute(polls, [], {}, None).rows()
