"""RabbitMQ as the broker: quorum queues and a Redis result backend for the chords. The
pipeline tests here run when ``BENCH_TEST_AMQP_URL`` names a RabbitMQ (``.ci/run`` sets it
when 127.0.0.1:5672 answers); each gets a vhost of its own when ``rabbitmqctl`` can make one,
else the URL's vhost with the platform's queues purged. The recovery tests (a worker, the
finalizer or the broker itself killed) run on a private RabbitMQ node: tests/test_recovery.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from kombu import Connection
from pipeline import Pipeline
from test_recovery import RECOVERY_BOUND, signed_once

from bench_api.app import create_app
from bench_api.quotas import RATE_KEY_PREFIX
from bench_common.broker import BrokerConfigError, celery_app, declared_queues
from bench_common.catalogue import CATALOGUE
from bench_common.redis_server import RedisServer
from bench_common.settings import Settings

AMQP_URL = os.environ.get("BENCH_TEST_AMQP_URL")
needs_rabbitmq = pytest.mark.skipif(not AMQP_URL, reason="BENCH_TEST_AMQP_URL is not set")
RABBIT = "amqp://guest:guest@127.0.0.1:5672//"


def test_an_amqp_broker_needs_a_redis_result_backend(tmp_path: Path) -> None:
    with pytest.raises(BrokerConfigError, match="BENCH_RESULT_BACKEND"):
        celery_app(Settings(data_dir=tmp_path, broker_url=RABBIT), CATALOGUE)
    with pytest.raises(BrokerConfigError, match="redis"):
        celery_app(Settings(data_dir=tmp_path, broker_url=RABBIT, result_backend="rpc://"),
                   CATALOGUE)  # fmt: skip
    settings = Settings(data_dir=tmp_path, broker_url=RABBIT, result_backend="redis://h:6379/1")
    app = celery_app(settings, CATALOGUE)
    assert app.conf.result_backend == "redis://h:6379/1"
    assert app.conf.task_default_queue_type == "quorum" and app.conf.worker_detect_quorum_queues
    redis_only = Settings(data_dir=tmp_path, broker_url="redis://h:6379/0")
    assert celery_app(redis_only, CATALOGUE).conf.result_backend == "redis://h:6379/0"


def test_queues_on_rabbitmq_are_quorum_queues_on_topic_exchanges(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url=RABBIT, result_backend="redis://h/1")
    queues = declared_queues(settings, CATALOGUE)
    assert [q.name for q in queues] == list(CATALOGUE.queues)
    assert all(q.queue_arguments == {"x-queue-type": "quorum"} for q in queues)
    assert all(q.exchange.type == "topic" and q.routing_key == q.name for q in queues)
    on_redis = declared_queues(Settings(data_dir=tmp_path, broker_url="redis://h/0"), CATALOGUE)
    assert all(not q.queue_arguments for q in on_redis)


def rabbitmqctl(*args: str) -> bool:
    if shutil.which("rabbitmqctl") is None:
        return False
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


@pytest.fixture
def amqp_url() -> Iterator[str]:
    assert AMQP_URL is not None
    vhost = f"qcos-bench-test-{uuid.uuid4().hex[:10]}"
    user = urlsplit(AMQP_URL).username or "guest"
    if rabbitmqctl("add_vhost", vhost):
        rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urlunsplit(urlsplit(AMQP_URL)._replace(path="/" + quote(vhost, safe="")))
        rabbitmqctl("delete_vhost", vhost)
        return
    with Connection(AMQP_URL) as connection:  # a shared vhost: start and end empty
        channel = connection.channel()
        for name in CATALOGUE.queues:
            try:
                channel.queue_purge(name)
            except connection.channel_errors:  # not declared yet: that closed the channel
                channel = connection.channel()
    yield AMQP_URL


@pytest.fixture
def rabbit(tmp_path: Path, amqp_url: str, redis_server: RedisServer) -> Iterator[Pipeline]:
    """A pipeline on RabbitMQ with the shipped defaults; Redis only counts the chords."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = Settings.from_env({}, data_dir=data_dir, broker_url=amqp_url,
                                 result_backend=redis_server.url)  # fmt: skip
    running = Pipeline(redis_server, settings, redis_server)
    yield running
    running.stop()


@needs_rabbitmq
@pytest.mark.slow
def test_a_run_on_rabbitmq_ends_in_a_signed_report(rabbit: Pipeline) -> None:
    rabbit.start_worker(beat=True)
    workloads = ["ghz_5q", "ghz_10q", "bell_state"]
    run_id = rabbit.submit(shots=500, seed=11).run.id
    report = rabbit.wait_for_report(run_id, timeout=120)
    signed_once(rabbit, run_id, report, workloads)
    assert rabbit.runtime.ledger.size == 1
    if shutil.which("rabbitmqctl"):
        vhost = urlsplit(rabbit.settings.broker_url or "").path[1:] or "/"
        listed = subprocess.run(["rabbitmqctl", "list_queues", "-p", vhost.replace("%2F", "/"),
                                 "name", "type"], capture_output=True, text=True, timeout=60,
                                check=False).stdout  # fmt: skip
        types = dict(line.split()[:2] for line in listed.splitlines() if len(line.split()) == 2)
        assert all(types.get(q) == "quorum" for q in CATALOGUE.queues), listed


@needs_rabbitmq
@pytest.mark.slow
def test_a_countdown_retry_travels_through_the_delayed_delivery_queues(rabbit: Pipeline) -> None:
    """A delivery that finds another's live lease retries after it (a countdown: on quorum
    queues Celery's native delayed delivery, which needs the topic exchanges)."""
    run_id = rabbit.submit(workloads=["bell_state"], shots=100, seed=3).run.id
    store = rabbit.runtime.store
    store.take_lease(run_id, "bell_state", "someone-else", time.time() + 25, time.time())
    started = time.monotonic()
    rabbit.start_worker(beat=True)
    report = rabbit.wait_for_report(run_id, timeout=RECOVERY_BOUND)
    assert time.monotonic() - started > 25
    signed_once(rabbit, run_id, report, ["bell_state"])
    assert "retry: Retry in" in rabbit.logs()


def test_the_api_serves_on_an_amqp_broker_with_its_counters_in_the_result_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path, broker_url=RABBIT, api_keys="k:t",
                                 result_backend=redis_server.url)  # fmt: skip
    client = create_app(settings).test_client()
    assert client.get("/api/v2/bench/workloads", headers={"X-API-Key": "k"}).status_code == 200
    keys = redis_server.client().keys(f"{RATE_KEY_PREFIX}*")
    assert keys, "the tenant's request was counted in the result backend's Redis"
