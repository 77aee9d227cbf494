"""The weekly digest (docs/RULES.md "Weekly digest"): its text from the hand-worked fleet
of test_context, its schedule and "once a week, across restarts", and delivery to real
receivers on loopback: an SMTP server (with the extended CSV attached) and a webhook."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from loop_core import alerts, config, context, db, digest
from loop_core.config import DigestConfig
from tests.conftest import Loader
from tests.receivers import Mailbox, Webhook, smtp_server
from tests.test_context import HOURS, POLLS, ZONES, load_stores

# 2024-01-22 is a Monday; 09:00 in Chicago (winter) is 15:00 UTC.
SLOT = datetime(2024, 1, 22, 15, tzinfo=UTC)


@pytest.fixture
def fleet(load: Loader, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = load(polls=POLLS, hours=HOURS, zones=ZONES)
    load_stores(con, tmp_path)
    return con


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    with smtp_server() as served:
        yield served


def settings_for(*urls: str, **digest_settings: object) -> config.Settings:
    return config.load({"LOOP_ALERT_URLS": " ".join(urls)},
                       secrets={"digest": digest_settings} if digest_settings else {})


def test_the_digest_says_the_fleets_week_its_change_groups_stores_and_money(
    fleet: duckdb.DuckDBPyConnection,
) -> None:
    found = digest.compose(fleet)
    assert found.title == "Weekly uptime digest: 85.49 % (+83.71 points)"
    lines = found.body.split("\n")
    # 191.5 h up of 224 h against 3 h of 168 h the week before (test_context works them out).
    assert "Fleet uptime in business hours: 85.49 % (+83.71 points on the week before: "\
           "1.79 %)" in lines
    assert "Downtime: 32.50 h (165.00 h the week before)" in lines
    assert "Stores below their uptime target: 1 of 3" in lines
    assert any(line.startswith("Estimated lost revenue: 3,250.00 (1,650.00 the week before); "
                               "an estimate") for line in lines)
    # TX: a may lose 1.68 h and b 28 h; together they lost 32.5 h, 2.82 h too many.
    assert ("- region TX: 85.49 %, 32.50 h down, 2.82 h over its downtime budget, "
            "1 of 2 stores below target") in lines
    assert ("- brand Tacos: 41.96 %, 32.50 h down, 4.50 h over its downtime budget, "
            "1 of 1 stores below target") in lines
    assert not any("Pizza" in line for line in lines)  # within its budget
    assert "1. Tacos Dallas (b): 32.50 h down, 41.96 % uptime, 3,250.00 estimated lost" in lines
    assert ("1. Austin, 6th St (a): -165.00 h of downtime (0.00 h, the week before 165.00 h)"
            in lines)
    assert found.attachment.name == "uptime-digest-2024-01-15.csv"
    assert found.attachment.text == context.extended_csv(fleet)


def test_the_lists_hold_ten_stores_at_most_biggest_first(load: Loader) -> None:
    # 12 stores open 24x7, each down for a different number of hours before the last poll.
    polls = [f"s{n:02d},active,2024-01-15 00:00:00 UTC" for n in range(12)]
    polls += [f"s{n:02d},inactive,2024-01-15 {n + 1:02d}:00:00 UTC" for n in range(12)]
    polls += ["s00,inactive,2024-01-15 13:00:00 UTC"]  # the latest poll: now
    con = load(polls=polls, zones=[f"s{n:02d},UTC" for n in range(12)])
    lines = digest.compose(con).body.split("\n")
    most = lines[lines.index("Most downtime (10 stores at most):") + 1:][:11]
    assert [line.split(":")[0] for line in most[:10]] == [
        f"{rank}. s{n:02d}" for rank, n in enumerate(range(10), start=1)]
    assert most[10] == ""


def test_no_rates_means_no_money_not_zero(load: Loader) -> None:
    con = load(polls=POLLS, hours=HOURS, zones=ZONES)
    lines = digest.compose(con).body.split("\n")
    assert "Estimated lost revenue: none (the stores feed gives no hourly revenue)" in lines


@pytest.mark.parametrize(("wall", "slot", "week_of"), [
    # Monday 09:00 in Chicago is 15:00 UTC in winter ...
    (SLOT, SLOT, date(2024, 1, 22)),
    (SLOT - timedelta(seconds=1), SLOT - timedelta(days=7), date(2024, 1, 15)),
    (SLOT + timedelta(days=6), SLOT, date(2024, 1, 22)),
    # ... and 14:00 UTC in summer (the week after DST began on 2024-03-10).
    (datetime(2024, 3, 11, 14, 30, tzinfo=UTC), datetime(2024, 3, 11, 14, tzinfo=UTC),
     date(2024, 3, 11)),
])
def test_the_slot_is_the_latest_scheduled_time_in_the_digests_zone(
    wall: datetime, slot: datetime, week_of: date
) -> None:
    assert digest.due_slot(wall, DigestConfig()) == (slot, week_of)


def test_the_slot_follows_the_configured_day_time_and_zone() -> None:
    friday = DigestConfig(weekday=4, time=time(17, 30), timezone="Asia/Tokyo")
    # Friday 2024-01-26 17:30 in Tokyo is 08:30 UTC.
    assert digest.due_slot(datetime(2024, 1, 27, tzinfo=UTC), friday) == (
        datetime(2024, 1, 26, 8, 30, tzinfo=UTC), date(2024, 1, 26))


def test_the_scheduled_digest_reaches_the_smtp_server_with_the_csv_and_the_webhook_once(
    fleet: duckdb.DuckDBPyConnection, webhook: Webhook, mailbox: tuple[Mailbox, str]
) -> None:
    box, mail_url = mailbox
    settings = settings_for(webhook.url, mail_url)
    # A minute early: nothing (the slot before is a week old, too late to send).
    assert digest.send_if_due(fleet, settings, wall_clock=SLOT - timedelta(minutes=1)) is None
    assert webhook.received == [] and box.messages == []

    message = digest.send_if_due(fleet, settings, wall_clock=SLOT + timedelta(minutes=1))
    assert message is not None and message.kind == "digest"
    assert webhook.titles() == ["Weekly uptime digest: 85.49 % (+83.71 points)"]
    assert "Fleet uptime in business hours: 85.49 %" in str(webhook.received[0]["message"])
    assert not webhook.received[0].get("attachments")  # the CSV goes to email only
    assert len(box.messages) == 1
    mail = email.message_from_string(box.messages[0])
    assert mail["Subject"] == "Weekly uptime digest: 85.49 % (+83.71 points)"
    attached = [part for part in mail.walk() if part.get_filename()]
    assert [part.get_filename() for part in attached] == ["uptime-digest-2024-01-15.csv"]
    payload = attached[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.decode("utf-8") == context.extended_csv(fleet)

    # Due again five minutes later, and a day later: the week's digest is written once.
    assert digest.send_if_due(fleet, settings, wall_clock=SLOT + timedelta(minutes=6)) is None
    assert len(webhook.received) == 1 and len(box.messages) == 1
    assert [d.kind for d in alerts.history(fleet)] == ["digest", "digest"]  # webhook, mail


def test_a_weeks_digest_is_written_once_across_a_restart(
    tmp_path: Path, webhook: Webhook
) -> None:
    from loop_core.ingest import ingest_files
    from tests.conftest import HOURS_HEADER, POLLS_HEADER, ZONES_HEADER

    files = {}
    for name, header, rows in (("store_status", POLLS_HEADER, POLLS),
                               ("business_hours", HOURS_HEADER, HOURS),
                               ("timezones", ZONES_HEADER, ZONES)):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    path = tmp_path / "loop.duckdb"
    con = db.connect(path)
    ingest_files(con, **files)  # type: ignore[arg-type]
    settings = settings_for(webhook.url)
    assert digest.send_if_due(con, settings, wall_clock=SLOT + timedelta(minutes=1)) is not None
    db.close(path)

    again = db.connect(path)  # the server restarted within the day
    try:
        assert digest.send_if_due(again, settings, wall_clock=SLOT + timedelta(hours=2)) is None
        assert len(webhook.received) == 1
        # The next week's is due on its own day.
        assert digest.send_if_due(again, settings,
                                  wall_clock=SLOT + timedelta(days=7, minutes=1)) is not None
        assert len(webhook.received) == 2
    finally:
        db.close(path)


def test_a_digest_missed_by_more_than_a_day_is_skipped_not_sent_late(
    fleet: duckdb.DuckDBPyConnection, webhook: Webhook
) -> None:
    settings = settings_for(webhook.url)
    late = SLOT + digest.LATE + timedelta(minutes=1)
    assert digest.send_if_due(fleet, settings, wall_clock=late) is None
    assert webhook.received == []


def test_no_digest_without_a_channel_or_when_it_is_turned_off(
    fleet: duckdb.DuckDBPyConnection, webhook: Webhook
) -> None:
    wall = SLOT + timedelta(minutes=1)
    assert digest.send_if_due(fleet, config.load({}, secrets={}), wall_clock=wall) is None
    off = settings_for(webhook.url, enabled=False)
    assert digest.send_if_due(fleet, off, wall_clock=wall) is None
    assert webhook.received == []


def test_send_now_writes_one_at_once_and_the_scheduled_one_still_follows(
    fleet: duckdb.DuckDBPyConnection, webhook: Webhook
) -> None:
    settings = settings_for(webhook.url)
    assert digest.send_digest_now(fleet, settings, wall_clock=SLOT - timedelta(hours=3)) == (
        1, 0)
    assert digest.send_if_due(fleet, settings, wall_clock=SLOT + timedelta(minutes=1)) is not None
    assert len(webhook.received) == 2


def test_a_digest_the_channel_refused_is_retried_like_an_alert(
    fleet: duckdb.DuckDBPyConnection, webhook: Webhook
) -> None:
    settings = settings_for(webhook.url)
    webhook.up = False
    wall = SLOT + timedelta(minutes=1)
    assert digest.send_if_due(fleet, settings, wall_clock=wall) is not None
    (row,) = alerts.history(fleet)
    assert (row.kind, row.delivered_at, row.attempts) == ("digest", None, 1)
    webhook.up = True
    assert alerts.deliver(fleet, settings.alerts, wall_clock=wall + timedelta(minutes=2)) == (
        1, 0)
    assert webhook.titles() == ["Weekly uptime digest: 85.49 % (+83.71 points)"]


def test_email_channels_are_apprises_mailto_and_mailtos_in_any_case() -> None:
    assert alerts.is_email("mailto://u:p@smtp.example.com") and alerts.is_email("MAILTOS://x")
    assert not alerts.is_email("json://127.0.0.1/") and not alerts.is_email("slack://a/b/c")



def test_the_servers_digest_thread_sends_a_due_digest_once(
    fleet: duckdb.DuckDBPyConnection, webhook: Webhook
) -> None:
    import time as clock

    from ui.lifecycle import DigestTicker

    # Scheduled a minute ago by the wall clock, in UTC: due now.
    just_before = datetime.now(UTC) - timedelta(minutes=1)
    settings = settings_for(webhook.url, weekday=config.WEEKDAYS[just_before.weekday()],
                            time=f"{just_before:%H:%M}", timezone="UTC")
    ticker = DigestTicker(fleet, settings, every_s=0.05)
    try:
        deadline = clock.monotonic() + 60
        while ticker.runs < 3 and clock.monotonic() < deadline:
            clock.sleep(0.05)
    finally:
        ticker.stop()
    assert ticker.runs >= 3  # checked three times or more, written once
    assert webhook.titles() == ["Weekly uptime digest: 85.49 % (+83.71 points)"]
