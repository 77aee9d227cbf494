"""The Google Drive source, and the sync configuration (secrets.toml or environment).

Files are read with a service account: share each feed file (or its folder) with the
account's email as a Viewer. Regular files are downloaded in chunks with
``files().get_media``; Google Sheets are exported as CSV. Retrying is googleapiclient's
own (``execute(num_retries=...)``, ``next_chunk(num_retries=...)``): a randomized
exponential backoff on 429, 5xx, 403 rateLimitExceeded / userRateLimitExceeded, dropped
connections and timeouts, a failed chunk being asked for again from the same offset.
Any other status (401, 403, 404 …) fails at once, and whatever still fails after the
last retry fails too, as a ``SyncError`` whose message says what to fix. Every download
lands in a local file and is verified before ingestion.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from loop_core.errors import InvalidParameterError, SyncError
from loop_core.models import Feed
from loop_core.sources import FolderSource, RemoteFile, Source, verify_download
from loop_core.timeutil import parse_instant

SCOPES = ("https://www.googleapis.com/auth/drive.readonly",)
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
METADATA_FIELDS = "id,name,mimeType,md5Checksum,modifiedTime,size"
DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
DEFAULT_INTERVAL_MINUTES = 60.0

# Where each feed's file id lives in secrets.toml [drive] and in the environment.
FILE_ID_KEYS: dict[Feed, tuple[str, str]] = {
    Feed.STORE_STATUS: ("store_status_file_id", "LOOP_DRIVE_STORE_STATUS_ID"),
    Feed.BUSINESS_HOURS: ("business_hours_file_id", "LOOP_DRIVE_BUSINESS_HOURS_ID"),
    Feed.TIMEZONES: ("timezones_file_id", "LOOP_DRIVE_TIMEZONES_ID"),
}

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class DriveConfig:
    """The ``[drive]`` settings: the three file ids and where the credentials are."""

    file_ids: Mapping[Feed, str]
    credentials_file: Path | None = None
    # The service-account JSON itself; kept out of repr so it never reaches a log.
    credentials_info: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SyncConfig:
    """Everything the sync needs to know, read by :func:`load_sync_config`."""

    source: str | None  # "drive" | "folder" | None (nothing configured)
    drive: DriveConfig | None
    folder: Path | None
    interval_minutes: float = DEFAULT_INTERVAL_MINUTES

    @property
    def interval_s(self) -> float:
        """The scheduler's interval in seconds."""
        return self.interval_minutes * 60.0

    @property
    def configured(self) -> bool:
        """True when there is something to sync from."""
        return self.source is not None


