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
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
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

# The script's run has ended (a section computed on a first visit adds its table late: a
# check between two runs saw a grid not drawn yet), no spinner is left, every visible table
# has drawn its accessible table and headers, and every chart its plot.
DRAWN_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stSpinner']")) return false;
  return [...document.querySelectorAll("[data-testid='stDataFrame']")]
    .filter(g => g.checkVisibility() && g.getBoundingClientRect().height > 0)
    .every(g => {
      const t = g.querySelector('table[role=grid]');
      return g.querySelector('.dvn-scroller') && t && Number(t.getAttribute('aria-colcount')) > 0
             && t.querySelector("th[role='columnheader']");
    })
  && [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
    .every(c => c.querySelector('svg .role-mark path, canvas'));
}"""


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


@contextmanager
def _served(tmp_path: Path, **settings: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The repository's serve.py on a free port with only the given LOOP_* settings (no
    developer secrets.toml, no LOOP_* variable of the environment); always stopped."""
    secrets = tmp_path / "no-secrets.toml"
    secrets.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_SECRETS": str(secrets), **settings})
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_healthy(url, proc, START_TIMEOUT_S)
            yield url, proc
        finally:
            _stop(proc)


def require_chromium() -> None:
    """Skip a browser test where Debian's chromium is not installed, except in CI: make
    test installs it there (scripts/ensure-chromium), so a missing one is a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; scripts/ensure-chromium should install it")
        pytest.skip("Debian chromium is not installed (make test installs it)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    require_chromium()
    db_path = tmp_path / "e2e.duckdb"
    # No demo feed: an hour turning during the test would add polls between the browser's
    # report and the CLI's.
    with _served(tmp_path, LOOP_DB=str(db_path), LOOP_DEMO_FEED="0") as (url, proc):
        yield url, db_path, proc


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

    require_chromium()
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
    with _served(tmp_path, LOOP_DB=str(db_path), LOOP_NO_SAMPLE="1") as (url, _), \
            closing(tracker):
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
                    # The text can show before the rest of the page has run (under load a
                    # read here once found the preview still a skeleton).
                    page.wait_for_function(DRAWN_JS)
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
                                "No polled store's id or name")
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


def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.3)


def test_the_demo_feed_catches_up_a_store_goes_offline_on_now_and_the_alert_reaches_a_webhook(
    tmp_path: Path,
) -> None:
    """A demo database left 1+ hours behind: the server appends the missed hours, a store
    that was fine at the old end is offline on the Now view, and its alert is received."""
    import json
    from datetime import UTC, datetime, timedelta

    from playwright.sync_api import sync_playwright

    from loop_core import alerts, bootstrap, db, incidents, status
    from loop_core.config import AlertConfig
    from tests.receivers import Webhook

    require_chromium()
    if datetime.now(UTC).minute >= 57:  # the demo must not gain one more hour meanwhile
        time.sleep(60 * (60 - datetime.now(UTC).minute) + 5)
    hour = bootstrap.current_hour()
    # Which store will go offline: an incident ongoing in the current hour, long enough to
    # be announced, whose store was still up at the end of an hour before it (the old end).
    # The sample is a pure function of time, so a sample ending there is what the server
    # will have had before it stopped.
    with db.connect(":memory:") as probe:
        bootstrap.ensure_sample_data(probe, end=hour)
        found = sorted((i for i in incidents.incidents(probe) if i.ended_at is None
                        and i.downtime_us >= 45 * 60_000_000
                        and i.started_at > hour - timedelta(hours=20)),
                       key=lambda i: i.started_at, reverse=True)

        def old_end_for(i: incidents.Incident) -> datetime | None:
            last_up, first_down = probe.execute(
                "SELECT max(timestamp_utc) FILTER (WHERE is_active AND timestamp_utc < ?), "
                "min(timestamp_utc) FILTER (WHERE NOT is_active AND timestamp_utc > ?) "
                "FROM store_polls WHERE store_id = ? AND in_hours",
                [i.started_at, i.started_at, i.store_id]).fetchone() or (None, None)
            if last_up is None or first_down is None:
                return None
            end = bootstrap.current_hour(last_up) + timedelta(hours=1)
            return end if end <= first_down and end <= hour - timedelta(hours=1) else None

        store, old_end = next(((i, e) for i in found if (e := old_end_for(i)) is not None),
                              (None, None))
    assert store is not None and old_end is not None, \
        "the demo sample has no store going offline in the last 20 hours"

    hook = Webhook()
    db_path = tmp_path / "demo.duckdb"
    con = db.connect(db_path)
    try:
        bootstrap.ensure_sample_data(con, end=old_end)
        before = {s.store_id: s.status for s in status.status(con)}
        assert before.get(store.store_id) != "offline"
        # What was already down at the old end is announced now, so that the server's
        # messages are about what went down since.
        alerts.run(con, AlertConfig(urls=(hook.url,)))
    finally:
        db.close(db_path)
    announced_before = len(hook.received)

    with _served(tmp_path, LOOP_DB=str(db_path), LOOP_DEMO_FEED="1",
                 LOOP_ALERT_URLS=hook.url) as (url, _), closing(hook):
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
            latest = datetime.fromisoformat(json.load(r)["latest_poll"])
        assert old_end <= hour - timedelta(hours=1) < latest < hour  # the missed hours came

        def announced() -> bool:
            return any(store.store_id in str(p["message"])
                   for p in hook.received[announced_before:])

        _wait_for(announced, 60, f"an alert naming store {store.store_id}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            try:
                page.goto(f"{url}/now")
                page.get_by_text("Offline while open").first.wait_for()
                page.get_by_label("Store id or name contains").fill(store.store_id)
                page.keyboard.press("Enter")
                # The triage table (the first grid; its cells are in the accessible DOM)
                # now holds just that store.
                triage = page.locator("[data-testid='stDataFrame']").first
                cells = triage.locator("[role='gridcell']")
                cells.filter(has_text=store.store_id).first.wait_for(state="attached")

                def ids() -> list[str]:
                    return [c for c in cells.all_inner_texts() if c.isdigit() and len(c) > 12]

                # The store is in the table before the search has run too: wait for the
                # search's run to leave it alone (under load a read came before it).
                _wait_for(lambda: ids() == [store.store_id], 60,
                          f"the search leaving store {store.store_id} alone in the table")
                page.screenshot(path=str(tmp_path / "now.png"), full_page=True)
            except Exception:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
                raise
            finally:
                browser.close()
