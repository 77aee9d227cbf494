"""``streamlit run serve.py`` for real: one process serves the dashboard and the HTTP API.

Each test starts its own server on a free port against a temporary database, talks to it
with httpx (and, for the dashboard, over Streamlit's own websocket), and always stops it.
Most tests serve a copy of ``serve.py`` next to a stand-in ``app.py``, so that they depend
neither on the dashboard's state nor on a developer's ``.streamlit/secrets.toml``; the last
one runs the repository's own ``serve.py`` and ``app.py`` exactly as the README says.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from loop_core import audit, db, ingest, jobs, sample
from loop_core.models import Feed, ReportState

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0
REPORT_TIMEOUT_S = 90.0
TOKEN = "live-test-token"
# What Streamlit prints when it imports a UI script as a plain module ("bare mode"): the
# script's st.* calls run on the main thread with no session. (Threads that a dashboard
# starts itself print the same text under their own name; that is not this.)
BARE_MODE_WARNINGS = (
    "Thread 'MainThread': missing ScriptRunContext",
    "to view this Streamlit app on a browser, run it with the following",
)

STAND_IN_APP = """\
import streamlit as st

st.title("Store Uptime Monitor (test stand-in)")
"""


@dataclass
class Server:
    url: str
    log: Path
    returncode: int | None = None  # set once the process has been stopped

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_run(
    script: Path, db_path: Path, *, token: str | None = None,
    extra_env: dict[str, str] | None = None, address: str | None = "127.0.0.1",
) -> Iterator[Server]:
    """Run ``streamlit run <script>`` until the block ends; the process is always stopped.

    The server reads an empty secrets file and no LOOP_* variable but those given here,
    so a developer's own ``.streamlit/secrets.toml`` or environment cannot change a test.
    ``address=None`` passes no ``--server.address``: the script folder's config decides.
    """
    port = free_port()
    secrets = db_path.parent / "no-secrets.toml"
    secrets.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_DB": str(db_path), "LOOP_SECRETS": str(secrets), "PYTHONPATH": str(REPO),
                "LOOP_DEMO_FEED": "0"})
    if token is not None:
        env["LOOP_API_TOKEN"] = token
    env.update(extra_env or {})
    log = db_path.parent / f"streamlit-{port}.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        *(["--server.address", address] if address is not None else []),
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command, cwd=script.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        server = Server(f"http://127.0.0.1:{port}", log)
        try:
            wait_until_up(server, process)
            yield server
        finally:
            process.terminate()
            try:
                server.returncode = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def wait_until_up(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/_stcore/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer within {START_TIMEOUT_S:.0f} s:\n{server.output()}")


def wait_for_report(server: Server, report_id: str) -> httpx.Response:
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while True:
        params = {"report_id": report_id}
        response = httpx.get(f"{server.url}/get_report", params=params, timeout=10)
        running = response.headers["content-type"].startswith("application/json") and (
            response.json().get("status") == ReportState.RUNNING.value
        )
        if not running or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def dashboard_session_runs(server: Server) -> list[str]:
    """Open a browser-like session over the websocket; the message types until the script ends."""
    return dashboard_session(server)[0]


def dashboard_session(
    server: Server, page_name: str = "", query: str = ""
) -> tuple[list[str], list[str]]:
    """A browser-like session over the websocket, as a browser opening ``/<page_name>?<query>``:
    the message types until the script ends, and the text of the elements it drew."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    ws_url = server.url.replace("http://", "ws://") + "/_stcore/stream"
    seen: list[str] = []
    texts: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    with connect(ws_url, subprotocols=[Subprotocol("streamlit")], open_timeout=10) as ws:
        rerun = BackMsg()
        rerun.rerun_script.query_string = query
        rerun.rerun_script.page_name = page_name
        ws.send(rerun.SerializeToString())
        while "script_finished" not in seen and time.monotonic() < deadline:
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            seen.append(message.WhichOneof("type") or "")
            if seen[-1] == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                kind = element.WhichOneof("type")
                if kind in ("markdown", "heading"):
                    texts.append(getattr(element, kind).body)
    return seen, texts


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database with a few sample stores."""
    path = tmp_path / "live.duckdb"
    con = db.connect(path)
    feeds = sample.write_sample(tmp_path / "feeds", stores=5, days=2)
    ingest.ingest_files(
        con,
        store_status=feeds[Feed.STORE_STATUS],
        business_hours=feeds[Feed.BUSINESS_HOURS],
        timezones=feeds[Feed.TIMEZONES],
        source="test",
    )
    # The server process must be the only one holding the file.
    db.close(path)
    return path


@pytest.fixture
def stand_in_tree(tmp_path: Path) -> Path:
    """``serve.py`` copied next to a one-line dashboard; returns the copied ``serve.py``."""
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(REPO / "serve.py", tree / "serve.py")
    (tree / "app.py").write_text(STAND_IN_APP, encoding="utf-8")
    return tree / "serve.py"


def test_one_streamlit_run_serves_the_api_and_the_dashboard_without_warnings(
    stand_in_tree: Path, db_path: Path
) -> None:
    with streamlit_run(stand_in_tree, db_path) as server:
        health = httpx.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["database"] == "ok"

        assert httpx.get(f"{server.url}/get_report", timeout=10).status_code == 400
        unknown = httpx.get(f"{server.url}/get_report?report_id=nope", timeout=10)
        assert unknown.status_code == 404
        bad = httpx.post(f"{server.url}/trigger_report?as_of=not-a-date", timeout=10)
        assert bad.status_code == 400
        assert "error" in bad.json()

        page = httpx.get(f"{server.url}/", timeout=10)
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        seen = dashboard_session_runs(server)
        assert "new_session" in seen
        assert "script_finished" in seen
        output = server.output()
    assert not [w for w in BARE_MODE_WARNINGS if w in output]
    assert "missing ScriptRunContext" not in output
    assert "Traceback" not in output


def test_the_st_app_is_kept_out_of_the_ui_script_because_there_it_prints_warnings(
    tmp_path: Path,
) -> None:
    # Why serve.py exists: the same App defined inside the UI script makes Streamlit import
    # that script as a plain module, and its st.* calls warn. Also proves the strings above.
    tree = tmp_path / "combined"
    tree.mkdir()
    (tree / "app.py").write_text(
        "import streamlit as st\n\n"
        'app = st.App("app.py")\n'
        'st.title("UI and App in one file")\n',
        encoding="utf-8",
    )
    with streamlit_run(tree / "app.py", tmp_path / "unused.duckdb") as server:
        deadline = time.monotonic() + 10
        while not all(w in server.output() for w in BARE_MODE_WARNINGS):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        output = server.output()
    assert all(w in output for w in BARE_MODE_WARNINGS), output


def test_healthz_reports_the_latest_poll_of_the_loaded_data(
    stand_in_tree: Path, db_path: Path
) -> None:
    with streamlit_run(stand_in_tree, db_path) as server:
        body = httpx.get(f"{server.url}/healthz", timeout=10).json()
    assert body["latest_poll"] is not None
    assert body["latest_poll"].endswith("Z")


def test_a_report_triggered_over_http_appears_in_the_dashboard_history(
    stand_in_tree: Path, db_path: Path
) -> None:
    with streamlit_run(stand_in_tree, db_path) as server:
        triggered = httpx.get(f"{server.url}/trigger_report", timeout=10)
        assert triggered.status_code == 200
        report_id = triggered.json()["report_id"]
        final = wait_for_report(server, report_id)
        assert final.status_code == 200

    # The dashboard's history is jobs.list_reports over the same file.
    con = db.connect(db_path)
    try:
        history = {r.report_id: r for r in jobs.list_reports(con)}
    finally:
        db.close(db_path)
    assert report_id in history
    assert history[report_id].status is not ReportState.RUNNING


def test_a_report_triggered_over_http_downloads_as_csv_when_complete(
    stand_in_tree: Path, db_path: Path
) -> None:
    with streamlit_run(stand_in_tree, db_path) as server:
        report_id = httpx.post(f"{server.url}/trigger_report", timeout=10).json()["report_id"]
        wait_for_report(server, report_id)
        response = httpx.post(
            f"{server.url}/get_report", data={"report_id": report_id}, timeout=10
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f"attachment; filename=report_{report_id}.csv"
    )
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("store_id,")
    assert len(lines) == 1 + 5  # one row per sample store


def test_a_token_from_the_environment_guards_the_api_but_not_the_dashboard(
    stand_in_tree: Path, db_path: Path
) -> None:
    with streamlit_run(stand_in_tree, db_path, token=TOKEN) as server:
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 401
        assert httpx.get(f"{server.url}/trigger_report", timeout=10).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(f"{server.url}/healthz", headers=bearer, timeout=10).status_code == 200
        missing = httpx.get(f"{server.url}/get_report?report_id=nope", headers=bearer, timeout=10)
        assert missing.status_code == 404
        assert httpx.get(f"{server.url}/", timeout=10).status_code == 200


READ_TOKEN = "read-token-4f1e9c2a7b"
TRIGGER_TOKEN = "trigger-token-8d3b6e0f51"


def test_named_tokens_on_the_real_server_refuse_the_url_and_a_read_token_cannot_trigger(
    stand_in_tree: Path, db_path: Path
) -> None:
    tokens = f"wall:read:{READ_TOKEN} scheduler:trigger:{TRIGGER_TOKEN}"
    with streamlit_run(stand_in_tree, db_path, token=TOKEN,
                       extra_env={"LOOP_API_TOKENS": tokens}) as server:
        def call(path: str, bearer: str | None = None, **params: str) -> httpx.Response:
            headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
            return httpx.post(f"{server.url}{path}", headers=headers, params=params, timeout=10)

        # Right tokens, but in the URL (even beside a good header): refused, no report starts.
        for in_url in (call("/trigger_report", token=TRIGGER_TOKEN),
                       call("/trigger_report", bearer=TRIGGER_TOKEN, token=TRIGGER_TOKEN),
                       httpx.get(f"{server.url}/healthz?token={READ_TOKEN}", timeout=10)):
            assert in_url.status_code == 400
            assert "Authorization: Bearer" in in_url.json()["error"]
        assert call("/trigger_report", bearer=READ_TOKEN).status_code == 403
        assert call("/trigger_report", bearer="not-a-token-at-all").status_code == 401
        for token in (READ_TOKEN, TRIGGER_TOKEN, TOKEN):
            assert httpx.get(f"{server.url}/healthz", timeout=10,
                             headers={"Authorization": f"Bearer {token}"}).status_code == 200
        started = call("/trigger_report", bearer=TRIGGER_TOKEN, as_of="2000-01-02T00:00:00Z")
        assert started.status_code == 200
        by_default = call("/trigger_report", bearer=TOKEN)  # LOOP_API_TOKEN: 'default'
        assert by_default.status_code == 200
    assert server.returncode is not None
    # Nothing the server printed, at any level, holds a token: not the refused URL, not
    # the settings, not the reports' audit entries.
    output = server.output()
    assert "services started" in output  # the log was captured at all
    for token in (READ_TOKEN, TRIGGER_TOKEN, TOKEN):
        assert token not in output
    con = db.connect(db_path)
    try:
        log = audit.entries(con, None)
        triggered = log[log["action"] == "report_triggered"]
        assert sorted(triggered["actor"]) == ["token:default", "token:scheduler"]
        everything = audit.entries_csv(con)
        assert not [t for t in (READ_TOKEN, TRIGGER_TOKEN, TOKEN) if t in everything]
        start = json.loads(log[log["action"] == "server_start"].iloc[0]["details"])
        assert start["api_tokens"] == [{"name": "default", "role": "trigger"},
                                       {"name": "wall", "role": "read"},
                                       {"name": "scheduler", "role": "trigger"}]
    finally:
        db.close(db_path)


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of every socket listening on ``port``, from the kernel's own
    tables (/proc/net/tcp and tcp6): what the server bound, without sending any traffic
    to a non-loopback address."""
    found: set[str] = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{table}").read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            host, _, hex_port = fields[1].rpartition(":")
            if fields[3] != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(host)  # each 32-bit word in the host's (little-endian) order
            packed = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, packed))
    return found


