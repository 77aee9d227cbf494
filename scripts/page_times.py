"""Time every dashboard page in headless Chromium: its first visit in a new browser session
and a switch to it from another page, once the server has warmed up.

    python scripts/page_times.py [--db PATH] [--stores 14000] [--rounds 3] [--workdir DIR]

Without ``--db`` it builds (once, in ``--workdir``) a database of ``--stores`` stores from
the sample (``python -m loop_core sample`` and ``ingest``). It starts the real server
(``serve.py``) on that file with no sync, no demo feed and no secrets, opens every page
once to warm it up, then, each round:

- first visit: every page in a new browser context (a new Streamlit session), timed from
  the navigation to the page being drawn;
- page switch: one session clicks through the pages in the sidebar, each click timed.

"Drawn" means the script run has finished (``stApp``'s ``data-test-script-state`` is
``notRunning``), the page's own title is shown, no spinner or skeleton is left and every
Plotly chart has drawn its traces. Prints the median and the worst of the rounds for each
page, and the server's resident memory. Uses Debian's chromium (``/usr/bin/chromium``);
never downloads a browser.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
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
    // A chart is drawn once Plotly has put its traces (bars, lines, heatmap) in the SVG.
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
    return Array.from(charts).every((c) => c.querySelector('.main-svg g.trace, .main-svg g.hm'));
}"""


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


def _start(path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    secrets = log.with_name("no-secrets.toml")
    secrets.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"LOOP_DB": str(path), "LOOP_SECRETS": str(secrets), "LOOP_DEMO_FEED": "0",
                "LOOP_NO_SAMPLE": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an existing database (default: build one from the sample)")
    parser.add_argument("--stores", type=int, default=14_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "loop-pages"))
    parser.add_argument("--pages", nargs="+", metavar="TITLE",
                        help="only these pages, by sidebar title (default: all)")
    args = parser.parse_args()
    pages = [p for p in PAGES if not args.pages or p[0] in args.pages]
    if not pages:
        parser.error(f"--pages: choose among {', '.join(p[0] for p in PAGES)}")
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    path = _database(args)
    store = _a_store(path)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    proc = _start(path, port, Path(args.workdir) / "server.log")
    times: dict[str, dict[str, list[float]]] = {
        kind: {name: [] for name, _, _ in pages} for kind in TARGETS
    }
    peak_rss = 0.0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def new_page() -> Page:
                return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

            started = time.perf_counter()
            for _ in range(2):  # the server's caches and Chromium's: not counted
                for _, address, title in pages:
                    _first_visit(new_page, base + address.format(store=store), title)
            print(f"warmed up in {time.perf_counter() - started:.1f} s "
                  f"({path}, server RSS {_rss_mb(proc.pid):.0f} MB)")
            for _ in range(args.rounds):
                for name, address, title in pages:
                    times["first visit"][name].append(
                        _first_visit(new_page, base + address.format(store=store), title))
                    peak_rss = max(peak_rss, _rss_mb(proc.pid))
                # Switches start from a cheap page not measured, so every switch changes page.
                start = next(p for p in reversed(PAGES) if p not in pages[:1]) if len(pages) == 1 \
                    else pages[-1]
                page = new_page()
                page.goto(base + start[1].format(store=store))
                _drawn(page, start[2])
                for name, _, title in pages:
                    started = time.perf_counter()
                    page.locator('[data-testid="stSidebarNavLink"]', has_text=name).click()
                    _drawn(page, title)
                    times["page switch"][name].append(time.perf_counter() - started)
                page.context.close()
                peak_rss = max(peak_rss, _rss_mb(proc.pid))
            browser.close()
    finally:
        _stop(proc)
    print(f"\n{args.rounds} rounds, seconds (median / worst); targets: first visit "
          f"<= {TARGETS['first visit']} s, page switch <= {TARGETS['page switch']} s\n")
    print(f"{'page':<20} {'first visit':>16} {'page switch':>16}")
    for name, _, _ in pages:
        cells = [f"{statistics.median(t[name]):.2f} / {max(t[name]):.2f}"
                 for t in times.values()]
        print(f"{name:<20} {cells[0]:>16} {cells[1]:>16}")
    print(f"\nserver RSS while serving: up to {peak_rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
