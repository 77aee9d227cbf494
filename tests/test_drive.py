"""The Google Drive source against ``HttpMockSequence``: never a real request to Google.

The client is built from the discovery document shipped with google-api-python-client
(``static_discovery=True``), so only the Drive calls themselves are mocked, in the order
the sync makes them: per feed, the metadata, then the download's chunks.

Retrying is googleapiclient's own; the source hands it a fake ``sleep`` that records the
delays and a fixed ``rand`` (0.5), so its backoff ``rand() * 2**n`` waits 1, 2, 4 … s
before retry 1, 2, 3 … and nothing really sleeps.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import googleapiclient.http
import httplib2
import pytest
from google.auth import exceptions as auth_exceptions
from googleapiclient.http import HttpMockSequence

from loop_core.config import DriveConfig, load_sync_config
from loop_core.drive import DriveSource, build_drive_service, make_source
from loop_core.errors import InvalidParameterError, SyncError
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from loop_core.sources import FolderSource
from loop_core.sync import FileOutcome, SyncOutcome, sync_once

DATA = Path(__file__).parent / "data" / "sync"
EMAIL = "loop-sync@uptime-test.iam.gserviceaccount.com"
STATUS_ID = "1StatusFileId"
HOURS_ID = "1HoursSheetId"
ZONES_ID = "1ZonesFileId"
SPECIAL_ID = "1SpecialHoursFileId"
STORES_ID = "1StoresFileId"
V1 = (DATA / "store_status_v1.csv").read_bytes()
V2 = (DATA / "store_status_v2.csv").read_bytes()
MODIFIED = "2023-01-24T10:15:00.000Z"

Response = tuple[dict[str, str], bytes | str]


class FlakyHttp(HttpMockSequence):  # type: ignore[misc]
    """``HttpMockSequence`` that raises an exception placed in the sequence (a dropped
    connection), the way httplib2 does on a network error."""

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        if self._iterable and isinstance(self._iterable[0], BaseException):
            self.request_sequence.append((uri, method, None, kwargs.get("headers")))
            raise self._iterable.pop(0)
        return super().request(uri, method, *args, **kwargs)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """googleapiclient's default sleep (``time.sleep``, taken when a request is made) fails
    the test instead of waiting, should the injected fake ever not reach its backoff."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"googleapiclient really slept {seconds} s")

    monkeypatch.setattr(googleapiclient.http, "time", SimpleNamespace(sleep=refuse))


def half() -> float:
    return 0.5


def drive(
    responses: list[Response | BaseException],
    sleeps: list[float],
    file_ids: dict[Feed, str] | None = None,
    chunk_size: int = 1024,
    **options: Any,
) -> tuple[DriveSource, FlakyHttp]:
    http = FlakyHttp(responses)
    options.setdefault("rand", half)
    source = DriveSource(
        build_drive_service(http=http),
        file_ids if file_ids is not None else {Feed.STORE_STATUS: STATUS_ID},
        service_account_email=EMAIL,
        sleep=sleeps.append,
        chunk_size=chunk_size,
        **options,
    )
    return source, http


def meta(
    file_id: str,
    content: bytes | None,
    *,
    name: str = "store_status.csv",
    mime: str = "text/csv",
    modified: str = MODIFIED,
) -> Response:
    body: dict[str, str] = {"id": file_id, "name": name, "mimeType": mime, "modifiedTime": modified}
    if content is not None:  # Google Sheets have neither md5Checksum nor size
        body["md5Checksum"] = hashlib.md5(content).hexdigest()
        body["size"] = str(len(content))
    return ({"status": "200"}, json.dumps(body))


def whole(content: bytes) -> Response:
    return ({"status": "200", "content-length": str(len(content))}, content)


def chunks(content: bytes, size: int) -> list[Response]:
    out: list[Response] = []
    for start in range(0, len(content), size):
        part = content[start : start + size]
        end = start + len(part) - 1
        out.append(
            ({"status": "206", "content-range": f"bytes {start}-{end}/{len(content)}"}, part)
        )
    return out


def error(status: int, message: str, reason: str = "") -> Response:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}
    return ({"status": str(status)}, json.dumps(body))


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def database_state(con: duckdb.DuckDBPyConnection) -> list[object]:
    return [
        con.execute("SELECT * FROM store_status ORDER BY ALL").fetchall(),
        con.execute("SELECT load_id, sha256 FROM loads ORDER BY ALL").fetchall(),
        con.execute("SELECT * FROM rejects ORDER BY ALL").fetchall(),
    ]


