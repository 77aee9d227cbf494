"""End to end: every dashboard page on a laptop (1280 px) and a desktop (1920 px) screen,
in headless Chromium, on a generated 14,000-store sample (the issue's scale: #16).

One server serves every page. Each page is screenshotted at both widths into the test's
temporary folder (``screens/<page>-<width>.png``, kept by pytest for the last runs, to
look at), and the page is checked where a reader would notice a fault:

- no page scrolls sideways, and no error is shown;
- at 1280 px every table shows its first 5 columns whole, without scrolling it: the grid
  (glide-data-grid) puts in its accessible DOM the header of every column that reaches into
  its visible width, so a sixth header there means the fifth column ends inside it; a
  table of 5 columns or fewer (or one sized to fit, ``FIT_AT_1280``) must not be wider
  than its box;
- at 1280 px no page link in the main area wraps onto a second line;
- the hour-of-week heatmap's colour legend starts at 0 %;
- each "per day" chart draws one tick label per day, the last included.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.test_e2e_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN_JS,
    ROOT,
    STEP_TIMEOUT_MS,
    _served,
    require_chromium,
)

pytestmark = pytest.mark.e2e

STORES = 14_000
WIDTHS = (1280, 1920)
# Tall enough that one screenshot holds most of a page (the main area scrolls inside
# the page, so a "full page" screenshot would stop at the viewport).
HEIGHT = 2400
NARROW = 1280

# Every visible grid: its scroll and client widths, its column count and the headers it
# has drawn (the columns that reach into its visible width).
GRIDS_JS = """() => [...document.querySelectorAll("[data-testid='stDataFrame']")]
  .filter(g => g.checkVisibility() && g.getBoundingClientRect().height > 0)
  .map(g => {
    const s = g.querySelector('.dvn-scroller');
    const t = g.querySelector('table[role=grid]');
    const keyed = g.closest("[class*='st-key-']");
    const key = keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')).slice(7) : '';
    // A grid that has not drawn its scroller yet counts as not drawn (no columns).
    if (!s) return {key: key, scrollWidth: 0, clientWidth: 0, columns: 0, headers: []};
    return {key: key, scrollWidth: s.scrollWidth, clientWidth: s.clientWidth,
            columns: Number(t ? t.getAttribute('aria-colcount') : 0),
            headers: [...g.querySelectorAll("th[role='columnheader']")].map(h => h.textContent)};
  })"""
# The grids, once every one has drawn its accessible table (null until then).
GRIDS_DRAWN_JS = ("() => { const g = (" + GRIDS_JS + ")(); "
                  "return g.length && g.every(x => x.columns > 0) ? g : null; }")
# How many lines each page link's label in the main area takes (a link wraps: its hours
# alone on a second line).
LINK_LINES_JS = """() => [...document.querySelectorAll("[data-testid='stMain'] "
                                                     + "[data-testid='stPageLink'] p")]
  .filter(p => p.checkVisibility())
  .map(p => ({text: p.textContent,
              lines: Math.round(p.getBoundingClientRect().height
                                / parseFloat(getComputedStyle(p).lineHeight))}))"""
OVERFLOW_JS = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  return {page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          main: main ? main.scrollWidth - main.clientWidth : 0};
}"""
# A chart in a keyed box as Vega drew it: the x axis's and the colour legend's labels that
# show (Vega hides a label that would overlap another by setting its opacity to 0), and how
# many days (distinct x positions of points or bars) it draws.
CHART_JS = """(key) => {
  const svg = document.querySelector(`.st-key-${key} [data-testid='stVegaLiteChart'] svg`);
  if (!svg || !svg.querySelector('.role-mark path')) return null;
  const shown = (group) => group ? [...group.querySelectorAll('text')]
    .filter(t => t.getAttribute('opacity') !== '0' && getComputedStyle(t).opacity !== '0')
    .map(t => t.textContent) : [];
  const xaxis = [...svg.querySelectorAll("g[aria-roledescription='axis']")]
    .find(g => (g.getAttribute('aria-label') || '').startsWith('X-axis'));
  const marks = [...svg.querySelectorAll('.mark-symbol.role-mark path, '
                                         + '.mark-rect.role-mark path')];
  const centres = new Set(marks.map(m => {  // on the page: Vega places symbols by transform
    const b = m.getBoundingClientRect();
    return Math.round(b.x + b.width / 2);
  }));
  return {points: centres.size,
          xticks: shown(xaxis && xaxis.querySelector('.role-axis-label')),
          colorbar: shown(svg.querySelector('.role-legend-label'))};
}"""


def _sample_db(tmp_path: Path) -> Path:
    """A database holding the generated sample of ``STORES`` stores, loaded by the CLI as
    real files (so the server neither adds its own sample nor a demo hour)."""
    feeds = tmp_path / "feeds"
    db_path = tmp_path / "layout.duckdb"
    for args in (["sample", "--out", str(feeds), "--stores", str(STORES), "--days", "8",
                  "--seed", "0"],
                 ["ingest", "--db", str(db_path),
                  "--store-status", str(feeds / "store_status.csv"),
                  "--business-hours", str(feeds / "menu_hours.csv"),
                  "--timezones", str(feeds / "timezones.csv")]):
        subprocess.run([sys.executable, "-m", "loop_core", *args], cwd=ROOT, check=True,
                       capture_output=True, timeout=300)
    return db_path


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as r:
        return bytes(r.read())


