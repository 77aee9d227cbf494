"""Time every dashboard page in headless Chromium: its first visit in a new browser session
and a switch to it from another page, once the server has warmed up.

    python scripts/page_times.py [--db PATH] [--stores 14000] [--rounds 3] [--workdir DIR]
                                 [--pages TITLE ...] [--baseline CHECKOUT] [--floor]

Without ``--db`` it builds (once, in ``--workdir``) a database of ``--stores`` stores from
the sample (``python -m loop_core sample`` and ``ingest``). It starts the real server
(``serve.py``) on that file with no sync, no demo feed and no secrets, opens every page
once to warm it up, then, each round:

- first visit: every page in a new browser context (a new Streamlit session), timed from
  the navigation to the page being drawn;
- page switch: one session clicks through the pages in the sidebar, each click timed.

"Drawn" means the script run has finished (``stApp``'s ``data-test-script-state`` is
``notRunning``), the page's own title is shown, no spinner or skeleton is left and every
Plotly chart has drawn its traces and every Vega-Lite chart its marks. Prints the median
and the worst of the rounds for each page, and the server's resident memory.

``--baseline CHECKOUT`` times another checkout of the project too (``git worktree add`` or
``git archive main | tar -x``), on its own copy of the database, and prints each page's
paired ratio (this checkout / the baseline, per round, median): both servers run, and each
round times the two one after the other, in alternating order. ``--floor`` also times an
empty two-page Streamlit app (a title each) the same way: what any page costs on this
machine before the dashboard adds anything. Uses Debian's chromium
(``/usr/bin/chromium``); never downloads a browser.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# (sidebar title, address, the page's own title); the store page opens one store.
PAGES = [
    ("Now", "now", "Now"),
    ("Reports", "", "Reports"),
    ("Fleet overview", "fleet", "Fleet overview"),
    ("Incidents", "fleet-incidents", "Incidents"),
    ("Store drill-down", "store?store_id={store}", "Store drill-down"),
    ("Data", "data", "Data"),
    ("Alerts", "alerts", "Alerts"),
    ("Status page", "status_page", "Status page"),
]
TARGETS = {"first visit": 1.5, "page switch": 1.0}

_DRAWN = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    if (!h1 || !h1.textContent.includes(title)) return false;
    if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]')) {
        return false;
    }
    // A chart is drawn once Plotly has put its traces (bars, lines, heatmap) in the SVG,
    // or Vega its marks.
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
    const vega = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
    return Array.from(charts).every((c) => c.querySelector('.main-svg g.trace, .main-svg g.hm'))
        && Array.from(vega).every((c) => c.querySelector('svg .role-mark path, canvas'));
}"""
# The empty app --floor times: two pages, a title each.
FLOOR_APP = """import streamlit as st
st.navigation([st.Page(lambda: st.title("Empty"), title="Empty", url_path="empty"),
               st.Page(lambda: st.title("Other"), title="Other", url_path="other")]).run()
"""
FLOOR_PAGES = [("Empty", "empty", "Empty"), ("Other", "other", "Other")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    work = Path(args.workdir)
    path = work / f"pages-{args.stores}.duckdb"
    if path.exists():
        return path
    data = work / f"sample-{args.stores}"
    python = sys.executable
    subprocess.run([python, "-m", "loop_core", "sample", "--out", str(data),
                    "--stores", str(args.stores)], check=True, cwd=ROOT, capture_output=True)
    subprocess.run([python, "-m", "loop_core", "ingest", "--db", str(path),
                    "--store-status", str(data / "store_status.csv"),
                    "--business-hours", str(data / "menu_hours.csv"),
                    "--timezones", str(data / "timezones.csv")],
                   check=True, cwd=ROOT, capture_output=True)
    return path


def _a_store(path: Path) -> str:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT store_id FROM stores ORDER BY store_id LIMIT 1 OFFSET "
                          "(SELECT count(*) // 2 FROM stores)").fetchone()
    finally:
        con.close()
    assert row is not None
    return str(row[0])


