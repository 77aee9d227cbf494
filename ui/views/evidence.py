"""The evidence beside a store's figures, shaped for the pages: observations used, the
latest observation and poll coverage (``loop_core.evidence``; docs/RULES.md "Evidence"),
and the stores whose coverage last week is below :data:`LOW_COVERAGE`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from ui.formatting import WINDOWS, format_lag
from ui.views.now import store_link

LOW_COVERAGE = 0.5  # coverage last week below this flags the store
COVERAGE_HELP = ("Poll coverage: the share of the window's business time within 90 minutes "
                 "before or after an observation (a poll inside business hours). Low "
                 "coverage means the figures are mostly interpolated across long gaps.")
LOW_COLUMNS = ["store_id", "coverage_pct_week", "observations_last_week", "link",
               "latest_observation_at", "name"]
PREVIEW_COLUMNS = ["coverage_flag", "coverage_pct_week", "observations_last_week",
                   "latest_observation_at"]
LOW_FLAG = "⚠ low"


def coverage_text(fraction: float | None) -> str:
    """``37 %``; ``< 1 %`` for a sliver; an em dash when the window holds no business time."""
    if fraction is None or math.isnan(fraction):
        return "—"
    if 0 < fraction < 0.005:
        return "< 1 %"
    return f"{100 * fraction:.0f} %"


def stores_text(count: int) -> str:
    """``1 store``, ``3,966 stores``."""
    return f"{count:,} store{'' if count == 1 else 's'}"


def is_low(fraction: float | None) -> bool:
    """Whether a week's coverage flags the store (no business time: nothing to flag)."""
    return fraction is not None and not math.isnan(fraction) and fraction < LOW_COVERAGE


@dataclass(frozen=True)
class WindowEvidence:
    """One window's evidence as the drill-down shows it."""

    window: str
    observations: int
    coverage: float | None  # 0..1; None: no business time in the window
    coverage_label: str  # "37 %"
    observations_label: str  # "1 observation used"


@dataclass(frozen=True)
class StoreEvidence:
    """One store's evidence: per window, the latest observation, and the low-coverage flag."""

    windows: list[WindowEvidence]
    latest_text: str  # "Sun 22 Jan 2023 06:09 local (12:09 UTC), active · 2 d 4 h before the as-of"
    low_coverage: bool
    warning: str | None  # what the page says when the coverage is low


def _observations_label(count: int) -> str:
    return f"{count:,} observation{'' if count == 1 else 's'} used"


def _latest_text(at: pd.Timestamp | None, active: bool | None, zone: str,
                 as_of: datetime) -> str:
    if at is None:
        return "No observation: no poll inside business hours at or before the as-of."
    utc = pd.Timestamp(at).tz_convert("UTC")
    local = utc.tz_convert(zone)
    status = "active" if active else "inactive"
    return (f"{local:%a %d %b %Y %H:%M} local ({utc:%H:%M} UTC), {status} · "
            f"{format_lag(as_of - utc.to_pydatetime())} before the as-of")


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def store_evidence(row: Mapping[str, Any] | None, zone: str,
                   as_of: datetime) -> StoreEvidence | None:
    """A store's row of ``loop_core.evidence.store_evidence`` (as a mapping) for the
    drill-down; None when the store is not in the report."""
    if row is None:
        return None
    windows = []
    for window in WINDOWS:
        raw = row[f"coverage_last_{window}"]
        coverage = None if _missing(raw) else float(raw)
        count = int(row[f"observations_last_{window}"])
        # A window without business time has nothing to observe: say that, not "0 used".
        used = "no business hours in it" if coverage is None else _observations_label(count)
        windows.append(WindowEvidence(window, count, coverage, coverage_text(coverage), used))
    latest_at, active = row["latest_observation_at"], row["latest_observation_active"]
    week = windows[-1]
    low = is_low(week.coverage)
    warning = None
    if low:
        used = _observations_label(week.observations)
        warning = (f"Low poll coverage: only {week.coverage_label} of last week's business "
                   f"time lies within 90 minutes of a poll ({used}). The figures are mostly "
                   "interpolated across the gaps, not observed.")
    return StoreEvidence(
        windows=windows,
        latest_text=_latest_text(None if _missing(latest_at) else pd.Timestamp(latest_at),
                                 None if _missing(active) else bool(active), zone, as_of),
        low_coverage=low,
        warning=warning,
    )


