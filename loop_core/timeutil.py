"""Parsing instants given by users (CLI flags, URL parameters, widgets)."""

from __future__ import annotations

from datetime import UTC, datetime

from loop_core.errors import InvalidParameterError


def parse_instant(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or ISO 8601 text; naive values are read as UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if text.upper().endswith(" UTC"):
            text = text[:-4]
        try:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError as e:
            raise InvalidParameterError(
                f"cannot read {value!r} as an instant; use ISO 8601, e.g. 2023-01-25T18:00:00Z"
            ) from e
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
