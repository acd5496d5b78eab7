"""API latency under load: ``POST /run`` beside ``GET /healthz`` on one gunicorn server.

Gunicorn serves ``bench_api.app:create_app()`` against a real redis-server that no worker
consumes, so every accepted run is recorded and enqueued and nothing else competes for the
CPU. 50 clients post runs for 30 s while a few others poll ``/healthz``; the ratio of the two
p99 latencies shows what accepting a run costs over the cheapest request (target <= 5), and
every answer other than 202/200 counts as an error (target 0). The tenant's quotas (request
rate, active runs) are lifted for the load: with no worker consuming, the default active-run
quota would turn the load into 429s after 200 runs, which measures the quota, not the API.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench_common.redis_server import RedisServer, free_port
from benchmarks.timing import row

RUN_CLIENTS = 50
HEALTH_CLIENTS = 5
DURATION_SECONDS = 30.0
API = "/api/v2/bench"
KEY = "load-test-key"
RUN_BODY = {"backend_id": "simulator", "workloads": ["bell_state"], "shots": 1000}


@dataclass
class Samples:
    """Latencies in seconds of the requests that got their expected status, and the rest."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def _client(url: str, method: str, expected: int, samples: Samples, stop_at: float) -> None:
    session = requests.Session()
    session.headers["X-API-Key"] = KEY
    body = RUN_BODY if method == "POST" else None
    while time.monotonic() < stop_at:
        start = time.perf_counter()
        try:
            ok = session.request(method, url, json=body, timeout=30).status_code == expected
        except requests.RequestException:
            ok = False
        elapsed = time.perf_counter() - start
        with samples.lock:
            if ok:
                samples.latencies.append(elapsed)
            else:
                samples.errors += 1


def _wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{base}{API}/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


def _load(base: str) -> tuple[Samples, Samples]:
    runs, health = Samples(), Samples()
    stop_at = time.monotonic() + DURATION_SECONDS
    clients = [
        threading.Thread(target=_client, args=(f"{base}{API}/run", "POST", 202, runs, stop_at))
        for _ in range(RUN_CLIENTS)
    ] + [
        threading.Thread(target=_client, args=(f"{base}{API}/healthz", "GET", 200, health, stop_at))
        for _ in range(HEALTH_CLIENTS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    return runs, health


def _report(name: str, samples: Samples) -> None:
    row(f"{name}: requests per second", len(samples.latencies) / DURATION_SECONDS, "req/s")
    row(f"{name}: p50 latency", 1000 * statistics.median(samples.latencies), "ms")
    row(f"{name}: p99 latency", 1000 * samples.percentile(0.99), "ms")
    row(f"{name}: errors", samples.errors, "")


def main() -> None:
    workers = os.cpu_count() or 1  # more processes than cores only contend for SQLite's lock
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp) / "redis") as redis:
        port = free_port()
        env = {**os.environ, "BENCH_DATA_DIR": f"{tmp}/data", "BENCH_BROKER_URL": redis.url,
               "BENCH_API_KEYS": f"{KEY}:load", "BENCH_RATE_LIMIT": "1000000/minute",
               "BENCH_MAX_ACTIVE_RUNS": "1000000"}  # fmt: skip
        command = [
            sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
            "gthread", "--threads", "8", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "bench_api.app:create_app()",
        ]  # fmt: skip
        server = subprocess.Popen(command, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, server)
            print(
                f"  gunicorn: {workers} gthread workers x 8 threads; {RUN_CLIENTS} clients POST "
                f"/run and {HEALTH_CLIENTS} GET /healthz for {DURATION_SECONDS:.0f} s"
            )
            runs, health = _load(base)
        finally:
            server.terminate()
            server.wait(timeout=30)
    _report("POST /run", runs)
    _report("GET /healthz", health)
    row("p99 POST /run / p99 GET /healthz (target <= 5)",
        runs.percentile(0.99) / health.percentile(0.99), "x")  # fmt: skip
    row("errors (target 0)", runs.errors + health.errors, "")


if __name__ == "__main__":
    main()