def test_by_default_the_real_server_listens_on_loopback_only(db_path: Path) -> None:
    # No --server.address: the committed .streamlit/config.toml decides, as for `make run`.
    with streamlit_run(REPO / "serve.py", db_path, token=TOKEN, address=None) as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert _listening_addresses(port) == {"127.0.0.1"}
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(f"{server.url}/healthz", headers=bearer, timeout=10).status_code == 200


def test_the_readme_command_serves_the_repository_dashboard_and_api(db_path: Path) -> None:
    # The token pins the API's state whatever the developer's own secrets.toml says.
    with streamlit_run(REPO / "serve.py", db_path, token=TOKEN) as server:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(f"{server.url}/healthz", headers=bearer, timeout=10).status_code == 200
        seen = dashboard_session_runs(server)
        assert "script_finished" in seen
        output = server.output()
    assert not [w for w in BARE_MODE_WARNINGS if w in output]


def _polls_file(folder: Path, *polls: str) -> None:
    # Written beside, then renamed into place: the folder source never sees half a file.
    part = folder / "store_status.csv.part"
    part.write_text("store_id,status,timestamp_utc\n" + "".join(f"{p}\n" for p in polls),
                    encoding="utf-8")
    part.replace(folder / "store_status.csv")


def _latest_poll(server: Server) -> str | None:
    body = httpx.get(f"{server.url}/healthz", timeout=10).json()
    return None if body.get("latest_poll") is None else str(body["latest_poll"])


