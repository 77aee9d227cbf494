"""The audit log on real DuckDB: every load names who loaded what (file, sha256, counts) in
the load's own transaction, a confirmed shrinking snapshot says so, the start-up settings
hold no secret, and the CSV download is spreadsheet-safe."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from loop_core import audit, config, db
from loop_core.errors import FeedRefusedError
from loop_core.ingest import ingest_each
from loop_core.models import Feed, LoadSummary
from loop_core.sources import FolderSource
from loop_core.sync import sync_once

ROOT = Path(__file__).resolve().parent.parent


def _zones(path: Path, n: int) -> Path:
    rows = [f"s{i},America/New_York" for i in range(n)]
    path.write_text("store_id,timezone_str\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _entries(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, dict[str, object]]]:
    """(actor, action, subject, details) oldest first."""
    frame = audit.entries(con, None).iloc[::-1]
    return [(r.actor, r.action, r.subject, json.loads(r.details)) for r in frame.itertuples()]


def test_a_load_records_who_the_file_its_sha256_and_its_counts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "polls.csv"
    path.write_text("store_id,status,timestamp_utc\n1,active,2024-10-14 10:00:00 UTC\n"
                    "1,active,2024-10-14 10:00:00 UTC\n1,sleepy,2024-10-14 11:00:00 UTC\n",
                    encoding="utf-8")
    (summary,) = ingest_each(con, [(Feed.STORE_STATUS, path)], source="upload",
                             file_names=["From Excel.csv"], actor="ops@chain.example")
    assert isinstance(summary, LoadSummary)
    ((actor, action, subject, details),) = _entries(con)
    assert (actor, action, subject) == ("ops@chain.example", "load", "From Excel.csv")
    assert details == {
        "feed": "store_status", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "source": "upload", "load_id": summary.load_id, "rows_read": 3, "rows_loaded": 1,
        "rows_duplicate": 1, "rows_rejected": 1}


def test_an_identical_reload_and_a_refused_file_record_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = _zones(tmp_path / "zones.csv", 3)
    ingest_each(con, [(Feed.TIMEZONES, good)])
    bad = tmp_path / "bad.csv"
    bad.write_text("store,zone\n1,UTC\n", encoding="utf-8")
    outcomes = ingest_each(con, [(Feed.TIMEZONES, good), (Feed.TIMEZONES, bad)])
    assert isinstance(outcomes[0], LoadSummary) and outcomes[0].unchanged
    assert isinstance(outcomes[1], FeedRefusedError)
    assert [(a, what) for a, what, _, _ in _entries(con)] == [("cli", "load")]


def test_a_load_that_fails_midway_leaves_neither_the_load_nor_its_entry(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The entry is written in the load's transaction: a failure after it rolls both back.
    from loop_core import ingest

    def broken(*args: object) -> None:
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(ingest, "_drop_staging", broken)
    with pytest.raises(Exception, match="disk full"):
        ingest_each(con, [(Feed.TIMEZONES, _zones(tmp_path / "zones.csv", 3))])
    monkeypatch.undo()
    assert con.execute("SELECT count(*) FROM loads").fetchone() == (0,)
    assert audit.entries(con).empty


def test_a_confirmed_shrinking_snapshot_is_recorded_with_both_counts_before_its_load(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ingest_each(con, [(Feed.TIMEZONES, _zones(tmp_path / "all.csv", 40))])
    held = ingest_each(con, [(Feed.TIMEZONES, _zones(tmp_path / "cut.csv", 2))],
                       actor="ops@chain.example")
    assert isinstance(held[0], FeedRefusedError)  # held back: nothing recorded
    ingest_each(con, [(Feed.TIMEZONES, _zones(tmp_path / "cut.csv", 2))],
                allow_shrink=True, actor="ops@chain.example")
    entries = _entries(con)
    assert [(a, what, s) for a, what, s, _ in entries] == [
        ("cli", "load", "all.csv"),
        ("ops@chain.example", "snapshot_confirmed", "cut.csv"),
        ("ops@chain.example", "load", "cut.csv")]
    assert entries[1][3] == {"feed": "timezones", "old_stores": 40, "old_rows": 40,
                             "new_stores": 2, "new_rows": 2}


def test_an_allowed_snapshot_that_does_not_shrink_records_no_confirmation(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ingest_each(con, [(Feed.TIMEZONES, _zones(tmp_path / "a.csv", 40))])
    ingest_each(con, [(Feed.TIMEZONES, _zones(tmp_path / "b.csv", 41))], allow_shrink=True)
    assert [what for _, what, _, _ in _entries(con)] == ["load", "load"]


def test_a_syncs_loads_are_the_syncs(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _zones(inbox / "timezones.csv", 3)
    sync_once(con, FolderSource(inbox, settle_s=0))
    assert [(a, s, d["source"]) for a, _, s, d in _entries(con)] == [
        ("sync", "timezones.csv", "folder")]


def test_the_cli_records_its_loads_as_cli(tmp_path: Path) -> None:
    path = tmp_path / "cli.duckdb"
    zones = _zones(tmp_path / "timezones.csv", 2)
    done = subprocess.run(
        [sys.executable, "-m", "loop_core", "ingest", "--timezones", str(zones), "--db", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    con = db.connect(path)
    try:
        assert [(a, what, s) for a, what, s, _ in _entries(con)] == [
            ("cli", "load", "timezones.csv")]
    finally:
        db.close(path)


def test_the_start_up_settings_hold_no_secret() -> None:
    secrets = {
        "api": {"token": "legacy-token-value",
                "tokens": {"grafana": {"token": "grafana-token-value", "role": "read"}}},
        "alerts": {"urls": ["slack://TokenA/TokenB/TokenC", "mailtos://me:hunter2@mail.example"]},
        "drive": {"store_status_file_id": "file-id-1",
                  "credentials_info": {"private_key": "-----BEGIN PRIVATE KEY-----abc"}},
        "auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "cookie-secret-value-of-32-characters", "client_id": "dashboard",
                 "client_secret": "client-secret-value",
                 "server_metadata_url": "https://idp.example/.well-known/openid-configuration"},
        "access": {"admins": ["ops@chain.example"]},
    }
    settings = config.load({}, secrets=secrets)
    text = json.dumps(audit.settings_in_force(settings))
    for secret in ("legacy-token-value", "grafana-token-value", "TokenA", "hunter2",
                   "PRIVATE KEY", "cookie-secret-value", "client-secret-value"):
        assert secret not in text, secret
    facts = audit.settings_in_force(settings)
    assert facts["api_tokens"] == [{"name": "default", "role": "trigger"},
                                   {"name": "grafana", "role": "read"}]
    assert facts["alerts"]["channels"] == 2 and facts["sign_in"] is True
    assert facts["sync"]["drive_file_ids"] == {"store_status": "file-id-1"}
    assert facts["admins"] == ["ops@chain.example"]
    assert facts["reports"] == {"keep_count": 200, "keep_days": 30.0}
    assert (facts["default_uptime_pct"], facts["digest"]) == (99.0, {
        "enabled": True, "weekday": "monday", "time": "09:00", "timezone": "America/Chicago"})
    no_age_limit = config.load({"LOOP_REPORTS_KEEP_DAYS": "inf"}, secrets={})
    assert json.loads(json.dumps(audit.settings_in_force(no_age_limit), allow_nan=False))[
        "reports"]["keep_days"] == "inf"


def test_the_hook_records_any_action_and_the_csv_is_spreadsheet_safe(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first = audit.record(con, audit.SERVER, audit.Action.COMPACTION,
                         details={"polls_before": 10, "polls_after": 4})
    second = audit.record(con, "=HYPERLINK(\"http://x\")", audit.Action.LOAD,
                          subject="+cmd|' /C calc'!A0")
    assert second == first + 1
    newest = audit.entries(con).iloc[0]
    assert newest["subject"] == "+cmd|' /C calc'!A0"  # the page shows it as it is
    csv = audit.entries_csv(con)
    assert "'=HYPERLINK" in csv and "'+cmd" in csv
    assert '""polls_after"": 4' in csv  # details are JSON text, quoted as CSV


def test_entries_are_newest_first_and_limited(con: duckdb.DuckDBPyConnection) -> None:
    for n in range(5):
        audit.record(con, audit.CLI, "custom", subject=str(n))
    assert audit.entries(con, 2)["subject"].to_list() == ["4", "3"]
