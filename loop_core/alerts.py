"""Alerts (SPEC "Alerts"): messages about incidents and a stale feed, kept in an outbox and
delivered to every configured channel through apprise.

:func:`evaluate` decides what to say (it writes messages, never sends), and :func:`deliver`
sends what is due: each message once to each channel, a failure retried with backoff at
later deliveries and never dropped. :func:`run` does both; the server calls it after
every load and sync, the CLI with ``python -m loop_core alerts run``.

What can still go wrong: a process that dies after a channel accepted a message but
before the delivery was recorded sends that one message again on the next run.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import duckdb

from loop_core.config import AlertConfig
from loop_core.incidents import Incident, incidents
from loop_core.polls import latest_poll
from loop_core.stores import store_names
from loop_core.transaction import transaction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

GROUP_LISTED = 10  # a grouped message names this many stores, then "and N more"
LOOKBACK = timedelta(days=30)  # incidents are followed this far back
# One writer of the outbox at a time in this process: the server's ticker, a sync's
# after-run and the page's test button may run together. Without it two transactions
# conflict ("Conflict on update") and two deliver() calls could both send one message.
_OUTBOX = threading.Lock()
P = ParamSpec("P")
R = TypeVar("R")


def _one_at_a_time(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        with _OUTBOX:
            return fn(*args, **kwargs)

    return locked


_EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
_SECRETS = re.compile(r"(://)([^/@]+@)?([^/?#]*)(.*)$")


@dataclass(frozen=True)
class Message:
    """One message written to the outbox."""

    message_id: int
    kind: str  # opened | reminder | recovered | grouped | stale | test | digest
    store_ids: tuple[str, ...]
    title: str
    body: str


@dataclass(frozen=True)
class Attachment:
    """A text file that a message's email deliveries carry (the digest's extended CSV)."""

    name: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class Delivery:
    """One message's delivery to one channel."""

    message_id: int
    kind: str
    title: str
    channel_label: str
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


def channel_key(url: str) -> str:
    """A stable name for a channel that reveals nothing of its URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def channel_label(url: str) -> str:
    """The channel's URL without credentials, tokens or paths: ``slack://…``,
    ``mailto://smtp.example.com…``."""
    match = _SECRETS.search(url)
    scheme = url.split("://", 1)[0]
    if match is None:
        return f"{scheme}://…"
    host = match.group(3)
    return f"{scheme}://{host}…" if host and "." in host else f"{scheme}://…"


