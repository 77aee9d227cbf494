"""``python -m loop_core sync``: one headless sync, for when the dashboard is not running.

The running dashboard holds the database's write lock and syncs on its own schedule (use
its "Sync now" button); this command then says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loop_core import db
from loop_core.errors import DatabaseLockedError, LoopCoreError

if TYPE_CHECKING:
    from loop_core.sources import Source

DEFAULT_SECRETS = db.PROJECT_ROOT / ".streamlit" / "secrets.toml"

EXIT_OK = 0
EXIT_FILES_FAILED = 1
EXIT_UNUSABLE = 2


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add the ``sync`` sub-command; its handler is ``args.func`` (= :func:`run`)."""
    parser = subparsers.add_parser(
        "sync",
        help="sync the feeds once from Google Drive or a folder",
        description=(
            "Download the feeds that changed since the last successful sync and load them. "
            "Exit status: 0 all good, 1 some file failed, 2 nothing could be done "
            "(no source configured, database in use by the running dashboard)."
        ),
    )
    parser.add_argument("--db", help="the DuckDB file (default: $LOOP_DB or data/loop.duckdb)")
    parser.add_argument(
        "--folder", help="sync from this folder instead of the configured source"
    )
    parser.add_argument(
        "--secrets",
        help=f"the secrets file with [drive]/[folder]/[sync] (default: {DEFAULT_SECRETS})",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run one sync as ``args`` ask; print the outcome and return the exit status."""
    try:
        source = _source(args)
    except (LoopCoreError, OSError, tomllib.TOMLDecodeError) as e:
        print(f"sync: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    db_path = args.db or db.default_db_path()
    try:
        con = db.connect(db_path)
    except DatabaseLockedError:
        print(
            f"sync: the database {db_path} is locked by another process, probably the running "
            "dashboard, which syncs on its own: use its Data page (Sync now), or stop it and "
            "run this again",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    except LoopCoreError as e:
        print(f"sync: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    from loop_core.sync import SyncOutcome, sync_once

    try:
        result = sync_once(con, source, triggered_by="cli")
    finally:
        db.close(db_path)
    print(result.describe())
    if result.outcome is SyncOutcome.OK:
        return EXIT_OK
    return EXIT_FILES_FAILED if result.files else EXIT_UNUSABLE


def _source(args: argparse.Namespace) -> Source:
    # Imported here: the Google client takes ~0.6 s to import, and every other
    # `python -m loop_core` command registers this subcommand.
    from loop_core.drive import load_sync_config, make_source
    from loop_core.sources import FolderSource

    if args.folder:
        return FolderSource(args.folder)
    secrets_path = Path(args.secrets) if args.secrets else DEFAULT_SECRETS
    secrets = _read_secrets(secrets_path, required=bool(args.secrets))
    # Relative paths in .streamlit/secrets.toml mean what they mean to the app, which runs
    # from the folder holding .streamlit/; in any other secrets file, from that file's folder.
    folder = secrets_path.resolve().parent
    base_dir = folder.parent if folder.name == ".streamlit" else folder
    return make_source(load_sync_config(secrets, os.environ, base_dir=base_dir))


def _read_secrets(path: Path, *, required: bool) -> dict[str, Any]:
    if not required and not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as e:
        raise LoopCoreError(f"no secrets file at {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise LoopCoreError(f"{path} is not valid TOML: {e}") from e
