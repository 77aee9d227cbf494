"""End to end: the served status page in headless Chromium draws its day cells on a scale
from 0 %, shows a day's figures on hover, a click on a day opens that day in the store's
drill-down and a click on a time zone's day lists its stores. Uses Debian's chromium; never
downloads a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_e2e_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STEP_TIMEOUT_MS,
    _served,
    require_chromium,
)
from ui.views import status_page as view

pytestmark = pytest.mark.e2e
# The centre of the grid's top-right cell (the top row's last day), in page pixels.
TOP_RIGHT_JS = """() => {
  const boxes = [...document.querySelectorAll(
    "[data-testid='stVegaLiteChart'] svg g.cells_marks path")].map(p => p.getBoundingClientRect());
  const top = Math.min(...boxes.map(b => b.y));
  const right = Math.max(...boxes.filter(b => b.y === top).map(b => b.x));
  const b = boxes.find(b => b.y === top && b.x === right);
  return [b.x + b.width / 2, b.y + b.height / 2];
}"""


def _top_right_cell(page: Any) -> tuple[float, float]:
    x, y = page.evaluate(TOP_RIGHT_JS)
    return float(x), float(y)


def test_the_status_page_draws_its_days_and_a_click_opens_that_day_in_the_drill_down(
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    require_chromium()
    # The app's first start loads the sample (200 stores); no demo feed: no hour turns.
    with _served(tmp_path, LOOP_DB=str(tmp_path / "status.duckdb"), LOOP_DEMO_FEED="0") \
            as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            page.goto(f"{url}/status_page")
            cells = page.locator("[data-testid='stVegaLiteChart'] svg g.cells_marks path")
            cells.first.wait_for(state="attached")
            # One clickable cell per store and day: 50 stores on the first page x 30 days.
            assert cells.count() == view.PAGE_SIZE * view.DAYS
            ticks = page.locator("[data-testid='stVegaLiteChart'] .role-legend-label text") \
                .evaluate_all("els => els.map((e) => e.textContent)")
            assert ticks == ["0%", "25%", "50%", "75%", "100%"]  # the scale starts at 0
            assert page.locator("[data-testid='stException']").count() == 0

            # Today's cell of the worst store: the top row, the last column.
            x, y = _top_right_cell(page)
            page.mouse.move(x, y)
            hover = page.locator("#vg-tooltip-element.visible")
            hover.wait_for()
            text = hover.inner_text()
            assert "Uptime" in text and "incident" in text  # the day's figures
            page.mouse.click(x, y)
            page.get_by_text("The day the link opened").wait_for()
            query = parse_qs(urlparse(page.url).query)
            assert set(query) == {"store_id", "start", "end"}
            assert query["store_id"][0] in text  # the hovered store opened
            assert page.get_by_label("Store id").input_value() == query["store_id"][0]
            page.get_by_text("Timeline").first.wait_for()
            assert page.locator("[data-testid='stException']").count() == 0

            # A time zone's day lists that zone's stores, the day outlined.
            page.goto(f"{url}/status_page")
            page.locator("[data-testid='stButtonGroup']").get_by_text(
                "Time zones", exact=True).click()
            page.get_by_text("Click a day to list that time zone's stores").wait_for()
            cells.first.wait_for(state="attached")
            page.mouse.click(*_top_right_cell(page))
            page.get_by_text("Only the stores of the time zone").wait_for()
            page.get_by_text("Click a day to open it in the store's drill-down.",
                             exact=False).wait_for()
            outline = page.locator("[data-testid='stVegaLiteChart'] svg g.outline_marks path")
            outline.wait_for(state="attached")
            assert outline.count() == 1
            assert page.locator("[data-testid='stException']").count() == 0
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)  # to look at
            raise
        finally:
            browser.close()