def _minutes(us: int) -> str:
    minutes = us / 60_000_000
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _when(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def one_line(text: str) -> str:
    """Text from the data as one line of a message: every run of blanks, tabs or line
    breaks becomes one space, so a name cannot add lines of its own."""
    return " ".join(text.split())


def store_label(store_id: str, names: dict[str, str]) -> str:
    """How a message names a store: "Name (id)" when the stores feed names it, else the id."""
    name = one_line(names.get(store_id) or "")
    return f"{name} ({store_id})" if name else store_id


@_one_at_a_time
def evaluate(
    con: duckdb.DuckDBPyConnection, config: AlertConfig, *, wall_clock: datetime | None = None
) -> list[Message]:
    """Write the messages that are due now to the outbox and return them.

    Only incidents that are ongoing now raise an opened message (loading old history in
    bulk raises none), once their downtime reaches the threshold; one incident raises one
    opened message however often this runs. Many at once become one grouped message.
    Reminders follow every ``reminder_hours`` of further downtime; an announced incident
    that ended gets one recovered message with its total. A feed without a new poll for
    ``stale_hours`` (by the wall clock) gets one stale message per stale spell.
    """
    now = latest_poll(con)
    if now is None:
        return []
    wall = (wall_clock or datetime.now(UTC)).astimezone(UTC)
    found = incidents(con, now - LOOKBACK, now, as_of=now)
    ongoing = {(i.store_id, i.started_at): i for i in found if i.ended_at is None}
    by_key = {(i.store_id, i.started_at): i for i in found}
    names = store_names(con)
    threshold_us = int(config.threshold_minutes * 60_000_000)
    reminder_us = int(config.reminder_hours * 3_600_000_000)
    written: list[Message] = []
    with con.cursor() as cur, transaction(cur):
        announced = {
            (str(r[0]), r[1]): (int(r[2]), r[3])
            for r in cur.execute(
                "SELECT store_id, started_at, notified_downtime_us, recovered_message_id "
                "FROM alert_incidents"
            ).fetchall()
        }
        fresh = [i for key, i in sorted(ongoing.items(), key=lambda kv: -kv[1].downtime_us)
                 if key not in announced and i.downtime_us >= threshold_us]
        if len(fresh) == 1:
            written.append(_write(cur, config, "opened", fresh,
                                  *_opened_text(fresh[0], names), wall=wall))
        elif fresh:
            written.append(_write(cur, config, "grouped", fresh,
                                  *_grouped_text(fresh, names), wall=wall))
        for incident in fresh:
            cur.execute("INSERT INTO alert_incidents VALUES (?, ?, ?, ?, NULL)",
                        [incident.store_id, incident.started_at, written[-1].message_id,
                         incident.downtime_us])
        for (store_id, started), (notified, recovered) in sorted(announced.items()):
            if recovered is not None:
                continue
            current = ongoing.get((store_id, started))
            if current is not None:
                if current.downtime_us - notified >= reminder_us:
                    message = _write(cur, config, "reminder", [current],
                                     *_reminder_text(current, names), wall=wall)
                    written.append(message)
                    cur.execute("UPDATE alert_incidents SET notified_downtime_us = ? "
                                "WHERE store_id = ? AND started_at = ?",
                                [current.downtime_us, store_id, started])
                continue
            ended = by_key.get((store_id, started))
            message = _write(cur, config, "recovered", [], *_recovered_text(store_id, ended, names),
                             store_ids=(store_id,), wall=wall)
            written.append(message)
            cur.execute("UPDATE alert_incidents SET recovered_message_id = ? "
                        "WHERE store_id = ? AND started_at = ?",
                        [message.message_id, store_id, started])
        written.extend(_stale(cur, config, now, wall))
    return written


def _stale(cur: duckdb.DuckDBPyConnection, config: AlertConfig, now: datetime,
           wall: datetime) -> list[Message]:
    open_spell = cur.execute("SELECT count(*) FROM alert_feed_state").fetchall()[0][0]
    if wall - now < timedelta(hours=config.stale_hours):
        cur.execute("DELETE FROM alert_feed_state")  # fresh again: a later spell alerts anew
        return []
    if open_spell:
        return []
    cur.execute("INSERT INTO alert_feed_state VALUES (?)", [now])
    hours = (wall - now).total_seconds() / 3600
    return [_write(cur, config, "stale", [], "Store feed is stale",
                   f"No new poll for {hours:.1f} h: the newest is from {_when(now)}. "
                   "Status and incidents cannot be trusted until the feed resumes.",
                   wall=wall)]


def _opened_text(incident: Incident, names: dict[str, str]) -> tuple[str, str]:
    store = store_label(incident.store_id, names)
    return (f"Store {store} is offline",
            f"Store {store} has been offline in its business hours since "
            f"{_when(incident.started_at)}: {_minutes(incident.downtime_us)} so far.")


def _grouped_text(found: list[Incident], names: dict[str, str]) -> tuple[str, str]:
    lines = [f"- {store_label(i.store_id, names)}: offline since {_when(i.started_at)}, "
             f"{_minutes(i.downtime_us)} so far" for i in found[:GROUP_LISTED]]
    if len(found) > GROUP_LISTED:
        lines.append(f"and {len(found) - GROUP_LISTED} more")
    return (f"{len(found)} stores are offline",
            f"{len(found)} stores went offline in their business hours:\n" + "\n".join(lines))


def _reminder_text(incident: Incident, names: dict[str, str]) -> tuple[str, str]:
    store = store_label(incident.store_id, names)
    return (f"Store {store} is still offline",
            f"Store {store} is still offline in its business hours: "
            f"{_minutes(incident.downtime_us)} since {_when(incident.started_at)}.")


def _recovered_text(
    store_id: str, ended: Incident | None, names: dict[str, str]
) -> tuple[str, str]:
    store = store_label(store_id, names)
    if ended is None or ended.ended_at is None:
        return (f"Store {store} is back", f"Store {store} is back online.")
    return (f"Store {store} is back",
            f"Store {store} is back online since {_when(ended.ended_at)} after "
            f"{_minutes(ended.downtime_us)} of downtime in its business hours.")


def _write(
    cur: duckdb.DuckDBPyConnection, config: AlertConfig, kind: str, found: Iterable[Incident],
    title: str, body: str, *, store_ids: tuple[str, ...] | None = None,
    wall: datetime | None = None, attachment: Attachment | None = None,
) -> Message:
    ids = store_ids if store_ids is not None else tuple(i.store_id for i in found)
    at = wall or datetime.now(UTC)  # the message is due at once
    message_id = int(cur.execute("SELECT nextval('alert_message_id_seq')").fetchall()[0][0])
    cur.execute("INSERT INTO alert_messages (message_id, kind, store_ids, title, body, "
                "created_at, attachment_name, attachment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [message_id, kind, list(ids), title, body, at,
                 None if attachment is None else attachment.name,
                 None if attachment is None else attachment.text])
    for url in config.urls:
        cur.execute("INSERT INTO alert_deliveries VALUES (?, ?, ?, 0, NULL, ?, NULL)",
                    [message_id, channel_key(url), channel_label(url), at])
    return Message(message_id, kind, ids, title, body)