def _start(root: Path, script: str, path: Path | None, port: int,
           log: Path) -> subprocess.Popen[bytes]:
    secrets = log.with_name("no-secrets.toml")
    secrets.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_SECRETS": str(secrets), "LOOP_DEMO_FEED": "0", "LOOP_NO_SAMPLE": "1"})
    if path is not None:
        env["LOOP_DB"] = str(path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=root, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    _stop(proc)
    raise SystemExit(f"the server did not answer within 120 s; see {log}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and its children, from /proc (Linux)."""
    total = 0
    pids = [pid, *(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _drawn(page: Page, title: str) -> None:
    page.wait_for_function(_DRAWN, arg=title, polling=50, timeout=120_000)


def _first_visit(new_page: Callable[[], Page], url: str, title: str) -> float:
    page = new_page()
    try:
        started = time.perf_counter()
        page.goto(url)
        _drawn(page, title)
        return time.perf_counter() - started
    finally:
        page.context.close()


@dataclass
class Side:
    """One server timed: this checkout, the baseline or the empty app."""

    label: str
    proc: subprocess.Popen[bytes]
    base: str  # the server's address, ending in /
    pages: list[tuple[str, str, str]]
    times: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    peak_rss: float = 0.0

    def __post_init__(self) -> None:
        self.times = {kind: {name: [] for name, _, _ in self.pages} for kind in TARGETS}


def _round(side: Side, new_page: Callable[[], Page], store: str, record: bool) -> None:
    """Every page's first visit in a new context, then a switch to each from the sidebar."""
    for name, address, title in side.pages:
        took = _first_visit(new_page, side.base + address.format(store=store), title)
        if record:
            side.times["first visit"][name].append(took)
            side.peak_rss = max(side.peak_rss, _rss_mb(side.proc.pid))
    if not record:
        return
    # Switches start from a page not measured (or the last), so every switch changes page.
    pages = side.pages
    start = next((p for p in reversed(PAGES) if p not in pages), pages[-1]) \
        if len(pages) == 1 else pages[-1]
    page = new_page()
    page.goto(side.base + start[1].format(store=store))
    _drawn(page, start[2])
    for name, _, title in pages:
        started = time.perf_counter()
        page.locator('[data-testid="stSidebarNavLink"]', has_text=name).click()
        _drawn(page, title)
        side.times["page switch"][name].append(time.perf_counter() - started)
    page.context.close()
    side.peak_rss = max(side.peak_rss, _rss_mb(side.proc.pid))


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an existing database (default: build one from the sample)")
    parser.add_argument("--stores", type=int, default=14_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "loop-pages"))
    parser.add_argument("--pages", nargs="+", metavar="TITLE",
                        help="only these pages, by sidebar title (default: all)")
    parser.add_argument("--baseline", metavar="CHECKOUT",
                        help="another checkout of the project to time against, paired")
    parser.add_argument("--floor", action="store_true",
                        help="also time an empty two-page Streamlit app")
    args = parser.parse_args()
    pages = [p for p in PAGES if not args.pages or p[0] in args.pages]
    if not pages:
        parser.error(f"--pages: choose among {', '.join(p[0] for p in PAGES)}")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    path = _database(args)
    store = _a_store(path)
    sides: list[Side] = []
    try:
        port = _free_port()
        sides.append(Side("this checkout", _start(ROOT, "serve.py", path, port,
                                                  work / "server.log"),
                          f"http://127.0.0.1:{port}/", pages))
        if args.baseline:
            copy = work / f"baseline-{path.name}"
            shutil.copyfile(path, copy)  # one writing process per file
            port = _free_port()
            sides.append(Side("baseline", _start(Path(args.baseline).resolve(), "serve.py",
                                                 copy, port, work / "baseline.log"),
                              f"http://127.0.0.1:{port}/", pages))
        if args.floor:
            (work / "floor_app.py").write_text(FLOOR_APP, encoding="utf-8")
            port = _free_port()
            sides.append(Side("empty app", _start(work, "floor_app.py", None, port,
                                                  work / "floor.log"),
                              f"http://127.0.0.1:{port}/", FLOOR_PAGES))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def new_page() -> Page:
                return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

            started = time.perf_counter()
            for _ in range(2):  # the server's caches and Chromium's: not counted
                for side in sides:
                    _round(side, new_page, store, record=False)
            print(f"warmed up in {time.perf_counter() - started:.1f} s ({path}, server RSS "
                  f"{_rss_mb(sides[0].proc.pid):.0f} MB, {_load()})")
            for n in range(args.rounds):
                for side in (sides if n % 2 == 0 else sides[::-1]):  # alternating order
                    _round(side, new_page, store, record=True)
                print(f"round {n + 1} done ({_load()})", flush=True)
            browser.close()
    finally:
        for side in sides:
            _stop(side.proc)
    print(f"\n{args.rounds} rounds, seconds (median / worst); targets: first visit "
          f"<= {TARGETS['first visit']} s, page switch <= {TARGETS['page switch']} s; {_load()}")
    for side in sides:
        print(f"\n{side.label}: server RSS while serving up to {side.peak_rss:.0f} MB")
        print(f"{'page':<20} {'first visit':>16} {'page switch':>16}")
        for name, _, _ in side.pages:
            cells = [f"{statistics.median(t[name]):.2f} / {max(t[name]):.2f}"
                     for t in side.times.values()]
            print(f"{name:<20} {cells[0]:>16} {cells[1]:>16}")
    if args.baseline:
        new, old = sides[0], sides[1]
        print("\nthis checkout / baseline, paired per round (median; below 1: faster)")
        print(f"{'page':<20} {'first visit':>16} {'page switch':>16}")
        for name, _, _ in pages:
            ratios = [statistics.median(a / b for a, b in zip(new.times[kind][name],
                                                              old.times[kind][name],
                                                              strict=True))
                      for kind in TARGETS]
            print(f"{name:<20} {ratios[0]:>16.2f} {ratios[1]:>16.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
