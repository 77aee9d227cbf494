"""The Alerts page: the configured channels (without secrets) and the outbox's history."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from loop_core.alerts import Delivery, channel_label
from loop_core.config import AlertConfig


@dataclass(frozen=True)
class AlertSettings:
    """What the page shows of the alert settings."""

    channels: pd.DataFrame  # channel: each URL without its secrets
    threshold_minutes: float
    reminder_hours: float
    stale_hours: float


def alert_settings(config: AlertConfig) -> AlertSettings:
    """The settings, each channel reduced to a label that reveals no secret."""
    return AlertSettings(
        channels=pd.DataFrame({"channel": [channel_label(u) for u in config.urls]},
                              columns=["channel"]),
        threshold_minutes=config.threshold_minutes,
        reminder_hours=config.reminder_hours,
        stale_hours=config.stale_hours,
    )


def alert_history(rows: list[Delivery]) -> pd.DataFrame:
    """One row per message and channel, with its outcome in words."""
    return pd.DataFrame(
        [
            {
                "created_at": r.created_at,
                "kind": r.kind,
                "title": r.title,
                "channel": r.channel_label,
                "outcome": "delivered" if r.delivered_at is not None
                else ("waiting for a retry" if r.attempts else "pending"),
                "attempts": r.attempts,
                "last_error": r.last_error or "",
            }
            for r in rows
        ],
        columns=["created_at", "kind", "title", "channel", "outcome", "attempts", "last_error"],
    )
