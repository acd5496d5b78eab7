"""Fixtures for the API and SDK tests.

In-process: the app from the factory on a real SQLite store and a real redis-server broker,
with finished runs signed by the app's own keys. Over HTTP: ``bench serve`` as ``make run``
starts it (embedded broker and workers), or enqueue-only against a broker nobody consumes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import factories
import psutil
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from store_cases import make_run

from bench_api import platform
from bench_api.app import create_app
from bench_common.redis_server import RedisServer, free_port
from bench_common.settings import Settings
from bench_common.timeutil import format_time, now

BENCH = str(Path(sys.executable).with_name("bench"))
KEY_A = "test-key-tenant-a-8c1f"
KEY_B = "test-key-tenant-b-41d2"
A = {"X-API-Key": KEY_A}
B = {"X-API-Key": KEY_B}
API_KEYS = f"{KEY_A}:tenant-a,{KEY_B}:tenant-b"
API = "/api/v2/bench"
SERVE_TIMEOUT = 60.0


@pytest.fixture
def api_settings(tmp_path: Path, redis_server: RedisServer) -> Settings:
    return Settings.from_env(
        {}, data_dir=tmp_path / "data", broker_url=redis_server.url, api_keys=API_KEYS
    )


@pytest.fixture
def app(api_settings: Settings) -> Flask:
    return create_app(api_settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def finish_run(app: Flask, tenant_id: str = "tenant-a") -> dict[str, Any]:
    """A finished run of ``tenant_id`` in the app's store: its signed report (and bundle)."""
    here = platform.of(app)
    workloads = [result.id for result in factories.results()]
    run = make_run(str(uuid.uuid4()), tenant_id=tenant_id, workloads=workloads)
    here.runtime.store.create_run(run)
    signed_run = factories.Run(id=run.id, tenant_id=tenant_id)
    report, bundle = factories.sign(here.settings.data_dir, here.runtime.keys, run=signed_run)
    return here.runtime.store.finish_run(run.id, report, bundle, "completed", format_time(now()))


def queued_run(app: Flask, tenant_id: str = "tenant-a") -> str:
    run = make_run(str(uuid.uuid4()), tenant_id=tenant_id, workloads=["bell_state", "ghz_5q"])
    platform.of(app).runtime.store.create_run(run)
    return run.id


@dataclass
class Served:
    """A ``bench serve`` process and how to reach it."""

    url: str
    data_dir: Path
    process: subprocess.Popen[str]

    def get(self, path: str, **options: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **options)

    def post(self, path: str, **options: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **options)

    def output(self) -> str:
        return (self.data_dir.parent / "serve.log").read_text()


def serve(directory: Path, **env: str) -> Iterator[Served]:
    """Run ``bench serve`` until the fixture ends, then stop it as Ctrl-C would."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    data_dir = directory / "data"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    environment = {
        **inherited, "BENCH_DATA_DIR": str(data_dir), "BENCH_PORT": str(port),
        "BENCH_HOST": "127.0.0.1", "BENCH_API_KEYS": API_KEYS, **env,
    }  # fmt: skip
    log = open(directory / "serve.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [BENCH, "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    served = Served(f"http://127.0.0.1:{port}", data_dir, process)
    try:
        _wait_healthy(served)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()
            raise AssertionError("bench serve did not stop on Ctrl-C (SIGINT)") from None
        finally:
            log.close()


def _wait_healthy(served: Served) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"bench serve exited:\n{served.output()}")
        try:
            if served.get(f"{API}/healthz").status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"bench serve did not become healthy:\n{served.output()}")


@pytest.fixture(scope="session")
def platform_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``bench serve`` on the embedded default, as ``make run`` starts it."""
    yield from serve(tmp_path_factory.mktemp("platform"))


@pytest.fixture(scope="session")
def enqueue_only_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``bench serve`` with an external broker that no worker consumes: runs stay queued."""
    directory = tmp_path_factory.mktemp("enqueue-only")
    with RedisServer(directory / "redis") as redis:
        # Fuzzing sends thousands of requests a minute: a budget that high keeps it testing
        # the endpoints rather than the rate limiter (tests/test_api_quotas.py tests that).
        # Its runs never finish, so neither may the active-run quota stop the next test.
        yield from serve(directory, BENCH_BROKER_URL=redis.url, BENCH_RATE_LIMIT="100000/minute",
                         BENCH_MAX_ACTIVE_RUNS="100000")  # fmt: skip
