"""The web app's first load: bytes transferred and time to the first plot (target < 1 s).

``bench serve`` (embedded broker and workers) runs the six seed workloads on the simulator;
then headless system Chromium opens ``/dashboard/#/run/<id>`` in a fresh profile (no cache)
with the key already in session storage, and reads the Performance API: the transfer size
of the page and every asset under ``/dashboard/``, and the ``first-plot`` mark the app sets
when its first chart is drawn (milliseconds from the start of navigation, API calls
included).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench_common.redis_server import free_port
from benchmarks.timing import row

API = "/api/v2/bench"
KEY = "dashboard-bench-key"
WORKLOADS = ["bell_state", "ghz_5q", "ghz_10q", "ghz_50q", "ghz_100q", "depth_stress"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
LOADS = 5
MEASURE = """() => {
  const entries = [performance.getEntriesByType("navigation")[0],
                   ...performance.getEntriesByType("resource")];
  const app = entries.filter((e) => new URL(e.name).pathname.startsWith("/dashboard/"));
  return {
    bytes: app.reduce((sum, e) => sum + e.transferSize, 0),
    files: app.length,
    plot: performance.getEntriesByName("first-plot")[0].startTime,
  };
}"""


def _wait(check: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{what} took longer than {timeout:.0f} s")


def _finished_run(base: str) -> str:
    headers = {"X-API-Key": KEY}
    body = {"backend_id": "simulator", "workloads": WORKLOADS, "shots": 1000}
    answer = requests.post(f"{base}{API}/run", json=body, headers=headers, timeout=30)
    answer.raise_for_status()
    benchmark_id = str(answer.json()["benchmark_id"])
    report = f"{base}{API}/report/{benchmark_id}"
    _wait(lambda: requests.get(report, headers=headers, timeout=30).status_code == 200, "the run")
    return benchmark_id


def _loads(base: str, benchmark_id: str) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(LOADS):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_init_script(f"sessionStorage.setItem('qcos-bench.api-key', '{KEY}')")
            page = context.new_page()
            page.goto(f"{base}/dashboard/#/run/{benchmark_id}")
            page.wait_for_selector("canvas[data-ready='true']", timeout=60_000)
            results.append(page.evaluate(MEASURE))
            context.close()
        browser.close()
    return results


def main() -> None:
    if not Path(CHROMIUM).exists():
        print(f"  skipped: no {CHROMIUM} (apt-get install -y chromium)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
        env = {**inherited, "BENCH_DATA_DIR": f"{tmp}/data", "BENCH_PORT": str(port),
               "BENCH_HOST": "127.0.0.1", "BENCH_API_KEYS": f"{KEY}:bench"}  # fmt: skip
        bench = str(Path(sys.executable).with_name("bench"))
        with open(Path(tmp) / "serve.log", "w") as log:
            server = subprocess.Popen([bench, "serve"], env=env, stdout=log, stderr=log)
            base = f"http://127.0.0.1:{port}"
            try:
                healthz = f"{base}{API}/healthz"
                _wait(lambda: requests.get(healthz, timeout=5).status_code == 200, "bench serve")
                benchmark_id = _finished_run(base)
                loads = _loads(base, benchmark_id)
            finally:
                server.send_signal(signal.SIGINT)
                server.wait(timeout=60)
    print(f"  {LOADS} first loads of /dashboard/#/run/<id> (six seed workloads, simulator)")
    row("first load: bytes transferred (/dashboard/ and its assets)", loads[0]["bytes"], "B")
    row("first load: files", loads[0]["files"], "")
    row("time to first plot, median (target < 1000 ms)",
        statistics.median(load["plot"] for load in loads), "ms")  # fmt: skip
    row("time to first plot, worst", max(load["plot"] for load in loads), "ms")


if __name__ == "__main__":
    main()
