"""Incidents (SPEC "Incidents"): the engine against the independent reference, and the
invariant that a window's incidents add up to that window's downtime in the report."""

from __future__ import annotations

import subprocess
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from loop_core import db, ingest
from loop_core.incidents import incidents
from loop_core.report import report_microseconds
from tests import reference
from tests.conftest import Loader
from tests.depth import examples
from tests.reference import WINDOWS_US, from_us, to_us
from tests.test_cli import run as run_cli
from tests.test_engine_matches_reference import Feeds, feeds, load_feeds

# The same files as the report's comparison, special hours included.
_load = load_feeds


def _engine(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime | None,
            as_of: datetime | None) -> list[reference.IncidentRow]:
    return [(i.store_id, to_us(i.started_at),
             None if i.ended_at is None else to_us(i.ended_at), i.downtime_us,
             i.inactive_observations)
            for i in incidents(con, since, until, as_of=as_of)]


@settings(max_examples=examples(15), deadline=None)
@given(feeds(), st.integers(-10 * 24, 2 * 24), st.integers(1, 9 * 24))
def test_the_engines_incidents_equal_the_reference_to_the_microsecond(
    data: Feeds, start_h: int, length_h: int
) -> None:
    polls = [t for _, _, t in data.polls]
    now = data.as_of or max(polls)
    if not any(t <= now for t in polls):
        return
    since = now + timedelta(hours=start_h)
    until = since + timedelta(hours=length_h)
    with tempfile.TemporaryDirectory() as folder:
        con = _load(data, Path(folder))
        try:
            got = _engine(con, since, until, data.as_of)
        finally:
            con.close()
    assert got == reference.incidents(data.polls, data.hours, data.zones, since, until,
                                      data.as_of, data.special)


@settings(max_examples=examples(12), deadline=None)
@given(feeds())
def test_each_windows_incidents_add_up_to_its_downtime_in_the_report(data: Feeds) -> None:
    with tempfile.TemporaryDirectory() as folder:
        con = _load(data, Path(folder))
        try:
            rows = report_microseconds(con, data.as_of)
            if not rows:
                return
            now = data.as_of or max(t for _, _, t in data.polls)
            for n, length in enumerate(WINDOWS_US):
                down: dict[str, int] = defaultdict(int)
                for found in incidents(con, from_us(to_us(now) - length), now,
                                       as_of=data.as_of):
                    down[found.store_id] += found.downtime_us
                assert {r[0]: down.get(r[0], 0) for r in rows} == {r[0]: r[4 + n] for r in rows}
        finally:
            con.close()


def test_an_incident_reads_as_the_spec_says(load: Loader) -> None:
    # Open 09:00-12:00 Monday (UTC); active 09:30, inactive 10:14 and 11:15, active 11:45.
    con = load(
        polls=["s,active,2024-01-08 09:30:00 UTC", "s,inactive,2024-01-08 10:14:00 UTC",
               "s,inactive,2024-01-08 11:15:00 UTC", "s,active,2024-01-08 11:45:00 UTC"],
        hours=["s,0,09:00:00,12:00:00"], zones=["s,UTC"],
    )
    (found,) = incidents(con, as_of="2024-01-08T12:00:00Z")
    # From the midpoint 09:52 to the midpoint 11:30: 98 minutes, two inactive polls.
    assert found.started_at == datetime(2024, 1, 8, 9, 52, tzinfo=UTC)
    assert found.ended_at == datetime(2024, 1, 8, 11, 30, tzinfo=UTC)
    assert (found.downtime_minutes, found.inactive_observations) == (98.0, 2)


def test_an_incident_with_no_active_poll_after_it_is_ongoing(load: Loader) -> None:
    con = load(polls=["s,active,2024-01-08 09:00:00 UTC", "s,inactive,2024-01-08 10:00:00 UTC"],
               zones=["s,UTC"])
    (found,) = incidents(con)
    assert found.ended_at is None
    assert found.started_at == datetime(2024, 1, 8, 9, 30, tzinfo=UTC)
    assert found.downtime_us == 30 * 60_000_000  # until now, the latest poll


def _spec_incident_files(tmp_path: Path) -> list[str]:
    (tmp_path / "polls.csv").write_text(
        "store_id,status,timestamp_utc\n"
        "s,active,2024-01-08 09:30:00 UTC\ns,inactive,2024-01-08 10:14:00 UTC\n"
        "s,inactive,2024-01-08 11:15:00 UTC\ns,active,2024-01-08 11:45:00 UTC\n"
        "=x,inactive,2024-01-08 11:50:00 UTC\n", encoding="utf-8")
    (tmp_path / "hours.csv").write_text(
        "store_id,dayOfWeek,start_time_local,end_time_local\ns,0,09:00:00,12:00:00\n",
        encoding="utf-8")
    (tmp_path / "zones.csv").write_text("store_id,timezone_str\ns,UTC\n=x,UTC\n",
                                        encoding="utf-8")
    return ["--store-status", str(tmp_path / "polls.csv"),
            "--business-hours", str(tmp_path / "hours.csv"),
            "--timezones", str(tmp_path / "zones.csv")]


def test_the_incidents_command_writes_the_csv_the_acceptance_checks_read(
    tmp_path: Path,
) -> None:
    db_path = str(tmp_path / "x.duckdb")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--db", db_path)

    assert run("ingest", *_spec_incident_files(tmp_path)).returncode == 0
    out = run("incidents", "--as-of", "2024-01-08T12:00:00Z")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "store_id,started_at,ended_at,downtime_minutes,inactive_observations",
        # Open 24x7 (no hours rows), one inactive poll: its incident owns all the week
        # before it and runs on (SPEC: open-ended before the first observation). The id is
        # spreadsheet-safe in the file.
        "'=x,2024-01-01T12:00:00Z,,10080.00,1",
        "s,2024-01-08T09:52:00Z,2024-01-08T11:30:00Z,98.00,2",
    ]
    only = run("incidents", "--as-of", "2024-01-08T12:00:00Z", "--store", "s",
               "--since", "2024-01-08T10:00:00Z", "--until", "2024-01-08T11:00:00Z")
    # Cut to the range; both inactive polls count (from the range's start on, up to now).
    assert only.stdout.splitlines()[1:] == ["s,2024-01-08T10:00:00Z,2024-01-08T11:00:00Z,60.00,2"]


def test_the_api_serves_the_incidents_as_json_or_csv(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from loop_core import api

    _spec_incident_files(tmp_path)
    con = db.connect(":memory:")
    ingest.ingest_files(con, store_status=tmp_path / "polls.csv",
                        business_hours=tmp_path / "hours.csv", timezones=tmp_path / "zones.csv")
    client = TestClient(Starlette(routes=api.routes(lambda: con)))
    body = client.get("/incidents", params={"store_id": "s"}).json()
    assert body == {"incidents": [{
        "store_id": "s", "started_at": "2024-01-08T09:52:00Z", "ended_at": "2024-01-08T11:30:00Z",
        "downtime_minutes": 98.0, "inactive_observations": 2}]}
    csv_text = client.get("/incidents", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("store_id,started_at,ended_at,downtime_minutes")
    assert client.get("/incidents", params={"since": "yesterday"}).status_code == 400
