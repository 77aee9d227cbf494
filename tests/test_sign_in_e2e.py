"""End to end: signing in to the served dashboard through a real OpenID Connect provider.

The provider is ``oidc-provider-mock`` (discovery, an authorization form, the token
endpoint, signed ID tokens) on a loopback port of this test process; the dashboard is
``serve.py`` with an ``[auth]`` section pointing at it. Headless Chromium goes through the
same redirects as with Google or Entra: the dashboard's sign-in button, the provider's
form, ``/oauth2callback``, and back. A viewer sees no upload; an admin uploads a file and
finds it in the audit log's CSV under their email.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.test_e2e_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    START_TIMEOUT_S,
    STEP_TIMEOUT_MS,
    _free_port,
    _stop,
    _wait_healthy,
    require_chromium,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "app"
ADMIN = "ops.lead@chain.example"
VIEWER = "analyst@chain.example"


@pytest.fixture
def provider() -> Iterator[str]:
    """The OpenID provider's base URL, with our two people known to it."""
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        base = f"http://localhost:{server.server_port}"
        for email in (ADMIN, VIEWER):
            claims = {"email": email, "email_verified": True, "name": email.split("@")[0]}
            response = httpx.put(f"{base}/users/{quote(email)}", json=claims, timeout=10)
            assert response.status_code == 204
        yield base


@pytest.fixture
def dashboard(provider: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    require_chromium()
    port = _free_port()
    # People open the dashboard at localhost, the address the provider redirects back to.
    url = f"http://localhost:{port}"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "a-cookie-secret-for-this-test-only"
client_id = "store-uptime-monitor"
client_secret = "a-client-secret-for-this-test-only"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
admins = ["{ADMIN}"]
viewers = ["{VIEWER}"]
""", encoding="utf-8")
    db_path = tmp_path / "signin.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_DB": str(db_path), "LOOP_SECRETS": str(secrets), "LOOP_DEMO_FEED": "0"})
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", proc, START_TIMEOUT_S)
            yield url, log_path
        finally:
            _stop(proc)


def _sign_in(browser: Browser, url: str, email: str) -> Page:
    """A fresh browser context signed in as ``email``; returns its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    # The provider's own form (another origin): who signs in.
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_text(f"Signed in as {email}").wait_for()
    return page


def test_before_sign_in_the_served_dashboard_shows_only_the_sign_in_button(
    dashboard: tuple[str, Path],
) -> None:
    from playwright.sync_api import sync_playwright

    url, _ = dashboard
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            for path in ("/", "/data", "/store?store_id=1"):
                page.goto(url + path)
                page.get_by_role("button", name="Sign in").wait_for()
                body = page.locator("body").inner_text()
                assert "Latest poll" not in body and "Load feed files" not in body
                assert page.locator("[data-testid='stSidebarNav']").count() == 0
                assert page.locator("[data-testid='stDataFrame']").count() == 0
        finally:
            browser.close()


def test_a_viewer_signs_in_and_sees_no_upload_an_admin_uploads_and_the_audit_log_shows_it(
    dashboard: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, log_path = dashboard
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            viewer = _sign_in(browser, url, VIEWER)
            viewer.get_by_text("(viewer)").wait_for()
            viewer.goto(url + "/data")
            viewer.get_by_text("Loading feed files needs the admin role").wait_for()
            assert viewer.locator("input[type=file]").count() == 0
            assert viewer.get_by_text("Audit log").count() == 0

            admin = _sign_in(browser, url, ADMIN)
            admin.goto(url + "/data")
            uploader = admin.locator("[data-testid='stFileUploader']").filter(has_text="Timezones")
            uploader.locator("input[type=file]").set_input_files(str(DATA / "timezones_good.csv"))
            admin.get_by_role("button", name="Load files").click()
            admin.get_by_text("timezones_good.csv: 3 loaded").wait_for()
            # The load reruns the page; a click that lands while it redraws is lost, so the
            # button is clicked again (at most three times) until the file comes.
            target = tmp_path / "audit_log.csv"
            for attempt in range(3):
                try:
                    with admin.expect_download(timeout=20_000) as info:
                        admin.get_by_role("button", name="Download the audit log (CSV)").click()
                    info.value.save_as(target)
                    break
                except PlaywrightTimeoutError:
                    if attempt == 2:
                        raise
            assert admin.locator("[data-testid='stException']").count() == 0
        finally:
            browser.close()
    rows = target.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "audit_id,happened_at,actor,action,subject,details"
    newest = rows[1].split(",")
    assert newest[2:5] == [ADMIN, "load", "timezones_good.csv"]
    # The provider's and the cookie's secrets never reach the server's log.
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert "a-client-secret-for-this-test-only" not in output
    assert "a-cookie-secret-for-this-test-only" not in output
