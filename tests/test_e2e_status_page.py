"""End to end: the served status page in headless Chromium draws its day cells on a scale
from 0 %, shows a day's figures on hover, a click on a day opens that day in the store's
drill-down and a click on a time zone's day lists its stores. Uses Debian's chromium; never
downloads a browser."""

from __future__ import annotations

from pathlib import Path
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
            page.locator(".main-svg g.hm").first.wait_for(state="attached")
            # One clickable marker per cell: 50 stores on the first page x 30 days.
            points = page.locator(".main-svg g.trace.scatter path.point")
            assert points.count() == view.PAGE_SIZE * view.DAYS
            ticks = page.locator(".main-svg .cbaxis text").evaluate_all(
                "els => els.map((e) => e.textContent)")
            assert ticks == ["0%", "25%", "50%", "75%", "100%"]  # the scale starts at 0
            assert page.locator("[data-testid='stException']").count() == 0

            # Today's cell of the worst store: the top row, the last column.
            area = page.locator(".main-svg .nsewdrag").first.bounding_box()
            assert area is not None
            x = area["x"] + area["width"] * (1 - 0.5 / view.DAYS)
            y = area["y"] + area["height"] * 0.5 / view.PAGE_SIZE
            page.mouse.move(x, y)
            hover = page.locator(".hoverlayer .hovertext")
            hover.wait_for()
            text = hover.text_content() or ""  # SVG: no inner_text
            assert "Uptime" in text and "incident" in text  # the day's figures
            page.mouse.click(x, y)
            page.get_by_text("The day the link opened").wait_for()
            query = parse_qs(urlparse(page.url).query)
            assert set(query) == {"store_id", "start", "end"}
            assert text.startswith(query["store_id"][0])  # the hovered store opened
            assert page.get_by_label("Store id").input_value() == query["store_id"][0]
            page.get_by_text("Timeline").first.wait_for()
            assert page.locator("[data-testid='stException']").count() == 0

            # A time zone's day lists that zone's stores, the day outlined.
            page.goto(f"{url}/status_page")
            page.locator("[data-testid='stButtonGroup']").get_by_text(
                "Time zones", exact=True).click()
            page.get_by_text("Click a day to list that time zone's stores").wait_for()
            area = page.locator(".main-svg .nsewdrag").first.bounding_box()
            assert area is not None
            page.mouse.click(area["x"] + area["width"] * (1 - 0.5 / view.DAYS),
                             area["y"] + 5)
            page.get_by_text("Only the stores of the time zone").wait_for()
            page.get_by_text("Click a day to open it in the store's drill-down.",
                             exact=False).wait_for()
            assert page.locator(".main-svg .shapelayer path").count() >= 1  # the outline
            assert page.locator("[data-testid='stException']").count() == 0
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)  # to look at
            raise
        finally:
            browser.close()
