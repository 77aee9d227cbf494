"""The sidebar's freshness lines and the staleness warning, worded from the engine's facts."""

from __future__ import annotations

from loop_core.freshness import Staleness
from ui.formatting import code_span, format_lag, utc_minute


def staleness_warning(state: Staleness) -> str | None:
    """One Markdown sentence saying what needs attention (sync failure, old or no polls),
    or None. The sync's message may quote file names: it is a code span, never markup."""
    parts = []
    failed = state.failed_sync
    if failed is not None:
        what = "partly failed" if failed.partly else "failed"
        parts.append(f"the last sync ({utc_minute(failed.finished_at)} UTC) {what}: "
                     f"{code_span(failed.message)}")
    if state.latest_poll is None:
        parts.append("there are no polls yet")
    elif state.polls_stale and state.lag is not None:
        parts.append(f"the newest poll ({utc_minute(state.latest_poll)} UTC) is "
                     f"{format_lag(state.lag)} old")
    return "; ".join(parts) or None
