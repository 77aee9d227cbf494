"""The audit log: who did what, and when, kept in DuckDB (table ``audit_log``).

Every way of changing the data or acting on it writes one entry: loads (``ingest`` writes
them inside the load's own transaction, so a load and its entry land together or not at
all), confirmed snapshot replacements, reports triggered (dashboard and API), test alerts,
manual syncs, compactions and the settings in force when the server starts.

:func:`record` is the hook for any other part of the engine; inside a transaction,
:func:`record_in` on its cursor (``compaction.compact`` does so in the transaction that
moves the polls)::

    audit.record_in(cur, actor, audit.Action.COMPACTION, details={"polls_moved": moved})

``actor`` says who: a signed-in email, :func:`token_actor` for an API token, or one of
:data:`CLI`, :data:`SYNC`, :data:`SERVER`, :data:`LOCAL`, :data:`API`. ``details`` must
never hold a secret (tokens, passwords, keys): :func:`settings_in_force` shows how to
describe settings without them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import duckdb

from loop_core.sqlfiles import load_sql

if TYPE_CHECKING:  # a load writes entries; only the readers need pandas (slow to import)
    import pandas as pd

    from loop_core.config import Settings

CLI = "cli"  # python -m loop_core
SYNC = "sync"  # the scheduled or manual sync's loads
SERVER = "server"  # the server itself: start-up, the sample, background upkeep
LOCAL = "local"  # the dashboard while sign-in is off (anyone who reaches it)
API = "api"  # the HTTP API while no token is configured


class Action(StrEnum):
    """What an entry records."""

    LOAD = "load"
    SNAPSHOT_CONFIRMED = "snapshot_confirmed"  # a shrinking snapshot applied by a person
    REPORT_TRIGGERED = "report_triggered"
    TEST_ALERT = "test_alert"
    DIGEST_SENT = "digest_sent"  # the Alerts page's "send the digest now"
    SYNC_NOW = "sync_now"
    COMPACTION = "compaction"
    SERVER_START = "server_start"  # details: the settings in force, without secrets


def token_actor(name: str) -> str:
    """The actor of a request that brought the API token named ``name``."""
    return f"token:{name}"


def actor_for_source(source: str) -> str:
    """Who loads a file that arrives from ``source`` when no person is named: the CLI's
    loads are ``cli``'s, a folder's or Drive's are the sync's, the sample is the server's."""
    return {"cli": CLI, "folder": SYNC, "drive": SYNC}.get(source, SERVER)


def record(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: Action | str,
    *,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry on a cursor of its own (safe from any thread); return its id."""
    with con.cursor() as cur:
        return record_in(cur, actor, action, subject=subject, details=details)


def record_in(
    cur: duckdb.DuckDBPyConnection,
    actor: str,
    action: Action | str,
    *,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> int:
    """:func:`record` on the caller's cursor, inside the caller's transaction if it has one."""
    text = json.dumps(dict(details or {}), sort_keys=True, default=str, ensure_ascii=False)
    row = cur.execute(load_sql("audit/record"), [actor, str(action), subject, text]).fetchone()
    assert row is not None
    return int(row[0])


def entries(
    con: duckdb.DuckDBPyConnection, limit: int | None = 500, *, for_csv: bool = False
) -> pd.DataFrame:
    """The newest entries (audit_id, happened_at, actor, action, subject, details); ``limit=None``:
    all; ``for_csv``: the texts spreadsheet-safe."""
    with con.cursor() as cur:
        return cur.execute(load_sql("audit/entries"), [for_csv, limit]).df()


def entries_csv(con: duckdb.DuckDBPyConnection) -> str:
    """The whole audit log as spreadsheet-safe CSV text (the Data page's download)."""
    return str(entries(con, None, for_csv=True).to_csv(index=False))


def settings_in_force(settings: Settings) -> dict[str, Any]:
    """What the settings say, for the start-up entry, without any secret: token
    names and roles but not the tokens, how many alert channels but not their URLs (they
    hold passwords), whether Drive has credentials but not them, sign-in on or off with
    the role lists but nothing of ``[auth]`` (client secret, cookie secret)."""
    from loop_core.config import WEEKDAYS

    sync, alerts, access = settings.sync, settings.alerts, settings.access
    return {
        "database": str(settings.db_path),
        "memory_limit": settings.memory_limit,
        "sample": settings.sample,
        "demo_feed": settings.demo_feed,
        "sync": {
            "source": sync.source,
            "interval_minutes": sync.interval_minutes,
            "folder": None if sync.folder is None else str(sync.folder),
            "drive_file_ids": {} if sync.drive is None
            else {str(feed): file_id for feed, file_id in sync.drive.file_ids.items()},
            "drive_credentials": sync.drive is not None and bool(
                sync.drive.credentials_file or sync.drive.credentials_info),
        },
        "alerts": {
            "channels": len(alerts.urls),
            "threshold_minutes": alerts.threshold_minutes,
            "reminder_hours": alerts.reminder_hours,
            "stale_hours": alerts.stale_hours,
        },
        "reports": {
            "keep_count": settings.reports.keep_count,
            # JSON has no infinity: the age limit turned off is written as the setting is.
            "keep_days": "inf" if math.isinf(settings.reports.keep_days)
            else settings.reports.keep_days,
        },
        "sign_in": access.sign_in,
        "sign_in_providers": list(access.providers),
        "admins": list(access.admins),
        "viewers": list(access.viewers),
        "api_tokens": [{"name": t.name, "role": str(t.role)} for t in access.tokens],
        "default_uptime_pct": settings.targets.default_uptime_pct,
        "digest": {
            "enabled": settings.digest.enabled,
            "weekday": WEEKDAYS[settings.digest.weekday],
            "time": settings.digest.time.strftime("%H:%M"),
            "timezone": settings.digest.timezone,
        },
    }
