"""The spreadsheet guard belongs to CSV files only: the report CSV and the rejected-rows
download neutralise risky cells, the dashboard shows, sorts and links the real ids."""

from __future__ import annotations

from loop_core.report import compute_report, unguarded_id
from tests.conftest import Loader
from ui.views import reports as reports_view

IDS = ("=HYPERLINK(1)", "'quoted", "5", "plain", "@x", "-1")


def test_the_csv_guards_risky_cells_and_sorts_by_the_real_ids(load: Loader) -> None:
    con = load(polls=[f"{sid},active,2024-01-08 10:00:00 UTC" for sid in IDS])
    cells = [line.split(",")[0] for line in compute_report(con).csv.splitlines()[1:]]
    assert cells == ["''quoted", "'-1", "5", "'=HYPERLINK(1)", "'@x", "plain"]


def test_the_preview_shows_the_real_ids_behind_the_guard(load: Loader) -> None:
    con = load(polls=[f"{sid},active,2024-01-08 10:00:00 UTC" for sid in IDS])
    csv_text = compute_report(con).csv
    preview = reports_view.report_preview(csv_text)
    assert preview.rows["store_id"].tolist() == sorted(IDS)
    found = reports_view.report_preview(csv_text, contains="=HYP").rows["store_id"].tolist()
    assert found == ["=HYPERLINK(1)"]
    # Every real id comes back exactly: the guard is reversible, and the engine's rows
    # (what Fleet and Store read) carry the real ids too.
    assert compute_report(con).rows["store_id"].tolist() == sorted(IDS)
    assert {unguarded_id(c) for c in
            (line.split(",")[0] for line in csv_text.splitlines()[1:])} == set(IDS)
