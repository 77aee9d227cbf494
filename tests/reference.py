"""An independent, pure-Python reference for the uptime report of ``../shared/SPEC.md``.

It exists to check the SQL engine (``loop_core/report.py``), so it shares nothing with
it: no DuckDB, no SQL, no pandas. Every store's business time is built as explicit UTC
intervals, one local date at a time with :mod:`zoneinfo`, and each window is measured
segment by segment in integer microseconds. Speed is irrelevant (test-sized data); each
step is meant to be obviously right.

Where the SPEC leaves a point open, this module decides as follows (the tests in
``tests/test_reference.py`` pin each decision):

- The 23:59 rule comes before the overnight rule: an end of ``23:59:00`` or later always
  means the next midnight, so ``23:59:30-23:59:00`` is 30 seconds and ``23:59-23:59`` one
  minute, not 24 hours.
- The smaller-offset rule can map an interval's start after its end when the start lies
  in a DST gap (``02:30-03:00`` on New York's spring-forward day becomes
  ``07:30-07:00`` UTC). Such an interval is empty.
- A store without business-hours rows is open over the whole range computed here; with
  special-hours rows, it is open ``[d 00:00, d+1 00:00)`` local on every date without them.
- Special hours: a local date with special rows takes its intervals from those rows only
  (a closed row, without times, gives none; an open row next to it on the same date still
  counts); the weekly rows of that weekday are skipped for that date.
- Zone rules come from the ``tzdata`` package when it is installed, else from the
  system's tz database. The system's copy can be older than DuckDB's ICU data (this
  machine: system 2025b, ``tzdata`` 2026f; they disagree about British Columbia,
  Alberta, Manitoba and Cuba from November 2026, and Moldova in 2023); the ``tzdata``
  package agrees with DuckDB on all 598 zones both know (every 15 minutes of the days
  around each offset change of 2023-2026). A zone is valid when that same source has it.
  DuckDB's ``pg_timezone_names()`` also lists 40 names that are not IANA zones (ICU's
  legacy ids ``ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT IET IST JST MIT NET NST
  PLT PNT PRT PST SST VST``, ``SystemV/*``, ``Canada/East-Saskatchewan``,
  ``US/Pacific-New``): here they are invalid and fall back to America/Chicago.
- :func:`rounded` rounds like DuckDB's ``round(DOUBLE, 2)``: ``std::round(x * 100) / 100``,
  i.e. half away from zero on the double ``x * 100`` (Python's ``round`` would give
  ``0.12`` for ``0.125``; DuckDB gives ``0.13``).
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources

DEFAULT_ZONE = "America/Chicago"
UNTIL_MIDNIGHT = time(23, 59)  # an end at or after this means the next 00:00
MARGIN = timedelta(days=2)  # local dates generated beyond the instants that matter

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
WINDOWS_US = (HOUR_US, DAY_US, WEEK_US)

_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_BEFORE_ALL = -(2**63)  # "from -infinity" for the first observation
_AFTER_ALL = 2**63  # "to +infinity" for the last one

Poll = tuple[str, bool, datetime]  # store_id, is_active, aware instant
HoursRow = tuple[str, int, time, time]  # store_id, day (0 = Monday), start, end
DayRow = tuple[int, time, time]  # one store's row without its id
SpecialRow = tuple[str, date, time | None, time | None]  # store, local date, start, end
DateRow = tuple[date, time | None, time | None]  # one store's special row; no times: closed
Interval = tuple[int, int]  # [start, end) in UTC microseconds since the epoch
Figures = tuple[int, int, int, int, int, int]  # up hour/day/week, down hour/day/week
EngineRow = tuple[str, int, int, int, int, int, int, bool]  # as report_microseconds


@dataclass(frozen=True)
class Report:
    """The reference report: one entry per store with a poll at or before ``now``."""

    now: datetime | None  # None only when there are no polls and no as_of
    figures: dict[str, Figures]  # microseconds, no rounding
    observed: frozenset[str]  # stores with at least one poll inside business hours
    business: dict[str, list[Interval]]  # each listed store's merged business time

    def rows(self) -> list[EngineRow]:
        """The report in ``loop_core.report.report_microseconds`` form, sorted by store."""
        return [(s, *self.figures[s], s in self.observed) for s in sorted(self.figures)]


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: give instants in UTC")
    return (instant - _EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    """The aware UTC datetime of microseconds since the epoch."""
    return _EPOCH + us * _ONE_US


@functools.cache
def _zone_names() -> frozenset[str]:
    try:
        listing = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        return frozenset(zoneinfo.available_timezones())
    return frozenset(listing.split())


@functools.cache
def load_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, from the ``tzdata`` package when it is installed."""
    try:
        data = resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except ModuleNotFoundError:
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo.from_file(io.BytesIO(data), key=name)