def _wait_for_latest_poll(server: Server, expected: str, timeout_s: float = 45.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _latest_poll(server) != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"/healthz never showed {expected}; last {_latest_poll(server)}:\n"
                        f"{server.output()}")
        time.sleep(0.3)


def test_the_server_syncs_its_folder_from_start_up_without_any_page_being_opened(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _polls_file(inbox, "s1,active,2026-11-30 10:00:00 UTC")
    settings = {
        "LOOP_SYNC_FOLDER": str(inbox),
        "LOOP_SYNC_INTERVAL_MINUTES": "0.02",  # every 1.2 s
        "LOOP_NO_SAMPLE": "1",
    }
    with streamlit_run(REPO / "serve.py", tmp_path / "sync.duckdb", extra_env=settings) as server:
        # Nobody opens the dashboard: only the API is asked, and the sync runs anyway.
        _wait_for_latest_poll(server, "2026-11-30T10:00:00Z")
        time.sleep(1.2)  # the folder source waits until a file is a second old
        _polls_file(
            inbox, "s1,active,2026-11-30 10:00:00 UTC", "s1,inactive,2026-11-30 11:00:00 UTC"
        )
        _wait_for_latest_poll(server, "2026-11-30T11:00:00Z")
        output = server.output()
    # SIGTERM: uvicorn shuts down (the lifespan stops the sync thread), then re-raises it.
    assert server.returncode in (0, -15), server.output()
    assert "services started" in output and "every 0.02 min from folder" in output
    assert "services stopped: the sync thread has ended" in server.output()
    assert "Traceback" not in server.output()
    con = db.connect(tmp_path / "sync.duckdb")
    try:
        runs = con.execute("SELECT count(*), count(*) FILTER (WHERE finished_at IS NULL) "
                           "FROM sync_runs").fetchone()
    finally:
        db.close(tmp_path / "sync.duckdb")
    assert runs is not None and runs[0] >= 2 and runs[1] == 0  # no run left half-done


def test_a_setting_that_cannot_be_used_stops_the_server_with_a_line_naming_the_key(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_DB": str(tmp_path / "x.duckdb"), "LOOP_MEMORY_LIMIT": "lots",
                "PYTHONPATH": str(REPO)})
    out = subprocess.run(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "serve.py"),
         "--server.headless", "true", "--server.port", str(free_port())],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode != 0
    assert "LOOP_MEMORY_LIMIT" in out.stderr and "Traceback" not in out.stderr


