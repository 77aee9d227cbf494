"""End to end: the served dashboard in headless Chromium, against the CLI on the same data.

Starts the real server (``serve.py`` when present, which also serves the HTTP API, else
``app.py``) on a free port with ``LOOP_DB`` on an empty temporary database, so the app's
own first start loads the sample. A report is generated and downloaded in the browser;
after the server stops (DuckDB allows one process per file), ``python -m loop_core report``
must print exactly the downloaded CSV. Uses Debian's chromium; never downloads a browser.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
START_TIMEOUT_S = 60
STEP_TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server did not answer within {timeout_s} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # make test installs it: missing in CI is a failure
            pytest.fail(f"{CHROMIUM} is missing; scripts/ensure-chromium should install it")
        pytest.skip("Debian chromium is not installed (make test installs it)")
    db_path = tmp_path / "e2e.duckdb"
    port = _free_port()
    script = "serve.py"
    # Only the settings this test chooses: no developer secrets.toml, no LOOP_* variables.
    secrets = tmp_path / "no-secrets.toml"
    secrets.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    # No demo feed: an hour turning during the test would add polls between the browser's
    # report and the CLI's.
    env.update({"LOOP_DB": str(db_path), "LOOP_SECRETS": str(secrets), "LOOP_DEMO_FEED": "0"})
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, START_TIMEOUT_S)
        yield url, db_path, proc
    finally:
        _stop(proc)
        log.close()


def test_a_report_generated_and_downloaded_in_the_browser_equals_the_cli_report(
    server: tuple[str, Path, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, db_path, proc = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900},
                                    accept_downloads=True)
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(url)
            page.get_by_role("button", name="Generate report").click()
            page.get_by_text("Complete:").wait_for()
            assert "report_id=" in page.url
            with page.expect_download() as info:
                page.get_by_role("button", name="Download CSV").click()
            download = info.value
            assert download.suggested_filename.startswith("store-uptime-report_as-of_")
            target = tmp_path / download.suggested_filename
            download.save_as(target)

            # The drill-down of the worst store opens from its link and draws its timeline.
            page.get_by_role("link", name="·").first.click()
            page.get_by_text("Timeline").first.wait_for()
            assert "store_id=" in page.url
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            browser.close()

    _stop(proc)  # DuckDB: one process per file; the CLI needs the database now
    cli = subprocess.run(
        [sys.executable, "-m", "loop_core", "report", "--db", str(db_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    downloaded = target.read_text(encoding="utf-8")
    assert downloaded.splitlines()[0].startswith("store_id,uptime_last_hour")
    assert len(downloaded.splitlines()) == 201
    assert downloaded == cli.stdout


class _Tracker:
    """A loopback HTTP server that records every request: data must never make the
    browser fetch anything from it."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.paths: list[str] = []
        tracker = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tracker.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_text_from_the_data_is_shown_as_text_on_every_page(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    tracker = _Tracker()
    base = f"http://127.0.0.1:{tracker.port}"
    hyperlink = f'=HYPERLINK("{base}/h")'
    hostile = [f"![i]({base}/img.png)", f"**bold** [l]({base}/link)", ":red[alarm] $$x$$",
               hyperlink, f"<img src={base}/html.png>"]
    zone_store = "zoned"
    polls = ["store_id,status,timestamp_utc"]
    for n, sid in enumerate([*hostile, zone_store]):
        quoted = '"' + sid.replace('"', '""') + '"'
        for h in range(24):
            status = "inactive" if (h + n) % 4 == 0 else "active"
            polls.append(f"{quoted},{status},2024-10-14 {h:02d}:10:00 UTC")
    (tmp_path / "store_status.csv").write_text("\n".join(polls) + "\n", encoding="utf-8")
    (tmp_path / "timezones.csv").write_text(
        f"store_id,timezone_str\n{zone_store},[z]({base}/zone)\n", encoding="utf-8")
    db_path = tmp_path / "hostile.duckdb"
    subprocess.run(
        [sys.executable, "-m", "loop_core", "ingest", "--db", str(db_path),
         "--store-status", str(tmp_path / "store_status.csv"),
         "--timezones", str(tmp_path / "timezones.csv")],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )
    secrets = tmp_path / "no-secrets.toml"
    secrets.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_DB": str(db_path), "LOOP_SECRETS": str(secrets), "LOOP_NO_SAMPLE": "1"})
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_healthy(url, proc, START_TIMEOUT_S)
        with urllib.request.urlopen(f"{url}/trigger_report", timeout=10) as r:
            import json

            report_id = json.load(r)["report_id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1400})
                page.set_default_timeout(STEP_TIMEOUT_MS)

                def check(path: str, ready: str) -> str:
                    page.goto(url + path)
                    page.get_by_text(ready).first.wait_for()
                    page.wait_for_timeout(1500)  # images and links would be fetched by now
                    # No element points at the tracker (our own links may carry an id
                    # that names it in their query, url-encoded: those are fine).
                    for tag, attribute in (("img", "src"), ("a", "href"), ("iframe", "src")):
                        assert page.locator(f"{tag}[{attribute}^='{base}']").count() == 0
                    assert page.locator("strong:text-is('bold')").count() == 0
                    assert page.locator("[data-testid='stException']").count() == 0
                    return page.inner_text("body")

                text = check(f"/?report_id={report_id}", "Complete:")
                assert "**bold**" in text and ":red[alarm]" in text
                check("/fleet", "Most downtime last week")
                check("/data", "Data quality")
                zoned = check(f"/store?store_id={zone_store}", "Timeline")
                assert f"[z]({base}/zone)" in zoned  # the invalid zone, verbatim
                missing = check("/store?store_id=**x**%20[l](https://evil.example)",
                                "No polled store id")
                assert "**x** [l](https://evil.example)" in missing

                # The preview's link opens the real id, not the CSV's guarded '=HYPERLINK.
                page.goto(f"{url}/?report_id={report_id}")
                page.get_by_role("link", name="HYPERLINK").first.click()
                page.get_by_text("Timeline").first.wait_for()
                box = page.get_by_label("Store id")
                assert box.input_value() == hyperlink
            except Exception:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)  # to look at
                raise
            finally:
                browser.close()
        assert tracker.paths == []
    finally:
        _stop(proc)
        log.close()
        tracker.close()