def load_sync_config(
    secrets: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    *,
    base_dir: Path | None = None,
) -> SyncConfig:
    """Read the sync settings from a secrets mapping and the environment (which wins).

    ``secrets`` is ``st.secrets`` in the app, or the parsed ``.streamlit/secrets.toml`` in
    the CLI. Sections: ``[drive]`` (``credentials_file`` or ``credentials_info``, and
    ``store_status_file_id``, ``business_hours_file_id``, ``timezones_file_id``),
    ``[folder] path``, ``[sync] interval_minutes`` and optionally ``[sync] source``
    (``drive`` or ``folder``; by default Drive when a file id is set, else the folder).
    Environment: ``LOOP_DRIVE_CREDENTIALS_FILE``, ``LOOP_DRIVE_CREDENTIALS_JSON``,
    ``LOOP_DRIVE_STORE_STATUS_ID``, ``LOOP_DRIVE_BUSINESS_HOURS_ID``,
    ``LOOP_DRIVE_TIMEZONES_ID``, ``LOOP_SYNC_FOLDER``, ``LOOP_SYNC_INTERVAL_MINUTES``,
    ``LOOP_SYNC_SOURCE``. Relative paths are taken from ``base_dir`` when given (else
    from the working directory). Raises ``InvalidParameterError`` for a malformed value.
    """
    secrets = secrets or {}
    drive_section = _section(secrets, "drive")
    folder_section = _section(secrets, "folder")
    sync_section = _section(secrets, "sync")

    file_ids: dict[Feed, str] = {}
    for feed, (key, env) in FILE_ID_KEYS.items():
        value = _text(environ.get(env)) or _text(drive_section.get(key))
        if value:
            file_ids[feed] = value

    # Paths from the environment are taken as given; paths from the secrets from base_dir.
    credentials_file = _env_path(environ, "LOOP_DRIVE_CREDENTIALS_FILE") or _secret_path(
        drive_section.get("credentials_file"), base_dir
    )
    credentials_info: dict[str, Any] | None = None
    env_json = _text(environ.get("LOOP_DRIVE_CREDENTIALS_JSON"))
    if env_json:
        try:
            credentials_info = dict(json.loads(env_json))
        except (ValueError, TypeError) as e:
            raise InvalidParameterError(
                "LOOP_DRIVE_CREDENTIALS_JSON is not a JSON object (the service-account key)"
            ) from e
    elif "credentials_info" in drive_section and not credentials_file:
        info = drive_section["credentials_info"]
        if not isinstance(info, Mapping):
            raise InvalidParameterError(
                "[drive] credentials_info must be a table (the service-account JSON's fields)"
            )
        credentials_info = _plain(info)

    drive = None
    if file_ids or credentials_file or credentials_info:
        drive = DriveConfig(
            file_ids=file_ids,
            credentials_file=credentials_file,
            credentials_info=credentials_info,
        )

    folder = _env_path(environ, "LOOP_SYNC_FOLDER") or _secret_path(
        folder_section.get("path"), base_dir
    )

    interval_raw = environ.get("LOOP_SYNC_INTERVAL_MINUTES") or sync_section.get(
        "interval_minutes", DEFAULT_INTERVAL_MINUTES
    )
    try:
        interval = float(interval_raw)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(
            f"[sync] interval_minutes must be a number of minutes, not {interval_raw!r}"
        ) from e
    if not interval > 0:
        raise InvalidParameterError("[sync] interval_minutes must be more than 0")

    source = _text(environ.get("LOOP_SYNC_SOURCE")) or _text(sync_section.get("source"))
    if source is not None:
        source = source.lower()
        if source not in ("drive", "folder"):
            raise InvalidParameterError(
                f"[sync] source must be 'drive' or 'folder', not {source!r}"
            )
    elif drive is not None and file_ids:
        source = "drive"
    elif folder is not None:
        source = "folder"
    return SyncConfig(source=source, drive=drive, folder=folder, interval_minutes=interval)


