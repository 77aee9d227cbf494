"""The synthetic feed generator writes deterministic files in the real schemas and quirks.

The files are read back with the csv module as plain strings, the way any consumer
should read store ids (never as numbers), and checked against the real feeds' shapes.
"""

from __future__ import annotations

import csv
import re
import uuid
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loop_core.models import Feed
from loop_core.sample import DEFAULT_END, FILE_NAMES, IdStyle, write_sample

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "loop-real"

STATUS_HEADER = ["store_id", "status", "timestamp_utc"]
HOURS_HEADER_V1 = ["store_id", "day", "start_time_local", "end_time_local"]
HOURS_HEADER_V2 = ["store_id", "dayOfWeek", "start_time_local", "end_time_local"]
TIMEZONES_HEADER = ["store_id", "timezone_str"]

STORES = 500
DAYS = 4  # enough for every quirk; keeps the suite fast
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})? UTC$")
VALID_ZONES = zoneinfo.available_timezones()


@dataclass
class Sample:
    """One generated sample, read back as strings (derived views computed once)."""

    id_style: IdStyle
    seed: int
    paths: dict[Feed, Path]
    status: list[list[str]]  # header first
    hours: list[list[str]]
    timezones: list[list[str]]

    @cached_property
    def parsed_polls(self) -> list[tuple[str, str, datetime]]:
        return [(store_id, status, _parse(stamp)) for store_id, status, stamp in self.status[1:]]

    def polls(self) -> Iterator[tuple[str, str, datetime]]:
        return iter(self.parsed_polls)

    def store_ids(self) -> set[str]:
        return {row[0] for row in self.status[1:]}

    def hours_by_store(self) -> dict[str, list[tuple[int, time, time]]]:
        result: dict[str, list[tuple[int, time, time]]] = defaultdict(list)
        for store_id, day, start, end in self.hours[1:]:
            result[store_id].append((int(day), time.fromisoformat(start), time.fromisoformat(end)))
        return result

    def zone_by_store(self) -> dict[str, str]:
        return dict(self.timezones[1:])


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.removesuffix(" UTC")).replace(tzinfo=UTC)


def _generate(out: Path, id_style: IdStyle, seed: int) -> Sample:
    paths = write_sample(out, stores=STORES, days=DAYS, seed=seed, id_style=id_style)
    return Sample(
        id_style=id_style,
        seed=seed,
        paths=paths,
        status=_read(paths[Feed.STORE_STATUS]),
        hours=_read(paths[Feed.BUSINESS_HOURS]),
        timezones=_read(paths[Feed.TIMEZONES]),
    )


@pytest.fixture(
    scope="module", params=[("numeric", 0), ("uuid", 1)], ids=["numeric-seed0", "uuid-seed1"]
)
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Sample:
    id_style, seed = request.param
    return _generate(tmp_path_factory.mktemp(f"sample-{id_style}"), id_style, seed)


def _open_seconds(intervals: list[tuple[int, time, time]]) -> dict[int, list[tuple[int, int]]]:
    """SPEC's business time for the rows the generator writes: weekday -> [start, end) in
    seconds of the local day (every row has end > start; 23:59:00 or later means midnight)."""
    result: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for day, start, end in intervals:
        end_s = 86400 if end >= time(23, 59) else end.hour * 3600 + end.minute * 60 + end.second
        result[day].append((start.hour * 3600 + start.minute * 60 + start.second, end_s))
    return result


# --- determinism -------------------------------------------------------------------


def test_same_seed_writes_identical_files(sample: Sample, tmp_path: Path) -> None:
    again = _generate(tmp_path, sample.id_style, sample.seed)
    assert again.paths.keys() == sample.paths.keys() == set(FILE_NAMES)
    for feed in FILE_NAMES:
        assert again.paths[feed].read_bytes() == sample.paths[feed].read_bytes(), feed


