"""Operating ``make run``'s platform: Flower beside it, and ``celery`` commands reaching its
embedded broker from the data dir alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from api_fixtures import serve

from bench_common.catalogue import CATALOGUE
from bench_common.redis_server import free_port

AUTH = ("ops", "flower-secret")


def workers(port: int, auth: tuple[str, str] | None) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}/api/workers?refresh=1", auth=auth, timeout=30)


def test_flower_serves_with_auth_and_sees_the_embedded_workers(tmp_path: Path) -> None:
    port = free_port()
    server = serve(tmp_path, BENCH_FLOWER_PORT=str(port), BENCH_FLOWER_AUTH=":".join(AUTH))
    served = next(server)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = workers(port, AUTH)
                if answer.status_code == 200 and answer.json():
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.5)
        assert workers(port, None).status_code == 401
        assert workers(port, ("ops", "wrong")).status_code == 401
        [(name, info)] = answer.json().items()
        assert name.startswith("embedded-")
        assert sorted(q["name"] for q in info["active_queues"]) == sorted(CATALOGUE.queues)
        # Any celery command reaches make run's broker with nothing but the data dir.
        env = {**os.environ, "BENCH_DATA_DIR": str(served.data_dir)}
        env.pop("BENCH_BROKER_URL", None)
        ping = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "bench_workers.celery_app", "inspect", "ping"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert ping.returncode == 0 and "1 node online" in ping.stdout, ping.stdout + ping.stderr
    finally:
        server.close()
    assert "qcos-bench stopped." in served.output()


def test_flower_without_auth_is_not_started_and_says_so(tmp_path: Path) -> None:
    server = serve(tmp_path, BENCH_FLOWER_PORT=str(free_port()))
    served = next(server)
    server.close()
    assert "Flower not started: BENCH_FLOWER_PORT needs BENCH_FLOWER_AUTH" in served.output()
