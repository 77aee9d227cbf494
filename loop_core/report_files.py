"""The files of completed reports: ``<id>.csv``, its gzip twin ``<id>.csv.gz`` and its
extended twin ``<id>.extended.csv`` (the standard columns, then the store context).

They live in ``reports/`` beside the database file (``data/reports/`` for
``data/loop.duckdb``). Each file is written under a partial name, flushed to disk and
renamed: a rename is atomic, so nobody ever sees half a file under a final name. The twin
is written once with the CSV, so that the many HTTP clients that accept gzip (browsers,
httpx, requests) are served without compressing anything per request. Which reports
have files, and when they go, is :mod:`loop_core.jobs`' business; this module only
touches the folder.
"""

from __future__ import annotations

import atexit
import gzip
import os
import re
import shutil
import tempfile
import threading
from hashlib import sha256
from pathlib import Path

FOLDER = "reports"
_CSV, _GZIP, _EXTENDED, PARTIAL = ".csv", ".csv.gz", ".extended.csv", ".partial"
# Every file a report may have, longest suffix first (a name is matched by its suffix).
_SUFFIXES = (_EXTENDED + PARTIAL, _GZIP + PARTIAL, _CSV + PARTIAL, _EXTENDED, _GZIP, _CSV)
# Written once per report, so a better ratio than a per-request compressor would pick:
# 0.75 MB of CSV becomes 0.25 MB in about 0.1 s.
_GZIP_LEVEL = 6
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

_memory_dir: Path | None = None
_memory_lock = threading.Lock()


def folder_for(database_path: str | None) -> Path:
    """The reports folder of the database file at ``database_path``; for an in-memory
    database (None), a temporary folder of this process, removed when it exits."""
    if database_path:
        return Path(database_path).resolve().parent / FOLDER
    global _memory_dir
    with _memory_lock:
        if _memory_dir is None:
            _memory_dir = Path(tempfile.mkdtemp(prefix="loop-reports-"))
            atexit.register(shutil.rmtree, _memory_dir, ignore_errors=True)
        return _memory_dir


def _file_name(report_id: str) -> str:
    # Ids made by jobs are URL-safe tokens; any other id (a hand-made row) gets a digest,
    # so a name can never leave the folder.
    if _SAFE_ID.match(report_id):
        return report_id
    return "id-" + sha256(report_id.encode()).hexdigest()


def csv_file(
    folder: Path, report_id: str, *, compressed: bool = False, extended: bool = False
) -> Path:
    """The path of report ``report_id``'s CSV in ``folder`` (whether or not it exists);
    ``compressed``: of its gzip twin; ``extended``: of its extended twin."""
    suffix = _EXTENDED if extended else _GZIP if compressed else _CSV
    return folder / (_file_name(report_id) + suffix)


def write(folder: Path, report_id: str, data: bytes) -> int:
    """Write ``data`` as the report's CSV and its gzip twin, the plain CSV (which says the
    report's files are in place) last, each whole or not at all. Returns its size."""
    folder.mkdir(parents=True, exist_ok=True)
    compressed = gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)
    _write_whole(compressed, csv_file(folder, report_id, compressed=True))
    _write_whole(data, csv_file(folder, report_id))
    _sync_folder(folder)
    return len(data)


def write_extended(folder: Path, report_id: str, data: bytes) -> None:
    """Write ``data`` as the report's extended twin, whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_whole(data, csv_file(folder, report_id, extended=True))
    _sync_folder(folder)


def _write_whole(content: bytes, final: Path) -> None:
    partial = final.with_name(final.name + PARTIAL)
    with partial.open("wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, final)


def _sync_folder(folder: Path) -> None:
    # The renames themselves reach the disk before the caller records the report Complete.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove(folder: Path, report_ids: list[str]) -> None:
    """Remove every file of these reports, partial ones included (missing ones are fine)."""
    for report_id in report_ids:
        name = _file_name(report_id)
        for suffix in _SUFFIXES:
            (folder / (name + suffix)).unlink(missing_ok=True)


def present(folder: Path) -> dict[str, list[Path]]:
    """The report files in ``folder``, by the report id their name starts with (a name
    made from a digest matches no report id)."""
    found: dict[str, list[Path]] = {}
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        for suffix in _SUFFIXES:
            if path.name.endswith(suffix):
                found.setdefault(path.name[: -len(suffix)], []).append(path)
                break
    return found
