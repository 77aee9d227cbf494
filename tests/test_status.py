"""Status now (SPEC "Status now"): the engine against the independent reference."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core.status import StoreState, status
from tests import reference
from tests.conftest import Loader
from tests.depth import examples
from tests.reference import to_us
from tests.test_cli import run as run_cli
from tests.test_engine_matches_reference import Feeds, feeds
from tests.test_incidents import _load


def _us(value: datetime | None) -> int | None:
    return None if value is None else to_us(value)


@settings(max_examples=examples(20), deadline=None)
@given(feeds(), st.one_of(st.none(), st.integers(-30 * 60, 3 * 24 * 60)))
def test_the_engines_status_equals_the_reference(data: Feeds, shift_min: int | None) -> None:
    polls = [t for _, _, t in data.polls]
    at = None if shift_min is None else max(polls) - timedelta(minutes=shift_min)
    with tempfile.TemporaryDirectory() as folder:
        con = _load(data, Path(folder))
        try:
            got = [(s.store_id, str(s.status), _us(s.since), s.open_now, _us(s.closes_at),
                    _us(s.opens_at)) for s in status(con, at)]
        finally:
            con.close()
    assert got == reference.status(data.polls, data.hours, data.zones, at, data.special)


def test_a_store_down_in_its_hours_is_offline_since_the_midpoint(load: Loader) -> None:
    con = load(
        polls=["s,active,2024-01-08 09:10:00 UTC", "s,inactive,2024-01-08 10:10:00 UTC",
               "c,active,2024-01-08 10:30:00 UTC", "u,active,2024-01-08 07:00:00 UTC"],
        hours=["s,0,09:00:00,12:00:00", "c,0,09:00:00,10:00:00", "u,0,06:00:00,12:00:00"],
        zones=["s,UTC", "c,UTC", "u,UTC"],
    )
    by_id = {s.store_id: s for s in status(con, "2024-01-08T10:45:00Z")}
    assert by_id["s"].status is StoreState.OFFLINE
    assert by_id["s"].since == datetime(2024, 1, 8, 9, 40, tzinfo=UTC)
    assert by_id["s"].closes_at == datetime(2024, 1, 8, 12, tzinfo=UTC)
    assert by_id["c"].status is StoreState.CLOSED
    assert by_id["c"].since == datetime(2024, 1, 8, 10, tzinfo=UTC)
    assert by_id["c"].opens_at == datetime(2024, 1, 15, 9, tzinfo=UTC)  # next Monday
    # Open, but its latest observation is 3 h 45 min old: the feed stopped telling us.
    assert by_id["u"].status is StoreState.UNKNOWN
    assert by_id["u"].since == datetime(2024, 1, 8, 7, tzinfo=UTC)


def _feeds(tmp_path: Path) -> list[str]:
    (tmp_path / "polls.csv").write_text(
        "store_id,status,timestamp_utc\n"
        "s,active,2024-01-08 09:10:00 UTC\ns,inactive,2024-01-08 10:10:00 UTC\n"
        "=c,active,2024-01-08 10:30:00 UTC\n", encoding="utf-8")
    (tmp_path / "hours.csv").write_text(
        "store_id,dayOfWeek,start_time_local,end_time_local\n"
        "s,0,09:00:00,12:00:00\n=c,0,09:00:00,10:00:00\n", encoding="utf-8")
    (tmp_path / "zones.csv").write_text("store_id,timezone_str\ns,UTC\n=c,UTC\n",
                                        encoding="utf-8")
    return ["--store-status", str(tmp_path / "polls.csv"),
            "--business-hours", str(tmp_path / "hours.csv"),
            "--timezones", str(tmp_path / "zones.csv")]


def test_the_status_command_writes_the_csv_the_acceptance_checks_read(tmp_path: Path) -> None:
    db_path = str(tmp_path / "x.duckdb")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--db", db_path)

    assert run("ingest", *_feeds(tmp_path)).returncode == 0
    out = run("status", "--as-of", "2024-01-08T10:45:00Z")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "store_id,status,since,latest_poll,latest_poll_status,latest_observation,"
        "latest_observation_status,observation_age_minutes,open_now,closes_at,opens_at",
        # Polled after its hours: closed since 10:00, that poll is no observation.
        "'=c,closed,2024-01-08T10:00:00Z,2024-01-08T10:30:00Z,active,,,,false,,"
        "2024-01-15T09:00:00Z",
        "s,offline,2024-01-08T09:40:00Z,2024-01-08T10:10:00Z,inactive,2024-01-08T10:10:00Z,"
        "inactive,35.00,true,2024-01-08T12:00:00Z,2024-01-15T09:00:00Z",
    ]


def test_the_api_serves_the_status_and_filters_it(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from loop_core import api, db, ingest

    _feeds(tmp_path)
    con = db.connect(":memory:")
    ingest.ingest_files(con, store_status=tmp_path / "polls.csv",
                        business_hours=tmp_path / "hours.csv", timezones=tmp_path / "zones.csv")
    client = TestClient(Starlette(routes=api.routes(lambda: con)))
    offline = client.get("/status", params={"status": "offline",
                                            "as_of": "2024-01-08T10:45:00Z"}).json()
    assert [s["store_id"] for s in offline["stores"]] == ["s"]
    assert offline["stores"][0]["since"] == "2024-01-08T09:40:00Z"
    everything = client.get("/status", params={"as_of": "2024-01-08T10:45:00Z"}).json()
    assert {s["store_id"]: s["status"] for s in everything["stores"]} == {
        "=c": "closed", "s": "offline"}
    assert client.get("/status", params={"status": "down"}).status_code == 400
