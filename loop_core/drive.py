"""The Google Drive source (its settings are read by ``loop_core.config``).

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
from pathlib import Path
from typing import Any, TypeVar

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from loop_core.config import FILE_ID_KEYS, DriveConfig, SyncConfig
from loop_core.errors import SyncError
from loop_core.models import Feed, in_load_order
from loop_core.sources import FolderSource, RemoteFile, Source, verify_download
from loop_core.timeutil import parse_instant

SCOPES = ("https://www.googleapis.com/auth/drive.readonly",)
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
METADATA_FIELDS = "id,name,mimeType,md5Checksum,modifiedTime,size"
DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the source

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
                "business_hours_file_id and timezones_file_id (and, optionally, "
                "special_hours_file_id) to [drive]"
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
    """The feeds as Google Drive files, read by file id (special hours only if it has one).

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
        return tuple(in_load_order(self.file_ids))

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
