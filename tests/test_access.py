"""Sign-in and roles on the dashboard, through AppTest: what each visitor sees, and the
server's own check when a session calls an action it may not take.

Sign-in is switched on by a secrets file with an ``[auth]`` section (``LOOP_SECRETS``);
``AppTest.user`` plays the identity that ``st.login`` would have put in the cookie. The
browser's real sign-in through an OpenID provider is in ``test_sign_in_e2e.py``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from loop_core import audit, db

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DATA = Path(__file__).resolve().parent / "data" / "app"
TIMEOUT_S = 60
ADMIN = "ops.lead@chain.example"
VIEWER = "analyst@chain.example"
SECRETS = f"""
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "a-cookie-secret-for-the-access-tests"
client_id = "dashboard"
client_secret = "client-secret-for-tests"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"

[access]
admins = ["{ADMIN}"]
viewers = ["@chain.example"]
"""


@pytest.fixture
def sign_in_on(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    monkeypatch.setenv("LOOP_SECRETS", str(secrets))
    return sample_db


def signed_in(email: str, **claims: Any) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "name": email.split("@")[0], **claims}


def run_page(page: str | None, user: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    if user is not None:
        at.user = user
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("info", "success", "warning", "error") for e in at.get(kind)]
    parts += [e.value for e in at.sidebar.get("warning")] + [c.value for c in at.sidebar.caption]
    return "\n".join(str(p) for p in parts)


def loads(path: Path) -> int:
    row = db.connect(path).execute("SELECT count(*) FROM loads").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("script", ["app.py", "pages/data.py", "pages/store.py"])
def test_with_sign_in_configured_nothing_but_the_sign_in_button_is_shown_before_sign_in(
    sign_in_on: Path, script: str
) -> None:
    # A page script opened by itself is what a deep link on a fresh server runs.
    at = AppTest.from_file(str(ROOT / script), default_timeout=TIMEOUT_S)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    # No data anywhere: no freshness in the sidebar, no table, no chart, no metric.
    assert not at.sidebar.markdown and not at.dataframe and not at.metric
    assert "Latest poll" not in texts(at) and "stores" not in texts(at)
    if script == "app.py":  # and no way to any page: the navigation has only sign-in
        with pytest.raises(ValueError, match=r"Known pages: \['Sign in'\]"):
            at.switch_page("pages/data.py")


def test_an_email_on_no_list_is_refused_and_offered_only_to_sign_out(sign_in_on: Path) -> None:
    at = run_page(None, signed_in("mallory@elsewhere.example"))
    assert not at.exception
    assert "may not use this dashboard" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.sidebar.markdown and not at.dataframe


def test_an_address_the_provider_has_not_verified_is_refused(sign_in_on: Path) -> None:
    at = run_page(None, signed_in(ADMIN, email_verified=False))
    assert "may not use this dashboard" in at.error[0].value


def test_a_viewer_sees_the_data_page_without_upload_sync_or_audit_log(sign_in_on: Path) -> None:
    at = run_page("pages/data.py", signed_in(VIEWER))
    assert not at.exception and not at.error
    assert not at.file_uploader and not at.get("form_submit_button")
    assert "Loading feed files needs the admin role" in texts(at)
    assert "data_audit_download" not in [b.key for b in at.get("download_button")]
    assert not [d for d in at.dataframe if "actor" in d.value.columns]
    assert f"Signed in as `{VIEWER}` (viewer)" in texts(at)


def test_a_viewer_sees_no_alert_settings(sign_in_on: Path) -> None:
    at = run_page("pages/alerts.py", signed_in(VIEWER))
    assert not at.exception and not at.error
    assert "shown to admins" in texts(at)
    assert not at.metric
    assert not {"alerts_test", "alerts_digest"} & {b.key for b in at.button}


DIRECT_CALLS = {
    # Each handler the pages call for an action, called as a viewer's session would if it
    # got past the page (a forged widget event, a page bug): the server must refuse it.
    "upload": "caches.load_uploads({Feed.TIMEZONES: ('tz.csv', TZ)})",
    "confirm": "caches.load_uploads({Feed.TIMEZONES: ('tz.csv', TZ)}, allow_shrink=True)",
    "sync": "caches.sync_now()",
    "test_alert": "caches.send_test_alert()",
    "send_digest": "caches.send_digest_now()",
    "alert_settings": "caches.alert_settings()",
    "audit_log": "caches.audit_log()",
}


def _direct_call_script(call: str) -> str:
    return f"""
