"""The evidence on the dashboard (AppTest): the drill-down shows observations used, the
latest observation and poll coverage beside the figures; the report preview and the Fleet
page flag the stores below 50 % coverage last week; the view models behind them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loop_core import db, evidence
from loop_core.ingest import ingest_files
from tests.test_app_pages import _assert_clean, _completed_report, _open, _texts
from ui.views import evidence as view

POLLS = [
    # The v1 store: one poll, three days before the as-of, open around the clock.
    "one_poll,inactive,2024-01-05 12:00:00 UTC",
    # Polled every 30 minutes, open around the clock: fully covered.
    *(f"steady,active,2024-01-{1 + h // 24:02d} {h % 24:02d}:{m:02d}:00 UTC"
      for h in range(11, 24 * 7 + 12) for m in (0, 30)),
    "steady,active,2024-01-08 12:00:00 UTC",  # the latest poll: the as-of
]
AS_OF = "2024-01-08T12:00:00Z"


@pytest.fixture
def evidence_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two stores in UTC as of Monday 2024-01-08 12:00, the app pointed at them."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "polls.csv").write_text(
        "\n".join(["store_id,status,timestamp_utc", *POLLS]) + "\n", encoding="utf-8")
    (folder / "zones.csv").write_text("store_id,timezone_str\none_poll,UTC\nsteady,UTC\n",
                                      encoding="utf-8")
    path = tmp_path / "evidence.duckdb"
    ingest_files(db.connect(path), store_status=folder / "polls.csv",
                 timezones=folder / "zones.csv")
    monkeypatch.setenv("LOOP_DB", str(path))
    monkeypatch.setenv("LOOP_NO_SAMPLE", "1")
    return path


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_drill_down_shows_the_one_poll_evidence_and_warns_of_low_coverage(
    evidence_db: Path,
) -> None:
    at = _open("pages/store.py", store_id="one_poll")
    _assert_clean(at)
    shown = _metrics(at)
    assert shown["Downtime, last week"] == "168.00 h"
    # Beside it: one poll, covering 3 of the week's 168 hours.
    assert shown["Poll coverage, last hour"] == "0 %"
    assert shown["Poll coverage, last day"] == "0 %"
    assert shown["Poll coverage, last week"] == "2 %"
    assert sum(c.value == "1 observation used" for c in at.caption) == 3
    assert any(c.value.startswith("Latest observation: Fri 05 Jan 2024 12:00 local (12:00 UTC), "
                                  "inactive · 3 d 0 h before the as-of") for c in at.caption)
    assert any("Low poll coverage: only 2 %" in w.value for w in at.warning)


def test_the_drill_down_of_a_well_polled_store_has_full_coverage_and_no_warning(
    evidence_db: Path,
) -> None:
    at = _open("pages/store.py", store_id="steady")
    _assert_clean(at)
    shown = _metrics(at)
    assert [shown[f"Poll coverage, last {w}"] for w in ("hour", "day", "week")] == ["100 %"] * 3
    assert not any("Low poll coverage" in w.value for w in at.warning)


def test_the_preview_flags_the_low_coverage_store_and_can_show_only_those(
    evidence_db: Path,
) -> None:
    report_id = _completed_report(evidence_db, AS_OF)
    at = _open("pages/reports.py", report_id=report_id)
    _assert_clean(at)
    assert "1 store below 50 % poll coverage last week: " in _texts(at)
    table = at.dataframe[0].value.set_index("store_id")
    assert table.loc["one_poll", "coverage_flag"] == view.LOW_FLAG
    assert table.loc["steady", "coverage_flag"] == ""
    assert table.loc["one_poll", "coverage_pct_week"] == pytest.approx(1.8)
    assert table.loc["steady", "coverage_pct_week"] == 100.0
    assert table.loc["one_poll", "observations_last_week"] == 1
    # The store with the most downtime is flagged in the list beside the table too.
    assert any("low coverage" in link.label for link in at.get("page_link"))
    at.toggle(key="reports_only_low").set_value(True).run()
    assert list(at.dataframe[0].value["store_id"]) == ["one_poll"]


def test_the_fleet_page_counts_and_lists_the_low_coverage_stores(evidence_db: Path) -> None:
    at = _open("pages/fleet.py")
    _assert_clean(at)
    assert [e.label for e in at.expander] == ["⚠ 1 store below 50 % poll coverage last week"]
    listed = next(d.value for d in at.dataframe if "coverage_pct_week" in d.value.columns)
    assert list(listed["store_id"]) == ["one_poll"]
    assert list(listed["link"]) == ["/store?store_id=one_poll"]


# ---------------------------------------------------------------- view models


def _frame(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "store_id": ["a", "b", "c"],
        "observations_last_hour": [0, 1, 0], "observations_last_day": [1, 2, 0],
        "observations_last_week": [1, 9, 0],
        "latest_observation_at": [pd.Timestamp("2024-01-05 12:00", tz="UTC"),
                                  pd.Timestamp("2024-01-08 11:30", tz="UTC"), pd.NaT],
        "latest_observation_active": pd.array([False, True, None], dtype="boolean"),
        "coverage_last_hour": [0.0, 1.0, float("nan")],
        "coverage_last_day": [0.0, 1.0, 0.0], "coverage_last_week": [0.0179, 0.5, 0.0],
    }
    base.update(columns)
    return pd.DataFrame(base, columns=evidence.EVIDENCE_COLUMNS)


def test_exactly_half_covered_is_not_low_and_no_business_time_is_never_low() -> None:
    assert view.is_low(0.4999) and not view.is_low(0.5)
    assert not view.is_low(None) and not view.is_low(float("nan"))
    assert [view.stores_text(n) for n in (1, 3966)] == ["1 store", "3,966 stores"]
    assert [view.coverage_text(v) for v in (None, 0.0, 0.004, 0.0179, 1.0)] == \
        ["—", "0 %", "< 1 %", "2 %", "100 %"]


def test_the_low_list_puts_stores_with_observations_first_and_drops_an_empty_name_column(
) -> None:
    low = view.low_coverage(_frame())
    assert low.count == 2 and low.without_observations == 1
    assert list(low.stores["store_id"]) == ["a", "c"]
    assert "name" not in low.stores.columns
    named = view.low_coverage(_frame(), names={"c": "Corner shop"})
    assert list(named.stores["name"]) == ["", "Corner shop"]


def test_a_store_without_observations_says_so_in_the_drill_down() -> None:
    shown = view.store_evidence(view.evidence_row(_frame(), "c"), "UTC",
                                pd.Timestamp("2024-01-08 12:00", tz="UTC").to_pydatetime())
    assert shown is not None
    assert shown.latest_text.startswith("No observation")
    assert [w.coverage_label for w in shown.windows] == ["—", "0 %", "0 %"]
    assert [w.observations_label for w in shown.windows] == [
        "no business hours in it", "0 observations used", "0 observations used"]
    assert shown.low_coverage
    assert view.evidence_row(_frame(), "nope") is None
