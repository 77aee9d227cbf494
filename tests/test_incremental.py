"""Which polls are observations is decided when they are loaded (loop_core/derived.py).
Whatever the order and history of the loads, the report must be the reference's for the
data in place at the end: polls split over several files, hours and zones replaced after
the polls arrived, an older database opened after a change of zone rules.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core import db, derived, ingest, observations, report
from loop_core.models import Feed
from tests.depth import examples
from tests.reference import to_us
from tests.test_engine_matches_reference import Feeds, feeds, special_csv, write_csv


def _polls_csv(path: Path, data: Feeds, part: slice) -> Path:
    return write_csv(
        path,
        ["store_id", "status", "timestamp_utc"],
        [
            [store, "active" if active else "inactive", f"{t:%Y-%m-%d %H:%M:%S.%f} UTC"]
            for store, active, t in data.polls[part]
        ],
    )


def _hours_csv(path: Path, data: Feeds) -> Path:
    return write_csv(
        path,
        ["store_id", "dayOfWeek", "start_time_local", "end_time_local"],
        [[store, str(d), f"{s:%H:%M:%S}", f"{e:%H:%M:%S}"] for store, d, s, e in data.hours],
    )


def _zones_csv(path: Path, data: Feeds) -> Path:
    return write_csv(
        path, ["store_id", "timezone_str"], [[s, z] for s, z in data.zones.items()]
    )


def _figures(con: duckdb.DuckDBPyConnection, data: Feeds) -> list[tuple[object, ...]]:
    return [tuple(row) for row in report.report_microseconds(con, data.as_of)]


def _load_out_of_order(
    con: duckdb.DuckDBPyConnection, final: Feeds, old: Feeds, cut: int, folder: Path
) -> None:
    """Old snapshots, the first polls, the new hours, the other polls, the new special
    hours (only the polls around the changed dates are reclassified), the new zones."""
    steps = [
        (Feed.TIMEZONES, _zones_csv(folder / "old_zones.csv", old)),
        (Feed.BUSINESS_HOURS, _hours_csv(folder / "old_hours.csv", old)),
        (Feed.SPECIAL_HOURS, special_csv(folder / "old_special.csv", old)),
        (Feed.STORE_STATUS, _polls_csv(folder / "polls_1.csv", final, slice(0, cut))),
        (Feed.BUSINESS_HOURS, _hours_csv(folder / "hours.csv", final)),
        (Feed.STORE_STATUS, _polls_csv(folder / "polls_2.csv", final, slice(cut, None))),
        (Feed.SPECIAL_HOURS, special_csv(folder / "special.csv", final)),
        (Feed.TIMEZONES, _zones_csv(folder / "zones.csv", final)),
    ]
    for feed, path in steps:
        ingest.ingest_file(con, feed, path)


def _loaded_out_of_order(final: Feeds, old: Feeds, cut: int) -> duckdb.DuckDBPyConnection:
    """A database in memory after :func:`_load_out_of_order`."""
    con = db.connect(":memory:")
    with tempfile.TemporaryDirectory() as folder:
        _load_out_of_order(con, final, old, cut, Path(folder))
    return con


@settings(max_examples=examples(10), deadline=None)
@given(final=feeds(), old=feeds(), cut=st.integers(0, 40))
def test_snapshots_replaced_after_the_polls_give_the_reference_report(
    final: Feeds, old: Feeds, cut: int
) -> None:
    con = _loaded_out_of_order(final, old, cut)
    try:
        assert _figures(con, final) == final.reference().rows()
    finally:
        con.close()


def test_polls_loaded_before_any_hours_are_reclassified_when_hours_arrive(
    tmp_path: Path, spec_db: duckdb.DuckDBPyConnection
) -> None:
    # Without hours a store is open 24x7, so every poll is first an observation; the
    # SPEC example's hours (09:00-12:00 UTC) then leave the 08:30 poll outside them. Had
    # it stayed an observation, it would own 09:00-09:22 as inactive.
    spec = Path(__file__).parent / "data" / "spec"
    polls = tmp_path / "store_status.csv"
    polls.write_text(
        (spec / "store_status.csv").read_text() + "mon,inactive,2024-01-08 08:30:00 UTC\n"
    )
    con = db.connect(":memory:")
    try:
        ingest.ingest_file(con, Feed.STORE_STATUS, polls)
        flags = (
            "SELECT hour(timestamp_utc), in_hours FROM store_polls "
            "WHERE store_id = 'mon' ORDER BY 1"
        )
        assert con.execute(flags).fetchall() == [(8, True), (10, True), (11, True)]
        ingest.ingest_file(con, Feed.BUSINESS_HOURS, spec / "menu_hours.csv")
        ingest.ingest_file(con, Feed.TIMEZONES, spec / "timezones.csv")
        assert con.execute(flags).fetchall() == [(8, False), (10, True), (11, True)]
        as_of = "2024-01-08 12:00:00+00:00"
        assert report.report_microseconds(con, as_of) == report.report_microseconds(spec_db, as_of)
    finally:
        con.close()


def _spec_example(folder: Path) -> Path:
    """The SPEC example in a database file, closed again."""
    path = folder / "loop.duckdb"
    data = Path(__file__).parent / "data" / "spec"
    con = db.connect(path)
    ingest.ingest_files(
        con,
        store_status=data / "store_status.csv",
        business_hours=data / "menu_hours.csv",
        timezones=data / "timezones.csv",
    )
    db.close(path)
    return path


def test_a_file_built_with_other_zone_rules_is_reclassified_on_open(tmp_path: Path) -> None:
    path = _spec_example(tmp_path)
    con = db.connect(path)
    expected = report.report_microseconds(con)
    flags = con.execute("SELECT in_hours FROM store_status ORDER BY timestamp_utc").fetchall()
    # As if written by another DuckDB or tzdata, with every derived value wrong.
    con.execute("UPDATE derived_state SET rules_version = 'duckdb 0.0; tzdata 1999a'")
    con.execute("UPDATE store_status SET in_hours = NOT in_hours")
    con.execute("UPDATE stores SET hours_hash = 0")
    db.close(path)
    con = db.connect(path)
    try:
        assert con.execute("SELECT rules_version FROM derived_state").fetchall() == [
            (derived.rules_version(),)
        ]
        assert con.execute(
            "SELECT in_hours FROM store_status ORDER BY timestamp_utc"
        ).fetchall() == flags
        assert report.report_microseconds(con) == expected
    finally:
        db.close(path)


def test_polls_left_unclassified_by_an_older_version_are_classified_on_open(
    tmp_path: Path,
) -> None:
    path = _spec_example(tmp_path)
    con = db.connect(path)
    expected = report.report_microseconds(con)
    # What migration 005 leaves behind in a file written before it.
    con.execute("UPDATE store_status SET in_hours = NULL")
    con.execute("UPDATE stores SET hours_hash = NULL")
    db.close(path)
    con = db.connect(path)
    try:
        assert con.execute(
            "SELECT count(*) FROM store_status WHERE in_hours IS NULL"
        ).fetchone() == (0,)
        assert report.report_microseconds(con) == expected
        assert derived.ensure_current(con) is False  # nothing left to do on the next open
    finally:
        db.close(path)


def test_reports_read_from_the_interval_cache_give_what_computing_the_hours_gives(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from loop_core.sample import write_sample
    from loop_core.timeline import status_spans

    files = write_sample(tmp_path, stores=40, days=9, seed=5)
    ingest.ingest_files(con, **{feed.value: path for feed, path in files.items()})  # type: ignore[arg-type]
    newest = report.resolve_as_of(con)
    assert newest is not None
    # Covered: the default week, and an as-of a day back; not covered: a year later.
    as_ofs = [None, newest - timedelta(days=1), newest + timedelta(days=365)]
    with con.cursor() as cur:
        covered = [
            derived.cache_covers(cur, *(to_us(t) for t in (when - timedelta(days=7), when)))
            for when in (newest, newest - timedelta(days=1), newest + timedelta(days=365))
        ]
    assert covered == [True, True, False]
    cached = [report.report_microseconds(con, when) for when in as_ofs]
    spans = status_spans(con, with_polls=False)
    con.execute("DELETE FROM interval_cache_range")  # every range now computed from hours
    assert [report.report_microseconds(con, when) for when in as_ofs] == cached
    assert status_spans(con, with_polls=False).equals(spans)
    assert any(row[4] + row[5] + row[6] for row in cached[0])  # some downtime: not idle


def test_stores_share_an_hours_hash_only_when_their_zone_and_hours_are_the_same(
    load: Callable[..., duckdb.DuckDBPyConnection],
) -> None:
    # Zero-valued rows are the trap: DuckDB's hash() maps 0 (and a 128-bit -1) to 0.
    con = load(
        polls=[f"{s},active,2024-01-08 10:00:00 UTC" for s in "abcdefgh"],
        hours=[
            "a,0,00:00:00,00:00:00",  # Monday around the clock
            # b: no rows (open 24x7)
            "c,0,00:00:00,00:00:00", "c,1,00:00:00,00:00:00",
            "d,1,00:00:00,00:00:00", "d,0,00:00:00,00:00:00",  # c in another order
            "e,0,00:00:00,00:00:00",  # a in another zone
            "f,0,09:00:00,17:00:00",
            "g,0,09:00:00,17:00:00",  # f again
            # h: no rows, like b
        ],
        zones=["a,UTC", "b,UTC", "c,UTC", "d,UTC", "e,Europe/Berlin", "f,UTC", "g,UTC", "h,UTC"],
    )
    groups = con.execute(
        "SELECT list(store_id ORDER BY store_id) FROM stores GROUP BY hours_hash ORDER BY 1"
    ).fetchall()
    assert [g[0] for g in groups] == [["a"], ["b", "h"], ["c", "d"], ["e"], ["f", "g"]]


def test_a_load_committed_while_a_report_runs_does_not_mix_into_it(
    spec_db: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # New hours (10:00-11:00) arrive after the report has read its intervals but before it
    # reads the polls' flags: it must still see one state of the data, the old one.
    as_of = "2024-01-08T12:00:00Z"
    before = report.report_microseconds(spec_db, as_of)
    hours = tmp_path / "menu_hours.csv"
    hours.write_text("store_id,dayOfWeek,start_time_local,end_time_local\nmon,0,10:00:00,11:00:00\n")
    prepare = observations.prepare

    def prepare_then_load(*args: object, **kwargs: object) -> list[object]:
        params = prepare(*args, **kwargs)  # type: ignore[arg-type]
        ingest.ingest_file(spec_db, Feed.BUSINESS_HOURS, hours)
        return params

    monkeypatch.setattr(observations, "prepare", prepare_then_load)
    assert report.report_microseconds(spec_db, as_of) == before
    monkeypatch.undo()
    after = report.report_microseconds(spec_db, as_of)
    assert after != before  # the load did land, for the next report
    # Only the 10:14 poll (active) is inside the new hours: the business hour is all up.
    assert {r[0]: (r[3], r[6]) for r in after}["mon"] == (3_600_000_000, 0)


def _points_from_polls(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int, int]]:
    """observation_points as migration 019 defines it, computed in Python from the polls in
    place: per store and UTC day, the first and last observation and every observation
    next to one of the other status."""
    rows = con.execute(
        "SELECT store_key, epoch_us(timestamp_utc) * 2 + is_active::BIGINT FROM store_status "
        "WHERE in_hours ORDER BY 1, 2"
    ).fetchall()
    days: dict[tuple[int, int], list[int]] = {}
    for store, key in rows:
        days.setdefault((store, key // 2 // derived.DAY_US), []).append(key)
    kept = []
    for (store, day), keys in days.items():
        for i, key in enumerate(keys):
            neighbours = keys[max(i - 1, 0):i] + keys[i + 1:i + 2]
            if i in (0, len(keys) - 1) or any(n % 2 != key % 2 for n in neighbours):
                kept.append((store, day, key))
    return sorted(kept)


@settings(max_examples=examples(10), deadline=None)
@given(final=feeds(), old=feeds(), cut=st.integers(0, 40))
def test_observation_points_stay_those_of_the_polls_in_place_whatever_the_loads(
    final: Feeds, old: Feeds, cut: int
) -> None:
    # The report windows these points instead of the observations (migration 019): a load
    # that merged its polls into a day's points, or a reclassification that missed a day,
    # would change figures only for some as-of values, so the table itself is compared.
    con = _loaded_out_of_order(final, old, cut)
    try:
        stored = con.execute("SELECT store_key, day, k FROM observation_points ORDER BY ALL")
        assert stored.fetchall() == _points_from_polls(con)
    finally:
        con.close()
