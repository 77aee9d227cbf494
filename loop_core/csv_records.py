"""The careful reader: a feed file as RFC 4180 records, each with its first line number,
and a reason for every record that cannot be read.

DuckDB's strict reader loads clean files (the fast path); a file it cannot take whole
comes here. One stray byte spoils at most the record it is in (SPEC "Bad input"):

* records end at LF or CRLF; a quoted field may hold commas, doubled quotes and line breaks;
* a lone CR, a NUL byte or invalid UTF-8 makes its line a bad record;
* text after a closing quote, or a quote inside an unquoted field, makes a bad record;
* a quote that is never closed spoils only the line it opens on (after at most
  ``MAX_RECORD_LINES`` lines the record is given up and the next line is read afresh); so
  does a record over several lines that does not come out as one clean row of the
  header's width: its first line is rejected and the lines after it are read afresh;
* a line break inside a quoted field is kept as the file wrote it (LF or CRLF).

Blank lines are skipped. The header (line 1) is the caller's (``ingest._header_positions``).
The cost is one pass over the file; only lines with a quote go through the per-character
parser.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_RECORD_LINES = 10


@dataclass(frozen=True)
class Record:
    """One record of the file: its fields, or why it cannot be read."""

    line: int  # the physical line it starts on (the header is line 1)
    raw: str  # its text as in the file (line breaks inside quotes kept), bad bytes replaced
    fields: list[str] | None  # None when reason is set
    reason: str | None


class _Lines:
    """Physical lines (LF-terminated, CRLF's CR dropped) with their numbers, and a way to
    put lines back when a record that swallowed them is given up."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._number = 1  # line 1, the header, was read by the caller
        self._back: deque[tuple[int, bytes, bytes]] = deque()

    def next(self) -> tuple[int, bytes, bytes] | None:
        """(number, text without its terminator, the terminator: LF, CRLF or none)."""
        if self._back:
            return self._back.popleft()
        data = self._stream.readline()
        if not data:
            return None
        self._number += 1
        end = b""
        if data.endswith(b"\n"):
            data, end = data[:-1], b"\n"
            if data.endswith(b"\r"):
                data, end = data[:-1], b"\r\n"
        return self._number, data, end

    def put_back(self, lines: list[tuple[int, bytes, bytes]]) -> None:
        self._back.extendleft(reversed(lines))


def read_records(path: Path, width: int) -> Iterator[Record]:
    """Every non-blank record after the header, in file order; ``width`` is the header's
    number of fields (a record over several lines must come out with exactly that many)."""
    with path.open("rb") as stream:
        stream.readline()  # the header
        lines = _Lines(stream)
        while (item := lines.next()) is not None:
            record = _record(item, lines, width)
            if record is not None:
                yield record


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), "not valid UTF-8 text"
    if "\x00" in text:
        return text.replace("\x00", "\ufffd"), "contains a NUL byte"
    if "\r" in text:
        return text.replace("\r", "\ufffd"), "contains a stray carriage return (CR)"
    return text, None


def _record(item: tuple[int, bytes, bytes], lines: _Lines, width: int) -> Record | None:
    number, data, end = item
    text, problem = _decode(data)
    if problem is not None:
        return Record(number, text, None, problem)
    if not text.strip():
        return None
    if '"' not in text:
        return Record(number, text, text.split(","), None)
    taken: list[tuple[int, bytes, bytes]] = []
    first = text
    while True:
        fields, state = _parse_quoted(text)
        if taken and (state not in ("", "open") or (fields is not None and len(fields) != width)):
            state = "give up"
        if state == "":
            return Record(number, text, fields, None)
        if state not in ("open", "give up"):
            return Record(number, text, None, state)
        following = lines.next() \
            if state == "open" and len(taken) < MAX_RECORD_LINES else None
        more, problem = _decode(following[1]) if following is not None else ("", "end")
        if following is None or problem is not None:
            # Never closed, closed only past a line that cannot be read, or not one clean
            # row: only the line it opened on is lost, and the lines after it are read
            # afresh (a stray quote must not swallow good rows).
            lines.put_back(taken if following is None else [*taken, following])
            reason = "a quoted field is never closed" if state == "open" else \
                "a quoted field runs over several lines and does not end as one clean row"
            return Record(number, first, None, reason)
        taken.append(following)
        text = text + end.decode() + more
        end = following[2]


def _parse_quoted(text: str) -> tuple[list[str] | None, str]:
    """Split one record's text (RFC 4180). The state is "" (fine), "open" (a quoted field
    runs past the end: the caller appends the next line) or the reason the record is bad."""
    fields: list[str] = []
    field: list[str] = []
    i, n = 0, len(text)
    quoted = False  # inside a quoted field
    started_quoted = False  # the current field began with a quote
    while i < n:
        char = text[i]
        if quoted:
            if char == '"':
                if i + 1 < n and text[i + 1] == '"':
                    field.append('"')
                    i += 2
                    continue
                quoted = False
                if i + 1 < n and text[i + 1] != ",":
                    return None, "unexpected text after a closing quote"
            else:
                field.append(char)
        elif char == ",":
            fields.append("".join(field))
            field, started_quoted = [], False
        elif char == '"':
            if field or started_quoted:
                return None, "a quote inside an unquoted field"
            quoted = started_quoted = True
        else:
            field.append(char)
        i += 1
    if quoted:
        return None, "open"
    fields.append("".join(field))
    return fields, ""
