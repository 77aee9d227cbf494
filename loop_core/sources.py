"""Where synced feeds come from: the ``Source`` protocol and the local-folder source.

A source names the current version of each feed it serves (a :class:`RemoteFile` whose
``fingerprint`` is what change detection compares) and downloads one version to a local
file. ``download`` must leave a complete, verified file or raise :class:`SyncError`:
:func:`loop_core.sync.sync_once` hands whatever it gets straight to ingestion.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from loop_core.errors import SyncError
from loop_core.models import Feed

# The names a feed may have in a folder, in order of preference (compared case-insensitively).
FOLDER_FILE_NAMES: dict[Feed, tuple[str, ...]] = {
    Feed.STORE_STATUS: ("store_status.csv",),
    Feed.BUSINESS_HOURS: ("menu_hours.csv", "business_hours.csv"),
    Feed.SPECIAL_HOURS: ("special_hours.csv",),
    Feed.STORES: ("stores.csv",),
    Feed.TIMEZONES: ("timezones.csv",),
}

# Feeds a folder need not hold: served only when their file is there (no "skipped" line
# in every sync of a chain without special hours or a stores file).
OPTIONAL_FEEDS = (Feed.SPECIAL_HOURS, Feed.STORES)

_HEADER_PROBE = 64 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """One version of one feed as a source sees it, before it is downloaded."""

    feed: Feed
    remote_id: str  # a Drive file id, or the file's path in the folder
    name: str
    # What change detection compares with the last successful sync: "md5:…", "modified:…"
    # (Drive) or "sha256:…" (folder).
    fingerprint: str
    md5_checksum: str | None = None
    sha256: str | None = None
    modified_time: datetime | None = None
    size: int | None = None
    mime_type: str | None = None


class FileNotReadyError(SyncError):
    """A file is still being written; the next sync will pick it up (not a failure)."""


class Source(Protocol):
    """A place the feeds are synced from (Google Drive, a local folder)."""

    @property
    def kind(self) -> str:
        """Short name recorded with each run and passed to ingestion as ``source``."""
        ...

    def describe(self) -> str:
        """One human line naming the source, e.g. ``folder /srv/feeds``."""
        ...

    def feeds(self) -> tuple[Feed, ...]:
        """The feeds this source serves; raises ``SyncError`` when the source is unusable."""
        ...

    def current_version(self, feed: Feed) -> RemoteFile | None:
        """The feed's current version, or ``None`` when the source has no file for it.

        Raises ``FileNotReadyError`` to leave a file for the next sync, ``SyncError`` when
        it cannot be read.
        """
        ...

    def download(self, remote: RemoteFile, dest: Path) -> None:
        """Write a complete, verified copy of ``remote`` to ``dest``, or raise ``SyncError``."""
        ...


def file_digest(path: Path, algorithm: str) -> str:
    """The hex digest of a file's bytes (``"md5"`` or ``"sha256"``)."""
    with path.open("rb") as fh:
        # file_digest reads into one reused buffer, faster than update() per block.
        return hashlib.file_digest(fh, algorithm).hexdigest()


def verify_download(path: Path, remote: RemoteFile) -> None:
    """Raise ``SyncError`` unless ``path`` is a whole copy of ``remote`` that starts with a header.

    Checks what the source told us (size, md5, sha256) and, always, that the file is not
    empty and that its first line looks like a CSV header. Which columns it names is
    ingestion's business.
    """
    what = f"{remote.feed} file {remote.name!r}"
    size = path.stat().st_size
    if size == 0:
        raise SyncError(f"{what} downloaded empty; nothing was loaded")
    if remote.size is not None and size != remote.size:
        raise SyncError(
            f"{what} arrived with {size} of {remote.size} bytes (cut off, or changed while "
            "being read); nothing was loaded"
        )
    if remote.md5_checksum is not None and file_digest(path, "md5") != remote.md5_checksum:
        raise SyncError(
            f"{what} does not match its md5 checksum (cut off, corrupted, or changed during "
            "the download); nothing was loaded"
        )
    if remote.sha256 is not None and file_digest(path, "sha256") != remote.sha256:
        raise SyncError(
            f"{what} changed while it was being read; it will be picked up by the next sync"
        )
    with path.open("rb") as fh:
        first_line = fh.read(_HEADER_PROBE).split(b"\n", 1)[0]
    if b"," not in first_line:
        raise SyncError(f"{what} has no CSV header line; nothing was loaded")


class FolderSource:
    """Picks up new versions of ``store_status.csv``, ``menu_hours.csv`` (or
    ``business_hours.csv``), ``timezones.csv`` and (optional) ``special_hours.csv`` and
    ``stores.csv`` dropped into a directory.

    A version is identified by the file's sha256. A file modified less than ``settle_s``
    seconds ago is left for the next run, since it may still be being written (writing to
    a temporary name and renaming it into place avoids the wait).
    """

    kind = "folder"

    def __init__(self, directory: str | Path, *, settle_s: float = 1.0) -> None:
        self.directory = Path(directory).expanduser()
        self.settle_s = settle_s

    def describe(self) -> str:
        """``folder <path>``."""
        return f"folder {self.directory}"

    def feeds(self) -> tuple[Feed, ...]:
        """Every required feed, and an optional one when its file is there; raises
        ``SyncError`` when the directory does not exist."""
        if not self.directory.is_dir():
            raise SyncError(
                f"sync folder {self.directory} does not exist or is not a directory; "
                "create it or fix [folder] path / LOOP_SYNC_FOLDER"
            )
        return tuple(f for f in Feed if f not in OPTIONAL_FEEDS or self._find(f) is not None)

    def current_version(self, feed: Feed) -> RemoteFile | None:
        """The feed's file in the folder (the newest if several names match), or ``None``."""
        path = self._find(feed)
        if path is None:
            return None
        try:
            stat = path.stat()
            if time.time() - stat.st_mtime < self.settle_s:
                raise FileNotReadyError(
                    f"{path.name} was modified less than {self.settle_s:g} s ago and may still "
                    "be being written; it will be picked up by the next sync"
                )
            sha256 = file_digest(path, "sha256")
        except OSError as e:
            raise SyncError(f"cannot read {path}: {e}") from e
        return RemoteFile(
            feed=feed,
            remote_id=str(path.resolve()),
            name=path.name,
            fingerprint=f"sha256:{sha256}",
            sha256=sha256,
            modified_time=datetime.fromtimestamp(stat.st_mtime, UTC),
            size=stat.st_size,
            mime_type="text/csv",
        )

    def download(self, remote: RemoteFile, dest: Path) -> None:
        """Copy the file to ``dest`` and check the copy against the version that was listed."""
        try:
            shutil.copyfile(remote.remote_id, dest)
        except OSError as e:
            raise SyncError(f"cannot copy {remote.remote_id}: {e}") from e
        verify_download(dest, remote)

    def _find(self, feed: Feed) -> Path | None:
        wanted = FOLDER_FILE_NAMES[feed]
        candidates = [
            entry
            for entry in self.directory.iterdir()
            if entry.name.lower() in wanted and entry.is_file()
        ]
        if not candidates:
            return None
        # The most recently dropped file wins; on a tie, the preferred name.
        return max(
            candidates,
            key=lambda p: (p.stat().st_mtime_ns, -wanted.index(p.name.lower())),
        )