def _section(secrets: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = secrets.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidParameterError(f"[{name}] in the secrets must be a table")
    return value


def _env_path(environ: Mapping[str, str], name: str) -> Path | None:
    text = _text(environ.get(name))
    return Path(text).expanduser() if text else None


def _secret_path(value: object, base_dir: Path | None) -> Path | None:
    text = _text(value)
    if text is None:
        return None
    path = Path(text).expanduser()
    return base_dir / path if base_dir is not None and not path.is_absolute() else path


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    # st.secrets hands out its own read-only mapping type; google-auth wants a dict.
    return {k: _plain(v) if isinstance(v, Mapping) else v for k, v in value.items()}


def make_source(config: SyncConfig, **drive_options: Any) -> Source:
    """Build the configured source; raises ``SyncError`` when there is nothing to sync from.

    ``drive_options`` go to :class:`DriveSource` (``sleep``, ``chunk_size`` …).
    """
    if config.source == "folder":
        if config.folder is None:
            raise SyncError(
                "[sync] source is 'folder' but no [folder] path / LOOP_SYNC_FOLDER is set"
            )
        return FolderSource(config.folder)
    if config.source == "drive":
        if config.drive is None or not config.drive.file_ids:
            raise SyncError(
                "[sync] source is 'drive' but no file id is set: add store_status_file_id, "
                "business_hours_file_id and timezones_file_id to [drive]"
            )
        return DriveSource.from_config(config.drive, **drive_options)
    raise SyncError(
        "nothing to sync from: set the [drive] file ids and credentials, or a [folder] path, "
        "in .streamlit/secrets.toml (see secrets.toml.example) or in the environment"
    )


# --------------------------------------------------------------------------- the service


def build_drive_service(*, credentials: Any = None, http: Any = None) -> Any:
    """A Drive v3 client from credentials (production) or an ``http`` object (tests).

    Uses the discovery document shipped with the library: building needs no network.
    """
    if http is not None:
        return build("drive", "v3", http=http, static_discovery=True, cache_discovery=False)
    return build(
        "drive", "v3", credentials=credentials, static_discovery=True, cache_discovery=False
    )


def load_credentials(config: DriveConfig) -> Any:
    """Service-account credentials from the config's JSON file or inline info."""
    from google.oauth2 import service_account

    # google-auth's factory methods carry no annotations.
    credentials_class: Any = service_account.Credentials
    try:
        if config.credentials_info is not None:
            return credentials_class.from_service_account_info(
                dict(config.credentials_info), scopes=list(SCOPES)
            )
        if config.credentials_file is not None:
            return credentials_class.from_service_account_file(
                str(config.credentials_file), scopes=list(SCOPES)
            )
    except FileNotFoundError as e:
        raise SyncError(
            f"the service-account key {config.credentials_file} does not exist; fix "
            "[drive] credentials_file or LOOP_DRIVE_CREDENTIALS_FILE"
        ) from e
    except (ValueError, KeyError, OSError) as e:
        raise SyncError(
            f"the service-account credentials cannot be read ({e}); use the JSON key "
            "downloaded from Google Cloud (IAM → Service accounts → Keys)"
        ) from e
    raise SyncError(
        "no Google credentials: set [drive] credentials_file (the service-account JSON key) "
        "or credentials_info, or LOOP_DRIVE_CREDENTIALS_FILE"
    )


class DriveSource:
    """The three feeds as Google Drive files, read by file id.

    Every request goes through googleapiclient's own retries with ``num_retries``: a
    randomized exponential backoff (``rand() * 2**n`` seconds before retry ``n``) on 429,
    5xx, 403 rateLimitExceeded / userRateLimitExceeded and dropped connections or
    timeouts. ``sleep`` and ``rand`` are what that backoff waits with and jitters with;
    tests pass fakes (``rand=None`` keeps googleapiclient's ``random.random``).
    """

    kind = "drive"

    def __init__(
        self,
        service: Any,
        file_ids: Mapping[Feed, str],
        *,
        service_account_email: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] | None = None,
        num_retries: int = 5,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self.service = service
        self.file_ids = dict(file_ids)
        self.service_account_email = service_account_email
        self.sleep = sleep
        self.rand = rand
        self.num_retries = num_retries
        self.chunk_size = chunk_size

    @classmethod
    def from_config(cls, config: DriveConfig, **options: Any) -> DriveSource:
        """Load the credentials and build the client (no network call yet)."""
        credentials = load_credentials(config)
        email = getattr(credentials, "service_account_email", None)
        return cls(
            build_drive_service(credentials=credentials),
            config.file_ids,
            service_account_email=str(email) if email else None,
            **options,
        )

    def describe(self) -> str:
        """``Google Drive as <service-account email>``."""
        return f"Google Drive as {self.service_account_email or 'the configured account'}"

    def feeds(self) -> tuple[Feed, ...]:
        """The feeds that have a file id, in the usual order."""
        return tuple(feed for feed in Feed if feed in self.file_ids)

    def current_version(self, feed: Feed) -> RemoteFile:
        """The file's metadata; its fingerprint is the md5 (or, for Sheets, modifiedTime)."""
        file_id = self.file_ids[feed]
        request = self.service.files().get(
            fileId=file_id, fields=METADATA_FIELDS, supportsAllDrives=True
        )
        meta: dict[str, Any] = self._run(
            request, lambda: request.execute(num_retries=self.num_retries), feed, file_id
        )
        mime = str(meta.get("mimeType") or "")
        if mime.startswith(GOOGLE_APPS_PREFIX) and mime != SHEET_MIME:
            raise SyncError(
                f"{feed} file {file_id} ({meta.get('name')!r}) is a {mime}, not a CSV file "
                "or a Google Sheet; check the file id"
            )
        md5 = meta.get("md5Checksum") or None
        modified = meta.get("modifiedTime")
        modified_time = parse_instant(str(modified)) if modified else None
        size = int(meta["size"]) if meta.get("size") not in (None, "") else None
        if md5:
            fingerprint = f"md5:{md5}"
        elif modified:
            fingerprint = f"modified:{modified}"
        else:
            raise SyncError(
                f"Drive returned no md5Checksum or modifiedTime for {feed} file {file_id}"
            )
        return RemoteFile(
            feed=feed,
            remote_id=file_id,
            name=str(meta.get("name") or file_id),
            fingerprint=fingerprint,
            md5_checksum=md5,
            modified_time=modified_time,
            size=size,
            mime_type=mime or None,
        )

    def download(self, remote: RemoteFile, dest: Path) -> None:
        """Download (or, for a Sheet, export as CSV) in chunks into ``dest``, then verify it."""
        files = self.service.files()
        if remote.mime_type == SHEET_MIME:
            request = files.export_media(fileId=remote.remote_id, mimeType="text/csv")
        else:
            request = files.get_media(fileId=remote.remote_id, supportsAllDrives=True)
        with dest.open("wb") as fh:
            downloader = MediaIoBaseDownload(fh, request, chunksize=self.chunk_size)
            done = False
            while not done:
                # googleapiclient asks for a failed chunk again from the same offset.
                _, done = self._run(
                    downloader,
                    lambda: downloader.next_chunk(num_retries=self.num_retries),
                    remote.feed,
                    remote.remote_id,
                )
        verify_download(dest, remote)

    # ----------------------------------------------------------------- errors and retries

    def _run(self, target: Any, call: Callable[[], T], feed: Feed, file_id: str) -> T:
        """``call()`` with googleapiclient retrying ``target``; what still fails is a SyncError.

        ``target`` is the ``HttpRequest`` or ``MediaIoBaseDownload`` that ``call`` runs.
        Their ``_sleep`` and ``_rand`` are what googleapiclient's backoff calls (its
        "stubs for testing"; there is no public parameter). The sleep is wrapped to count
        the retries for the messages below.
        """
        retries = _RetryCounter(self.sleep)
        target._sleep = retries.sleep
        if self.rand is not None:
            target._rand = self.rand
        try:
            return call()
        except HttpError as e:
            raise self._http_error(e, feed, file_id, retries.count + 1) from e
        except auth_exceptions.RefreshError as e:
            raise SyncError(
                f"{feed}: Google refused the service account's credentials ({e}). Check "
                "[drive] credentials_file: the key may be revoked or deleted."
            ) from e
        except (httplib2.HttpLib2Error, OSError, auth_exceptions.TransportError) as e:
            raise SyncError(
                f"{feed}: could not reach Google Drive after {_attempts(retries.count + 1)} "
                f"({type(e).__name__}: {e}); check the network. The next sync will try again."
            ) from e

    def _who(self) -> str:
        return self.service_account_email or "the service account (client_email in its JSON key)"

    def _http_error(self, e: HttpError, feed: Feed, file_id: str, attempts: int) -> SyncError:
        status = int(e.resp.status)
        reasons = _reasons(e)
        detail = f"HTTP {status}: {e.reason}" if e.reason else f"HTTP {status}"
        if status == 404:
            return SyncError(
                f"{feed}: Google Drive has no file {file_id} that {self._who()} can see "
                f"({detail}). Check the file id ([drive] {FILE_ID_KEYS[feed][0]}) and share "
                f"the file with {self._who()}."
            )
        if status == 403 and "exportSizeLimitExceeded" in reasons:
            return SyncError(
                f"{feed}: the Google Sheet {file_id} is too large for Drive to export as CSV "
                f"({detail}). Keep this feed as a CSV file in Drive instead of a Sheet."
            )
        rate_limited = status == 403 and bool(reasons & _RATE_LIMIT_REASONS)
        if status == 403 and not rate_limited:
            return SyncError(
                f"{feed}: Google Drive refused access to file {file_id} ({detail}). Share the "
                f"file with {self._who()} (Viewer is enough) and make sure the Drive API is "
                "enabled in the service account's Google Cloud project."
            )
        if status == 401:
            return SyncError(
                f"{feed}: Google Drive did not accept the credentials ({detail}). Check "
                "[drive] credentials_file: the key may be revoked or belong to another project."
            )
        if rate_limited or status in _RETRY_STATUSES or status >= 500:
            return SyncError(
                f"{feed}: Google Drive kept failing for file {file_id} ({detail}) after "
                f"{_attempts(attempts)}; the next sync will try again"
            )
        return SyncError(f"{feed}: Google Drive refused the request for file {file_id} ({detail})")


class _RetryCounter:
    """The sleep handed to googleapiclient's backoff: it sleeps once per retry, so count."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self.count = 0

    def sleep(self, seconds: float) -> None:
        self.count += 1
        self._sleep(seconds)


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _reasons(error: HttpError) -> set[str]:
    try:
        data = json.loads(error.content.decode("utf-8"))
        return {str(item.get("reason")) for item in data["error"].get("errors", [])}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()
