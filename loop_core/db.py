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
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb

from loop_core import archive, derived
from loop_core.config import DEFAULT_MEMORY_LIMIT
from loop_core.errors import ConfigError, DatabaseLockedError, LoopCoreError
from loop_core.jobs import recover as recover_reports
from loop_core.sqlfiles import load_sql
from loop_core.transaction import transaction

MEMORY = ":memory:"

_registry: dict[str, duckdb.DuckDBPyConnection] = {}
_registry_lock = threading.Lock()


def connect(
    path: str | os.PathLike[str], *, memory_limit: str = DEFAULT_MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """Return this process's connection to ``path`` (opening and migrating it once).

    ``:memory:`` always opens a fresh private database (tests use it). ``memory_limit``
    (``Settings.memory_limit``) caps DuckDB's memory when the file is first opened.
    """
    key = str(path)
    if key == MEMORY:
        return _open(key, memory_limit)
    key = str(Path(key).resolve())
    with _registry_lock:
        con = _registry.get(key)
        if con is None:
            con = _open(key, memory_limit)
            _registry[key] = con
        return con


def close(path: str | os.PathLike[str]) -> None:
    """Close and forget this process's connection to ``path`` (tests and the CLI use it)."""
    key = str(Path(path).resolve())
    with _registry_lock:
        con = _registry.pop(key, None)
    if con is not None:
        con.close()


def _open(path: str, memory_limit: str) -> duckdb.DuckDBPyConnection:
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
    try:
        con.execute("SET memory_limit = ?", [memory_limit])
    except duckdb.Error as e:
        con.close()
        raise ConfigError(f"LOOP_MEMORY_LIMIT: DuckDB refuses {memory_limit!r}: {e}") from e
    migrate(con)
    install_macros(con)
    # Fills what a migration added and redoes it all after a change of zone rules.
    derived.ensure_current(con)
    # A process that died mid-report left rows Running that nothing will finish (and maybe
    # a file); an earlier version left CSVs in the database.
    recover_reports(con)
    # A compaction that died before its transaction left archive files nothing lists.
    archive.recover(con)
    return con


_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def _migrations(folder: Traversable | None = None) -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration file, in order (``folder``: tests)."""
    folder = folder or resources.files("loop_core").joinpath("sql", "migrations")
    found = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            # Skipping it would leave every database one step behind without a word.
            raise LoopCoreError(
                f"migration file {entry.name!r} is misnamed: use NNN_lowercase_words.sql"
            )
        found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise LoopCoreError(f"two migration files share a number: {sorted(versions)}")
    return sorted(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0 for an empty file); reads only."""
    with con.cursor() as cur:
        exists = cur.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE table_name = 'schema_migrations' AND schema_name = 'main' AND NOT temporary"
        ).fetchone()
        if not (exists and exists[0]):
            return 0
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
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            for version, name, text in pending:
                try:
                    cur.execute(text)
                except duckdb.Error as e:
                    raise LoopCoreError(f"migration {name} failed: {e}") from e
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    return pending[-1][0]
