"""Fixtures: tiny real DuckDB databases built from tiny CSVs in tests/data/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from loop_core import bootstrap, db
from loop_core.ingest import ingest_files

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "loop-real"

POLLS_HEADER = "store_id,status,timestamp_utc"
HOURS_HEADER = "store_id,dayOfWeek,start_time_local,end_time_local"
ZONES_HEADER = "store_id,timezone_str"
SPECIAL_HEADER = "store_id,date,start_time_local,end_time_local"



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests first. They are the longest (the layout test alone takes two minutes):
    started first they run beside the short tests, instead of one worker finishing them
    alone at the end while the others are idle."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)

@pytest.fixture(autouse=True)
def only_the_settings_a_test_sets(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads a developer's ``.streamlit/secrets.toml`` or ``LOOP_*`` variables:
    an empty secrets file, and only the variables a test sets itself."""
    for name in list(os.environ):
        if name.startswith("LOOP_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.getbasetemp() / "no-secrets.toml"
    if not empty.exists():
        empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("LOOP_SECRETS", str(empty))
    # The demo feed would append this hour's polls to a test's sample behind its back.
    monkeypatch.setenv("LOOP_DEMO_FEED", "0")
    # The weekly digest would reach a test's alert channels on a Monday morning.
    monkeypatch.setenv("LOOP_DIGEST_ENABLED", "0")


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh, migrated in-memory database."""
    connection = db.connect(":memory:")
    yield connection
    connection.close()


def load_spec_example(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Load the SPEC example (open 09:00-12:00 Monday, polls 10:14 active, 11:15 inactive)."""
    ingest_files(
        con,
        store_status=DATA / "spec" / "store_status.csv",
        business_hours=DATA / "spec" / "menu_hours.csv",
        timezones=DATA / "spec" / "timezones.csv",
    )
    return con


@pytest.fixture
def spec_db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The SPEC example in a fresh in-memory database."""
    return load_spec_example(con)


Loader = Callable[..., duckdb.DuckDBPyConnection]


@pytest.fixture
def load(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Loader:
    """Write tiny feeds (lists of CSV lines without header) and load them into ``con``."""

    def _load(
        polls: list[str] | None = None,
        hours: list[str] | None = None,
        zones: list[str] | None = None,
        special: list[str] | None = None,
    ) -> duckdb.DuckDBPyConnection:
        files: dict[str, Path] = {}
        for key, header, rows in (
            ("store_status", POLLS_HEADER, polls),
            ("business_hours", HOURS_HEADER, hours),
            ("timezones", ZONES_HEADER, zones),
            ("special_hours", SPECIAL_HEADER, special),
        ):
            if rows is not None:
                path = tmp_path / f"{key}.csv"
                path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
                files[key] = path
        ingest_files(con, **files)  # type: ignore[arg-type]
        return con

    return _load


def table_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    """All rows of a query, for exact assertions."""
    return con.execute(sql).fetchall()


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the first-start sample, built once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "sample.duckdb"
    con = db.connect(path)
    assert bootstrap.ensure_sample_data(con) is not None
    db.close(path)
    return path


@pytest.fixture
def sample_db(
    sample_db_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A copy of the sample database, and the app pointed at it (``LOOP_DB``)."""
    path = tmp_path / "loop.duckdb"
    shutil.copy(sample_db_template, path)
    monkeypatch.setenv("LOOP_DB", str(path))
    yield path
