"""``python -m loop_core sync``: one headless sync, for when the dashboard is not running.

The running dashboard holds the database's write lock and syncs on its own schedule (use
its "Sync now" button); this command then says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from loop_core import config, db
from loop_core.errors import DatabaseLockedError, LoopCoreError
from loop_core.exit_codes import EXIT_ERROR, EXIT_FILES_FAILED, EXIT_OK

if TYPE_CHECKING:
    from loop_core.sources import Source


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
        help="the secrets file with [drive]/[folder]/[sync] "
        f"(default: $LOOP_SECRETS or {config.DEFAULT_SECRETS})",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run one sync as ``args`` ask; print the outcome and return the exit status."""
    try:
        settings = config.load(secrets_path=args.secrets)
        source = _source(args, settings)
    except (LoopCoreError, OSError) as e:
        print(f"sync: {e}", file=sys.stderr)
        return EXIT_ERROR
    db_path = args.db or settings.db_path
    try:
        con = db.connect(db_path, memory_limit=settings.memory_limit)
    except DatabaseLockedError:
        print(
            f"sync: the database {db_path} is locked by another process, probably the running "
            "dashboard, which syncs on its own: use its Data page (Sync now), or stop it and "
            "run this again",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except LoopCoreError as e:
        print(f"sync: {e}", file=sys.stderr)
        return EXIT_ERROR
    from loop_core.sync import SyncOutcome, sync_once

    try:
        result = sync_once(con, source, triggered_by="cli")
    finally:
        db.close(db_path)
    print(result.describe())
    if result.outcome is SyncOutcome.OK:
        return EXIT_OK
    return EXIT_FILES_FAILED if result.files else EXIT_ERROR


def _source(args: argparse.Namespace, settings: config.Settings) -> Source:
    # Imported here: the Google client takes ~0.6 s to import, and every other
    # `python -m loop_core` command registers this subcommand.
    from loop_core.drive import make_source
    from loop_core.sources import FolderSource

    if args.folder:
        return FolderSource(args.folder)
    return make_source(settings.sync)
