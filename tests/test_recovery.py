"""Bounded recovery on the shipped defaults: a lost worker, finalizer or broker costs a run
less than a minute, although Redis hands an unacknowledged task out again only after
``BENCH_VISIBILITY_TIMEOUT`` (an hour).

Each test runs on both brokers: a real redis-server, and a private rabbitmq-server node
(quorum queues, Redis as the result backend) where RabbitMQ is installed. Real ``celery
worker`` subprocesses started as an operator would, and settings built from an empty
environment: nothing here shortens the visibility timeout, the lease or the reconciler's
interval.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline import Pipeline, make_pipeline, wait_for
from rabbit_server import RabbitServer, rabbitmq_binary

from bench_common.evidence import verify_report
from bench_common.redis_server import RedisServer
from bench_common.settings import Settings

RECOVERY_BOUND = 60.0
pytestmark = pytest.mark.slow
needs_rabbitmq_server = pytest.mark.skipif(
    rabbitmq_binary() is None, reason="rabbitmq-server is not installed"
)


@pytest.fixture(params=["redis", pytest.param("rabbitmq", marks=needs_rabbitmq_server)])
def defaults(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer
) -> Iterator[Pipeline]:
    """A pipeline on the shipped defaults (only the data dir and the broker are given)."""
    rabbit = RabbitServer(tmp_path / "rabbitmq").start() if request.param == "rabbitmq" else None
    running = make_pipeline(tmp_path, redis_server, rabbit)
    shipped = Settings()
    for name in ("visibility_timeout", "lease_seconds", "heartbeat_interval",
                 "reconcile_interval", "dispatch_grace"):  # fmt: skip
        assert getattr(running.settings, name) == getattr(shipped, name)
    assert running.settings.visibility_timeout == 3600
    yield running
    running.stop()
    if rabbit is not None:
        rabbit.stop(kill=True)


def record(pipeline: Pipeline, what: str, seconds: float) -> None:
    """Show a measured recovery time (``pytest -s`` shows it)."""
    broker = "RabbitMQ" if isinstance(pipeline.broker, RabbitServer) else "Redis"
    print(f"\n{broker}: {what}: {seconds:.1f} s")


def kill(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker's whole process tree at once: nothing of it acknowledges anything."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def signed_once(pipeline: Pipeline, run_id: str, report: dict, workloads: list[str]) -> None:
    outcome = verify_report(report, pipeline.runtime.keys.public_keyring())
    assert outcome.status == "valid", outcome.to_dict()
    assert [w["id"] for w in report["workloads"]] == workloads
    assert all(w["status"] == "completed" for w in report["workloads"]), report["workloads"]
    assert sorted(pipeline.runtime.store.results(run_id)) == sorted(workloads)


def test_a_killed_workers_workload_runs_again_within_a_minute(defaults: Pipeline) -> None:
    pipeline = defaults
    pipeline.start_worker(["finalize"], beat=True)
    first = pipeline.start_worker(["simulator"])
    workloads = ["ghz_100q", "bell_state"]
    run_id = pipeline.submit("ibm_brisbane", workloads=workloads, shots=20_000, seed=5).run.id
    store = pipeline.runtime.store

    def executing() -> bool:
        """Leased, its attempt counted (the step after the lease), no result yet."""
        lease = store.leases(run_id).get("ghz_100q")
        job = store.get_job(run_id, "ghz_100q")
        counted = job is not None and job.attempts >= 1
        return (
            lease is not None and not lease.guard and counted and store.count_results(run_id) == 0
        )

    wait_for(executing, 120, "ghz_100q to start executing", step=0.02)
    kill(first)
    assert store.count_results(run_id) == 0
    started = time.monotonic()
    pipeline.start_worker(["simulator"])
    report = pipeline.wait_for_report(run_id, timeout=RECOVERY_BOUND)
    record(pipeline, "killed simulator worker, report signed after", time.monotonic() - started)
    signed_once(pipeline, run_id, report, workloads)
    assert store.get_job(run_id, "ghz_100q").attempts == 2
    assert pipeline.runtime.ledger.size == 1
    assert store.leases(run_id) == {}


def test_a_killed_finalizer_is_replaced_within_a_minute(defaults: Pipeline) -> None:
    pipeline = defaults
    pipeline.start_worker(["simulator"])
    finalizer = pipeline.start_worker(["finalize"], beat=True)
    log = pipeline.settings.data_dir / "worker1.log"
    workloads = ["ghz_100q", "bell_state"]
    run_id = pipeline.submit("ibm_brisbane", workloads=workloads, shots=100_000, seed=7).run.id
    store = pipeline.runtime.store

    def finalizing() -> bool:
        return store.count_results(run_id) == 2 and "Task bench.finalize[" in log.read_text()

    wait_for(finalizing, 120, "the finalizer to start", step=0.01)
    kill(finalizer)
    assert store.get_report(run_id) is None, "the finalizer finished before it was killed"
    started = time.monotonic()
    pipeline.start_worker(["finalize"], beat=True)
    report = pipeline.wait_for_report(run_id, timeout=RECOVERY_BOUND)
    record(pipeline, "killed finalize worker, report signed after", time.monotonic() - started)
    signed_once(pipeline, run_id, report, workloads)
    assert pipeline.runtime.ledger.size == 1


def test_broker_killed_during_dispatch_five_times(defaults: Pipeline) -> None:
    pipeline = defaults
    pipeline.start_worker(["finalize"], beat=True)
    pipeline.start_worker(["simulator"], concurrency=2)
    log = pipeline.settings.data_dir / "worker0.log"
    workloads = ["ghz_5q", "bell_state", "ghz_10q"]
    runs = []
    for attempt in range(5):
        runs.append(pipeline.submit(workloads=workloads, shots=200, seed=attempt).run.id)
        wait_for(lambda n=attempt: log.read_text().count("Task bench.dispatch[") > n, 60,
                 "the dispatch to start", step=0.002)  # fmt: skip
        time.sleep(0.002 * attempt)  # a little later into the dispatch each time
        pipeline.broker.stop(kill=True)
        time.sleep(0.5)
        pipeline.broker.start()
    returned = time.monotonic()
    for run_id in runs:
        left = RECOVERY_BOUND - (time.monotonic() - returned)
        report = pipeline.wait_for_report(run_id, timeout=max(left, 0.1))
        signed_once(pipeline, run_id, report, workloads)
    record(pipeline, "broker killed in 5 dispatches, all signed after", time.monotonic() - returned)
    assert pipeline.runtime.ledger.size == len(runs)