# ------------------------------------------------------------------- downloads


def test_a_csv_file_is_downloaded_in_chunks_and_loaded(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    source, http = drive([meta(STATUS_ID, V2), *chunks(V2, 100)], sleeps, chunk_size=100)

    result = sync_once(con, source)

    assert result.outcome is SyncOutcome.OK
    file = result.files[0]
    assert file.outcome is FileOutcome.LOADED and file.rows_loaded == 5
    assert file.remote is not None
    assert file.remote.fingerprint == f"md5:{hashlib.md5(V2).hexdigest()}"
    assert count(con, "store_status") == 5
    assert con.execute("SELECT source, file_name FROM loads").fetchall() == [
        ("drive", "store_status.csv")
    ]
    uris = [uri for uri, *_ in http.request_sequence]
    assert "fields=id%2Cname%2CmimeType%2Cmd5Checksum%2CmodifiedTime%2Csize" in uris[0]
    assert all(f"files/{STATUS_ID}?" in u and "alt=media" in u for u in uris[1:])
    ranges = [headers["range"] for _, _, _, headers in http.request_sequence[1:]]
    assert ranges == ["bytes=0-99", "bytes=100-199", "bytes=200-299", "bytes=300-399"]
    assert len(chunks(V2, 100)) == 4
    assert sleeps == []


def test_a_google_sheet_is_exported_as_csv_and_fingerprinted_by_its_modified_time(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    hours = (DATA / "menu_hours.csv").read_bytes()
    source, http = drive(
        [
            meta(HOURS_ID, None, name="Menu hours", mime="application/vnd.google-apps.spreadsheet"),
            whole(hours),
        ],
        sleeps,
        file_ids={Feed.BUSINESS_HOURS: HOURS_ID},
    )

    result = sync_once(con, source)

    file = result.files[0]
    assert file.outcome is FileOutcome.LOADED
    assert file.remote is not None and file.remote.fingerprint == f"modified:{MODIFIED}"
    assert count(con, "business_hours") == 2
    export_uri = http.request_sequence[1][0]
    assert f"files/{HOURS_ID}/export?" in export_uri
    assert "mimeType=text%2Fcsv" in export_uri


def test_three_files_sync_together_and_one_missing_file_does_not_stop_the_others(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    zones = (DATA / "timezones.csv").read_bytes()
    # Asked in load order (loop_core.models.Feed): timezones, business hours, polls.
    source, _ = drive(
        [
            meta(ZONES_ID, zones, name="timezones.csv"),
            whole(zones),
            error(404, f"File not found: {HOURS_ID}.", "notFound"),
            meta(STATUS_ID, V1),
            whole(V1),
        ],
        sleeps,
        file_ids={
            Feed.STORE_STATUS: STATUS_ID,
            Feed.BUSINESS_HOURS: HOURS_ID,
            Feed.TIMEZONES: ZONES_ID,
        },
    )

    result = sync_once(con, source)

    assert result.outcome is SyncOutcome.PARTIAL
    assert [(f.feed, f.outcome) for f in result.files] == [
        (Feed.TIMEZONES, FileOutcome.LOADED),
        (Feed.BUSINESS_HOURS, FileOutcome.FAILED),
        (Feed.STORE_STATUS, FileOutcome.LOADED),
    ]
    assert count(con, "store_status") == 3 and count(con, "timezones") == 2
    assert result.source_label == f"Google Drive as {EMAIL}"


# ------------------------------------------------------------------- change detection


def test_an_unchanged_md5_skips_the_download(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    first, _ = drive([meta(STATUS_ID, V1), whole(V1)], sleeps)
    sync_once(con, first)
    # Touched in Drive (new modifiedTime), same bytes: the md5 decides.
    second, http = drive([meta(STATUS_ID, V1, modified="2023-01-25T08:00:00.000Z")], sleeps)

    result = sync_once(con, second)

    assert result.files[0].outcome is FileOutcome.SKIPPED
    assert "unchanged since the sync of" in result.files[0].message
    assert len(http.request_sequence) == 1  # the metadata only
    assert count(con, "loads") == 1


def test_a_new_md5_downloads_the_new_version(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    first, _ = drive([meta(STATUS_ID, V1), whole(V1)], sleeps)
    sync_once(con, first)
    second, _ = drive([meta(STATUS_ID, V2), whole(V2)], sleeps)

    result = sync_once(con, second)

    assert result.files[0].outcome is FileOutcome.LOADED
    assert result.files[0].rows_loaded == 2
    assert count(con, "store_status") == 5


def test_an_unchanged_sheet_is_skipped_by_its_modified_time(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    hours = (DATA / "menu_hours.csv").read_bytes()
    sheet = meta(HOURS_ID, None, name="Menu hours", mime="application/vnd.google-apps.spreadsheet")
    ids = {Feed.BUSINESS_HOURS: HOURS_ID}
    sync_once(con, drive([sheet, whole(hours)], sleeps, ids)[0])

    result = sync_once(con, drive([sheet], sleeps, ids)[0])

    assert result.files[0].outcome is FileOutcome.SKIPPED


# ------------------------------------------------------------------- errors


def test_a_missing_file_fails_at_once_asking_to_check_the_id_and_share_it(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    source, http = drive([error(404, f"File not found: {STATUS_ID}.", "notFound")], sleeps)

    result = sync_once(con, source)

    message = result.files[0].message
    assert result.outcome is SyncOutcome.FAILED
    assert message.startswith(f"store_status: Google Drive has no file {STATUS_ID} that {EMAIL}")
    assert "Check the file id ([drive] store_status_file_id)" in message
    assert f"share the file with {EMAIL}" in message
    assert len(http.request_sequence) == 1 and sleeps == []


def test_a_forbidden_file_fails_at_once_asking_to_share_it_with_the_service_account(
    sleeps: list[float],
) -> None:
    source, http = drive(
        [error(403, "The user does not have sufficient permissions.", "insufficientPermissions")],
        sleeps,
    )

    with pytest.raises(SyncError) as caught:
        source.current_version(Feed.STORE_STATUS)

    message = str(caught.value)
    assert "refused access to file 1StatusFileId" in message
    assert "The user does not have sufficient permissions." in message
    assert f"Share the file with {EMAIL} (Viewer is enough)" in message
    assert len(http.request_sequence) == 1 and sleeps == []


def test_a_sheet_too_large_to_export_says_to_keep_the_feed_as_a_csv_file(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    sheet = meta(STATUS_ID, None, mime="application/vnd.google-apps.spreadsheet")
    too_large = error(403, "This file is too large to be exported.", "exportSizeLimitExceeded")
    source, http = drive([sheet, too_large], sleeps)

    result = sync_once(con, source)

    assert "too large for Drive to export as CSV" in result.files[0].message
    assert "Keep this feed as a CSV file in Drive" in result.files[0].message
    assert len(http.request_sequence) == 2 and sleeps == []  # the export was asked for once


def test_refused_credentials_fail_at_once_pointing_at_the_key(sleeps: list[float]) -> None:
    source, http = drive([error(401, "Invalid Credentials", "authError")], sleeps)

    with pytest.raises(SyncError, match=r"did not accept the credentials.*credentials_file"):
        source.current_version(Feed.STORE_STATUS)
    assert len(http.request_sequence) == 1 and sleeps == []


def test_a_key_google_refuses_to_trade_for_a_token_fails_at_once(sleeps: list[float]) -> None:
    refused = auth_exceptions.RefreshError("invalid_grant: Invalid JWT Signature.")
    source, http = drive([refused, meta(STATUS_ID, V1)], sleeps)

    with pytest.raises(SyncError, match=r"refused the service account's credentials.*revoked"):
        source.current_version(Feed.STORE_STATUS)
    assert len(http.request_sequence) == 1 and sleeps == []


# ------------------------------------------------------------------- retries (googleapiclient's)


def test_a_429_is_retried_after_a_backoff_and_then_succeeds(sleeps: list[float]) -> None:
    source, http = drive(
        [error(429, "Too Many Requests", "rateLimitExceeded"), meta(STATUS_ID, V1)], sleeps
    )

    remote = source.current_version(Feed.STORE_STATUS)

    assert remote.fingerprint == f"md5:{hashlib.md5(V1).hexdigest()}"
    assert len(http.request_sequence) == 2
    assert sleeps == [1.0]


def test_a_server_error_is_retried_with_exponential_backoff_then_succeeds(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    source, http = drive(
        [
            error(500, "Internal Error", "backendError"),
            error(503, "Service Unavailable", "backendError"),
            meta(STATUS_ID, V1),
            error(500, "Internal Error", "backendError"),
            whole(V1),
        ],
        sleeps,
    )

    result = sync_once(con, source)

    assert result.files[0].outcome is FileOutcome.LOADED
    assert sleeps == [1.0, 2.0, 1.0]  # per request: rand() * 2, * 4, * 8 …; no real sleeping
    assert len(http.request_sequence) == 5


def test_a_503_on_a_download_chunk_is_retried_from_the_same_offset(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    first, *rest = chunks(V2, 100)
    source, http = drive(
        [meta(STATUS_ID, V2), first, error(503, "Backend Error", "backendError"), *rest],
        sleeps,
        chunk_size=100,
    )

    result = sync_once(con, source)

    assert result.files[0].outcome is FileOutcome.LOADED
    assert count(con, "store_status") == 5
    ranges = [headers["range"] for _, _, _, headers in http.request_sequence[1:]]
    assert ranges == [
        "bytes=0-99", "bytes=100-199", "bytes=100-199", "bytes=200-299", "bytes=300-399"
    ]
    assert sleeps == [1.0]


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_rate_limits_are_retried_whether_429_or_403_rate_limit_exceeded(
    sleeps: list[float], reason: str
) -> None:
    source, http = drive(
        [
            error(429, "Too Many Requests", "rateLimitExceeded"),
            error(403, "Rate Limit Exceeded", reason),
            meta(STATUS_ID, V1),
        ],
        sleeps,
    )

    remote = source.current_version(Feed.STORE_STATUS)

    assert remote.size == len(V1)
    assert len(http.request_sequence) == 3
    assert sleeps == [1.0, 2.0]


def test_a_network_error_is_retried(sleeps: list[float]) -> None:
    source, http = drive([ConnectionResetError("reset by peer"), meta(STATUS_ID, V1)], sleeps)

    assert source.current_version(Feed.STORE_STATUS).name == "store_status.csv"
    assert len(http.request_sequence) == 2
    assert sleeps == [1.0]


def test_a_transport_error_googleapiclient_does_not_retry_fails_at_once_saying_so(
    sleeps: list[float],
) -> None:
    garbled = httplib2.HttpLib2Error("malformed response from the proxy")
    source, http = drive([garbled, meta(STATUS_ID, V1)], sleeps)

    with pytest.raises(SyncError, match=r"could not reach Google Drive after 1 attempt \(Http"):
        source.current_version(Feed.STORE_STATUS)
    assert len(http.request_sequence) == 1 and sleeps == []


def test_retrying_gives_up_after_the_last_attempt_with_a_message(sleeps: list[float]) -> None:
    source, http = drive([error(503, "Backend Error", "backendError")] * 6, sleeps)

    with pytest.raises(
        SyncError, match=r"kept failing for file 1StatusFileId \(HTTP 503.*after 6 attempts"
    ):
        source.current_version(Feed.STORE_STATUS)
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]  # the default: 5 retries
    assert len(http.request_sequence) == 6


def test_num_retries_bounds_the_retries_and_leaves_later_responses_unasked(
    sleeps: list[float],
) -> None:
    responses: list[Response | BaseException] = [
        *[error(503, "Backend Error", "backendError")] * 3,
        meta(STATUS_ID, V1),
    ]
    source, http = drive(responses, sleeps, num_retries=2)

    with pytest.raises(SyncError, match=r"\(HTTP 503: Backend Error\) after 3 attempts"):
        source.current_version(Feed.STORE_STATUS)
    assert len(http.request_sequence) == 3
    assert sleeps == [1.0, 2.0]
    assert responses == [meta(STATUS_ID, V1)]  # the success that came too late


def test_a_rate_limit_that_outlasts_the_retries_says_the_next_sync_will_try_again(
    sleeps: list[float],
) -> None:
    source, http = drive(
        [error(403, "Rate Limit Exceeded", "rateLimitExceeded")] * 2, sleeps, num_retries=1
    )

    with pytest.raises(SyncError) as caught:
        source.current_version(Feed.STORE_STATUS)

    message = str(caught.value)
    assert "kept failing for file 1StatusFileId (HTTP 403: Rate Limit Exceeded)" in message
    assert "after 2 attempts; the next sync will try again" in message
    assert "Share the file" not in message
    assert len(http.request_sequence) == 2 and sleeps == [1.0]


def test_without_a_fixed_rand_the_backoff_is_googleapiclients_jittered_one(
    sleeps: list[float],
) -> None:
    source, http = drive(
        [*[error(500, "Internal Error", "backendError")] * 2, meta(STATUS_ID, V1)],
        sleeps,
        rand=None,
    )

    source.current_version(Feed.STORE_STATUS)

    assert len(http.request_sequence) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] < 2 and 0 <= sleeps[1] < 4  # random.random() * 2**n


def test_a_google_doc_is_refused_with_a_message_to_check_the_id(sleeps: list[float]) -> None:
    source, _ = drive(
        [meta(STATUS_ID, None, name="Notes", mime="application/vnd.google-apps.document")], sleeps
    )

    with pytest.raises(SyncError, match="not a CSV file or a Google Sheet; check the file id"):
        source.current_version(Feed.STORE_STATUS)


# ------------------------------------------------------------------- nothing lost


def test_a_download_cut_off_midway_leaves_the_database_unchanged_and_is_retried_next_time(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    ingest_file(con, Feed.STORE_STATUS, DATA / "store_status_v1.csv")
    before = database_state(con)
    first_chunk = chunks(V2, 100)[0]
    source, http = drive(
        [meta(STATUS_ID, V2), first_chunk, *[ConnectionResetError("reset")] * 6],
        sleeps,
        chunk_size=100,
    )

    result = sync_once(con, source)

    assert result.files[0].outcome is FileOutcome.FAILED
    assert "could not reach Google Drive after 6 attempts" in result.files[0].message
    assert len(http.request_sequence) == 8  # metadata, the first chunk, the second 6 times
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert database_state(con) == before
    # The failed version was never synced successfully, so the next run fetches it again.
    retry, _ = drive([meta(STATUS_ID, V2), *chunks(V2, 100)], sleeps, chunk_size=100)
    assert sync_once(con, retry).files[0].outcome is FileOutcome.LOADED
    assert count(con, "store_status") == 5


def test_a_truncated_download_is_caught_by_its_size_and_never_loaded(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    ingest_file(con, Feed.STORE_STATUS, DATA / "store_status_v1.csv")
    before = database_state(con)
    # The server ends the body early and says nothing of the full length.
    source, _ = drive([meta(STATUS_ID, V2), ({"status": "200"}, V2[:150])], sleeps)

    result = sync_once(con, source)

    assert result.files[0].outcome is FileOutcome.FAILED
    assert f"arrived with 150 of {len(V2)} bytes" in result.files[0].message
    assert database_state(con) == before


def test_a_corrupted_download_is_caught_by_its_md5_and_never_loaded(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    before = database_state(con)
    garbled = V1.replace(b"active", b"activX", 1)
    source, _ = drive([meta(STATUS_ID, V1), whole(garbled)], sleeps)

    result = sync_once(con, source)

    assert result.files[0].outcome is FileOutcome.FAILED
    assert "does not match its md5 checksum" in result.files[0].message
    assert database_state(con) == before


def test_a_download_that_is_not_a_csv_is_refused_before_loading(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    page = b"<html><body>Sign in</body></html>\n"
    sheet = meta(STATUS_ID, None, mime="application/vnd.google-apps.spreadsheet")
    source, _ = drive([sheet, whole(page)], sleeps)

    result = sync_once(con, source)

    assert result.files[0].outcome is FileOutcome.FAILED
    assert "has no CSV header line" in result.files[0].message
    assert count(con, "loads") == 0


def test_an_empty_download_is_refused(con: duckdb.DuckDBPyConnection, sleeps: list[float]) -> None:
    sheet = meta(STATUS_ID, None, mime="application/vnd.google-apps.spreadsheet")
    source, _ = drive([sheet, ({"status": "200", "content-length": "0"}, b"")], sleeps)

    result = sync_once(con, source)

    assert "downloaded empty" in result.files[0].message
    assert count(con, "loads") == 0


# ------------------------------------------------------------------- configuration


def test_the_config_reads_the_drive_section_of_the_secrets() -> None:
    secrets = {
        "drive": {
            "credentials_file": "keys/sa.json",
            "store_status_file_id": STATUS_ID,
            "business_hours_file_id": HOURS_ID,
            "timezones_file_id": ZONES_ID,
        },
        "sync": {"interval_minutes": 15},
    }

    config = load_sync_config(secrets, {}, base_dir=Path("/srv/app"))

    assert config.source == "drive"
    assert config.interval_s == 900
    assert config.drive is not None
    assert config.drive.credentials_file == Path("/srv/app/keys/sa.json")
    assert dict(config.drive.file_ids) == {
        Feed.STORE_STATUS: STATUS_ID,
        Feed.BUSINESS_HOURS: HOURS_ID,
        Feed.TIMEZONES: ZONES_ID,
    }


def test_environment_variables_override_the_secrets() -> None:
    secrets = {"drive": {"store_status_file_id": "from-secrets"}, "folder": {"path": "inbox"}}
    environ = {
        "LOOP_DRIVE_STORE_STATUS_ID": "from-env",
        "LOOP_DRIVE_CREDENTIALS_FILE": "/keys/sa.json",
        "LOOP_SYNC_INTERVAL_MINUTES": "5",
        "LOOP_SYNC_SOURCE": "folder",
    }

    config = load_sync_config(secrets, environ)

    assert config.drive is not None
    assert config.drive.file_ids[Feed.STORE_STATUS] == "from-env"
    assert config.drive.credentials_file == Path("/keys/sa.json")
    assert config.interval_minutes == 5
    assert config.source == "folder"
    assert isinstance(make_source(config), FolderSource)


def test_inline_credentials_are_kept_out_of_the_config_repr() -> None:
    secrets = {
        "drive": {
            "store_status_file_id": STATUS_ID,
            "credentials_info": {"client_email": EMAIL, "private_key": "SECRET-KEY"},
        }
    }

    config = load_sync_config(secrets, {})

    assert config.drive is not None and config.drive.credentials_info is not None
    assert config.drive.credentials_info["client_email"] == EMAIL
    assert "SECRET-KEY" not in repr(config)


def test_a_folder_alone_selects_the_folder_source() -> None:
    config = load_sync_config({"folder": {"path": "/data/inbox"}}, {})

    assert config.source == "folder"
    source = make_source(config)
    assert isinstance(source, FolderSource) and source.directory == Path("/data/inbox")


def test_nothing_configured_says_what_to_set() -> None:
    config = load_sync_config(None, {})

    assert not config.configured
    with pytest.raises(SyncError, match=r"nothing to sync from: set the \[drive\] file ids"):
        make_source(config)


@pytest.mark.parametrize("value", ["soon", 0, -5])
def test_a_bad_interval_is_refused(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="interval_minutes"):
        load_sync_config({"sync": {"interval_minutes": value}}, {})


def test_a_missing_key_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    config = DriveConfig({Feed.STORE_STATUS: STATUS_ID}, credentials_file=tmp_path / "nope.json")

    with pytest.raises(SyncError, match=r"nope.json does not exist; fix \[drive\] credentials_"):
        DriveSource.from_config(config)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A service-account JSON key with a freshly made (useless) private key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "test-service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "uptime-test",
                "private_key_id": "0" * 40,
                "private_key": pem,
                "client_email": EMAIL,
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


def test_a_source_from_a_real_key_file_names_the_service_account_in_its_messages(
    key_file: Path,
) -> None:
    source = DriveSource.from_config(
        DriveConfig({Feed.STORE_STATUS: STATUS_ID}, credentials_file=key_file)
    )

    # Built offline: no token is fetched until the first request.
    assert source.describe() == f"Google Drive as {EMAIL}"
    assert source.feeds() == (Feed.STORE_STATUS,)


def test_make_source_hands_the_retry_options_to_the_drive_source(
    key_file: Path, sleeps: list[float]
) -> None:
    config = load_sync_config(
        {"drive": {"credentials_file": str(key_file), "store_status_file_id": STATUS_ID}}, {}
    )

    source = make_source(config, sleep=sleeps.append, rand=half, num_retries=2)

    assert isinstance(source, DriveSource)
    assert (source.sleep, source.rand, source.num_retries) == (sleeps.append, half, 2)


# ------------------------------------------------------------------- special hours


def test_a_special_hours_file_id_is_synced_between_the_hours_and_the_polls(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    special = (DATA / "special_hours.csv").read_bytes()
    hours = (DATA / "menu_hours.csv").read_bytes()
    # Asked in load order: business hours, special hours, polls.
    source, http = drive(
        [
            meta(HOURS_ID, hours, name="menu_hours.csv"), whole(hours),
            meta(SPECIAL_ID, special, name="special_hours.csv"), whole(special),
            meta(STATUS_ID, V1), whole(V1),
        ],
        sleeps,
        file_ids={Feed.STORE_STATUS: STATUS_ID, Feed.BUSINESS_HOURS: HOURS_ID,
                  Feed.SPECIAL_HOURS: SPECIAL_ID},
    )

    result = sync_once(con, source)

    assert result.outcome is SyncOutcome.OK
    assert [(f.feed, f.outcome, f.rows_loaded) for f in result.files] == [
        (Feed.BUSINESS_HOURS, FileOutcome.LOADED, 2),
        (Feed.SPECIAL_HOURS, FileOutcome.LOADED, 2),
        (Feed.STORE_STATUS, FileOutcome.LOADED, 3),
    ]
    assert any(f"files/{SPECIAL_ID}?" in uri and "alt=media" in uri
               for uri, *_ in http.request_sequence)
    assert con.execute("SELECT source, file_name FROM loads WHERE feed = 'special_hours'"
                       ).fetchall() == [("drive", "special_hours.csv")]
    # The same md5 next time: not downloaded again.
    again, http = drive([meta(SPECIAL_ID, special, name="special_hours.csv")], sleeps,
                        file_ids={Feed.SPECIAL_HOURS: SPECIAL_ID})
    assert [f.outcome for f in sync_once(con, again).files] == [FileOutcome.SKIPPED]
    assert len(http.request_sequence) == 1


def test_the_config_reads_an_optional_special_hours_file_id() -> None:
    secrets = {"drive": {"store_status_file_id": STATUS_ID,
                         "special_hours_file_id": "from-secrets"}}
    config = load_sync_config(secrets, {"LOOP_DRIVE_SPECIAL_HOURS_ID": SPECIAL_ID})
    assert config.drive is not None
    assert dict(config.drive.file_ids) == {
        Feed.STORE_STATUS: STATUS_ID, Feed.SPECIAL_HOURS: SPECIAL_ID}
    without = load_sync_config({"drive": {"store_status_file_id": STATUS_ID}}, {})
    assert without.drive is not None and Feed.SPECIAL_HOURS not in without.drive.file_ids


# ------------------------------------------------------------------- stores


def test_a_stores_file_id_is_synced_before_the_polls_and_names_the_stores(
    con: duckdb.DuckDBPyConnection, sleeps: list[float]
) -> None:
    stores = b'store_id,name,region\n1,"Austin, 6th St",TX\n'
    # Asked in load order: the stores snapshot, then the polls.
    source, http = drive(
        [meta(STORES_ID, stores, name="stores.csv"), whole(stores),
         meta(STATUS_ID, V1), whole(V1)],
        sleeps,
        file_ids={Feed.STORE_STATUS: STATUS_ID, Feed.STORES: STORES_ID},
    )

    result = sync_once(con, source)

    assert result.outcome is SyncOutcome.OK
    assert [(f.feed, f.outcome, f.rows_loaded) for f in result.files] == [
        (Feed.STORES, FileOutcome.LOADED, 1),
        (Feed.STORE_STATUS, FileOutcome.LOADED, 3),
    ]
    assert any(f"files/{STORES_ID}?" in uri and "alt=media" in uri
               for uri, *_ in http.request_sequence)
    assert con.execute("SELECT store_id, name, region FROM store_attributes").fetchall() == [
        ("1", "Austin, 6th St", "TX")]
    # The same md5 next time: not downloaded again.
    again, http = drive([meta(STORES_ID, stores, name="stores.csv")], sleeps,
                        file_ids={Feed.STORES: STORES_ID})
    assert [f.outcome for f in sync_once(con, again).files] == [FileOutcome.SKIPPED]
    assert len(http.request_sequence) == 1


def test_the_config_reads_an_optional_stores_file_id_from_either_place() -> None:
    from_env = load_sync_config({"drive": {"store_status_file_id": STATUS_ID,
                                           "stores_file_id": "from-secrets"}},
                                {"LOOP_DRIVE_STORES_ID": STORES_ID})
    assert from_env.drive is not None
    assert dict(from_env.drive.file_ids) == {Feed.STORE_STATUS: STATUS_ID, Feed.STORES: STORES_ID}
    from_file = load_sync_config({"drive": {"stores_file_id": "from-secrets"}}, {})
    assert from_file.drive is not None
    assert from_file.drive.file_ids[Feed.STORES] == "from-secrets"
    without = load_sync_config({"drive": {"store_status_file_id": STATUS_ID}}, {})
    assert without.drive is not None and Feed.STORES not in without.drive.file_ids