def evidence_row(evidence: pd.DataFrame, store_id: str) -> dict[str, Any] | None:
    """The store's row of an evidence frame as a mapping, or None when it has none."""
    match = evidence[evidence["store_id"] == store_id]
    if match.empty:
        return None
    return {str(k): v for k, v in match.iloc[0].items()}


def _low(evidence: pd.DataFrame) -> pd.Series:
    coverage = evidence["coverage_last_week"]
    return coverage.notna() & (coverage < LOW_COVERAGE)


@dataclass(frozen=True)
class PreviewEvidence:
    """The preview's rows with their evidence columns, and the report's flagged stores."""

    rows: pd.DataFrame  # the preview's columns, then PREVIEW_COLUMNS
    low_total: int  # stores of the whole report below LOW_COVERAGE last week
    low_ids: frozenset[str]  # their ids


def preview_evidence(rows: pd.DataFrame, evidence: pd.DataFrame,
                     only_low: bool = False) -> PreviewEvidence:
    """Join the evidence (``store_evidence`` at the report's as-of) to the preview's rows
    on store_id: coverage last week in %, observations used, latest observation, and a
    flag ("⚠ low") for coverage below LOW_COVERAGE; ``only_low`` keeps the flagged rows."""
    low = _low(evidence)
    extra = evidence.assign(
        coverage_pct_week=(100 * evidence["coverage_last_week"]).round(1),
        coverage_flag=low.map({True: LOW_FLAG, False: ""}),
    ).loc[:, ["store_id", *PREVIEW_COLUMNS]]
    joined = rows.merge(extra, on="store_id", how="left")
    joined["coverage_flag"] = joined["coverage_flag"].fillna("")
    if only_low:
        joined = joined[joined["coverage_flag"] == LOW_FLAG]
    return PreviewEvidence(rows=joined.reset_index(drop=True), low_total=int(low.sum()),
                           low_ids=frozenset(evidence.loc[low, "store_id"].astype(str)))


@dataclass(frozen=True)
class LowCoverage:
    """The stores flagged for low coverage last week (LOW_COLUMNS; ``name`` only when the
    stores feed names one of them): those with observations first, lowest coverage first,
    then those without any (all their figures are 0, which the report already says)."""

    count: int
    without_observations: int
    stores: pd.DataFrame


def low_coverage(evidence: pd.DataFrame, names: Mapping[str, str] | None = None) -> LowCoverage:
    """The flagged stores of an evidence frame, with their names (from the stores feed)
    and drill-down links."""
    unobserved = evidence["latest_observation_at"].isna()
    flagged = (evidence.assign(unobserved=unobserved)[_low(evidence)]
               .sort_values(["unobserved", "coverage_last_week", "store_id"]))
    ids = [str(s) for s in flagged["store_id"]]
    frame = pd.DataFrame({
        "store_id": ids,
        "coverage_pct_week": (100 * flagged["coverage_last_week"]).round(1).to_numpy(),
        "observations_last_week": flagged["observations_last_week"].to_numpy(),
        "link": [store_link(s) for s in ids],
        "latest_observation_at": flagged["latest_observation_at"].array,
        "name": [(names or {}).get(s, "") for s in ids],
    }, columns=LOW_COLUMNS)
    if not frame["name"].astype(bool).any():
        frame = frame.drop(columns="name")
    return LowCoverage(count=len(frame), without_observations=int(flagged["unobserved"].sum()),
                       stores=frame)
