"""The run pipeline end to end: real redis-server, real ``celery worker`` subprocesses."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import pytest
from pipeline import Pipeline, call_task, wait_for

from bench_common.catalogue import CATALOGUE
from bench_common.evidence import verify_report
from bench_common.queues import FINALIZE, RECONCILE, RUN_WORKLOAD
from bench_workers import jobs
from bench_workers.celery_app import make_app
from bench_workers.tasks import canvas

QUEUES = CATALOGUE.queues
PROVIDER_QUEUES = [p.queue for p in CATALOGUE.providers.values()]


def verified(pipeline: Pipeline, report: dict) -> None:
    keyring = pipeline.runtime.keys.public_keyring()
    outcome = verify_report(report, keyring)
    assert outcome.status == "valid", outcome.to_dict()
    assert outcome.ledger_valid is True


def queue_lengths(pipeline: Pipeline) -> dict[str, int]:
    client = pipeline.redis.client()
    return {queue: int(client.llen(queue)) for queue in QUEUES}


def test_default_run_ends_in_one_signed_report(pipeline: Pipeline) -> None:
    pipeline.start_worker()
    submission = pipeline.submit(shots=500, seed=11)
    report = pipeline.wait_for_report(submission.run.id)
    verified(pipeline, report)
    store = pipeline.runtime.store
    results = store.results(submission.run.id)
    assert sorted(results) == ["bell_state", "ghz_10q", "ghz_5q"]
    assert [w["id"] for w in report["workloads"]] == ["ghz_5q", "ghz_10q", "bell_state"]
    assert all(w["status"] == "completed" for w in report["workloads"])
    assert store.get_run(submission.run.id).status == "completed"
    bundle = store.get_bundle_for_run(submission.run.id)
    assert bundle is not None and bundle["merkle_root"] == report["evidence"]["merkle_root"]
    assert pipeline.runtime.ledger.size == 1


def test_each_task_lands_only_in_its_queue(pipeline: Pipeline) -> None:
    app = make_app(pipeline.settings)
    for queue in PROVIDER_QUEUES:
        before = queue_lengths(pipeline)
        app.send_task(RUN_WORKLOAD, kwargs={"run_id": "r", "workload_id": "w", "queue": queue},
                      ignore_result=True)  # fmt: skip
        after = queue_lengths(pipeline)
        assert {q: after[q] - before[q] for q in QUEUES} == {q: int(q == queue) for q in QUEUES}
    for name in (FINALIZE, RECONCILE):
        before = queue_lengths(pipeline)["finalize"]
        app.send_task(name, kwargs={"run_id": "r"} if name == FINALIZE else {}, ignore_result=True)
        assert queue_lengths(pipeline)["finalize"] == before + 1

    start = time.monotonic()
    with pytest.raises(Exception, match="nowhere"):
        app.send_task(RUN_WORKLOAD, kwargs={"run_id": "r", "workload_id": "w", "queue": "nowhere"},
                      ignore_result=True)  # fmt: skip
    assert time.monotonic() - start < 5
    assert pipeline.redis.client().llen("nowhere") == 0

    pipeline.redis.client().flushall()
    submission = pipeline.submit(shots=10)
    assert queue_lengths(pipeline) == {q: int(q == "finalize") for q in QUEUES}
    pipeline.start_worker(["finalize"])  # dispatches the run's workloads to their queue
    wait_for(lambda: queue_lengths(pipeline)["simulator"] == 3, 60, "dispatched workloads")
    assert queue_lengths(pipeline) == {q: 3 if q == "simulator" else 0 for q in QUEUES}
    assert pipeline.runtime.store.get_run(submission.run.id).status == "queued"


def test_sigkill_of_a_busy_worker_loses_nothing(pipeline: Pipeline) -> None:
    first = pipeline.start_worker(["simulator", "finalize"])
    submission = pipeline.submit("ibm_brisbane", workloads=["ghz_100q", "bell_state"],
                                 shots=20_000, seed=5)  # fmt: skip
    store = pipeline.runtime.store
    run_id = submission.run.id

    def executing() -> bool:
        job = store.get_job(run_id, "ghz_100q")
        return job is not None and job.attempts >= 1 and job.result is None

    wait_for(executing, 120, "ghz_100q to start executing", step=0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert store.get_job(run_id, "ghz_100q").result is None

    pipeline.start_worker(["simulator", "finalize"])
    report = pipeline.wait_for_report(run_id, timeout=180)
    verified(pipeline, report)
    assert [w["status"] for w in report["workloads"]] == ["completed", "completed"]
    assert report["execution_mode"] == "simulated"  # no IBM credentials: the device's model
    assert report["environment"]["backend_calibration_timestamp"].startswith("20")
    assert store.get_job(run_id, "ghz_100q").attempts == 2
    assert store.count_results(run_id) == 2
    assert pipeline.runtime.ledger.size == 1


def test_broker_restart_mid_run(pipeline: Pipeline) -> None:
    pipeline.start_worker()
    submission = pipeline.submit(workloads=["ghz_5q", "ghz_10q", "ghz_50q", "bell_state"],
                                 shots=2000, seed=3)  # fmt: skip
    store = pipeline.runtime.store
    wait_for(lambda: store.count_results(submission.run.id) >= 1, 120, "a first result")
    pipeline.redis.stop()
    time.sleep(1.0)
    pipeline.redis.start()
    report = pipeline.wait_for_report(submission.run.id, timeout=180)
    verified(pipeline, report)
    assert store.count_results(submission.run.id) == 4


def test_finalizer_twice_gives_one_report(pipeline: Pipeline) -> None:
    pipeline.start_worker()
    submission = pipeline.submit(workloads=["bell_state"], shots=100, seed=1)
    report = pipeline.wait_for_report(submission.run.id)
    runtime = pipeline.runtime
    assert jobs.finalize(runtime, submission.run.id) == "completed"
    app = make_app(pipeline.settings)
    call_task(app, FINALIZE, run_id=submission.run.id)
    again = runtime.store.get_report(submission.run.id)
    assert again["integrity"]["content_hash"] == report["integrity"]["content_hash"]
    assert again == report
    assert runtime.ledger.size == 1


def test_lost_chord_is_finalized_by_the_reconciler(pipeline: Pipeline) -> None:
    submission = pipeline.submit(shots=100, seed=2)
    client = pipeline.redis.client()
    client.delete("finalize")  # dispatch here instead, to hold back the chord body below
    app = make_app(pipeline.settings)
    body = canvas(app, submission.run).apply_async()
    for result in (body, *body.parent.results):  # nobody here follows them: unsubscribe now
        app.backend.remove_pending_result(result)
    pipeline.start_worker(["simulator"])
    wait_for(lambda: client.llen("finalize") == 1, 120, "the chord body to be sent")
    client.delete("finalize")  # the chord's body is lost with the broker's state
    store = pipeline.runtime.store
    assert store.count_results(submission.run.id) == 3
    assert store.get_report(submission.run.id) is None

    pipeline.start_worker(["finalize"], beat=True)
    report = pipeline.wait_for_report(submission.run.id, timeout=60)
    verified(pipeline, report)


def test_failing_workload_still_ends_in_a_signed_report(pipeline: Pipeline) -> None:
    from bench_common.broker import BrokerDispatcher, celery_app
    from bench_common.service import RunService

    pipeline.start_worker()
    # IQM Garnet has 20 qubits: a 50-qubit GHZ state cannot be laid out on it. The run
    # service refuses such a request up front; a run recorded before it did (or under a
    # catalogue that changed since) still reaches the workers, and still ends signed.
    runtime = pipeline.runtime
    dispatcher = BrokerDispatcher(celery_app(pipeline.settings, runtime.catalogue))
    service = RunService(pipeline.settings, runtime.store, runtime.catalogue, dispatcher)
    fitting = {"backend_id": "iqm_garnet", "workloads": ["bell_state", "ghz_5q"], "shots": 200}
    planned = replace(service.plan("tenant-a", fitting), workloads=["bell_state", "ghz_50q"])
    runtime.store.create_run(planned)
    dispatcher.dispatch(planned)
    report = pipeline.wait_for_report(planned.id)
    verified(pipeline, report)
    bell, ghz = report["workloads"]
    assert bell["status"] == "completed" and bell["error"] is None
    assert ghz["status"] == "failed" and "50" in ghz["error"] and ghz["fidelity"] is None
    assert report["summary"]["completed_workloads"] == 1


def test_run_past_its_deadline_is_failed_and_signed(pipeline: Pipeline) -> None:
    pipeline.settings = replace(pipeline.settings, run_deadline=1)
    pipeline.start_worker(["finalize"], beat=True)
    submission = pipeline.submit(workloads=["bell_state"], shots=10)
    assert submission.run.status == "queued"
    # No simulator worker: nothing executes, the deadline passes, the reconciler acts.
    report = pipeline.wait_for_report(submission.run.id, timeout=60)
    verified(pipeline, report)
    assert report["workloads"][0]["error"] == jobs.DEADLINE_ERROR
    assert pipeline.runtime.store.get_run(submission.run.id).status == "failed"


def test_unreachable_broker_records_nothing(pipeline: Pipeline) -> None:
    pipeline.redis.stop()
    store = pipeline.runtime.store
    with pytest.raises(Exception, match="broker") as caught:
        pipeline.submit(shots=10)
    assert getattr(caught.value, "code", None) == "SERVICE_UNAVAILABLE"
    assert store.active_runs() == []
