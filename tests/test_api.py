"""The HTTP contract of ``loop_core.api``, through Starlette's TestClient on a real DuckDB file."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from loop_core import api, audit, db, ingest, jobs, report_files
from loop_core.access import ApiToken, TokenRole
from loop_core.config import ReportsConfig
from loop_core.errors import DatabaseLockedError
from loop_core.models import Feed, ReportState

TOKEN = "s3cret-token"
READ_TOKEN = "read-only-s3cret"


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "api.duckdb"
    yield path
    # A job's thread may still be closing its cursor after writing its final status.
    for thread in threading.enumerate():
        if thread.name.startswith("report-"):
            thread.join(timeout=30)
    db.close(path)


@pytest.fixture
def con(db_path: Path) -> duckdb.DuckDBPyConnection:
    return db.connect(db_path)


def client_for(con: duckdb.DuckDBPyConnection, tokens: Sequence[ApiToken] = ()) -> TestClient:
    return TestClient(Starlette(routes=api.routes(lambda: con, tokens=tokens)))


@pytest.fixture
def client(con: duckdb.DuckDBPyConnection) -> TestClient:
    return client_for(con)


@pytest.fixture
def guarded(con: duckdb.DuckDBPyConnection) -> TestClient:
    return client_for(con, tokens=[ApiToken("scheduler", TokenRole.TRIGGER, TOKEN),
                                   ApiToken("dashboards", TokenRole.READ, READ_TOKEN)])


def insert_report(
    con: duckdb.DuckDBPyConnection,
    report_id: str,
    status: ReportState,
    *,
    csv_text: str | None = None,
    error: str | None = None,
) -> None:
    # Finished states are written as the engine writes them, without running the engine:
    # a Complete report's CSV is its file in the database's reports folder.
    data = None if csv_text is None else csv_text.encode()
    if data is not None:
        path = report_files.csv_file(jobs.reports_dir(con), report_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with con.cursor() as cur:
        cur.execute(
            "INSERT INTO reports (report_id, status, created_at, finished_at, error, csv_bytes) "
            "VALUES (?, ?, now(), CASE WHEN ? = 'Running' THEN NULL ELSE now() END, ?, ?)",
            [report_id, status.value, status.value, error, None if data is None else len(data)],
        )


def finish(con: duckdb.DuckDBPyConnection, report_id: str) -> ReportState:
    # A triggered job runs in a thread that uses the connection; let it end before teardown.
    status = jobs.wait_for_report(con, report_id, timeout_s=60)
    assert status.status is not ReportState.RUNNING, "the report did not finish within 60 s"
    return status.status


def load_feeds(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    polls: Sequence[tuple[str, str, str]],
    zones: Sequence[tuple[str, str]] = (),
) -> None:
    # Through the engine's own ingest, in the real feeds' layout, so the test does not
    # depend on how the tables store what it loads.
    status_file = folder / "store_status.csv"
    lines = [f"{store},{status},{at}\n" for store, status, at in polls]
    status_file.write_text("store_id,status,timestamp_utc\n" + "".join(lines))
    zones_file = None
    if zones:
        zones_file = folder / "timezones.csv"
        lines = [f"{store},{zone}\n" for store, zone in zones]
        zones_file.write_text("store_id,timezone_str\n" + "".join(lines))
    ingest.ingest_files(con, store_status=status_file, timezones=zones_file, source="test")


def a_week_of_polls(store: str, as_of: datetime) -> list[tuple[str, str, str]]:
    # Hourly over the week before as_of, down every fifth hour.
    return [
        (
            store,
            "inactive" if hour % 5 == 0 else "active",
            f"{as_of - timedelta(hours=hour):%Y-%m-%d %H:%M:%S.%f} UTC",
        )
        for hour in range(1, 24 * 7)
    ]


REPORT_CSV = "store_id,uptime_last_hour\n1,60\n"


# --- /trigger_report -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_trigger_report_answers_a_report_id_that_the_history_lists(
    client: TestClient, con: duckdb.DuckDBPyConnection, method: str
) -> None:
    response = client.request(method, "/trigger_report")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    report_id = response.json()["report_id"]
    assert report_id in [r.report_id for r in jobs.list_reports(con)]
    finish(con, report_id)


def test_trigger_report_records_the_requested_as_of_in_utc(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    response = client.get("/trigger_report", params={"as_of": "2023-01-25T13:00:00+05:00"})
    assert response.status_code == 200
    report_id = response.json()["report_id"]
    requested = jobs.get_report(con, report_id).as_of_requested
    assert requested == datetime(2023, 1, 25, 8, 0, tzinfo=UTC)
    finish(con, report_id)


def test_trigger_report_takes_as_of_from_a_post_json_body(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    response = client.post("/trigger_report", json={"as_of": "2023-01-25T18:00:00Z"})
    assert response.status_code == 200
    report_id = response.json()["report_id"]
    assert jobs.get_report(con, report_id).as_of_requested == datetime(
        2023, 1, 25, 18, 0, tzinfo=UTC
    )
    finish(con, report_id)


def test_an_empty_as_of_means_the_latest_poll(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    response = client.get("/trigger_report?as_of=")
    assert response.status_code == 200
    report_id = response.json()["report_id"]
    assert jobs.get_report(con, report_id).as_of_requested is None
    finish(con, report_id)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unparseable_as_of_is_a_400_json_error_and_starts_nothing(
    client: TestClient, con: duckdb.DuckDBPyConnection, method: str
) -> None:
    response = client.request(method, "/trigger_report", params={"as_of": "yesterday-ish"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert "yesterday-ish" in response.json()["error"]
    assert jobs.list_reports(con) == []


# --- /get_report ---------------------------------------------------------------------


def test_a_running_report_answers_status_running(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "run1", ReportState.RUNNING)
    response = client.get("/get_report", params={"report_id": "run1"})
    assert response.status_code == 200
    assert response.json() == {"status": "Running"}
    assert response.headers["cache-control"] == "no-store"


def test_a_complete_report_downloads_as_a_csv_attachment(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "done1", ReportState.COMPLETE, csv_text=REPORT_CSV)
    response = client.get("/get_report", params={"report_id": "done1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == "attachment; filename=report_done1.csv"
    assert response.text == REPORT_CSV


def test_a_failed_report_answers_its_error(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "bad1", ReportState.FAILED, error="ValueError: no polls")
    response = client.get("/get_report", params={"report_id": "bad1"})
    assert response.status_code == 200
    assert response.json() == {"status": "Failed", "error": "ValueError: no polls"}


def test_an_unknown_report_id_is_a_404_json_error(client: TestClient) -> None:
    response = client.get("/get_report", params={"report_id": "nope"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "nope" in response.json()["error"]


@pytest.mark.parametrize("query", ["", "?report_id=", "?report_id=%20%20"])
def test_a_missing_report_id_is_a_400_json_error(client: TestClient, query: str) -> None:
    response = client.get(f"/get_report{query}")
    assert response.status_code == 400
    assert "report_id" in response.json()["error"]


def test_post_get_report_takes_report_id_from_a_form_body(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "done2", ReportState.COMPLETE, csv_text=REPORT_CSV)
    response = client.post("/get_report", data={"report_id": "done2"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == "attachment; filename=report_done2.csv"
    assert response.text == REPORT_CSV


def test_post_get_report_takes_report_id_from_a_multipart_form_body(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "done3", ReportState.COMPLETE, csv_text=REPORT_CSV)
    response = client.post("/get_report", files={"report_id": (None, "done3")})
    assert response.status_code == 200
    assert response.text == REPORT_CSV


def test_post_get_report_takes_report_id_from_a_json_body(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "run2", ReportState.RUNNING)
    response = client.post("/get_report", json={"report_id": "run2"})
    assert response.status_code == 200
    assert response.json() == {"status": "Running"}


@pytest.mark.parametrize(
    ("body", "status_code"),
    [
        ({"report_id": "unknown"}, 404),
        ({}, 400),
        ({"report_id": None}, 400),
        ({"report_id": ["a", "b"]}, 400),
    ],
)
def test_post_get_report_json_answers_as_get_does(
    client: TestClient, body: dict[str, object], status_code: int
) -> None:
    assert client.post("/get_report", json=body).status_code == status_code


def test_an_expired_report_keeps_its_row_and_answers_410_gone_with_a_clear_status(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Through the API only, as a client sees it: keep the newest report's CSV only.
    client = TestClient(Starlette(routes=api.routes(
        lambda: con, reports=ReportsConfig(keep_count=1, keep_days=30))))
    as_of = datetime(2023, 1, 25, 18, 0, tzinfo=UTC)
    load_feeds(con, tmp_path, polls=a_week_of_polls("s1", as_of))
    # One after the other: the second completes last, so the first is the one past 1.
    first = client.get("/trigger_report").json()["report_id"]
    assert finish(con, first) is ReportState.COMPLETE
    assert client.get("/get_report", params={"report_id": first}).status_code == 200
    second = client.get("/trigger_report").json()["report_id"]
    assert finish(con, second) is ReportState.COMPLETE

    gone = client.get("/get_report", params={"report_id": first})
    assert gone.status_code == 410
    assert gone.headers["cache-control"] == "no-store"
    body = gone.json()
    assert (body["status"], body["error"]) == ("Expired", "expired: generate it again")
    assert body["expired_at"].endswith("Z")
    # The row and its figures are still there: only the CSV is gone.
    kept = jobs.get_report(con, first)
    assert kept.row_count == 1 and kept.as_of is not None and kept.finished_at is not None
    assert client.get("/get_report", params={"report_id": second}).status_code == 200


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.5", True),
     ("*", True), ("identity", False), ("", False), ("gzip;q=0", False),
     ("*;q=0", False), ("deflate, *;q=0.1", True), ("gzip;q=zero", False)],
)
def test_a_complete_report_is_sent_gzipped_exactly_when_the_client_accepts_gzip(
    client: TestClient, con: duckdb.DuckDBPyConnection, accept: str, gzipped: bool
) -> None:
    report_id = "gz1"
    folder = jobs.reports_dir(con)
    folder.mkdir(parents=True, exist_ok=True)
    text = REPORT_CSV * 100
    twin = report_files.csv_file(folder, report_id, compressed=True)
    twin.write_bytes(gzip.compress(text.encode()))
    insert_report(con, report_id, ReportState.COMPLETE, csv_text=text)
    response = client.get("/get_report", params={"report_id": report_id},
                          headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is gzipped
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == text.encode()  # httpx decodes what it was sent


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_post_get_report_with_an_unreadable_json_body_is_a_400(
    client: TestClient, content: str
) -> None:
    response = client.post(
        "/get_report", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_methods_outside_the_contract_are_405(client: TestClient) -> None:
    assert client.put("/get_report?report_id=x").status_code == 405
    assert client.delete("/trigger_report").status_code == 405
    assert client.post("/healthz").status_code == 405


# --- /healthz ------------------------------------------------------------------------


def test_healthz_on_an_empty_database_has_no_latest_poll(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["latest_poll"] is None
    assert body["schema_version"] >= 1


def test_healthz_reports_the_latest_poll_in_utc(
    client: TestClient, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_feeds(
        con,
        tmp_path,
        polls=[
            ("s1", "active", "2023-01-24 09:00:00.000000 UTC"),
            ("s2", "inactive", "2023-01-25 18:13:22.000000 UTC"),
        ],
    )
    assert client.get("/healthz").json()["latest_poll"] == "2023-01-25T18:13:22Z"


def test_healthz_is_503_when_the_database_cannot_be_opened() -> None:
    def locked() -> duckdb.DuckDBPyConnection:
        raise DatabaseLockedError("data/loop.duckdb is in use by another process")

    client = TestClient(Starlette(routes=api.routes(locked)))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert "in use" in response.json()["database"]


def test_other_routes_are_503_json_when_the_database_is_locked() -> None:
    def locked() -> duckdb.DuckDBPyConnection:
        raise DatabaseLockedError("data/loop.duckdb is in use by another process")

    client = TestClient(Starlette(routes=api.routes(locked)))
    response = client.get("/trigger_report")
    assert response.status_code == 503
    assert "in use" in response.json()["error"]


def test_a_database_error_is_a_500_json_error_not_a_traceback(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    with con.cursor() as cur:
        cur.execute("DROP TABLE reports")
    response = client.get("/get_report", params={"report_id": "x"})
    assert response.status_code == 500
    assert response.json()["error"].startswith("database error")


# --- named tokens with roles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/trigger_report"),
        ("POST", "/trigger_report"),
        ("GET", "/get_report?report_id=done1"),
        ("POST", "/get_report?report_id=done1"),
        ("GET", "/healthz"),
        ("GET", "/status"),
        ("GET", "/incidents"),
    ],
)
def test_with_a_token_configured_every_route_is_401_without_it(
    guarded: TestClient, con: duckdb.DuckDBPyConnection, method: str, url: str
) -> None:
    response = guarded.request(method, url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["error"]
    assert jobs.list_reports(con) == []


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", f"Bearer {TOKEN[:-1]}"],
)
def test_a_wrong_authorization_header_is_401(guarded: TestClient, authorization: str) -> None:
    response = guarded.get("/healthz", headers={"Authorization": authorization})
    assert response.status_code == 401


@pytest.mark.parametrize("token", [TOKEN, READ_TOKEN, "wrong", ""])
def test_a_token_in_the_query_string_is_refused_with_a_message_saying_so(
    guarded: TestClient, con: duckdb.DuckDBPyConnection, token: str
) -> None:
    # Even the right token: it would already be in a proxy's log and the browser's history.
    for method, url in (("POST", "/trigger_report"), ("GET", "/healthz")):
        response = guarded.request(method, url, params={"token": token})
        assert response.status_code == 400
        assert "Authorization: Bearer" in response.json()["error"]
        assert "?token=" in response.json()["error"]
    assert jobs.list_reports(con) == []


def test_a_query_string_token_is_refused_even_while_the_api_is_open(
    client: TestClient,
) -> None:
    response = client.get("/healthz", params={"token": "anything"})
    assert response.status_code == 400


def test_the_token_is_accepted_as_a_bearer_header(
    guarded: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "done1", ReportState.COMPLETE, csv_text=REPORT_CSV)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/healthz", headers=headers).status_code == 200
    response = guarded.get("/get_report?report_id=done1", headers=headers)
    assert response.status_code == 200
    assert response.text == REPORT_CSV


def test_a_read_token_reads_every_route_but_cannot_trigger_a_report(
    guarded: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    insert_report(con, "done1", ReportState.COMPLETE, csv_text=REPORT_CSV)
    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    for url in ("/healthz", "/get_report?report_id=done1", "/status", "/incidents"):
        # /status and /incidents have no polls to work on here: 400/500 are theirs, not 401/403.
        assert guarded.get(url, headers=headers).status_code not in (401, 403), url
    for method in ("GET", "POST"):
        refused = guarded.request(method, "/trigger_report", headers=headers)
        assert refused.status_code == 403
        assert "'dashboards' has the role read" in refused.json()["error"]
    assert [r.report_id for r in jobs.list_reports(con)] == ["done1"]
    assert audit.entries(con).empty


def test_a_trigger_token_starts_a_report_and_the_audit_log_names_the_token(
    guarded: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    response = guarded.post("/trigger_report?as_of=2024-10-14T12:00:00Z",
                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    report_id = response.json()["report_id"]
    finish(con, report_id)
    entry = audit.entries(con).iloc[0]
    assert (entry["actor"], entry["action"], entry["subject"]) == (
        "token:scheduler", "report_triggered", report_id)
    assert json.loads(entry["details"]) == {"as_of": "2024-10-14T12:00:00Z"}
    assert TOKEN not in audit.entries_csv(con)


def test_errors_behind_the_token_keep_their_own_codes(guarded: TestClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/get_report", headers=headers).status_code == 400
    assert guarded.get("/get_report?report_id=nope", headers=headers).status_code == 404
    bad = guarded.get("/trigger_report?as_of=soon", headers=headers)
    assert bad.status_code == 400


def test_without_a_token_configured_the_api_is_open_and_its_reports_are_the_apis(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    assert client.get("/healthz").status_code == 200
    finish(con, client.post("/trigger_report").json()["report_id"])
    assert audit.entries(con)["actor"].to_list() == ["api"]


# --- with the real report engine -----------------------------------------------------


def test_a_triggered_report_completes_and_downloads_the_engine_csv(
    client: TestClient, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    pytest.importorskip("loop_core.report")
    as_of = datetime(2023, 1, 25, 18, 0, tzinfo=UTC)
    load_feeds(
        con,
        tmp_path,
        polls=a_week_of_polls("s1", as_of) + a_week_of_polls("s2", as_of),
        zones=[("s1", "UTC"), ("s2", "America/New_York")],
    )
    report_id = client.get("/trigger_report?as_of=2023-01-25T18:00:00Z").json()["report_id"]
    assert finish(con, report_id) is ReportState.COMPLETE, jobs.get_report(con, report_id).error

    response = client.get("/get_report", params={"report_id": report_id})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f"attachment; filename=report_{report_id}.csv"
    )
    # Byte for byte what the engine computes, served from the report's files: gzip for a
    # client that accepts it (httpx does, as browsers do), the plain CSV for one that not.
    from loop_core.report import compute_report

    engine = compute_report(con, as_of).csv.encode("utf-8")
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == engine
    plain = client.get("/get_report", params={"report_id": report_id},
                       headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == engine
    assert plain.headers["content-length"] == str(len(engine))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(row["store_id"] for row in rows) == ["s1", "s2"]


def test_extended_1_downloads_the_extended_twin_with_the_standard_columns_first(
    client: TestClient, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from loop_core import context

    as_of = datetime(2023, 1, 25, 18, 0, tzinfo=UTC)
    load_feeds(con, tmp_path, polls=a_week_of_polls("s1", as_of), zones=[("s1", "UTC")])
    (tmp_path / "stores.csv").write_text('store_id,name,hourly_revenue\ns1,"Main St, 1",20\n')
    ingest.ingest_file(con, Feed.STORES, tmp_path / "stores.csv")
    report_id = client.get("/trigger_report?as_of=2023-01-25T18:00:00Z").json()["report_id"]
    assert finish(con, report_id) is ReportState.COMPLETE, jobs.get_report(con, report_id).error

    response = client.get("/get_report", params={"report_id": report_id, "extended": "1"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f"attachment; filename=report_extended_{report_id}.csv")
    assert "content-encoding" not in response.headers
    assert response.content == context.extended_csv(con, as_of).encode("utf-8")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert (rows[0]["store_id"], rows[0]["name"]) == ("s1", "Main St, 1")
    # The standard CSV is the same file as before, with extended=0 or without it.
    standard = client.get("/get_report", params={"report_id": report_id, "extended": "0"})
    assert standard.content == client.get(
        "/get_report", params={"report_id": report_id}).content
    assert response.text.startswith(standard.text.split("\n")[0] + ",name,")
    # POST bodies carry it too.
    posted = client.post("/get_report", json={"report_id": report_id, "extended": "1"})
    assert posted.content == response.content


def test_an_extended_flag_other_than_1_or_0_is_a_400(client: TestClient) -> None:
    response = client.get("/get_report", params={"report_id": "x", "extended": "yes"})
    assert response.status_code == 400
    assert "extended" in response.json()["error"]


def test_a_report_without_an_extended_twin_answers_410_with_the_reason(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    # Made before reports had a twin: its standard CSV only.
    insert_report(con, "old1", ReportState.COMPLETE, csv_text=REPORT_CSV)
    response = client.get("/get_report", params={"report_id": "old1", "extended": "1"})
    assert response.status_code == 410
    assert "no extended CSV" in response.json()["error"]
    assert client.get("/get_report", params={"report_id": "old1"}).text == REPORT_CSV


# --- hygiene -------------------------------------------------------------------------


def test_the_api_module_does_not_import_streamlit() -> None:
    code = "import sys, loop_core.api; print('streamlit' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00Z", "2100-01-01T00:00:00Z"])
def test_an_impossible_as_of_is_a_400_before_any_job_starts(
    client: TestClient, con: duckdb.DuckDBPyConnection, as_of: str
) -> None:
    response = client.get("/trigger_report", params={"as_of": as_of})
    assert response.status_code == 400
    assert "[2000-01-01, 2100-01-01)" in response.json()["error"]
    assert con.execute("SELECT count(*) FROM reports").fetchone() == (0,)
