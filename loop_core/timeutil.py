"""Instants: parsing those given by users (CLI flags, URL parameters, widgets), and the
epoch microseconds the SQL works in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    return as_utc(parsed)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# Instants a caller may ask about (SPEC "Bad input"): outside this, refused before any work.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def parse_query_instant(value: datetime | str) -> datetime:
    """:func:`parse_instant` for an as-of or a range bound a user gave: it must lie in
    ``[2000-01-01, 2100-01-01)``, else ``InvalidParameterError`` (never an overflow later)."""
    parsed = parse_instant(value)
    if not EARLIEST <= parsed < LATEST:
        raise InvalidParameterError(
            f"{parsed:%Y-%m-%dT%H:%M:%SZ} is outside the instants a report can measure, "
            "[2000-01-01, 2100-01-01)"
        )
    return parsed


def iso_z(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, as the CLI's CSV files and the API write instants."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(when: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime, exactly (DuckDB's epoch_us)."""
    return (when - _EPOCH) // timedelta(microseconds=1)
