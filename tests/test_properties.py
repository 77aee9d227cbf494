"""Invariants of ingestion, checked on random inputs with hypothesis."""

from __future__ import annotations

from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_core import db
from loop_core.errors import FeedRefusedError
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from tests.depth import examples

TABLES = ("store_status", "business_hours", "timezones", "rejects", "loads", "stores")

poll_line = st.tuples(
    st.sampled_from(["1", "22", "8419537941919820732", "b5d0a65d-6d54", "", " 7 "]),
    st.sampled_from(["active", "inactive", "Active ", "INACTIVE", "gone", ""]),
    st.sampled_from([
        "2024-01-08 10:14:00.123456 UTC", "2024-01-08T10:14:00Z", "2024-01-08 10:14:00+00:00",
        "2024-01-08 11:00:00 UTC", "2024-01-09 00:00:00.5 UTC", "soon", "",
    ]),
).map(lambda t: ",".join(t))
poll_lines = st.lists(
    st.one_of(poll_line, st.sampled_from(["", "a,b", "x,active,y,z"])), max_size=25
)


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}  # type: ignore[misc]


def _write(folder: Path, name: str, header: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *lines]), encoding="utf-8")
    return path


@settings(
    max_examples=examples(20), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=poll_lines, second=poll_lines)
def test_loading_a_file_twice_changes_nothing(
    tmp_path: Path, first: list[str], second: list[str]
) -> None:
    con = db.connect(":memory:")
    ingest_file(
        con, Feed.STORE_STATUS, _write(tmp_path, "a.csv", "store_id,status,timestamp_utc", first)
    )
    path = _write(tmp_path, "b.csv", "store_id,status,timestamp_utc", second)
    ingest_file(con, Feed.STORE_STATUS, path)
    before = _snapshot(con)
    assert ingest_file(con, Feed.STORE_STATUS, path).unchanged
    assert _snapshot(con) == before
    # Every line read is accounted for: loaded, duplicate or rejected, never lost.
    for read, loaded, dup, rejected in con.execute(
        "SELECT rows_read, rows_loaded, rows_duplicate, rows_rejected FROM loads"
    ).fetchall():
        assert read == loaded + dup + rejected
    con.close()


@settings(
    max_examples=examples(15), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=poll_lines,
    header=st.sampled_from(["store,status,timestamp_utc", "store_id,state", "", "id"]),
)
def test_a_refused_file_changes_nothing(tmp_path: Path, lines: list[str], header: str) -> None:
    con = db.connect(":memory:")
    ingest_file(
        con, Feed.STORE_STATUS, _write(tmp_path, "ok.csv", "store_id,status,timestamp_utc", lines)
    )
    before = _snapshot(con)
    try:
        ingest_file(con, Feed.STORE_STATUS, _write(tmp_path, "bad.csv", header, lines))
    except FeedRefusedError:
        pass
    else:
        raise AssertionError("a file without the required columns must be refused")
    assert _snapshot(con) == before
    con.close()
