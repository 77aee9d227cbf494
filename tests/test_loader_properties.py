"""Property test of the loader: files of random structure and content, from good records
(quoted or not, commas, doubled quotes and line breaks inside ids, every accepted status
and timestamp form) and bad ones (wrong values, wrong field counts, stray CR, NUL and
invalid UTF-8 bytes, a quote inside a field), with LF or CRLF and blank lines.

The generator is the independent model: it knows each record's first line and whether it
is valid and what it stands for. For every file: no traceback; every record is counted
once, as loaded, duplicate or rejected; exactly the valid records are stored; every bad
record is rejected at its own line; loading the file again changes nothing.

CI draws 30 files; ``LOOP_TEST_DEPTH=300`` draws 9,000 (``tests/depth.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_core import db
from loop_core.ingest import ingest_file
from loop_core.models import Feed
from tests.depth import examples

ID_ALPHABET = "abcXYZ019 ,\"'é-=\n"
GOOD_STATUSES = ["active", "inactive", "Active", "INACTIVE", " active", "inactive\t"]
BAD_STATUSES = ["maybe", "", "actif"]
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Rec:
    data: bytes  # the record's bytes, without its line terminator
    expected: tuple[str, bool, datetime] | None  # what it stores; None: a bad record

    @property
    def lines(self) -> int:
        return self.data.count(b"\n") + 1


def _field(draw: st.DrawFn, text: str) -> str:
    needs = any(c in text for c in ',"\n')
    if needs or draw(st.booleans()):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def good_record(draw: st.DrawFn, newline: str) -> Rec:
    # A line break inside a quoted id is kept as the file writes it (LF or CRLF).
    raw_id = draw(st.text(ID_ALPHABET, min_size=1, max_size=12)).replace("\n", newline)
    store_id = raw_id.strip(" \t")
    status = draw(st.sampled_from(GOOD_STATUSES))
    when = draw(st.datetimes(min_value=EARLIEST.replace(tzinfo=None),
                             max_value=LATEST.replace(tzinfo=None))).replace(tzinfo=UTC)
    form = draw(st.sampled_from(["real", "z", "offset"]))
    if form == "real":
        stamp = f"{when:%Y-%m-%d %H:%M:%S.%f} UTC"
    else:
        when = when.replace(microsecond=0)
        stamp = f"{when:%Y-%m-%dT%H:%M:%S}" + ("Z" if form == "z" else "+00:00")
    line = ",".join([_field(draw, raw_id), _field(draw, status), _field(draw, stamp)])
    if not store_id:
        return Rec(line.encode(), None)
    return Rec(line.encode(), (store_id, status.strip().lower() == "active", when))


@st.composite
def bad_record(draw: st.DrawFn) -> Rec:
    base = draw(st.sampled_from(["status", "time", "range", "fields", "id", "long"]))
    good = f"s{draw(st.integers(0, 9))},active,2024-10-14 10:00:00 UTC"
    line = {
        "status": f"s1,{draw(st.sampled_from(BAD_STATUSES))},2024-10-14 10:00:00 UTC",
        "time": "s1,active,not a time",
        "range": "s1,active,"
                 + draw(st.sampled_from(["1999-12-31 23:59:59", "2999-01-01 00:00:00"])) + " UTC",
        "fields": draw(st.sampled_from([good + ",extra", "s1,active"])),
        "id": " ,active,2024-10-14 10:00:00 UTC",
        "long": "x" * 129 + ",active,2024-10-14 10:00:00 UTC",
    }[base]
    data = line.encode()
    # Sometimes a stray byte as well: still one bad record, on its own line.
    stray = draw(st.sampled_from([None, b"\r", b"\x00", b"\xff", b'"']))
    if stray is not None:
        at = draw(st.integers(1, len(data) - 1))
        if stray == b'"' and data[at - 1 : at] == b",":
            # A quote right after a comma opens a quoted field (RFC 4180): see STRAY_QUOTE.
            at += 1
        data = data[:at] + stray + data[at:]
    return Rec(data, None)


# A quote that opens a field and is not closed on its line. It comes last: by RFC 4180 a
# later quote may legitimately close it into one clean row over several lines (hypothesis
# found one: a next id starting with a comma), so the model cannot say which lines it
# spoils there. tests/test_bad_input.py covers a stray quote with good lines after it.
STRAY_QUOTE = Rec(b's1,"active,2024-10-14 10:00:00 UTC', None)


@st.composite
def feed_file(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, Rec]]]:
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    good = good_record(newline.decode())
    records = draw(st.lists(st.one_of(good, good, bad_record()), min_size=1, max_size=25))
    if draw(st.integers(0, 3)) == 0:
        records.append(STRAY_QUOTE)
    out = [b"store_id,status,timestamp_utc"]
    placed: list[tuple[int, Rec]] = []
    line = 2
    for rec in records:
        if draw(st.integers(0, 9)) == 0:  # a blank line now and then
            out.append(b"")
            line += 1
        out.append(rec.data)
        placed.append((line, rec))
        line += rec.lines
    body = newline.join(out)
    if draw(st.booleans()):
        body += newline
    return body, placed


def _stored(con: object) -> set[tuple[str, bool, datetime]]:
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT store_id, is_active, timestamp_utc FROM store_polls").fetchall()
    return {(str(r[0]), bool(r[1]), r[2]) for r in rows}


@settings(max_examples=examples(30), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(feed_file())
def test_every_record_is_loaded_or_rejected_once_and_exactly_the_valid_ones_load(
    generated: tuple[bytes, list[tuple[int, Rec]]],
) -> None:
    body, placed = generated
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "store_status.csv"
        path.write_bytes(body)
        con = db.connect(":memory:")
        try:
            summary = ingest_file(con, Feed.STORE_STATUS, path)
            good = {rec.expected for _, rec in placed if rec.expected is not None}
            bad_lines = sorted(line for line, rec in placed if rec.expected is None)

            assert summary.rows_read == len(placed)
            assert summary.rows_read == (summary.rows_loaded + summary.rows_duplicate
                                         + summary.rows_rejected)
            assert _stored(con) == good
            assert summary.rows_loaded == len(good)
            rejected = [int(r[0]) for r in con.execute(
                "SELECT line FROM rejects ORDER BY line").fetchall()]
            assert rejected == bad_lines
            # A second load of the same file changes nothing.
            again = ingest_file(con, Feed.STORE_STATUS, path)
            assert again.unchanged and _stored(con) == good
        finally:
            con.close()

