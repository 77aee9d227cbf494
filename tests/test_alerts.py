"""Alerts (SPEC "Alerts") delivered to real receivers on loopback: an HTTP server taking
apprise's json:// posts and an SMTP server (aiosmtpd) taking its mailto:// mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loop_core import alerts
from loop_core.config import AlertConfig
from tests.conftest import Loader
from tests.receivers import Mailbox, Webhook, smtp_server

MONDAY = datetime(2024, 1, 8, tzinfo=UTC)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    with smtp_server() as served:
        yield served


def _down_store(load: Loader, polls: list[str]) -> duckdb.DuckDBPyConnection:
    return load(polls=polls, hours=["s,0,00:00:00,23:59:00", "t,0,00:00:00,23:59:00"],
                zones=["s,UTC", "t,UTC"])


def test_an_incident_is_announced_once_to_the_webhook_and_by_mail(
    load: Loader, webhook: Webhook, mailbox: tuple[Mailbox, str]
) -> None:
    box, mail_url = mailbox
    con = _down_store(load, ["s,active,2024-01-08 08:00:00 UTC",
                             "s,inactive,2024-01-08 09:00:00 UTC",
                             "s,inactive,2024-01-08 10:00:00 UTC"])
    config = AlertConfig(urls=(webhook.url, mail_url))
    wall = MONDAY + timedelta(hours=10, minutes=30)

    written, (delivered, failed) = alerts.run(con, config, wall_clock=wall)
    assert [m.kind for m in written] == ["opened"] and (delivered, failed) == (2, 0)
    assert webhook.titles() == ["Store s is offline"]
    assert "since 2024-01-08 08:30 UTC: 90 min so far" in str(webhook.received[0]["message"])
    assert len(box.messages) == 1 and "Subject: Store s is offline" in box.messages[0]

    # Evaluated again: nothing new, nothing sent twice.
    assert alerts.run(con, config, wall_clock=wall) == ([], (0, 0))
    assert len(webhook.received) == 1 and len(box.messages) == 1


def test_a_short_or_ended_incident_raises_no_alert(load: Loader, webhook: Webhook) -> None:
    # 30 minutes down (below 45), and an old incident that has ended: nothing to say.
    con = _down_store(load, ["t,inactive,2024-01-08 06:00:00 UTC",
                             "t,active,2024-01-08 08:00:00 UTC",
                             "s,active,2024-01-08 09:00:00 UTC",
                             "s,inactive,2024-01-08 10:00:00 UTC"])
    written, _ = alerts.run(con, AlertConfig(urls=(webhook.url,)),
                            wall_clock=MONDAY + timedelta(hours=10))
    assert written == [] and webhook.received == []


def test_a_failed_delivery_is_retried_later_and_arrives_once(
    load: Loader, webhook: Webhook
) -> None:
    con = _down_store(load, ["s,active,2024-01-08 08:00:00 UTC",
                             "s,inactive,2024-01-08 09:00:00 UTC",
                             "s,inactive,2024-01-08 10:00:00 UTC"])
    config = AlertConfig(urls=(webhook.url,))
    wall = MONDAY + timedelta(hours=10, minutes=5)
    webhook.up = False
    _, (delivered, failed) = alerts.run(con, config, wall_clock=wall)
    assert (delivered, failed) == (0, 1)
    (row,) = alerts.history(con)
    assert row.attempts == 1 and row.delivered_at is None and row.last_error
    webhook.up = True
    # Before the backoff is over nothing is tried; after it, exactly one arrives.
    assert alerts.deliver(con, config, wall_clock=wall + timedelta(seconds=30)) == (0, 0)
    assert alerts.deliver(con, config, wall_clock=wall + timedelta(minutes=2)) == (1, 0)
    assert alerts.deliver(con, config, wall_clock=wall + timedelta(minutes=10)) == (0, 0)
    assert webhook.titles() == ["Store s is offline"]
    (row,) = alerts.history(con)
    assert row.attempts == 2 and row.delivered_at is not None


def test_reminders_follow_the_downtime_and_a_recovery_gives_the_total(
    load: Loader, webhook: Webhook, tmp_path: Path
) -> None:
    from loop_core.ingest import ingest_file
    from loop_core.models import Feed

    con = _down_store(load, ["s,active,2024-01-08 05:00:00 UTC",
                             "s,inactive,2024-01-08 06:00:00 UTC",
                             "s,inactive,2024-01-08 07:00:00 UTC"])
    config = AlertConfig(urls=(webhook.url,), reminder_hours=4)

    def more(hour: int, status: str) -> None:
        # An hourly load, and the evaluation that follows it (the feed is fresh).
        path = tmp_path / f"{hour}.csv"
        path.write_text(f"store_id,status,timestamp_utc\ns,{status},2024-01-08 {hour}:00:00 UTC\n")
        ingest_file(con, Feed.STORE_STATUS, path)
        alerts.run(con, config, wall_clock=MONDAY + timedelta(hours=hour, minutes=5))

    alerts.run(con, config, wall_clock=MONDAY + timedelta(hours=7, minutes=5))
    more(9, "inactive")  # 3.5 h down: no reminder yet
    more(12, "inactive")  # 6.5 h: a reminder
    more(13, "active")  # back: the total, 7 h
    assert webhook.titles() == ["Store s is offline", "Store s is still offline",
                                "Store s is back"]
    assert "after 7.0 h of downtime" in str(webhook.received[-1]["message"])


def test_many_stores_down_in_one_load_make_one_grouped_message(
    load: Loader, webhook: Webhook
) -> None:
    stores = [f"g{n:02d}" for n in range(12)]
    polls = [f"{s},inactive,2024-01-08 {h:02d}:00:00 UTC" for s in stores for h in (8, 9)]
    con = load(polls=polls, zones=[f"{s},UTC" for s in stores])
    written, _ = alerts.run(con, AlertConfig(urls=(webhook.url,)),
                            wall_clock=MONDAY + timedelta(hours=9))
    assert [m.kind for m in written] == ["grouped"]
    text = str(webhook.received[0]["message"])
    assert webhook.titles() == ["12 stores are offline"]
    assert text.count("\n- ") == 10 and text.endswith("and 2 more")


def test_messages_name_a_store_the_stores_feed_names_beside_its_id(
    load: Loader, webhook: Webhook, tmp_path: Path
) -> None:
    from loop_core.ingest import ingest_file
    from loop_core.models import Feed

    stores = tmp_path / "stores.csv"
    stores.write_text('store_id,name\ns,"Austin, 6th St"\n', encoding="utf-8")
    con = _down_store(load, ["s,active,2024-01-08 08:00:00 UTC",
                             "s,inactive,2024-01-08 09:00:00 UTC",
                             "s,inactive,2024-01-08 10:00:00 UTC",
                             "t,inactive,2024-01-08 09:00:00 UTC",
                             "t,inactive,2024-01-08 10:00:00 UTC"])
    ingest_file(con, Feed.STORES, stores)
    written, _ = alerts.run(con, AlertConfig(urls=(webhook.url,)),
                            wall_clock=MONDAY + timedelta(hours=10, minutes=5))
    assert [m.kind for m in written] == ["grouped"]
    text = str(webhook.received[0]["message"])
    # Named: "Name (id)"; t has no name in the feed: its id alone.
    assert "\n- Austin, 6th St (s): offline since" in text
    assert "\n- t: offline since" in text
    assert alerts.store_label("s", {"s": "Austin, 6th St"}) == "Austin, 6th St (s)"
    assert alerts.store_label("t", {"s": "Austin, 6th St"}) == "t"
    # A name cannot add lines of its own to a message.
    assert alerts.store_label("u", {"u": "Fake\n- line\r\n"}) == "Fake - line (u)"


def test_a_stale_feed_raises_its_own_alert_once(load: Loader, webhook: Webhook) -> None:
    con = load(polls=["s,active,2024-01-08 08:00:00 UTC"], zones=["s,UTC"])
    config = AlertConfig(urls=(webhook.url,))
    assert alerts.run(con, config, wall_clock=MONDAY + timedelta(hours=9))[0] == []
    stale, _ = alerts.run(con, config, wall_clock=MONDAY + timedelta(hours=10, minutes=1))
    assert [m.kind for m in stale] == ["stale"]
    assert alerts.run(con, config, wall_clock=MONDAY + timedelta(hours=12))[0] == []
    assert webhook.titles() == ["Store feed is stale"]


def test_a_channel_is_shown_without_its_secrets() -> None:
    assert alerts.channel_label("slack://T000/B000/XXXXSECRET") == "slack://…"
    assert alerts.channel_label("mailtos://user:pass@smtp.example.com?to=a@b.c") == \
        "mailtos://smtp.example.com…"
    assert "SECRET" not in alerts.channel_key("slack://T000/B000/XXXXSECRET")
