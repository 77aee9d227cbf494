"""The one exception hierarchy of the engine.

The library raises these; the edges (CLI, pages, HTTP routes) turn them into messages.
"""

from __future__ import annotations


class LoopCoreError(Exception):
    """Base class for every error the engine raises on purpose."""


class FeedRefusedError(LoopCoreError):
    """A feed file was refused as a whole (wrong header, unreadable file); nothing was loaded."""


class SnapshotShrinkError(FeedRefusedError):
    """A snapshot would drop more than half of the stores of the one in place: held back."""

    def __init__(
        self, message: str, *, old_stores: int, old_rows: int, new_stores: int, new_rows: int
    ) -> None:
        super().__init__(message)
        self.old_stores = old_stores
        self.old_rows = old_rows
        self.new_stores = new_stores
        self.new_rows = new_rows


class UnknownReportError(LoopCoreError):
    """No report has that report_id."""


class ReportUnavailableError(LoopCoreError):
    """The report exists but has no CSV to give: it is still running, failed or expired."""


class UnknownStoreError(LoopCoreError):
    """No store has that store_id."""


class NoDataError(LoopCoreError):
    """There is nothing to compute from yet (no poll was ever loaded)."""


class InvalidParameterError(LoopCoreError):
    """A caller passed a value the engine cannot use (an unparseable as-of, a bad range)."""


class ServiceUnavailableError(LoopCoreError):
    """The database cannot be used right now (held elsewhere, or not opened yet)."""


class DatabaseLockedError(ServiceUnavailableError):
    """Another process holds the DuckDB file (DuckDB allows one writing process per file)."""


class SyncError(LoopCoreError):
    """A sync from a remote or folder source failed; the message says what to fix."""


class ConfigError(InvalidParameterError):
    """A setting (environment or secrets.toml) has a value the product cannot use."""


class NotAllowedError(LoopCoreError):
    """The caller's role (a dashboard user's, an API token's) does not allow this action."""


class UnauthorizedError(LoopCoreError):
    """A call brought no credentials, or ones that are not configured (no or a wrong token)."""