def resolve_zone(name: str | None) -> str:
    """The zone a store uses: its own if it is a valid IANA name, else America/Chicago."""
    return name if name is not None and name in _zone_names() else DEFAULT_ZONE


def local_to_us(local: datetime, zone: zoneinfo.ZoneInfo) -> int:
    """UTC microseconds of a naive wall time; in a DST gap or fold the smaller offset wins."""
    offsets = [local.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1)]
    offset = min(o for o in offsets if o is not None)
    return (local - offset - _NAIVE_EPOCH) // _ONE_US


def row_interval(day: date, start: time, end: time, zone: zoneinfo.ZoneInfo) -> Interval:
    """The UTC interval one business-hours row opens on local date ``day``."""
    opens = datetime.combine(day, start)
    if end >= UNTIL_MIDNIGHT:
        closes = datetime.combine(day + timedelta(days=1), time(0))
    elif end > start:
        closes = datetime.combine(day, end)
    else:  # overnight; end == start is 24 hours
        closes = datetime.combine(day + timedelta(days=1), end)
    return local_to_us(opens, zone), local_to_us(closes, zone)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same instants; empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def business_intervals(
    rows: Sequence[DayRow],
    zone_name: str | None,
    first: date,
    last: date,
    special: Sequence[DateRow] = (),
) -> list[Interval]:
    """A store's business time opened by the local dates ``first`` to ``last`` inclusive,
    with its special-hours rows (``special``) in place of its weekly rows on their dates."""
    zone = load_zone(resolve_zone(zone_name))
    if not rows and not special:  # no rows at all: open 24x7
        opens = datetime.combine(first, time(0))
        closes = datetime.combine(last + timedelta(days=1), time(0))
        return [(local_to_us(opens, zone), local_to_us(closes, zone))]
    by_date: dict[date, list[tuple[time | None, time | None]]] = defaultdict(list)
    for day, start, end in special:
        by_date[day].append((start, end))
    pieces: list[Interval] = []
    for day in (first + timedelta(days=n) for n in range((last - first).days + 1)):
        if day in by_date:
            pieces.extend(row_interval(day, start, end, zone)
                          for start, end in by_date[day] if start is not None and end is not None)
        elif not rows:  # 24x7 on a date without special rows: the whole local day
            pieces.append((local_to_us(datetime.combine(day, time(0)), zone),
                           local_to_us(datetime.combine(day + timedelta(days=1), time(0)), zone)))
        else:
            pieces.extend(row_interval(day, start, end, zone)
                          for weekday, start, end in rows if day.weekday() == weekday)
    return merge(pieces)


def _by_store(
    hours: Iterable[HoursRow], special: Iterable[SpecialRow]
) -> tuple[dict[str, list[DayRow]], dict[str, list[DateRow]]]:
    rows_by_store: dict[str, list[DayRow]] = defaultdict(list)
    for store, weekday, start, end in hours:
        rows_by_store[store].append((weekday, start, end))
    special_by_store: dict[str, list[DateRow]] = defaultdict(list)
    for store, day, start, end in special:
        special_by_store[store].append((day, start, end))
    return rows_by_store, special_by_store


