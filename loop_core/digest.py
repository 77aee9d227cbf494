"""The weekly digest (docs/RULES.md "Weekly digest"): last week's fleet figures, sent through
the alert channels once a week (``[digest]``: by default Mondays 09:00 America/Chicago).

:func:`compose` writes its text from the store context (loop_core.context) as of the
latest poll; :func:`send_if_due` puts the week's digest in the alert outbox once (recorded
in ``digest_weeks`` with its message, so a restart never writes it twice) and delivers it;
:func:`send_digest_now` does so at once, outside the schedule. Delivery, retries and the
history are the alerts' own (loop_core.alerts); email channels get the extended CSV
attached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from loop_core import alerts, context
from loop_core.alerts import Attachment, store_label
from loop_core.config import DigestConfig, Settings
from loop_core.errors import NoDataError
from loop_core.stores import store_names

LISTED = 10  # stores in each of the two lists
# A scheduled digest is still sent this long after its time (the server was down, or
# started just after it); one missed by more is skipped, so a first start on a Thursday
# does not send Monday's.
LATE = timedelta(days=1)
GROUPED_BY = ("region", "brand")  # the groups whose targets the digest looks at
ESTIMATE = ("an estimate: downtime hours times the hourly revenue the stores feed gives; "
            "stores without a rate are not counted")


@dataclass(frozen=True)
class Digest:
    """One digest: its text and the extended CSV that email channels get."""

    as_of: datetime
    title: str
    body: str
    attachment: Attachment


def due_slot(wall: datetime, config: DigestConfig) -> tuple[datetime, date]:
    """The latest scheduled send at or before ``wall`` (UTC), and its local date (which
    names the week). A wall time the zone skips (DST) is read as the zone does."""
    zone = ZoneInfo(config.timezone)
    local = wall.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - config.weekday) % 7)
    slot = datetime.combine(day, config.time, tzinfo=zone)
    if slot > local:
        day -= timedelta(days=7)
        slot = datetime.combine(day, config.time, tzinfo=zone)
    return slot.astimezone(UTC), day


def _hours(value: float) -> str:
    return f"{value:,.2f} h"


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _pct(value: float) -> str:
    return "no business time" if math.isnan(value) else f"{value:.2f} %"


def _points(value: float) -> str:
    return "no comparison" if math.isnan(value) else f"{value:+.2f} points"


def _fleet_lines(frame: pd.DataFrame) -> tuple[str, list[str]]:
    totals = context.fleet_totals(frame)
    title = f"Weekly uptime digest: {_pct(totals.uptime_pct)} ({_points(totals.uptime_pct_change)})"
    lines = [
        f"Fleet uptime in business hours: {_pct(totals.uptime_pct)} "
        f"({_points(totals.uptime_pct_change)} on the week before: "
        f"{_pct(totals.uptime_pct_previous)})",
        f"Downtime: {_hours(totals.downtime_h)}"
        + ("" if math.isnan(totals.downtime_h_previous)
           else f" ({_hours(totals.downtime_h_previous)} the week before)"),
        f"Stores below their uptime target: {totals.stores_below_target} of {totals.stores}",
    ]
    if math.isnan(totals.lost_revenue):
        lines.append("Estimated lost revenue: none (the stores feed gives no hourly revenue)")
    else:
        previous = ("" if math.isnan(totals.lost_revenue_previous)
                    else f" ({_money(totals.lost_revenue_previous)} the week before)")
        lines.append(f"Estimated lost revenue: {_money(totals.lost_revenue)}{previous}; "
                     f"{ESTIMATE}")
    return title, lines


def _group_lines(frame: pd.DataFrame) -> list[str]:
    lines = []
    for by in GROUPED_BY:
        rollup = context.group_rollup(frame, by)
        # A group is below target when its stores used more downtime than their targets
        # allow together (its budget is negative).
        below = rollup[rollup["budget_left_h"] < 0].sort_values("budget_left_h")
        for _, group in below.iterrows():
            name = alerts.one_line(str(group["group"])) or f"(no {by})"
            lines.append(f"- {by} {name}: {_pct(float(group['uptime_pct_last_week']))}, "
                         f"{_hours(float(group['downtime_h_last_week']))} down, "
                         f"{_hours(-float(group['budget_left_h']))} over its downtime budget, "
                         f"{int(group['stores_below_target'])} of {int(group['stores'])} "
                         "stores below target")
    return lines or ["- none"]


def _store_lines(frame: pd.DataFrame, names: dict[str, str]) -> tuple[list[str], list[str]]:
    down = frame[frame["downtime_h_last_week"] > 0].sort_values(
        ["downtime_h_last_week", "store_id"], ascending=[False, True]).head(LISTED)
    most = []
    for n, (_, s) in enumerate(down.iterrows(), start=1):
        lost = float(s["lost_revenue_last_week"])
        most.append(f"{n}. {store_label(str(s['store_id']), names)}: "
                    f"{_hours(float(s['downtime_h_last_week']))} down, "
                    f"{_pct(float(s['uptime_pct_last_week']))} uptime"
                    + ("" if math.isnan(lost) else f", {_money(lost)} estimated lost"))
    changed = frame.assign(size=frame["downtime_h_last_week_change"].abs())
    changed = changed[changed["size"] > 0].sort_values(
        ["size", "store_id"], ascending=[False, True]).head(LISTED)
    biggest = [
        f"{n}. {store_label(str(s['store_id']), names)}: "
        f"{float(s['downtime_h_last_week_change']):+.2f} h of downtime "
        f"({_hours(float(s['downtime_h_last_week']))}, the week before "
        f"{_hours(float(s['downtime_h_last_week_previous']))})"
        for n, (_, s) in enumerate(changed.iterrows(), start=1)
    ]
    return most or ["- none"], biggest or ["- none"]


def compose(
    con: duckdb.DuckDBPyConnection, *, default_target_pct: float = context.DEFAULT_TARGET_PCT,
    as_of: datetime | str | None = None,
) -> Digest:
    """The digest of the week before ``as_of`` (default: the latest poll).

    Raises ``NoDataError`` when no poll was ever loaded."""
    both = context.extended_report(con, as_of, default_target_pct=default_target_pct)
    frame = both.stores
    names = store_names(con)
    title, fleet = _fleet_lines(frame)
    most, biggest = _store_lines(frame, names)
    start = both.as_of - context.WEEK
    body = "\n".join([
        f"The week {start.astimezone(UTC):%Y-%m-%d %H:%M} to "
        f"{both.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC (to the latest poll), "
        "compared with the week before it.",
        "",
        *fleet,
        "",
        "Groups below target:",
        *_group_lines(frame),
        "",
        f"Most downtime ({LISTED} stores at most):",
        *most,
        "",
        f"Biggest changes in downtime on the week before ({LISTED} stores at most):",
        *biggest,
        "",
        "Email messages carry every store's figures as the extended CSV.",
    ])
    name = f"uptime-digest-{both.as_of.astimezone(UTC):%Y-%m-%d}.csv"
    return Digest(both.as_of, title, body, Attachment(name, both.extended_csv))


def send_if_due(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, wall_clock: datetime | None = None
) -> alerts.Message | None:
    """Write this week's digest to the outbox if it is due (its time passed less than
    :data:`LATE` ago) and not written yet, then deliver what is due; the message written,
    or None (not due, written already, off, no channel or no data)."""
    if not (settings.digest.enabled and settings.alerts.configured):
        return None
    wall = (wall_clock or datetime.now(UTC)).astimezone(UTC)
    slot, week_of = due_slot(wall, settings.digest)
    if wall - slot > LATE or alerts.digest_written(con, week_of):
        return None  # the cheap check first: composing costs two reports
    try:
        digest = compose(con, default_target_pct=settings.targets.default_uptime_pct)
    except NoDataError:
        return None
    message = alerts.write_digest(con, settings.alerts, digest.title, digest.body,
                                  digest.attachment, week_of=week_of, wall_clock=wall)
    alerts.deliver(con, settings.alerts, wall_clock=wall)
    return message


def send_digest_now(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, wall_clock: datetime | None = None
) -> tuple[int, int]:
    """Write a digest to the outbox now, outside the schedule (the week's scheduled one
    still follows), and deliver it: (channels that accepted, channels that failed).

    Raises ``NoDataError`` when no poll was ever loaded."""
    digest = compose(con, default_target_pct=settings.targets.default_uptime_pct)
    alerts.write_digest(con, settings.alerts, digest.title, digest.body, digest.attachment,
                        wall_clock=wall_clock)
    return alerts.deliver(con, settings.alerts, wall_clock=wall_clock)
