"""Opening database files: schema versions, all-or-nothing migrations, older files."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from loop_core import db, report
from loop_core.errors import LoopCoreError

LATEST = max(version for version, _, _ in db._migrations())


def test_a_new_file_is_created_at_the_latest_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    con = db.connect(path)
    try:
        assert db.schema_version(con) == LATEST
        versions = con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        # Every migration file, gaps in the numbering included (numbers are reserved).
        assert versions == [(v,) for v, _, _ in db._migrations()]
    finally:
        db.close(path)


def test_a_failing_migration_leaves_the_file_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    db.connect(path)
    db.close(path)
    broken = [
        *db._migrations(),
        (LATEST + 1, "901_fine.sql", "CREATE TABLE would_be_new (x INTEGER);"),
        (LATEST + 2, "902_broken.sql", "ALTER TABLE no_such_table ADD COLUMN y INTEGER;"),
    ]
    monkeypatch.setattr(db, "_migrations", lambda: broken)
    with pytest.raises(LoopCoreError, match=r"migration 902_broken\.sql failed"):
        db.connect(path)
    monkeypatch.undo()
    con = duckdb.connect(str(path))
    try:
        assert db.schema_version(con) == LATEST
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "would_be_new" not in tables
    finally:
        con.close()


def test_a_version_3_file_is_upgraded_and_reports_the_spec_example(tmp_path: Path) -> None:
    # A file as the first release wrote it: polls still carry the id text, no flags.
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone='UTC'")
    con.execute(
        "CREATE TABLE schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    for version, name, text in db._migrations()[:3]:
        con.execute(text)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    con.execute("INSERT INTO stores VALUES (1, 'mon', '2024-01-08 10:14:00+00')")
    con.execute(
        "INSERT INTO store_status VALUES "
        "('mon', 1, true, '2024-01-08 10:14:00+00', 1), "
        "('mon', 1, false, '2024-01-08 11:15:00+00', 1), "
        "('mon', 1, false, '2024-01-08 20:00:00+00', 1)"
    )
    con.execute("INSERT INTO business_hours VALUES ('mon', 0, '09:00', '12:00', 2)")
    con.execute("INSERT INTO timezones VALUES ('mon', 'UTC', 3)")
    con.close()

    con = db.connect(path)
    try:
        assert db.schema_version(con) == LATEST
        assert con.execute(
            "SELECT hour(timestamp_utc), in_hours FROM store_polls ORDER BY 1"
        ).fetchall() == [(10, True), (11, True), (20, False)]
        # SPEC example: up 09:00-10:44:30, down 10:44:30-12:00 (microseconds).
        (row,) = report.report_microseconds(con, "2024-01-08T12:00:00Z")
        assert row[0] == "mon"
        assert (row[3], row[6]) == (6_270_000_000, 4_530_000_000)
    finally:
        db.close(path)


@pytest.mark.parametrize("name", ["8_short.sql", "008-dashes.sql", "008_Capital.sql", "008.sql"])
def test_a_misnamed_migration_file_is_an_error_not_silently_skipped(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / "001_core.sql").write_text("CREATE TABLE t (x INTEGER);", encoding="utf-8")
    (tmp_path / name).write_text("CREATE TABLE u (x INTEGER);", encoding="utf-8")
    with pytest.raises(LoopCoreError, match=f"migration file '{re.escape(name)}' is misnamed"):
        db._migrations(tmp_path)


def test_two_migrations_with_one_number_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "001_core.sql").write_text("SELECT 1;", encoding="utf-8")
    (tmp_path / "001_again.sql").write_text("SELECT 2;", encoding="utf-8")
    with pytest.raises(LoopCoreError, match="share a number"):
        db._migrations(tmp_path)


def test_files_that_are_not_sql_are_not_migrations(tmp_path: Path) -> None:
    (tmp_path / "001_core.sql").write_text("SELECT 1;", encoding="utf-8")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    assert [name for _, name, _ in db._migrations(tmp_path)] == ["001_core.sql"]


def test_asking_the_schema_version_of_an_empty_file_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "untouched.duckdb"
    con = duckdb.connect(str(path))
    try:
        assert db.schema_version(con) == 0
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
    finally:
        con.close()
