"""Fixtures shared by the whole suite."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench_common.redis_server import RedisServer
from bench_common.store import Store

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(__file__).resolve().parent / "vectors"
"""The published vectors (RFC 8785 and RFC 9162 cases), copied here with their licenses."""
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import Pipeline, make_pipeline  # noqa: E402 - needs the path above
from store_cases import STORES, store_case  # noqa: E402 - needs the path above

pytest_plugins = ("api_fixtures",)


@pytest.fixture(scope="session")
def vectors() -> Path:
    assert VECTORS.is_dir(), f"published test vectors expected at {VECTORS}"
    return VECTORS


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind (``store_cases.STORES``)."""
    with store_case(request.param, tmp_path) as case:
        yield case.store


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, private to one test."""
    with RedisServer(tmp_path / "redis") as server:
        yield server
        # Celery result handles a test left in reference cycles unsubscribe from the broker
        # when collected: collect them while it still runs.
        gc.collect()


@pytest.fixture
def pipeline(tmp_path: Path, redis_server: RedisServer) -> Iterator[Pipeline]:
    """Broker, store and data dir for pipeline tests; workers are started by the test."""
    running = make_pipeline(tmp_path, redis_server, visibility_timeout=5, reconcile_interval=1.0)
    yield running
    running.stop()