@_one_at_a_time
def write_test_message(con: duckdb.DuckDBPyConnection, config: AlertConfig) -> Message:
    """Put a test message in the outbox for every channel (deliver() sends it)."""
    with con.cursor() as cur, transaction(cur):
        return _write(cur, config, "test", [], "Store Uptime Monitor test message",
                      "If you read this, alerts reach this channel.", store_ids=())


@_one_at_a_time
def write_digest(
    con: duckdb.DuckDBPyConnection, config: AlertConfig, title: str, body: str,
    attachment: Attachment | None = None, *, week_of: date | None = None,
    wall_clock: datetime | None = None,
) -> Message | None:
    """Put a digest in the outbox for every channel (deliver() sends it; email channels
    get ``attachment``). With ``week_of`` (a scheduled digest) only if that week's digest
    was not written yet, recorded in the same transaction: None when it was."""
    with con.cursor() as cur, transaction(cur):
        if week_of is not None and _digest_written(cur, week_of):
            return None
        message = _write(cur, config, "digest", [], title, body, store_ids=(),
                         wall=wall_clock, attachment=attachment)
        if week_of is not None:
            cur.execute("INSERT INTO digest_weeks VALUES (?, ?, ?)",
                        [week_of, message.message_id, wall_clock or datetime.now(UTC)])
    return message


def digest_written(con: duckdb.DuckDBPyConnection, week_of: date) -> bool:
    """Whether the scheduled digest of the week ``week_of`` is in the outbox already."""
    with con.cursor() as cur:
        return _digest_written(cur, week_of)


def _digest_written(cur: duckdb.DuckDBPyConnection, week_of: date) -> bool:
    return bool(cur.execute("SELECT count(*) FROM digest_weeks WHERE week_of = ?",
                            [week_of]).fetchall()[0][0])


def is_email(url: str) -> bool:
    """Whether a channel is email (apprise's mailto:// and mailtos://): it gets attachments."""
    return url.split("://", 1)[0].lower() in _EMAIL_SCHEMES


def _attach(attachment: Attachment) -> Any:
    from apprise import AppriseAttachment
    from apprise.attachment.memory import AttachMemory

    files = AppriseAttachment()
    files.add(AttachMemory(  # type: ignore[no-untyped-call]
        content=attachment.text.encode("utf-8"), name=attachment.name, mimetype="text/csv"))
    return files


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


