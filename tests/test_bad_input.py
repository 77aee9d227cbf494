"""SPEC "Bad input": one bad byte or value costs one record, never the file, the disk or
the snapshot. Each defect of issue #10 reproduced as a test, on a real DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loop_core.errors import FeedRefusedError
from loop_core.ingest import ingest_file
from loop_core.models import Feed, LoadSummary

HEADER = b"store_id,status,timestamp_utc\n"
GOOD = b"1001,active,2024-10-14 10:00:00.000000 UTC\n"


def load_polls(con: duckdb.DuckDBPyConnection, tmp_path: Path, body: bytes) -> LoadSummary:
    path = tmp_path / "store_status.csv"
    path.write_bytes(HEADER + body)
    summary = ingest_file(con, Feed.STORE_STATUS, path)
    # Every record is counted exactly once: loaded, duplicate or rejected.
    assert summary.rows_read == summary.rows_loaded + summary.rows_duplicate \
        + summary.rows_rejected
    return summary


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str]]:
    return [(int(r[0]), str(r[1]), str(r[2])) for r in con.execute(
        "SELECT line, raw, reason FROM rejects ORDER BY line").fetchall()]


def stored(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [str(r[0]) for r in con.execute(
        "SELECT store_id FROM store_polls ORDER BY timestamp_utc, store_id").fetchall()]


@pytest.mark.parametrize("stamp", [
    "0001-01-01 00:00:00.000000 UTC", "1999-12-31 23:59:59 UTC", "9999-12-31 00:00:00 UTC",
])
def test_a_poll_outside_the_plausible_range_is_a_bad_row_not_a_new_now(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, stamp: str
) -> None:
    summary = load_polls(con, tmp_path, GOOD + f"ts1,active,{stamp}\n".encode())
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 1)
    ((line, _, reason),) = rejects(con)
    assert line == 3 and "outside the plausible range" in reason
    latest = con.execute("SELECT max(timestamp_utc) FROM store_status").fetchone()
    assert latest == (datetime(2024, 10, 14, 10, tzinfo=UTC),)


def test_the_plausible_range_runs_from_2000_to_a_day_after_the_load(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    soon = datetime.now(UTC) + timedelta(hours=23)
    late = datetime.now(UTC) + timedelta(hours=25)
    body = (b"a,active,2000-01-01 00:00:00 UTC\n"
            + f"b,active,{soon:%Y-%m-%d %H:%M:%S} UTC\n".encode()
            + f"c,active,{late:%Y-%m-%d %H:%M:%S} UTC\n".encode())
    summary = load_polls(con, tmp_path, body)
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 1)
    assert stored(con) == ["a", "b"]


def test_a_stray_carriage_return_costs_its_line_and_the_rest_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = b"".join(f"s{i},active,2024-10-14 10:00:00 UTC\n".encode() for i in range(1000))
    summary = load_polls(con, tmp_path, good + b"abc\rdef,active,2024-10-14 10:00:00 UTC\n")
    assert (summary.rows_loaded, summary.rows_rejected) == (1000, 1)
    ((line, _, reason),) = rejects(con)
    assert line == 1002 and "carriage return" in reason
    assert "def" not in stored(con)


def test_quoted_fields_keep_their_commas_and_line_breaks_when_another_row_is_bad(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = (b'"q,comma2",active,2024-10-14 10:00:00 UTC\n'
            b'"two\nlines",active,2024-10-14 10:01:00 UTC\n'
            b'"say ""hi""",inactive,2024-10-14 10:02:00 UTC\n'
            b"bad,maybe,2024-10-14 10:03:00 UTC\n"
            b"after,active,2024-10-14 10:04:00 UTC\n")
    summary = load_polls(con, tmp_path, body)
    assert (summary.rows_loaded, summary.rows_rejected) == (4, 1)
    assert stored(con) == ["q,comma2", "two\nlines", 'say "hi"', "after"]
    # The bad record's line counts the quoted line break: it starts on line 6.
    assert rejects(con) == [(6, "bad,maybe,2024-10-14 10:03:00 UTC", 'unknown status "maybe"')]


def test_an_unterminated_quote_costs_only_the_line_it_opens_on(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = (b'"open,active,2024-10-14 10:00:00 UTC\n'
            b"next,active,2024-10-14 10:01:00 UTC\n")
    summary = load_polls(con, tmp_path, body)
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 1)
    assert stored(con) == ["next"]
    assert rejects(con)[0][0] == 2 and "never closed" in rejects(con)[0][2]


@pytest.mark.parametrize(("row", "found"), [
    (b"1002,active,2024-10-14 10:00:00 UTC,extra\n", 4),
    (b"1002,active\n", 2),
])
def test_a_row_with_more_or_fewer_fields_than_the_header_is_a_bad_row(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, row: bytes, found: int
) -> None:
    summary = load_polls(con, tmp_path, GOOD + row)
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 1)
    assert rejects(con)[0][2] == f"expected 3 fields, found {found}"


@pytest.mark.parametrize(("row", "reason"), [
    (b"nu\x00l,active,2024-10-14 10:00:00 UTC\n", "NUL"),
    (b"bad\xff,active,2024-10-14 10:00:00 UTC\n", "not valid UTF-8"),
    (b"x" * 129 + b",active,2024-10-14 10:00:00 UTC\n", "longer than 128"),
])
def test_a_stray_byte_or_an_over_long_id_spoils_only_its_own_line(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, row: bytes, reason: str
) -> None:
    summary = load_polls(con, tmp_path, GOOD + row + b"1003,inactive,2024-10-14 11:00:00 UTC\n")
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 1)
    assert stored(con) == ["1001", "1003"]
    ((line, _, why),) = rejects(con)
    assert line == 3 and reason in why


def test_a_line_with_a_unit_separator_byte_is_counted_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    summary = load_polls(con, tmp_path, GOOD + b"a\x1fb,active,2024-10-14 10:00:00 UTC\n")
    assert summary.rows_read == 2


def test_blanks_around_the_status_may_be_tabs(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    summary = load_polls(con, tmp_path, b"1001,active\t,2024-10-14 10:00:00 UTC\n"
                                       b"\t1002 ,\tINACTIVE ,2024-10-14 10:00:00 UTC\n")
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 0)
    assert stored(con) == ["1001", "1002"]


def test_a_utf16_file_is_refused_with_a_hint_about_the_encoding(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "store_status.csv"
    path.write_bytes((HEADER + GOOD).decode().encode("utf-16"))
    with pytest.raises(FeedRefusedError, match=r"UTF-16.*CSV UTF-8"):
        ingest_file(con, Feed.STORE_STATUS, path)
    assert con.execute("SELECT count(*) FROM loads").fetchone() == (0,)
