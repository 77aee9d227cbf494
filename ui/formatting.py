"""Display text shared by the pages and view models: day names, durations, instants.

No Streamlit import: everything here is a plain function, unit-tested directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WINDOWS = ("hour", "day", "week")


def format_lag(lag: timedelta) -> str:
    """A short human duration: ``45 min``, ``3 h 05 min``, ``2 d 4 h``."""
    minutes = int(lag.total_seconds() // 60)
    if minutes < 0:
        return "0 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def utc_minute(value: datetime | None) -> str:
    """``2024-10-14 11:57`` in UTC, or an em dash for no value."""
    return "—" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M}"


def percent(value: float | None, digits: int = 2) -> str:
    """``99.12 %``, or an em dash when there is no business time to measure."""
    return "—" if value is None else f"{value:.{digits}f} %"


def code_span(text: object) -> str:
    """``text`` as a Markdown code span: shown exactly as written, never as markup, a link
    or a Streamlit directive. The fence is one backtick longer than any run inside it
    (CommonMark), with spaces when the text starts or ends with a backtick."""
    value = str(text).replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in _backtick_runs(value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _backtick_runs(value: str) -> list[str]:
    runs: list[str] = []
    current = ""
    for char in value:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def compact_count(n: int) -> str:
    """A count short enough for a narrow metric: ``14,000``, ``2.60 M`` from a million."""
    return f"{n / 1_000_000:.2f} M" if n >= 1_000_000 else f"{n:,}"


def visible_columns(frame: pd.DataFrame, order: Sequence[str] | None = None) -> list[str]:
    """The columns a table shows, in ``order`` (default: the frame's): all but the name
    column when no store has a name (no stores feed): an empty column only pushes the
    figures past the right edge of a 1280 px screen."""
    columns = [str(c) for c in (order if order is not None else frame.columns)]
    if "name" in frame.columns and not (frame["name"].fillna("").astype(str) != "").any():
        columns = [c for c in columns if c != "name"]
    return columns
