"""Opening the DuckDB file: one connection per process, schema migrations, crash recovery.

DuckDB 2.0 allows one writing process per file and fails when threads share a
connection, so :func:`connect` hands out one root connection per path and per process;
every public engine function takes that root connection and works on its own
``con.cursor()``, which makes it safe to call from any thread.
"""

from __future__ import annotations

import os
import re
import threading
from importlib import resources
from pathlib import Path

import duckdb

from loop_core import derived
from loop_core.errors import DatabaseLockedError, LoopCoreError
from loop_core.jobs import fail_orphaned_reports
from loop_core.sqlfiles import load_sql
from loop_core.transaction import transaction

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "loop.duckdb"
MEMORY = ":memory:"
DEFAULT_MEMORY_LIMIT = "1500MB"

_registry: dict[str, duckdb.DuckDBPyConnection] = {}
_registry_lock = threading.Lock()


def default_db_path() -> str:
    """The database to use when none is given: ``$LOOP_DB``, else ``data/loop.duckdb``."""
    return os.environ.get("LOOP_DB") or str(DEFAULT_DB_PATH)


def connect(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """Return this process's connection to ``path`` (opening and migrating it once).

    ``:memory:`` always opens a fresh private database (tests use it).
    """
    key = str(path) if path is not None else default_db_path()
    if key == MEMORY:
        return _open(key)
    key = str(Path(key).resolve())
    with _registry_lock:
        con = _registry.get(key)
        if con is None:
            con = _open(key)
            _registry[key] = con
        return con


def close(path: str | os.PathLike[str] | None = None) -> None:
    """Close and forget this process's connection to ``path`` (tests and the CLI use it)."""
    key = str(Path(str(path) if path is not None else default_db_path()).resolve())
    with _registry_lock:
        con = _registry.pop(key, None)
    if con is not None:
        con.close()


def _open(path: str) -> duckdb.DuckDBPyConnection:
    if path != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise DatabaseLockedError(
                f"{path} is in use by another process (probably the running dashboard); "
                "stop it, or use the dashboard's own buttons for this"
            ) from e
        raise LoopCoreError(f"cannot open database {path}: {e}") from e
    con.execute("SET TimeZone='UTC'")
    # Every query that needs an order says ORDER BY; not preserving the scan order lets
    # DuckDB load and materialise in parallel (docs/PERFORMANCE.md).
    con.execute("SET preserve_insertion_order = false")
    # DuckDB takes up to 80% of RAM by default; a bounded pool keeps the dashboard's process
    # small and was even faster (docs/PERFORMANCE.md).
    con.execute("SET memory_limit = ?", [os.environ.get("LOOP_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)])
    migrate(con)
    install_macros(con)
    # Fills what a migration added and redoes it all after a change of zone rules.
    derived.ensure_current(con)
    # A process that died mid-report left rows Running that nothing will finish.
    fail_orphaned_reports(con)
    return con


_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("loop_core").joinpath("sql", "migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0 for an empty file)."""
    with con.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def _iana_zone_names() -> list[str]:
    # The list shipped with the pinned tzdata package: the same on every machine, and one
    # file read instead of zoneinfo.available_timezones() walking the system's zone files.
    return resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the SQL macros shared by the report and the timeline (code, not data),
    unless this very code and zone list are installed already."""
    text = load_sql("rules/macros")
    # The rules version names exactly what is installed: rules/macros.sql (by digest), the
    # tzdata zone list and DuckDB's zones.
    fingerprint = derived.rules_version()
    with con.cursor() as cur:
        row = cur.execute("SELECT any_value(fingerprint) FROM installed_code").fetchone()
        if row and row[0] == fingerprint:
            return
        with transaction(cur):
            # A zone is valid when it is an IANA name (SPEC) that DuckDB can convert with:
            # pg_timezone_names() alone also lists old ICU aliases such as IST or PST.
            cur.execute(
                "CREATE OR REPLACE TABLE known_zones AS "
                "SELECT name FROM pg_timezone_names() WHERE list_contains(?::VARCHAR[], name)",
                [_iana_zone_names()],
            )
            cur.execute(text)
            cur.execute("DELETE FROM installed_code")
            cur.execute("INSERT INTO installed_code VALUES (?)", [fingerprint])


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration in ``sql/migrations`` newer than the database; return the version.

    All pending migrations run in one transaction: a failure leaves the file as it was.
    """
    current = schema_version(con)
    pending = [m for m in _migrations() if m[0] > current]
    if not pending:
        return current
    with con.cursor() as cur:
        cur.execute("SET TimeZone='UTC'")
        with transaction(cur):
            for version, name, text in pending:
                try:
                    cur.execute(text)
                except duckdb.Error as e:
                    raise LoopCoreError(f"migration {name} failed: {e}") from e
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    return pending[-1][0]
