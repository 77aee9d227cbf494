"""The dashboard's figures read at a glance: checked on the Vega-Lite charts the pages draw,
built from the first-start sample on real DuckDB."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loop_core import db, timeline
from loop_core.models import ReportResult
from loop_core.report import compute_report
from ui import charts
from ui.views import fleet as fleet_view
from ui.views import store as store_view


@pytest.fixture
def con(sample_db: Path) -> duckdb.DuckDBPyConnection:
    connection = db.connect(sample_db)
    yield connection
    db.close(sample_db)


@pytest.fixture
def report(con: duckdb.DuckDBPyConnection) -> ReportResult:
    return compute_report(con)


def _worst_store(report: ReportResult) -> str:
    return str(report.rows.sort_values("downtime_last_week", ascending=False)
               .iloc[0]["store_id"])


def _encoding(chart: object, channel: str) -> dict[str, Any]:
    """A channel's encoding in a Vega-Lite spec (the first layer that has it)."""
    spec = chart.to_dict()  # type: ignore[attr-defined]
    for layer in [spec, *spec.get("layer", [])]:
        if channel in layer.get("encoding", {}):
            found: dict[str, Any] = layer["encoding"][channel]
            return found
    raise AssertionError(f"no {channel} encoding")


def test_the_heatmaps_colour_scale_starts_at_zero_and_names_its_unit(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    downtime = fleet_view.fleet_downtime(
        timeline.downtime_by_local_hour(con, report.as_of), report.as_of)
    color = _encoding(charts.downtime_heatmap(downtime.heatmap, "down"), "color")
    domain = color["scale"]["domain"]
    assert domain[0] == 0 and color["legend"]["values"][0] == 0
    # The top covers the data and never shrinks below the fixed floor; the scale is linear.
    assert domain[-1] >= max(charts.HEATMAP_TOP_PCT, float(downtime.heatmap.max().max()))
    assert domain == sorted(domain) and len(domain) == len(charts.REDS)
    assert "business time)" in color["legend"]["title"][-1]


def test_a_barely_down_fleet_reads_pale_on_the_heatmap() -> None:
    # 0.06 % at most: the scale still runs to the floor, so it is not darkest red.
    frame = pd.DataFrame([[0.0, 0.06], [0.01, 0.0]], index=["Mon", "Tue"], columns=[0, 1])
    color = _encoding(charts.downtime_heatmap(frame, "down"), "color")
    assert (color["scale"]["domain"][0], color["scale"]["domain"][-1]) == (
        0, charts.HEATMAP_TOP_PCT)
    assert color["scale"]["range"][0] == charts.REDS[0]  # almost white at 0


def test_uptime_per_day_labels_every_day_the_last_one_included(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    view = store_view.store_view(timeline.store_timeline(
        con, _worst_store(report), report.as_of - timedelta(days=7), report.as_of))
    days = list(view.daily["local_date"])
    assert len(days) >= 7
    x = _encoding(charts.daily_uptime(view.daily), "x")
    # One category per day, in order: Vega draws a label for each, and keeps the ones that
    # would overlap (by default it drops every other one on a narrow chart).
    assert x["sort"] == [f"{d:%a %d %b}" for d in days]
    assert x["axis"]["labelOverlap"] is False
    # At -45 degrees each label ends at its tick, inside the figure (a rotation the other
    # way ran the last one past the edge in Plotly).
    assert x["axis"]["labelAngle"] == -45


def test_the_fleet_trend_labels_every_day_too(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    downtime = fleet_view.fleet_downtime(
        timeline.downtime_by_local_hour(con, report.as_of), report.as_of)
    x = _encoding(charts.daily_trend(downtime.per_day), "x")
    assert len(x["sort"]) == len(downtime.per_day) == len(set(x["sort"]))
    assert x["axis"]["labelOverlap"] is False


def _marker_points(chart: object) -> dict[str, int]:
    """How many markers of each kind the timeline's poll layers draw."""
    counts: dict[str, int] = {}
    for layer in chart.layer:  # type: ignore[attr-defined]
        if str(layer.name).startswith("polls"):
            for kind, n in layer.data["kind"].value_counts().items():
                counts[str(kind)] = counts.get(str(kind), 0) + int(n)
    return counts


def test_a_week_draws_only_status_changes_and_ignored_polls_while_a_day_draws_every_poll(
    con: duckdb.DuckDBPyConnection, report: ReportResult
) -> None:
    store_id = _worst_store(report)
    week = store_view.store_view(timeline.store_timeline(
        con, store_id, report.as_of - timedelta(days=7), report.as_of))
    day = store_view.store_view(timeline.store_timeline(
        con, store_id, report.as_of - timedelta(days=1), report.as_of))
    # A day: every poll is a marker.
    assert not day.polls_thinned
    assert sum(_marker_points(charts.store_timeline(day, local=True)).values()) \
        == len(day.polls)
    # A week: every ignored poll, and inside hours exactly the status changes (first, last).
    assert week.polls_thinned
    inside = week.polls[week.polls["in_hours"]].sort_values("timestamp_utc")
    statuses = list(inside["status"])
    changes = {i for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]}
    expected_inside = len(changes | {len(statuses) - 1})
    points = _marker_points(charts.store_timeline(week, local=True))
    ignored = sum(n for name, n in points.items() if "outside hours" in name)
    assert ignored == int((~week.polls["in_hours"]).sum())
    assert sum(points.values()) - ignored == expected_inside < len(inside)


def test_thinning_keeps_the_polls_where_the_status_changes() -> None:
    times = pd.date_range("2024-01-01", periods=7, freq="h", tz="UTC")
    polls = pd.DataFrame({
        "timestamp_utc": times,
        "status": ["active", "active", "inactive", "active", "active", "active", "active"],
        "in_hours": [True, True, True, False, True, True, True],
    })
    kept = store_view.poll_markers(polls, thin=True)
    # 0 first, 2 goes down, 3 ignored (always drawn), 4 up again, 6 the latest.
    assert list(kept["timestamp_utc"]) == [times[i] for i in (0, 2, 3, 4, 6)]
    assert store_view.poll_markers(polls, thin=False).equals(polls)


def test_uptime_bars_in_the_fleet_table_take_the_timelines_up_colour(sample_db: Path) -> None:
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"),
                           default_timeout=60)
    at.run()
    at.switch_page("pages/fleet.py").run()
    assert not at.exception, [e.value for e in at.exception]
    worst = next(d for d in at.dataframe if "uptime_pct_week" in d.value.columns)
    # The column config travels as JSON in the element; Streamlit's default bar is blue.
    config = json.loads(worst.proto.columns)["uptime_pct_week"]
    assert config["type_config"]["color"] == charts.UP
