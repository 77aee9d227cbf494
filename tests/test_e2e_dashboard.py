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
    env.update({"LOOP_DB": str(db_path), "LOOP_SECRETS": str(secrets)})
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
