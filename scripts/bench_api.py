"""Throughput and p99 latency of ``GET /get_report`` for a completed report, under load.

For each code tree (this checkout, plus ``--compare DIR``: e.g. the main branch unpacked
with ``git archive main | tar -x -C /tmp/old``), the script copies the database, starts
``streamlit run serve.py`` from that tree on the copy, generates one report through its
API, then fetches that report with ``--connections`` concurrent clients for ``--seconds``
per round. Rounds alternate the trees (A B, B A, ...) so that both see the same machine,
and the script prints each round's requests/s and p99, the medians, and the paired ratios.
Each round loads twice: as clients that accept gzip (browsers, httpx, requests: the
server's middleware compresses what is not compressed already) and as ones that do not
(curl without --compressed).

The load comes from ``wrk`` when it is installed (Debian's package), else from one thread
per connection with httpx (which costs the server's CPU more: compare runs made the same way).

    python scripts/bench_api.py --stores 14000 --compare /tmp/old
    python scripts/bench_api.py --db data/big.duckdb --rounds 7 --seconds 10

Without ``--db`` it writes the sample feeds for ``--stores`` stores and loads them with the
CLI of the oldest tree given (a newer tree migrates its copy when it opens it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 120.0


ENCODINGS = ("gzip", "identity")


@dataclass(frozen=True)
class Round:
    tree: str
    encoding: str
    requests_per_s: float
    p99_ms: float
    errors: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a database with polls (default: build one)")
    parser.add_argument("--stores", type=int, default=14_000)
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="another code tree to measure beside this one (repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--as-of", default=None, help="the reports' as-of (default: latest)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    trees = [*(p.resolve() for p in args.compare), HERE]
    labels = [f"{tree.name or tree}" if tree != HERE else "this" for tree in trees]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-api-"))
    work.mkdir(parents=True, exist_ok=True)
    base = args.db or _build_db(trees[0], work, args.stores)
    tool = "wrk" if shutil.which("wrk") else "httpx threads"
    print(f"database {base}; load from {tool}, {args.connections} connections, "
          f"{args.seconds:g} s per round", flush=True)

    with _servers(trees, labels, base, work) as servers:
        urls = {label: _completed_report(url, args.as_of) for label, url in servers.items()}
        for label, (url, size) in urls.items():
            print(f"{label}: report of {size:,} bytes at {url}", flush=True)
        rounds: list[Round] = []
        for number in range(args.rounds):
            order = labels if number % 2 == 0 else labels[::-1]
            for encoding in ENCODINGS:
                for label in order:
                    url = urls[label][0]
                    rps, p99, errors = _load(url, encoding, args.connections, args.seconds)
                    rounds.append(Round(label, encoding, rps, p99, errors))
                    print(f"round {number + 1} {encoding:>8} {label:>8}: {rps:8.1f} req/s  "
                          f"p99 {p99:8.1f} ms" + (f"  {errors} errors" if errors else ""),
                          flush=True)
    _summary(rounds, labels)
    return 0


def _build_db(tree: Path, work: Path, stores: int) -> Path:
    feeds = work / "feeds"
    path = work / "base.duckdb"
    if path.exists():
        return path
    cli = [sys.executable, "-m", "loop_core"]
    env = _env(tree, work)
    subprocess.run([*cli, "sample", "--out", str(feeds), "--stores", str(stores), "--days", "8"],
                   cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*cli, "ingest", "--db", str(path),
                    "--store-status", str(feeds / "store_status.csv"),
                    "--business-hours", str(feeds / "menu_hours.csv"),
                    "--timezones", str(feeds / "timezones.csv")],
                   cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return path


def _env(tree: Path, work: Path, db_path: Path | None = None) -> dict[str, str]:
    secrets = work / "no-secrets.toml"
    secrets.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOP_")}
    env.update({"PYTHONPATH": str(tree), "LOOP_SECRETS": str(secrets), "LOOP_NO_SAMPLE": "1",
                "LOOP_DEMO_FEED": "0"})
    if db_path is not None:
        env["LOOP_DB"] = str(db_path)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _servers(
    trees: list[Path], labels: list[str], base: Path, work: Path
) -> Iterator[dict[str, str]]:
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        for tree, label in zip(trees, labels, strict=True):
            folder = work / label
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            copy = folder / "loop.duckdb"
            shutil.copy(base, copy)
            port = _free_port()
            log = (folder / "server.log").open("wb")
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
                 "--server.headless", "true", "--server.fileWatcherType", "none",
                 "--browser.gatherUsageStats", "false"],
                cwd=tree, env=_env(tree, work, copy), stdout=log, stderr=subprocess.STDOUT))
            urls[label] = f"http://127.0.0.1:{port}"
        for label, url in urls.items():
            _wait_healthy(url, label)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(url: str, label: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{label}: the server at {url} did not answer /healthz")


def _completed_report(url: str, as_of: str | None) -> tuple[str, int]:
    params = {"as_of": as_of} if as_of else {}
    report_id = httpx.get(f"{url}/trigger_report", params=params, timeout=30).json()["report_id"]
    target = f"{url}/get_report?report_id={report_id}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        response = httpx.get(target, timeout=60)
        if response.headers.get("content-type", "").startswith("text/csv"):
            return target, len(response.content)
        if response.json().get("status") != "Running":
            raise SystemExit(f"the report did not complete: {response.text}")
        time.sleep(0.5)
    raise SystemExit("the report did not complete within 300 s")


def _load(
    url: str, encoding: str, connections: int, seconds: float
) -> tuple[float, float, int]:
    """(requests/s, p99 in ms, failed requests) of ``seconds`` of load on ``url``, with
    ``Accept-Encoding: <encoding>``."""
    if shutil.which("wrk"):
        return _wrk(url, encoding, connections, seconds)
    return _threads(url, encoding, connections, seconds)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk(url: str, encoding: str, connections: int, seconds: float) -> tuple[float, float, int]:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--latency",
         "--timeout", "30s", "-H", f"Accept-Encoding: {encoding}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    assert p99 is not None, out
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*?timeout (\d+)"):
        match = re.search(pattern, out)
        errors += int(match.group(1)) if match else 0
    return rps, float(p99.group(1)) * _UNITS_MS[p99.group(2)], errors


def _threads(
    url: str, encoding: str, connections: int, seconds: float
) -> tuple[float, float, int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + seconds

    def client() -> None:
        mine: list[float] = []
        failed = 0
        with httpx.Client(timeout=30, headers={"Accept-Encoding": encoding}) as http:
            while (began := time.perf_counter()) < deadline:
                try:
                    ok = http.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append(time.perf_counter() - began)
                failed += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else 0.0
    return len(latencies) / elapsed, p99 * 1000, errors[0]


def _summary(rounds: list[Round], labels: list[str]) -> None:
    print("\nmedians")
    for encoding in ENCODINGS:
        for label in labels:
            mine = [r for r in rounds if (r.tree, r.encoding) == (label, encoding)]
            print(f"  {encoding:>8} {label:>8}: "
                  f"{statistics.median(r.requests_per_s for r in mine):8.1f} req/s  "
                  f"p99 {statistics.median(r.p99_ms for r in mine):8.1f} ms")
    if len(labels) < 2:
        return
    new = labels[-1]
    for encoding in ENCODINGS:
        for old in labels[:-1]:
            pairs = list(zip(
                [r for r in rounds if (r.tree, r.encoding) == (old, encoding)],
                [r for r in rounds if (r.tree, r.encoding) == (new, encoding)], strict=True))
            speed = statistics.median(n.requests_per_s / o.requests_per_s for o, n in pairs)
            tail = statistics.median(o.p99_ms / n.p99_ms for o, n in pairs if n.p99_ms > 0)
            print(f"  paired, {encoding}, {new} vs {old}: {speed:.2f}x the requests/s, "
                  f"p99 {tail:.2f}x lower")


if __name__ == "__main__":
    sys.exit(main())