def test_files_do_not_depend_on_the_number_of_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 700 stores x 8 days = 134,400 polls: two DuckDB row groups, so that several
    # threads really do share the poll query.
    written: dict[int, dict[Feed, bytes]] = {}
    real_connect = duckdb.connect
    for threads in (1, 3):

        def connect(*args: Any, threads: int = threads, **kwargs: Any) -> duckdb.DuckDBPyConnection:
            con = real_connect(*args, **kwargs)
            con.execute(f"SET threads = {threads}")
            return con

        monkeypatch.setattr(duckdb, "connect", connect)  # what sample.py calls
        paths = write_sample(tmp_path / str(threads), stores=700, days=8, seed=3)
        written[threads] = {feed: path.read_bytes() for feed, path in paths.items()}
    assert written[1] == written[3]


def test_another_seed_writes_different_data(tmp_path: Path) -> None:
    first = write_sample(tmp_path / "a", stores=50, days=1, seed=1)
    second = write_sample(tmp_path / "b", stores=50, days=1, seed=2)
    for feed in FILE_NAMES:
        assert first[feed].read_bytes() != second[feed].read_bytes(), feed


def test_the_default_end_is_a_fixed_instant(tmp_path: Path) -> None:
    paths = write_sample(tmp_path, stores=20, days=1)
    stamps = [_parse(row[2]) for row in _read(paths[Feed.STORE_STATUS])[1:]]
    assert DEFAULT_END - timedelta(days=1) <= min(stamps)
    assert max(stamps) < DEFAULT_END


def test_end_and_days_set_the_polling_window_and_a_naive_end_is_utc(tmp_path: Path) -> None:
    end = datetime(2023, 1, 25, 18, 30)
    paths = write_sample(tmp_path, stores=30, days=2, end=end)
    stamps = [_parse(row[2]) for row in _read(paths[Feed.STORE_STATUS])[1:]]
    assert min(stamps) >= end.replace(tzinfo=UTC) - timedelta(days=2)
    assert max(stamps) < end.replace(tzinfo=UTC)
    assert max(stamps) > end.replace(tzinfo=UTC) - timedelta(hours=2)


