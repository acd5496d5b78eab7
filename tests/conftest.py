"""Fixtures shared by the whole suite."""

from __future__ import annotations

import gc
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mongomock
import pymongo
import pytest

from bench_common.redis_server import RedisServer
from bench_common.store import MongoStore, Store, open_store

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(__file__).resolve().parent / "vectors"
"""The published vectors (RFC 8785 and RFC 9162 cases), copied here with their licenses."""
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import Pipeline, make_pipeline  # noqa: E402 - needs the path above

pytest_plugins = ("api_fixtures",)


@pytest.fixture(scope="session")
def vectors() -> Path:
    assert VECTORS.is_dir(), f"published test vectors expected at {VECTORS}"
    return VECTORS


MONGODB_URL = os.environ.get("BENCH_TEST_MONGODB_URL")
STORES = ["sqlite", "mongomock", *(["mongodb"] if MONGODB_URL else [])]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind: SQLite on a real file, MongoStore on mongomock, and on a
    real MongoDB when ``BENCH_TEST_MONGODB_URL`` names one."""
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'store' / 'bench.sqlite3'}")
        yield opened
        opened.close()
        return
    name = f"qcos_bench_test_{uuid.uuid4().hex[:12]}"
    client: Any = (
        mongomock.MongoClient() if request.param == "mongomock"
        else pymongo.MongoClient(MONGODB_URL, serverSelectionTimeoutMS=3000)
    )  # fmt: skip
    yield MongoStore(lambda: client, name)
    client.drop_database(name)
    client.close()


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