import streamlit as st
from loop_core.models import Feed
from ui import caches
TZ = b"store_id,timezone_str\\n1,America/New_York\\n"
{call}
st.success("the handler ran")
"""


@pytest.mark.parametrize("action", sorted(DIRECT_CALLS))
def test_a_viewer_calling_an_admin_handler_directly_is_refused_and_nothing_changes(
    sign_in_on: Path, action: str
) -> None:
    before = loads(sign_in_on)
    at = AppTest.from_string(_direct_call_script(DIRECT_CALLS[action]), default_timeout=TIMEOUT_S)
    at.user = signed_in(VIEWER)
    at.run()
    assert not at.exception
    assert not at.success, "the handler ran for a viewer"
    assert "needs the admin role" in at.error[0].value
    assert f"{VIEWER} has the role viewer" in at.error[0].value
    assert loads(sign_in_on) == before


def test_the_same_direct_upload_by_an_admin_loads_and_the_audit_log_names_them(
    sign_in_on: Path,
) -> None:
    at = AppTest.from_string(_direct_call_script(DIRECT_CALLS["upload"]),
                             default_timeout=TIMEOUT_S)
    at.user = signed_in(ADMIN)
    at.run()
    assert not at.exception and not at.error
    assert at.success
    entries = audit.entries(db.connect(sign_in_on))
    load = entries[entries["action"] == "load"].iloc[0]
    assert (load["actor"], load["subject"]) == (ADMIN, "tz.csv")
    details = json.loads(load["details"])
    assert (details["feed"], details["rows_loaded"], details["source"]) == (
        "timezones", 1, "upload")
    assert len(details["sha256"]) == 64


def test_an_admin_uploads_on_the_data_page_and_sees_it_in_the_audit_log(
    sign_in_on: Path,
) -> None:
    at = run_page("pages/data.py", signed_in(ADMIN))
    uploader = next(u for u in at.file_uploader if u.key == "data_upload_timezones")
    uploader.set_value(("timezones_good.csv", (DATA / "timezones_good.csv").read_bytes(),
                        "text/csv"))
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception and not at.error
    log = next(d.value for d in at.dataframe if "actor" in d.value.columns)
    newest = log.iloc[0]
    assert (newest["actor"], newest["action"], newest["subject"]) == (
        ADMIN, "load", "timezones_good.csv")
    assert "data_audit_download" in [b.key for b in at.get("download_button")]


def test_a_viewer_may_generate_a_report_and_the_audit_log_names_them(sign_in_on: Path) -> None:
    at = run_page("pages/reports.py", signed_in(VIEWER))
    assert not at.exception and not at.error
    generate = next(b for b in at.button if "Generate" in b.label)
    generate.click()
    at.run()
    assert not at.exception
    entries = audit.entries(db.connect(sign_in_on))
    triggered = entries[entries["action"] == "report_triggered"]
    assert triggered["actor"].to_list() == [VIEWER]


def test_without_sign_in_the_sidebar_says_the_dashboard_is_open_and_everything_is_local(
    sample_db: Path,
) -> None:
    at = run_page("pages/data.py")
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.sidebar.get("warning"))
    # The committed .streamlit/config.toml binds 127.0.0.1, and AppTest reads it too.
    assert "Open to anyone on this machine: sign-in is not configured" in warning
    assert at.file_uploader  # no people, no roles: the admin's page
    starts = audit.entries(db.connect(sample_db))
    start = starts[starts["action"] == "server_start"].iloc[0]
    assert start["actor"] == "server"
    assert json.loads(start["details"])["sign_in"] is False


def test_an_admins_sync_now_is_recorded_under_their_email_and_its_loads_under_sync(
    sign_in_on: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "timezones.csv").write_bytes((DATA / "timezones_good.csv").read_bytes())
    # The folder source leaves a file modified in the last second alone: this one is older.
    written = time.time() - 60
    os.utime(feeds / "timezones.csv", (written, written))
    monkeypatch.setenv("LOOP_SYNC_FOLDER", str(feeds))
    monkeypatch.setenv("LOOP_SYNC_INTERVAL_MINUTES", "600")
    viewer = run_page("pages/data.py", signed_in(VIEWER))
    assert "data_sync_now" not in [b.key for b in viewer.button]
    admin = run_page("pages/data.py", signed_in(ADMIN))
    admin.button(key="data_sync_now").click().run()
    assert not admin.exception and not admin.error
    entries = audit.entries(db.connect(sign_in_on))
    manual = entries[entries["action"] == "sync_now"]
    assert manual["actor"].to_list() == [ADMIN]
    assert json.loads(manual.iloc[0]["details"])["outcome"] == "ok"
    # The scheduler may have run once at start too: every timezones load is the sync's.
    loads = entries[entries["action"] == "load"]
    from_folder = [actor for actor, details in zip(loads["actor"], loads["details"], strict=True)
                   if json.loads(details)["source"] == "folder"]
    assert from_folder == ["sync"]  # the sample's own loads are the server's


def test_an_admins_test_alert_is_recorded_with_its_outcome(
    sign_in_on: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_alerts import Webhook

    hook = Webhook()
    try:
        monkeypatch.setenv("LOOP_ALERT_URLS", hook.url)
        at = run_page("pages/alerts.py", signed_in(ADMIN))
        at.button(key="alerts_test").click().run()
        assert not at.exception and not at.error
    finally:
        hook.server.shutdown()
    entries = audit.entries(db.connect(sign_in_on))
    sent = entries[entries["action"] == "test_alert"]
    assert sent["actor"].to_list() == [ADMIN]
    assert set(json.loads(sent.iloc[0]["details"])) == {"accepted", "failed"}
    assert hook.url not in audit.entries_csv(db.connect(sign_in_on))  # URLs hold secrets
