"""Deterministic synthetic feeds in the real Loop schemas, for demos, tests and load tests.

:func:`write_sample` writes ``store_status.csv``, ``menu_hours.csv`` and ``timezones.csv``
the way the real feeds look (see ``shared/data/loop-real``), including their quirks, so
that the engine is exercised on the same awkward data it will meet in production:

- ids: ``numeric`` mirrors the v1 feed (int64 ids of up to 19 digits, a ``day`` column,
  no final newline on the status file); ``uuid`` mirrors v2 (UUID ids, a ``dayOfWeek``
  column, no final newline on the business-hours and timezones files);
- business hours: ~7% of stores without rows (24x7), some open on some weekdays only,
  split shifts of up to four intervals a day, overnight shifts pre-split into
  ``18:00:00-23:59:00`` plus ``00:00:00-02:00:00`` next day, ``23:59:00``/``23:59:59`` ends,
  and ~1.5% of stores that are polled only outside their business hours;
- timezones: real IANA zones (US, Europe, Australia, India, Lebanon: DST on both
  hemispheres, half-hour offsets), ~2% of stores missing, ~1% invalid names;
- polls: about hourly with minutes of jitter, ~2.5% lost plus multi-hour gaps, outages
  lasting hours, ~95% active overall, a few stores that are never active; timestamps
  like ``2023-01-22 12:09:39.388884 UTC``, trailing zeros of the fraction dropped as
  in the real export.

Everything is computed by DuckDB from hashes of ``(seed, store, ...)`` rather than from
a random generator, so the same arguments give byte-identical files whatever the number
of threads (the files depend on the DuckDB version, which requirements.txt pins), and
140,000 stores over 8 days (~26M polls, 1.5 GB) take well under a minute on two cores.
The SQL lives in ``loop_core/sql/sample/*.sql``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import duckdb

from loop_core.models import Feed
from loop_core.sqlfiles import load_sql, quote_identifier
from loop_core.timeutil import as_utc, epoch_us

IdStyle = Literal["numeric", "uuid"]

# A fixed default "now" so that two runs without ``end`` agree byte for byte.
DEFAULT_END = datetime(2024, 10, 14, 12, 0, 0, tzinfo=UTC)

FILE_NAMES: dict[Feed, str] = {
    Feed.STORE_STATUS: "store_status.csv",
    Feed.BUSINESS_HOURS: "menu_hours.csv",
    Feed.TIMEZONES: "timezones.csv",
}
SPECIAL_FILE_NAME = "special_hours.csv"  # only with special_share (the benchmark's case)

# The business-hours day column is named differently in the two real feed versions.
_DAY_COLUMN: dict[IdStyle, str] = {"numeric": "day", "uuid": "dayOfWeek"}

# Which files lack a final newline in each real version (v1: the status file; v2: the
# business-hours and timezones files), reproduced because parsers must cope with it.
_NO_FINAL_NEWLINE: dict[IdStyle, tuple[Feed, ...]] = {
    "numeric": (Feed.STORE_STATUS,),
    "uuid": (Feed.BUSINESS_HOURS, Feed.TIMEZONES),
}


def write_sample(
    out_dir: Path | str,
    stores: int = 200,
    days: int = 8,
    seed: int = 0,
    end: datetime | None = None,
    id_style: IdStyle = "numeric",
    special_share: float = 0.0,
) -> dict[Feed, Path]:
    """Write the three feeds for ``stores`` stores polled over ``days`` days before ``end``.

    Polls fall in ``[end - days, end)``; ``end`` defaults to :data:`DEFAULT_END` and a
    naive ``end`` is read as UTC. ``out_dir`` is created if needed and existing files of
    the same names are replaced. Returns the path written for each feed. With a
    ``special_share`` above 0, that share of the stores also gets three special dates in
    the week before ``end`` (``special_hours.csv``, see :func:`write_special_hours`).
    """
    if stores < 1:
        raise ValueError(f"stores must be at least 1, got {stores}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if id_style not in _DAY_COLUMN:
        raise ValueError(f"id_style must be 'numeric' or 'uuid', got {id_style!r}")
    # hash() takes the seed as a BIGINT; refuse what would not fit rather than wrap.
    if not -(2**63) <= seed < 2**63:
        raise ValueError(f"seed must fit in 64 bits, got {seed}")

    end_utc = DEFAULT_END if end is None else as_utc(end)
    start_us = epoch_us(end_utc - timedelta(days=days))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {feed: out / name for feed, name in FILE_NAMES.items()}

    common: dict[str, object] = {"seed": seed, "stores": stores, "uuid_style": id_style == "uuid"}
    con = duckdb.connect()
    try:
        # Timestamps are formatted from plain UTC values, and the only zone conversion
        # (for the stores polled outside their hours) must start from UTC instants.
        con.execute("SET TimeZone = 'UTC'")
        con.execute(load_sql("sample/macros"))
        con.execute(load_sql("sample/slots"), {"n": stores * days * 24})
        _copy(
            con,
            load_sql("sample/store_status"),
            {**common, "start_us": start_us},
            paths[Feed.STORE_STATUS],
        )
        hours_sql = load_sql("sample/business_hours").replace(
            "{day_column}", quote_identifier(_DAY_COLUMN[id_style])
        )
        _copy(con, hours_sql, common, paths[Feed.BUSINESS_HOURS])
        _copy(con, load_sql("sample/timezones"), common, paths[Feed.TIMEZONES])
    finally:
        con.close()

    for feed in _NO_FINAL_NEWLINE[id_style]:
        _drop_final_newline(paths[feed])
    if special_share > 0:
        paths[Feed.SPECIAL_HOURS] = write_special_hours(
            out / SPECIAL_FILE_NAME, stores, special_share, seed=seed, end=end_utc,
            id_style=id_style)
    return paths


def write_special_hours(
    path: Path | str,
    stores: int,
    share: float,
    *,
    seed: int = 0,
    end: datetime | None = None,
    id_style: IdStyle = "numeric",
) -> Path:
    """Write a special-hours feed for the stores of :func:`write_sample` (same ``stores``,
    ``seed`` and ``id_style``): ``share`` of them get a closed day, a shortened day and an
    overnight evening among the seven dates before ``end``'s date."""
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    end_utc = DEFAULT_END if end is None else as_utc(end)
    con = duckdb.connect()
    try:
        con.execute(load_sql("sample/macros"))
        _copy(con, load_sql("sample/special_hours"),
              {"seed": seed, "stores": stores, "uuid_style": id_style == "uuid",
               "share": share, "end_date": end_utc.date()}, Path(path))
    finally:
        con.close()
    return Path(path)


def _copy(
    con: duckdb.DuckDBPyConnection, query: str, params: dict[str, object], path: Path
) -> None:
    """Write ``query``'s rows to ``path`` as a headed, comma-separated CSV.

    The output path is bound as a parameter like every other value (DuckDB accepts one
    for COPY's target), so no path ever has to be quoted into SQL text.
    """
    # Newlines around the query so that a trailing "--" comment cannot swallow the ")".
    statement = f"COPY (\n{query}\n) TO $out_path (FORMAT CSV, HEADER, DELIMITER ',')"
    con.execute(statement, {**params, "out_path": str(path)})


def _drop_final_newline(path: Path) -> None:
    """Cut the trailing newline off ``path`` in place (cheap even for a 1.5 GB file)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(size - 1, 0))
        last = f.read(1)
    if last == b"\n":
        os.truncate(path, size - 1)