def test_existing_files_are_replaced_and_the_folder_is_created(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"
    write_sample(out, stores=30, days=1)
    paths = write_sample(out, stores=10, days=1)
    assert len({row[0] for row in _read(paths[Feed.STORE_STATUS])[1:]}) == 10


@pytest.mark.parametrize(
    "kwargs",
    [{"stores": 0}, {"days": 0}, {"id_style": "float"}, {"seed": 2**63}],
    ids=["no stores", "no days", "unknown id style", "seed beyond 64 bits"],
)
def test_impossible_arguments_are_refused(tmp_path: Path, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        write_sample(tmp_path, **kwargs)  # type: ignore[arg-type]


# --- schemas -----------------------------------------------------------------------


def test_files_are_named_like_the_real_feeds(sample: Sample) -> None:
    assert {feed: path.name for feed, path in sample.paths.items()} == {
        Feed.STORE_STATUS: "store_status.csv",
        Feed.BUSINESS_HOURS: "menu_hours.csv",
        Feed.TIMEZONES: "timezones.csv",
    }


def test_headers_equal_the_real_ones(sample: Sample) -> None:
    assert sample.status[0] == STATUS_HEADER
    assert sample.hours[0] == (HOURS_HEADER_V1 if sample.id_style == "numeric" else HOURS_HEADER_V2)
    assert sample.timezones[0] == TIMEZONES_HEADER


@pytest.mark.skipif(
    not REAL_DATA.is_dir(), reason="shared/data/loop-real is not beside the repository"
)
def test_headers_equal_those_of_the_real_files_on_disk(sample: Sample) -> None:
    version = "v1-2023-01" if sample.id_style == "numeric" else "v2-2024-10"
    real = REAL_DATA / version
    assert sample.hours[0] == _read(real / "menu_hours.csv")[0]
    assert sample.timezones[0] == _read(real / "timezones.csv")[0]
    assert sample.status[0] == _read(next(real.glob("store_status*.csv")))[0]


def test_ids_are_strings_of_up_to_19_digits_beyond_float_precision_or_v4_uuids(
    sample: Sample,
) -> None:
    ids = sample.store_ids()
    if sample.id_style == "uuid":
        assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)
        return
    assert all(re.fullmatch(r"[0-9]{1,19}", i) for i in ids)
    lengths = Counter(len(i) for i in ids)
    assert lengths[19] > 0.8 * len(ids)  # like the v1 feed: mostly 19 digits, some shorter
    assert len(lengths) > 1
    # A float would corrupt them, which is why they must stay strings end to end.
    assert any(int(float(i)) != int(i) for i in ids)


def test_every_store_has_polls_and_ids_agree_across_the_three_files(sample: Sample) -> None:
    ids = sample.store_ids()
    assert len(ids) == STORES
    assert {row[0] for row in sample.hours[1:]} <= ids
    assert set(sample.zone_by_store()) <= ids
    assert len(sample.timezones) - 1 == len(sample.zone_by_store())  # one row per store


def test_status_values_are_only_active_or_inactive(sample: Sample) -> None:
    assert {row[1] for row in sample.status[1:]} == {"active", "inactive"}


def test_timestamps_parse_as_utc_inside_the_window_in_the_real_format(sample: Sample) -> None:
    stamps = [row[2] for row in sample.status[1:]]
    assert all(TIMESTAMP.match(s) for s in stamps)
    parsed = [stamp for _, _, stamp in sample.polls()]
    assert DEFAULT_END - timedelta(days=DAYS) <= min(parsed) and max(parsed) < DEFAULT_END
    # Like the real (BigQuery) export, trailing zeros of the fraction are dropped:
    # "...:49.46544 UTC" (and, once in a million, no fraction at all).
    full = sum(len(s) == len("2023-01-22 12:09:39.388884 UTC") for s in stamps)
    assert 0.8 * len(stamps) < full < len(stamps)


def test_row_count_is_about_one_poll_per_store_and_hour(sample: Sample) -> None:
    expected = STORES * DAYS * 24
    assert 0.93 * expected <= len(sample.status) - 1 <= expected


def test_business_hours_are_weekdays_0_to_6_with_times_hh_mm_ss(sample: Sample) -> None:
    for _, day, start, end in sample.hours[1:]:
        assert day in {"0", "1", "2", "3", "4", "5", "6"}
        assert re.fullmatch(r"\d\d:\d\d:\d\d", start) and re.fullmatch(r"\d\d:\d\d:\d\d", end)
        assert start < end  # as in both real feeds: overnight shifts arrive pre-split


def test_the_missing_final_newline_mirrors_the_real_version(sample: Sample) -> None:
    ends = {feed: path.read_bytes().endswith(b"\n") for feed, path in sample.paths.items()}
    if sample.id_style == "numeric":  # v1: the status file is cut short
        assert ends == {Feed.STORE_STATUS: False, Feed.BUSINESS_HOURS: True, Feed.TIMEZONES: True}
    else:  # v2: business hours and timezones are
        assert ends == {Feed.STORE_STATUS: True, Feed.BUSINESS_HOURS: False, Feed.TIMEZONES: False}


# --- quirks ------------------------------------------------------------------------


def test_some_stores_have_no_business_hours_rows(sample: Sample) -> None:
    without = sample.store_ids() - set(sample.hours_by_store())
    assert 0.02 * STORES <= len(without) <= 0.15 * STORES


def test_some_stores_have_rows_for_some_weekdays_only(sample: Sample) -> None:
    partial = [s for s, rows in sample.hours_by_store().items() if len({d for d, _, _ in rows}) < 7]
    assert 0 < len(partial) <= 0.1 * STORES


def test_split_shifts_reach_four_intervals_a_day_and_never_more(sample: Sample) -> None:
    per_day = Counter((row[0], row[1]) for row in sample.hours[1:])
    assert max(per_day.values()) == 4
    assert sum(n >= 2 for n in per_day.values()) > 0.05 * len(per_day)


def test_overnight_shifts_are_pre_split_at_midnight_into_the_next_day(sample: Sample) -> None:
    split = 0
    for rows in sample.hours_by_store().values():
        evenings = {d for d, start, end in rows if start >= time(16) and end >= time(23, 59)}
        mornings = {d for d, start, end in rows if start == time(0) and end <= time(3)}
        split += sum((d + 1) % 7 in mornings for d in evenings)
    assert split > 0


def test_days_end_at_23_59_00_or_23_59_59_as_in_the_real_feeds(sample: Sample) -> None:
    ends = Counter(row[3] for row in sample.hours[1:])
    assert ends["23:59:00"] > 0 and ends["23:59:59"] > 0


def test_some_stores_are_missing_from_timezones(sample: Sample) -> None:
    missing = sample.store_ids() - set(sample.zone_by_store())
    assert 0 < len(missing) <= 0.05 * STORES


def test_a_few_zone_names_are_invalid(sample: Sample) -> None:
    invalid = [z for z in sample.zone_by_store().values() if z not in VALID_ZONES]
    assert 0 < len(invalid) <= 0.03 * STORES


def test_valid_zones_spread_over_the_us_europe_and_australia_with_dst(sample: Sample) -> None:
    zones = {z for z in sample.zone_by_store().values() if z in VALID_ZONES}
    for prefix in ("America/", "Europe/", "Australia/"):
        assert any(z.startswith(prefix) for z in zones), prefix
    assert "America/Phoenix" in zones  # and some without DST
    january, july = datetime(2024, 1, 15, tzinfo=UTC), datetime(2024, 7, 15, tzinfo=UTC)
    with_dst = {
        z
        for z in zones
        if january.astimezone(zoneinfo.ZoneInfo(z)).utcoffset()
        != july.astimezone(zoneinfo.ZoneInfo(z)).utcoffset()
    }
    assert any(z.startswith("Australia/") for z in with_dst)  # southern-hemisphere DST
    assert any(z.startswith("Europe/") for z in with_dst)


def test_polls_are_roughly_hourly_with_jitter_and_missing_hours(sample: Sample) -> None:
    by_store: dict[str, list[datetime]] = defaultdict(list)
    for store_id, _, stamp in sample.polls():
        by_store[store_id].append(stamp)
    gaps = [
        (b - a).total_seconds()
        for stamps in by_store.values()
        for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)
    ]
    hourly = [g for g in gaps if g < 5400]
    assert len(hourly) > 0.9 * len(gaps)
    assert 3300 < sorted(hourly)[len(hourly) // 2] < 3900
    assert len({round(g) for g in hourly}) > 100  # irregular, not a fixed period
    assert any(g > 2.5 * 3600 for g in gaps)  # hours without a poll


def test_most_polls_are_active_and_outages_last_hours(sample: Sample) -> None:
    by_store: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for store_id, status, stamp in sample.polls():
        by_store[store_id].append((stamp, status))
    statuses = [s for polls in by_store.values() for _, s in polls]
    assert 0.90 <= statuses.count("active") / len(statuses) <= 0.96
    longest = []
    for polls in by_store.values():
        run = best = 0
        for _, status in sorted(polls):
            run = run + 1 if status == "inactive" else 0
            best = max(best, run)
        longest.append(best)
    assert sum(n >= 3 for n in longest) > 0.1 * STORES  # outages of several hours
    assert sum(n == 0 for n in longest) > 0.1 * STORES  # and stores that never went down


def test_some_stores_are_polled_only_outside_their_business_hours(sample: Sample) -> None:
    hours, zones = sample.hours_by_store(), sample.zone_by_store()
    open_seconds = {store_id: _open_seconds(rows) for store_id, rows in hours.items()}
    # One ZoneInfo per name: its own cache keeps only 8 and would reload the files.
    tz = {name: zoneinfo.ZoneInfo(name) for name in set(zones.values()) & VALID_ZONES}
    inside: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for store_id, _, stamp in sample.polls():
        if store_id not in hours or zones.get(store_id) not in VALID_ZONES:
            continue
        local = stamp.astimezone(tz[zones[store_id]])
        second = local.hour * 3600 + local.minute * 60 + local.second
        in_hours = any(a <= second < b for a, b in open_seconds[store_id].get(local.weekday(), ()))
        (inside if in_hours else outside)[store_id] += 1
    only_outside = set(outside) - set(inside)
    assert 0 < len(only_outside) <= 0.05 * STORES
    # ...while the other stores have polls both in and out of hours, as real ones do.
    assert sum(1 for s in inside if outside[s] > 0) > 0.5 * len(inside)