def _report(url: str) -> tuple[str, str]:
    """A complete report's id (through the API) and the store with most downtime in it."""
    import time

    report_id = json.loads(_get(f"{url}/trigger_report"))["report_id"]
    for _ in range(240):
        body = _get(f"{url}/get_report?report_id={report_id}")
        if body.startswith(b"store_id"):
            break
        time.sleep(0.5)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    worst = max(rows, key=lambda r: (float(r["downtime_last_week"]), r["store_id"]))
    return report_id, worst["store_id"]


# Tables of more than 5 columns that still fit their box at 1280 px (their widths are set
# to): no column of theirs needs the table scrolled.
FIT_AT_1280 = {"data_audit"}


def _check_tables(grids: list[dict[str, Any]], where: str) -> None:
    assert grids, f"{where}: no table was drawn"
    for grid in grids:
        name = f"{where}, table {grid['key'] or grid['headers'][:1]}"
        assert grid["columns"] > 0, f"{name} has not drawn its accessible table"
        if grid["columns"] <= 5 or grid["key"] in FIT_AT_1280:
            assert grid["scrollWidth"] <= grid["clientWidth"], \
                f"{name} is wider than its box: {grid}"
        else:
            assert len(grid["headers"]) >= 6, f"{name} hides part of its first 5 columns: {grid}"


def test_every_page_reads_at_1280_and_1920_px_on_14000_stores(tmp_path: Path) -> None:
    from playwright.sync_api import Page, sync_playwright

    require_chromium()
    db_path = _sample_db(tmp_path)
    screens = tmp_path / "screens"
    screens.mkdir()
    with _served(tmp_path, LOOP_DB=str(db_path), LOOP_DEMO_FEED="0") as (url, _):
        report_id, store_id = _report(url)
        pages = {  # name -> (address, a text, exactly, that shows once the page has run)
            "reports": (f"/?report_id={report_id}", "Most downtime last week"),
            "fleet": ("/fleet", "Fleet uptime per day (store-local dates)"),
            "now": ("/now", "Unknown"),
            "incidents": ("/fleet-incidents", "Download incidents (CSV)"),
            "store": (f"/store?store_id={store_id}", "Business hours"),
            "data": ("/data", "Data quality"),
            "alerts": ("/alerts", "Channels and thresholds"),
            "status": ("/status_page", "Rows"),
        }
        charts: dict[str, dict[str, Any]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for width in WIDTHS:
                    page: Page = browser.new_page(viewport={"width": width, "height": HEIGHT})
                    page.set_default_timeout(STEP_TIMEOUT_MS)
                    for name, (path, ready) in pages.items():
                        where = f"{name} at {width} px"
                        page.goto(url + path)
                        page.get_by_text(ready, exact=True).first.wait_for()
                        # The script has finished (no spinner) and the grids and charts
                        # have drawn.
                        page.locator("[data-testid='stSpinner']").first.wait_for(
                            state="detached")
                        page.wait_for_function(DRAWN_JS)
                        # A page may rerun once after its first run (a widget's first
                        # value): measure what stays.
                        page.wait_for_timeout(1500)
                        page.wait_for_function(DRAWN_JS)
                        page.screenshot(path=str(screens / f"{name}-{width}.png"))
                        assert page.locator("[data-testid='stException']").count() == 0, where
                        overflow = page.evaluate(OVERFLOW_JS)
                        assert overflow == {"page": 0, "main": 0}, f"{where} scrolls sideways"
                        # Alerts has no table yet; the status page's grid is a chart.
                        if width == NARROW and name not in ("alerts", "status"):
                            # Measured at a moment every grid has drawn: a grid can redraw
                            # its accessible table between two evaluations.
                            drawn = page.wait_for_function(GRIDS_DRAWN_JS)
                            _check_tables(drawn.json_value(), where)
                        if width == NARROW:
                            wrapped = [x for x in page.evaluate(LINK_LINES_JS)
                                       if x["lines"] != 1]
                            assert not wrapped, f"{where}: links wrap: {wrapped}"
                        for key in ("fleet_heatmap", "fleet_trend", "store_daily"):
                            drawn = page.evaluate(CHART_JS, key)
                            if drawn is not None:
                                charts[f"{key} at {width} px"] = drawn
                    page.close()
            finally:
                browser.close()

    for width in WIDTHS:
        heatmap = charts[f"fleet_heatmap at {width} px"]
        # The legend runs from 0 % (tests/test_charts.py checks the scale's domain).
        assert heatmap["colorbar"][0] == "0%", heatmap["colorbar"]
        for key in ("fleet_trend", "store_daily"):
            daily = charts[f"{key} at {width} px"]
            # One label per day, none dropped at the edge and none repeated.
            assert len(daily["xticks"]) == daily["points"] == len(set(daily["xticks"])) >= 7, \
                (key, width, daily)