@_one_at_a_time
def deliver(
    con: duckdb.DuckDBPyConnection, config: AlertConfig, *, wall_clock: datetime | None = None,
    sender: Any = None,
) -> tuple[int, int]:
    """Send every delivery that is due to its channel; return (delivered, failed).

    A failure is recorded with its error and retried after a backoff (1, 2, 4 … 60 min);
    a channel no longer configured is recorded as such and not retried. ``sender`` (for
    tests) replaces ``apprise.Apprise``."""
    wall = (wall_clock or datetime.now(UTC)).astimezone(UTC)
    urls = {channel_key(url): url for url in config.urls}
    with con.cursor() as cur:
        due = cur.execute(
            "SELECT d.message_id, d.channel, d.attempts, m.title, m.body, "
            "m.attachment IS NOT NULL "
            "FROM alert_deliveries AS d INNER JOIN alert_messages AS m USING (message_id) "
            "WHERE d.delivered_at IS NULL AND d.next_attempt_at <= ? "
            "ORDER BY d.message_id, d.channel",
            [wall],
        ).fetchall()
    if sender is None:
        import apprise  # imported when something is due: it loads many plugins

        sender = apprise.Apprise
    delivered = failed = 0
    for message_id, channel, attempts, title, body, attached in due:
        url = urls.get(str(channel))
        error: str | None
        if url is None:
            error, retry = "this channel is no longer configured", None
        else:
            notifier = sender()
            if not notifier.add(url):
                error, retry = "apprise cannot use this URL", None
            else:
                extra: dict[str, Any] = {}
                if attached and is_email(url):
                    extra["attach"] = _attach(_attachment(con, int(message_id)))
                ok = bool(notifier.notify(title=str(title), body=str(body), **extra))
                error = None if ok else "the channel did not accept the message"
                retry = None if ok else wall + _backoff(int(attempts) + 1)
        with con.cursor() as cur:
            if error is None:
                cur.execute("UPDATE alert_deliveries SET attempts = attempts + 1, "
                            "last_error = NULL, delivered_at = ?, next_attempt_at = NULL "
                            "WHERE message_id = ? AND channel = ?", [wall, message_id, channel])
                delivered += 1
            else:
                cur.execute("UPDATE alert_deliveries SET attempts = attempts + 1, "
                            "last_error = ?, next_attempt_at = ? "
                            "WHERE message_id = ? AND channel = ?",
                            [error, retry, message_id, channel])
                failed += 1
    return delivered, failed


def _attachment(con: duckdb.DuckDBPyConnection, message_id: int) -> Attachment:
    # Read only for the email channels of a message that has one: it may be a megabyte.
    with con.cursor() as cur:
        row = cur.execute("SELECT attachment_name, attachment FROM alert_messages "
                          "WHERE message_id = ?", [message_id]).fetchone()
    assert row is not None
    return Attachment(str(row[0]), str(row[1]))


def run(
    con: duckdb.DuckDBPyConnection, config: AlertConfig, *, wall_clock: datetime | None = None
) -> tuple[list[Message], tuple[int, int]]:
    """Evaluate, then deliver what is due: the messages written, and (delivered, failed)."""
    written = evaluate(con, config, wall_clock=wall_clock)
    return written, deliver(con, config, wall_clock=wall_clock)


def history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[Delivery]:
    """The newest messages with each channel's delivery outcome."""
    with con.cursor() as cur:
        rows = cur.execute(
            "SELECT m.message_id, m.kind, m.title, coalesce(d.channel_label, '(no channel)'), "
            "coalesce(d.attempts, 0), d.last_error, d.delivered_at, m.created_at "
            "FROM alert_messages AS m LEFT JOIN alert_deliveries AS d USING (message_id) "
            "ORDER BY m.message_id DESC LIMIT ?",
            [limit],
        ).fetchall()
    return [Delivery(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), r[5], r[6], r[7])
            for r in rows]
