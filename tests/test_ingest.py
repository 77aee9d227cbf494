"""Ingestion: both real formats, rejects with lines and reasons, refusals, idempotence."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from loop_core import db, ingest
from loop_core.errors import FeedRefusedError
from loop_core.ingest import ingest_file, ingest_files
from loop_core.models import Feed
from tests.conftest import DATA, SHARED, table_rows

needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    row = con.execute(
        "SELECT (SELECT count(*) FROM store_status), (SELECT count(*) FROM business_hours), "
        "(SELECT count(*) FROM timezones), (SELECT count(*) FROM rejects), "
        "(SELECT count(*) FROM loads)"
    ).fetchone()
    assert row is not None
    return row


@needs_shared
def test_real_v1_feed_with_day_column_and_no_final_newline_loads_completely(
    con: duckdb.DuckDBPyConnection,
) -> None:
    folder = SHARED / "v1-2023-01"
    summaries = ingest_files(
        con,
        store_status=folder / "store_status_head5031.csv",
        business_hours=folder / "menu_hours.csv",
        timezones=folder / "timezones.csv",
    )
    assert [(s.feed, s.rows_loaded, s.rows_rejected) for s in summaries] == [
        (Feed.TIMEZONES, 13559, 0),
        (Feed.BUSINESS_HOURS, 86198, 0),
        # 5,032 data rows: the file name says 5031, but its last line has no newline.
        (Feed.STORE_STATUS, 5032, 0),
    ]
    # 19-digit ids survive as text, never as floats.
    assert table_rows(
        con, "SELECT store_id FROM store_polls WHERE store_id = '8419537941919820732'"
    ) == [("8419537941919820732",)]


@needs_shared
def test_real_v2_feed_with_uuid_ids_and_day_of_week_column_loads_completely(
    con: duckdb.DuckDBPyConnection,
) -> None:
    folder = SHARED / "v2-2024-10"
    summaries = ingest_files(
        con,
        store_status=folder / "store_status_head1000.csv",
        business_hours=folder / "menu_hours.csv",
        timezones=folder / "timezones.csv",
    )
    assert [(s.rows_loaded, s.rows_rejected) for s in summaries] == [
        (4559, 0), (35457, 0), (1000, 0)
    ]
    assert table_rows(
        con,
        "SELECT day_of_week, start_time_local::VARCHAR, end_time_local::VARCHAR "
        "FROM business_hours WHERE store_id = 'd84a4552-3668-4075-ad1d-16840294f818' "
        "AND day_of_week = 1",
    ) == [(1, "00:00:00", "00:01:00")]


def test_timestamps_with_any_fraction_iso_forms_crlf_and_loose_status_all_load(
    con: duckdb.DuckDBPyConnection,
) -> None:
    summary = ingest_file(con, Feed.STORE_STATUS, DATA / "formats" / "store_status_mixed.csv")
    assert (summary.rows_loaded, summary.rows_rejected) == (5, 0)
    assert table_rows(
        con,
        "SELECT store_id, is_active, strftime(timestamp_utc, '%Y-%m-%d %H:%M:%S.%f') "
        "FROM store_polls ORDER BY timestamp_utc",
    ) == [
        ("8419537941919820732", True, "2023-01-22 12:09:39.388884"),
        ("8419537941919820732", False, "2023-01-22 13:09:39.000000"),
        ("8419537941919820732", False, "2023-01-22 14:09:39.500000"),
        ("b5d0a65d-6d54-47aa-95e9-9312f0353326", True, "2023-01-22 15:09:39.000000"),
        ("b5d0a65d-6d54-47aa-95e9-9312f0353326", True, "2023-01-22 16:09:39.123000"),
    ]


def test_unreadable_poll_rows_are_kept_aside_with_line_and_reason(
    con: duckdb.DuckDBPyConnection,
) -> None:
    summary = ingest_file(con, Feed.STORE_STATUS, DATA / "formats" / "store_status_bad_rows.csv")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 2, 4)
    assert table_rows(con, "SELECT line, raw, reason FROM rejects ORDER BY line") == [
        (3, "2,sleeping,2023-01-22 12:00:00 UTC", 'unknown status "sleeping"'),
        (4, "3,active,yesterday", 'unparseable timestamp "yesterday"'),
        (5, ",active,2023-01-22 12:00:00 UTC", "empty store_id"),
        (6, "4,active", "expected 3 fields, found 2"),
    ]
    assert table_rows(con, "SELECT store_id FROM store_polls ORDER BY 1") == [("1",), ("5",)]


def test_bad_days_and_times_in_business_hours_are_rejected_with_reasons(
    con: duckdb.DuckDBPyConnection,
) -> None:
    summary = ingest_file(con, Feed.BUSINESS_HOURS, DATA / "formats" / "menu_hours_bad_rows.csv")
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 4)
    assert table_rows(con, "SELECT line, reason FROM rejects ORDER BY line") == [
        (3, 'day "7" is not 0 (Monday) to 6 (Sunday)'),
        (4, 'day "x" is not 0 (Monday) to 6 (Sunday)'),
        (5, 'bad start time "25:00:00"'),
        (6, 'bad end time "noon"'),
    ]


def test_a_file_with_a_wrong_header_is_refused_whole_naming_the_missing_columns(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    before = _counts(spec_db)
    with pytest.raises(FeedRefusedError, match=r"missing column.*store_id, status, timestamp_utc"):
        ingest_file(spec_db, Feed.STORE_STATUS, DATA / "formats" / "store_status_wrong_header.csv")
    assert _counts(spec_db) == before


def test_loading_an_identical_file_again_changes_nothing(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    before = _counts(spec_db)
    again = ingest_file(spec_db, Feed.STORE_STATUS, DATA / "spec" / "store_status.csv")
    assert again.unchanged
    assert _counts(spec_db) == before


def test_polls_append_and_skip_exact_duplicates_across_files(
    load: object, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = tmp_path / "a.csv"
    first.write_text("store_id,status,timestamp_utc\n1,active,2024-01-01 10:00:00 UTC\n")
    second = tmp_path / "b.csv"
    second.write_text(
        "store_id,status,timestamp_utc\n1,active,2024-01-01 10:00:00 UTC\n"
        "1,inactive,2024-01-01 10:00:00 UTC\n1,active,2024-01-01 11:00:00 UTC\n"
        "1,active,2024-01-01 11:00:00 UTC\n"
    )
    ingest_file(con, Feed.STORE_STATUS, first)
    summary = ingest_file(con, Feed.STORE_STATUS, second)
    assert (summary.rows_loaded, summary.rows_duplicate) == (2, 2)
    assert table_rows(
        con, "SELECT is_active, hour(timestamp_utc) FROM store_status ORDER BY 2, 1"
    ) == [(False, 10), (True, 10), (True, 11)]


def test_a_large_file_checked_for_duplicates_slice_by_slice_still_counts_each_poll_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file above the slice size (26M polls at 140,000 stores) is checked in timestamp
    # slices; a duplicate in any slice must still be found, and none in a clean file.
    monkeypatch.setattr(ingest, "_DUPLICATE_CHECK_ROWS", 2)
    rows = [f"{s},active,2024-01-01 {h:02d}:00:00.{s:06d} UTC\n" for s in (1, 2) for h in range(4)]
    clean = tmp_path / "clean.csv"
    clean.write_text("store_id,status,timestamp_utc\n" + "".join(rows))
    repeated = tmp_path / "repeated.csv"
    extra = "3,inactive,2024-01-02 05:00:00 UTC\n"
    repeated.write_text("store_id,status,timestamp_utc\n" + extra + "".join(rows) + extra)
    first = ingest_file(con, Feed.STORE_STATUS, clean)
    assert (first.rows_loaded, first.rows_duplicate) == (8, 0)
    second = ingest_file(con, Feed.STORE_STATUS, repeated)
    assert (second.rows_read, second.rows_loaded, second.rows_duplicate) == (10, 1, 9)
    assert table_rows(con, "SELECT count(*) FROM store_status") == [(9,)]


def test_business_hours_and_timezones_are_snapshots_replaced_by_each_new_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    old = tmp_path / "old.csv"
    old.write_text("store_id,timezone_str\n1,America/Denver\n2,Asia/Beirut\n")
    new = tmp_path / "new.csv"
    new.write_text("store_id,timezone_str\n1,Europe/Berlin\n")
    ingest_file(con, Feed.TIMEZONES, old)
    ingest_file(con, Feed.TIMEZONES, new)
    assert table_rows(con, "SELECT store_id, timezone_str FROM timezones") == [
        ("1", "Europe/Berlin")
    ]
    # Going back to the old snapshot is a change, not a no-op.
    assert not ingest_file(con, Feed.TIMEZONES, old).unchanged
    assert len(table_rows(con, "SELECT * FROM timezones")) == 2


def test_a_store_given_two_zones_in_one_file_is_rejected_not_guessed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "tz.csv"
    path.write_text("store_id,timezone_str\n1,America/Denver\n1,Asia/Beirut\n2,UTC\n")
    summary = ingest_file(con, Feed.TIMEZONES, path)
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 2)
    assert table_rows(con, "SELECT line, reason FROM rejects ORDER BY line") == [
        (2, "store has 2 different timezones in this file"),
        (3, "store has 2 different timezones in this file"),
    ]


def test_every_load_is_recorded_with_its_checksum_and_counts(
    spec_db: duckdb.DuckDBPyConnection,
) -> None:
    rows = table_rows(
        spec_db,
        "SELECT feed, file_name, length(sha256), rows_loaded, rows_duplicate, rows_rejected "
        "FROM loads ORDER BY load_id",
    )
    assert rows == [
        ("timezones", "timezones.csv", 64, 2, 0, 0),
        ("business_hours", "menu_hours.csv", 64, 1, 0, 0),
        ("store_status", "store_status.csv", 64, 3, 0, 0),
    ]


def test_a_failure_midway_through_a_load_leaves_the_database_as_it_was(
    spec_db: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import loop_core.ingest as ingest_module

    before = _counts(spec_db)
    path = tmp_path / "polls.csv"
    path.write_text("store_id,status,timestamp_utc\n9,active,2024-01-09 10:00:00 UTC\nx,y,z\n")

    def explode(*_: object) -> None:
        raise RuntimeError("disk full")

    # The rejects are written first, then the interval cache is made to cover the file:
    # fail there, inside the transaction, after something was written.
    monkeypatch.setattr(ingest_module.derived, "cover", explode)
    with pytest.raises(RuntimeError):
        ingest_file(spec_db, Feed.STORE_STATUS, path)
    assert _counts(spec_db) == before


def test_an_empty_status_in_an_otherwise_clean_file_is_rejected_not_loaded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Found by hypothesis: the fast CSV reader reads an empty field as NULL.
    path = tmp_path / "polls.csv"
    path.write_text("store_id,status,timestamp_utc\n1,,2024-01-08 10:14:00 UTC\n")
    summary = ingest_file(con, Feed.STORE_STATUS, path)
    assert (summary.rows_loaded, summary.rows_rejected) == (0, 1)
    assert table_rows(con, "SELECT line, reason FROM rejects") == [(2, 'unknown status ""')]


def test_a_line_that_is_not_utf8_is_rejected_with_its_line_and_the_rest_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "polls.csv"
    path.write_bytes(
        b"store_id,status,timestamp_utc\n1,active,2024-01-08 10:00:00 UTC\n"
        b"2,act\xff\xfeive,2024-01-08 10:00:00 UTC\n3,inactive,2024-01-08 11:00:00 UTC\n"
    )
    summary = ingest_file(con, Feed.STORE_STATUS, path)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 2, 1)
    assert table_rows(con, "SELECT line, reason FROM rejects") == [(3, "not valid UTF-8 text")]


def test_the_typed_fast_reader_and_the_line_by_line_reader_store_the_same_polls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mixed-format file loads through DuckDB's typed CSV reader; the same lines plus
    # one bad line go through the careful reader. Both must store exactly the same polls.
    good = (DATA / "formats" / "store_status_mixed.csv").read_text()
    with_bad = tmp_path / "store_status_with_bad.csv"
    with_bad.write_text(good.rstrip("\n") + "\n9,active,not a time\n")
    polls = "SELECT store_id, is_active, timestamp_utc FROM store_polls ORDER BY ALL"
    fast, careful = db.connect(":memory:"), db.connect(":memory:")
    careful_summary = ingest_file(careful, Feed.STORE_STATUS, with_bad)
    with monkeypatch.context() as m:  # prove the clean file never needs the careful reader
        m.setattr(ingest, "_careful_stage", lambda *a: pytest.fail("careful path taken"))
        fast_summary = ingest_file(
            fast, Feed.STORE_STATUS, DATA / "formats" / "store_status_mixed.csv"
        )
    assert (fast_summary.rows_loaded, careful_summary.rows_loaded) == (5, 5)
    assert careful_summary.rows_rejected == 1
    assert table_rows(fast, polls) == table_rows(careful, polls)
    assert len(table_rows(fast, polls)) == 5


def test_files_read_together_still_load_in_order_and_a_refused_one_stops_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad_hours = tmp_path / "menu_hours.csv"
    bad_hours.write_text("store_id,weekday,open,close\nmon,0,09:00,12:00\n")
    outcomes = ingest.ingest_each(
        con,
        [
            (Feed.TIMEZONES, DATA / "spec" / "timezones.csv"),
            (Feed.BUSINESS_HOURS, bad_hours),
            (Feed.STORE_STATUS, DATA / "spec" / "store_status.csv"),
        ],
    )
    assert [type(o).__name__ for o in outcomes] == [
        "LoadSummary", "FeedRefusedError", "LoadSummary"
    ]
    assert "missing column(s) dayOfWeek or day" in str(outcomes[1])
    # Loads are recorded in the given order, whatever order the reads finished in.
    assert table_rows(con, "SELECT feed FROM loads ORDER BY load_id") == [
        ("timezones",), ("store_status",)
    ]
    assert _counts(con) == (3, 0, 2, 0, 2)


def test_the_real_timestamp_format_reads_to_the_same_instants_as_the_zone_aware_cast(
    tmp_path: Path,
) -> None:
    # The fast path parses "YYYY-MM-DD HH:MM:SS.f UTC" by format (faster) in its one read,
    # and any other form (no fraction, Z, an offset) with a TIMESTAMPTZ cast.
    path = tmp_path / "store_status.csv"
    texts = [
        "2024-01-08 10:14:00.5 UTC",
        "2024-03-10 07:30:00.123456 UTC",
        "2024-11-03 06:00:00.000001 UTC",
        "2024-11-03 06:00:00 UTC",  # the real feeds drop a zero fraction
        "2024-01-08T10:14:00Z",
        "2024-01-08 12:14:00+02:00",
    ]
    path.write_text("store_id,status,timestamp_utc\n" + "".join(f"1,active,{t}\n" for t in texts))
    layout = ingest._LAYOUTS[Feed.STORE_STATUS]
    positions, width = ingest._header_positions(Feed.STORE_STATUS, path, path.name)
    con = db.connect(":memory:")
    try:
        read = con.execute(*ingest._native_query(layout, positions, width, path)).fetchall()
        cast = con.execute(
            "SELECT t::TIMESTAMPTZ FROM unnest(?::VARCHAR[]) AS u(t)", [texts]
        ).fetchall()
        assert [r[2] for r in read] == [c[0] for c in cast]
        assert [str(r[2]) for r in read] == [
            "2024-01-08 10:14:00.500000+00:00",
            "2024-03-10 07:30:00.123456+00:00",
            "2024-11-03 06:00:00.000001+00:00",
            "2024-11-03 06:00:00+00:00",
            "2024-01-08 10:14:00+00:00",
            "2024-01-08 10:14:00+00:00",
        ]
    finally:
        con.close()