def test_a_deep_link_to_a_page_on_a_fresh_server_runs_inside_the_app(db_path: Path) -> None:
    # The first visit of a fresh server is /fleet: Streamlit runs pages/fleet.py alone
    # (its pages/ folder rule) unless ui.entry.require_entry_point puts it inside app.py.
    # If a Streamlit upgrade breaks that workaround, the sidebar is missing: this fails.
    with streamlit_run(REPO / "serve.py", db_path) as server:
        seen, texts = dashboard_session(server, page_name="fleet")
    assert "script_finished" in seen
    assert "Fleet overview" in texts
    assert any("Latest poll" in text for text in texts)


def test_a_database_held_by_another_process_stops_the_start_with_one_line(
    db_path: Path,
) -> None:
    import duckdb

    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_DB": str(db_path), "PYTHONPATH": str(REPO)})
    holder = duckdb.connect(str(db_path))  # this test process holds the file's lock
    try:
        out = subprocess.run(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "serve.py"),
             "--server.headless", "true", "--server.port", str(free_port())],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )
    finally:
        holder.close()
    assert out.returncode == 2
    assert "cannot start" in out.stderr and "in use by another process" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    # Streamlit prints its URL before it imports serve.py: the process then ends at once.
    assert not httpx_reachable(out.stdout)


def httpx_reachable(stdout: str) -> bool:
    for word in stdout.split():
        if word.startswith("http://localhost:"):
            try:
                httpx.get(word, timeout=2)
            except httpx.TransportError:
                return False
            return True
    return False
