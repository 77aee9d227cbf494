"""Chromium: the Fleet page's rollup table renders the stores feed's groups, and the
region filter narrows it, in the served dashboard (serve.py) at 1280 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from loop_core import bootstrap, db
from tests.store_feed_fixture import load_stores_feed
from tests.test_e2e_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STEP_TIMEOUT_MS,
    _served,
    require_chromium,
)
from ui.views.context import ROLLUP_TABLE_COLUMNS

pytestmark = pytest.mark.e2e


def test_the_fleet_rollup_shows_one_row_per_region_and_follows_the_filter(
    tmp_path: Path,
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    path = tmp_path / "rollup.duckdb"
    con = db.connect(path)
    bootstrap.ensure_sample_data(con)
    regions = load_stores_feed(con, tmp_path)
    db.close(path)  # DuckDB: one process per file; the server opens it next
    counts = {r: sum(1 for v in regions.values() if v == r) for r in ("North", "South", "")}

    with _served(tmp_path, LOOP_DB=str(path), LOOP_DEMO_FEED="0") as (url, _), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(url + "/fleet")
            # The grid draws on a canvas; its cells are also in the accessible DOM. The
            # rollup is the grid with an "Offline now" column (a table without selection
            # has no key class of its own).
            cell = "[role='gridcell']"
            page.locator(cell, has_text="(not given)").first.wait_for(state="attached")
            rollup = page.locator("[data-testid='stDataFrame']").filter(
                has=page.locator("[role='columnheader']", has_text="Offline now"))
            page.wait_for_timeout(500)  # every row is drawn by now
            texts = rollup.locator(cell).all_inner_texts()
            width = len(ROLLUP_TABLE_COLUMNS)
            rows = [texts[i:i + width] for i in range(0, len(texts), width)]
            assert [r[0] for r in rows] == ["(not given)", "North", "South"], texts
            assert [r[1] for r in rows] == [str(counts[k]) for k in ("", "North", "South")]
            assert page.locator("[data-testid='stException']").count() == 0
            page.screenshot(path=str(tmp_path / "fleet.png"), full_page=True)

            page.locator(".st-key-fleet_region").click()
            page.get_by_role("option", name="North").click()
            page.keyboard.press("Escape")
            page.get_by_text("Filtered to").first.wait_for()
            # The rollup now has one row: North's.
            page.locator(cell, has_text="(not given)").first.wait_for(state="detached")
            rollup.locator(cell, has_text="North").first.wait_for(state="attached")
            page.wait_for_timeout(500)
            assert rollup.locator(cell).all_inner_texts()[:2] == ["North", str(counts["North"])]
            assert "South" not in rollup.locator(cell).all_inner_texts()
        finally:
            browser.close()