def inside(intervals: Iterable[Interval], t: int) -> bool:
    """Whether instant ``t`` lies in one of the half-open intervals."""
    return any(start <= t < end for start, end in intervals)


def business_time(intervals: Iterable[Interval], lo: int, hi: int) -> int:
    """Microseconds of the intervals inside ``[lo, hi)``."""
    return sum(max(0, min(end, hi) - max(start, lo)) for start, end in intervals)


def _ownership(observations: list[tuple[int, bool]]) -> list[tuple[int, int, bool]]:
    # Observation i owns [m(i-1), m(i)), m(i) the floored midpoint to the next one.
    cuts = [(a + b) // 2 for (a, _), (b, _) in itertools.pairwise(observations)]
    lows = [_BEFORE_ALL, *cuts]
    highs = [*cuts, _AFTER_ALL]
    # Without observations, lows and highs still hold one bound each: nothing is owned.
    return [
        (lo, hi, active)
        for lo, hi, (_, active) in zip(lows, highs, observations, strict=False)
    ]


def _figures(business: list[Interval], observations: list[tuple[int, bool]], now: int) -> Figures:
    up: list[int] = []
    down: list[int] = []
    owners = _ownership(observations)
    for length in WINDOWS_US:
        totals = {True: 0, False: 0}
        for start, end in business:
            for lo, hi, active in owners:
                segment_start = max(start, lo, now - length)
                segment_end = min(end, hi, now)
                totals[active] += max(0, segment_end - segment_start)
        up.append(totals[True])
        down.append(totals[False])
    return (up[0], up[1], up[2], down[0], down[1], down[2])


def _now_and_kept(
    polls: Iterable[Poll], as_of: datetime | None
) -> tuple[int | None, list[tuple[str, bool, int]]]:
    """ "Now" (``as_of``, else the latest poll; None without either) and the polls at or
    before it, instants in microseconds."""
    all_polls = [(store, active, to_us(t)) for store, active, t in polls]
    if as_of is not None:
        now = to_us(as_of)
    elif all_polls:
        now = max(t for _, _, t in all_polls)
    else:
        return None, []
    return now, [p for p in all_polls if p[2] <= now]


def compute(
    polls: Iterable[Poll],
    hours: Iterable[HoursRow],
    zones: Mapping[str, str],
    as_of: datetime | None = None,
    special: Iterable[SpecialRow] = (),
) -> Report:
    """The report of SPEC.md for these polls, business hours, zones and special hours."""
    now, kept = _now_and_kept(polls, as_of)
    if now is None:
        return Report(None, {}, frozenset(), {})
    if not kept:
        return Report(from_us(now), {}, frozenset(), {})

    # Every instant that matters lies between the earliest poll (or the week window's
    # start) and now; local dates two days beyond either side cover any UTC offset.
    first = (from_us(min(min(t for _, _, t in kept), now - WEEK_US)) - MARGIN).date()
    last = (from_us(now) + MARGIN).date()

    rows_by_store, special_by_store = _by_store(hours, special)

    figures: dict[str, Figures] = {}
    business: dict[str, list[Interval]] = {}
    observed: set[str] = set()
    for store in sorted({s for s, _, _ in kept}):
        intervals = business_intervals(rows_by_store[store], zones.get(store), first, last,
                                       special_by_store[store])
        # (timestamp, is_active) order puts "inactive" first among equal instants.
        observations = sorted(
            (t, active) for s, active, t in kept if s == store and inside(intervals, t)
        )
        if observations:
            observed.add(store)
        figures[store] = _figures(intervals, observations, now)
        business[store] = intervals
    return Report(from_us(now), figures, frozenset(observed), business)


def duckdb_round(value: float, digits: int = 2) -> float:
    """``round(value, digits)`` as DuckDB computes it on a DOUBLE."""
    modifier = 10.0**digits
    scaled = value * modifier
    whole = math.floor(abs(scaled))
    if abs(scaled) - whole >= 0.5:  # std::round: halves go away from zero
        whole += 1
    return math.copysign(whole, scaled) / modifier


def rounded(figures: Figures) -> tuple[float, float, float, float, float, float]:
    """The SPEC's CSV values: last hour in minutes, last day and week in hours, 2 decimals."""
    up_hour, up_day, up_week, down_hour, down_day, down_week = figures
    return (
        duckdb_round(up_hour / MINUTE_US),
        duckdb_round(up_day / HOUR_US),
        duckdb_round(up_week / HOUR_US),
        duckdb_round(down_hour / MINUTE_US),
        duckdb_round(down_day / HOUR_US),
        duckdb_round(down_week / HOUR_US),
    )


def _stores(
    kept: list[tuple[str, bool, int]], hours: Iterable[HoursRow], zones: Mapping[str, str],
    lo: int, hi: int, special: Iterable[SpecialRow],
) -> Iterable[tuple[str, list[Interval], list[tuple[int, bool]]]]:
    """Each store with a kept poll: its business time over [lo, hi] (with margins) and its
    observations, sorted by (time, inactive first); an exact duplicate poll is one poll."""
    first = (from_us(min(min(t for _, _, t in kept), lo)) - MARGIN).date()
    last = (from_us(hi) + MARGIN).date()
    rows_by_store, special_by_store = _by_store(hours, special)
    for store in sorted({s for s, _, _ in kept}):
        intervals = business_intervals(rows_by_store[store], zones.get(store), first, last,
                                       special_by_store[store])
        observations = sorted(
            {(t, active) for s, active, t in kept if s == store and inside(intervals, t)}
        )
        yield store, intervals, observations


IncidentRow = tuple[str, int, int | None, int, int]  # store, start, end or None, down, count


def incidents(
    polls: Iterable[Poll],
    hours: Iterable[HoursRow],
    zones: Mapping[str, str],
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    special: Iterable[SpecialRow] = (),
) -> list[IncidentRow]:
    """The incidents of SPEC.md "Incidents" in ``[since, until)`` (default: the week before
    now), segment by segment: each maximal run of consecutive inactive observations owns
    the time from the midpoint before its first observation to the midpoint after its last;
    its pieces are that time inside business hours, the range and before now. Listed when
    it has a piece: (store, first piece start, last piece end or None while no active
    observation follows it, total piece time, its inactive observations after ``since``
    plus the last one at or before ``since`` when that belongs to it)."""
    now, kept = _now_and_kept(polls, as_of)
    if now is None or not kept:
        return []
    hi = to_us(until) if until is not None else now
    lo = to_us(since) if since is not None else hi - WEEK_US
    found: list[IncidentRow] = []
    for store, intervals, observations in _stores(kept, hours, zones, lo, max(now, hi),
                                                  special):
        owners = _ownership(observations)
        before = [k for k, (t, _) in enumerate(observations) if t <= lo]
        last_before = before[-1] if before else None
        i = 0
        while i < len(observations):
            if observations[i][1]:
                i += 1
                continue
            j = i
            while j + 1 < len(observations) and not observations[j + 1][1]:
                j += 1
            start, end = max(owners[i][0], lo), min(owners[j][1], hi, now)
            pieces = [(max(a, start), min(b, end)) for a, b in intervals
                      if min(b, end) > max(a, start)]
            if pieces:
                count = sum(1 for k in range(i, j + 1) if observations[k][0] > lo)
                count += 1 if last_before is not None and i <= last_before <= j else 0
                ended = j + 1 < len(observations)
                found.append((store, pieces[0][0], pieces[-1][1] if ended else None,
                              sum(b - a for a, b in pieces), count))
            i = j + 1
    return sorted(found, key=lambda row: (row[0], row[1]))


StatusRow = tuple[str, str, int | None, bool, int | None, int | None]
STALE_US = 2 * HOUR_US
HORIZON_US = 8 * DAY_US  # how far from the instant closes_at, opens_at and "closed since" look


def status(
    polls: Iterable[Poll],
    hours: Iterable[HoursRow],
    zones: Mapping[str, str],
    at: datetime | None = None,
    special: Iterable[SpecialRow] = (),
) -> list[StatusRow]:
    """SPEC.md "Status now" at ``at`` (default: the latest poll), per store with a poll at or
    before it: (store, status, since, open now, closes at, opens at), instants in
    microseconds; closes/opens/closed-since are None beyond ``HORIZON_US`` of the instant."""
    now, kept = _now_and_kept(polls, at)
    if now is None or not kept:
        return []
    lo, hi = now - HORIZON_US, now + HORIZON_US
    out: list[StatusRow] = []
    for store, intervals, observations in _stores(kept, hours, zones, lo, hi, special):
        current = [(a, b) for a, b in intervals if a <= now < b]
        since: int | None
        if not current:
            state = "closed"
            ends = [b for _, b in intervals if b <= now]
            since = max(ends) if ends and max(ends) > lo else None
        elif not observations or now - observations[-1][0] > STALE_US:
            state = "unknown"
            since = observations[-1][0] if observations else None
        else:
            latest_active = observations[-1][1]
            state = "online" if latest_active else "offline"
            j = len(observations) - 1
            while j > 0 and observations[j - 1][1] == latest_active:
                j -= 1
            if j == 0:  # the run began with the store's first observation
                since = observations[0][0]
            else:
                begins = (observations[j - 1][0] + observations[j][0]) // 2
                since = min(max(a, begins) for a, b in intervals if b > begins)
        closes = current[0][1] if current and current[0][1] < hi else None
        later = [a for a, _ in intervals if a > now]
        opens = min(later) if later and min(later) < hi else None
        out.append((store, state, since, bool(current), closes, opens))
    return out


# ------------------------------------------------------------------ store context
# docs/RULES.md "Store context": figures put in context with the stores feed's attributes.
# None means "no value" (never 0).

WINDOW_NAMES = ("hour", "day", "week")


def uptime_pct(up_us: int, down_us: int) -> float | None:
    """A window's uptime % of its business time; None without business time."""
    business = up_us + down_us
    return None if business == 0 else 100 * up_us / business


def store_context(
    report: Report, previous: Report, rates: Mapping[str, float | None],
    targets: Mapping[str, float | None], default_target: float = 99.0,
) -> dict[str, dict[str, float | bool | None]]:
    """Each store of ``report`` (as of now) with its context, ``previous`` being the same
    computation as of now - 7 days; ``rates`` and ``targets`` the stores feed's values."""
    out: dict[str, dict[str, float | bool | None]] = {}
    for store, figures in report.figures.items():
        ups, downs = figures[:3], figures[3:]
        observed = store in report.observed
        rate = rates.get(store) if observed else None
        target = targets.get(store)
        target = default_target if target is None else target
        row: dict[str, float | bool | None] = {"uptime_target": target}
        for name, up, down in zip(WINDOW_NAMES, ups, downs, strict=True):
            row[f"uptime_pct_last_{name}"] = uptime_pct(up, down)
            row[f"lost_revenue_last_{name}"] = None if rate is None else down / HOUR_US * rate
        week_pct = row["uptime_pct_last_week"]
        row["below_target"] = week_pct is not None and week_pct < target
        business = ups[2] + downs[2]
        row["budget_left_h"] = (None if business == 0
                                else (business * (100 - target) / 100 - downs[2]) / HOUR_US)
        before = previous.figures.get(store)
        if before is None:
            for key in ("uptime_pct_last_week_previous", "downtime_h_last_week_previous",
                        "downtime_h_last_week_change", "lost_revenue_last_week_previous"):
                row[key] = None
        else:
            prev_rate = rates.get(store) if store in previous.observed else None
            row["uptime_pct_last_week_previous"] = uptime_pct(before[2], before[5])
            row["downtime_h_last_week_previous"] = before[5] / HOUR_US
            row["downtime_h_last_week_change"] = (downs[2] - before[5]) / HOUR_US
            row["lost_revenue_last_week_previous"] = (
                None if prev_rate is None else before[5] / HOUR_US * prev_rate)
        out[store] = row
    return out
