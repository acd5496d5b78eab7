"""The Azure Quantum executor against a played workspace (``played_azure``): the real SDK
uploads, submits, polls and downloads over HTTP that never leaves the process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from played_azure import CONNECTION_STRING, PlayedAzure, played_azure

from bench_common.catalogue import CATALOGUE
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_common.timeutil import parse_time
from bench_workers import jobs
from bench_workers.commands import InProcess
from bench_workers.executors.azure import AzureExecutor, job_id_for
from bench_workers.executors.base import JobSpec, ProviderError
from bench_workers.runtime import WorkerRuntime as Runtime

CREDENTIALS = {"AZURE_QUANTUM_CONNECTION_STRING": CONNECTION_STRING}
BELL = JobSpec.of("bell_state", "quantinuum_h2", 100, 7, run_id="run-azure-1")
JOB_ROUTE = "/jobs/{id}"
PER_SHOT = {"meas": ["00"] * 48 + ["11"] * 50 + ["01", "10"]}
COST = {
    "currencyCode": "USD",
    "events": [{
        "dimensionId": "hqc", "dimensionName": "HQC", "measureUnit": "hqc",
        "amountBilled": 5.42, "amountConsumed": 5.42, "unitPrice": 0.0,
    }],
    "estimatedTotal": 0.0,
}  # fmt: skip


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlayedAzure]:
    """The played workspace; the SDK's own retry back-off sleeps are skipped, not waited."""
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    with played_azure() as played:
        yield played


def test_bell_state_on_quantinuum_h2_from_submit_to_result(service: PlayedAzure) -> None:
    executor = AzureExecutor(CREDENTIALS)
    job_id = executor.submit(BELL)
    assert job_id == job_id_for(BELL)

    states = [executor.poll(job_id)]
    service.advance(job_id, "Executing")
    states.append(executor.poll(job_id))
    service.succeed(job_id, PER_SHOT, COST)
    states.append(executor.poll(job_id))
    assert states == ["queued", "running", "done"]

    created = service.jobs[job_id]
    assert (created["target"], created["inputParams"]) == ("quantinuum.qpu.h2-1", {"shots": 100})
    qasm, content_type = service.blobs[created["inputDataUri"].split(".net/", 1)[1]]
    assert content_type == "application/qasm"
    assert qasm.startswith(b"OPENQASM 2.0;") and b"cx q[0],q[1];" in qasm

    result = executor.result(BELL, job_id)
    assert result.status == "completed", result.error
    assert result.counts == {"0x0": 48, "0x3": 50, "0x1": 1, "0x2": 1}
    assert (result.execution_time_ms, result.timing_source) == (12345.0, "provider")
    assert result.provider_job_id == job_id
    assert result.fidelity is not None and 0.97 < result.fidelity < 0.99
    assert result.executed_qasm3 is not None and "cx q[0], q[1];" in result.executed_qasm3
    evidence = result.calibration
    assert evidence["cost_estimate"] == COST
    assert evidence["target"] == "quantinuum.qpu.h2-1"
    assert (evidence["availability"], evidence["average_queue_time_s"]) == ("Available", 5400)
    assert parse_time(evidence["timestamp"]) is not None and evidence["timestamp"].endswith("Z")


def test_a_failed_job_is_a_failed_row_with_the_service_error(service: PlayedAzure) -> None:
    executor = AzureExecutor(CREDENTIALS)
    job_id = executor.submit(BELL)
    service.fail_job(job_id, "QuantinuumError", "Circuit exceeds the HQC limit of the account")
    assert executor.poll(job_id) == "failed"
    result = executor.result(BELL, job_id)
    assert result.status == "failed"
    assert "Circuit exceeds the HQC limit of the account" in str(result.error)
    assert result.provider_job_id == job_id


def test_a_redelivered_submit_creates_exactly_one_job(service: PlayedAzure) -> None:
    first = AzureExecutor(CREDENTIALS).submit(BELL)
    again = AzureExecutor(CREDENTIALS).submit(BELL)  # another worker, same task
    assert first == again
    assert service.count("PUT", JOB_ROUTE) == 1
    assert list(service.jobs) == [first]


def test_a_submit_that_died_after_uploading_is_completed_by_the_retry(
    service: PlayedAzure,
) -> None:
    service.break_next("PUT", JOB_ROUTE, None, "connection reset by peer")
    with pytest.raises(ProviderError) as raised:
        AzureExecutor(CREDENTIALS).submit(BELL)
    assert raised.value.retryable
    assert not service.jobs and service.count("PUT", "blob") == 1

    service.faults.clear()
    job_id = AzureExecutor(CREDENTIALS).submit(BELL)
    assert list(service.jobs) == [job_id]
    assert service.count("PUT", "blob") == 2  # the first input blob is left, not overwritten


def test_cancel_stops_a_waiting_job_and_leaves_a_finished_one(service: PlayedAzure) -> None:
    executor = AzureExecutor(CREDENTIALS)
    job_id = executor.submit(BELL)
    executor.cancel(job_id)
    assert executor.poll(job_id) == "failed"
    assert service.count("POST", JOB_ROUTE + ":cancel") == 1
    executor.cancel(job_id)
    assert service.count("POST", JOB_ROUTE + ":cancel") == 1


def test_status_reports_availability_and_queue_time(service: PlayedAzure) -> None:
    executor = AzureExecutor(CREDENTIALS)
    status = executor.status(CATALOGUE.backends["quantinuum_h2"])
    assert (status.status, status.detail) == ("online", "Available; average queue time 5400 s")
    service.targets[0]["currentAvailability"] = "Unavailable"
    assert executor.status(CATALOGUE.backends["quantinuum_h2"]).status == "offline"
    service.targets.clear()
    assert executor.status(CATALOGUE.backends["quantinuum_h2"]).status == "offline"


def test_nothing_is_built_before_first_use() -> None:
    with played_azure() as played:
        AzureExecutor(CREDENTIALS)
        assert not played.calls


def test_without_credentials_submit_fails_for_good() -> None:
    with pytest.raises(ProviderError, match="AZURE_QUANTUM_CONNECTION_STRING") as raised:
        AzureExecutor({}).submit(BELL)
    assert not raised.value.retryable


# ---- provider faults through the real task logic (jobs.advance_workload) and store


def advance_until_settled(runtime: Runtime, run_id: str) -> tuple[str | None, int]:
    """Run the workload task as the queue would until it stops asking to be retried."""
    for retries in range(3 * jobs.MAX_ATTEMPTS):
        try:
            return jobs.advance_workload(runtime, run_id, "bell_state"), retries
        except jobs.RetryLaterError:
            continue
    raise AssertionError("the workload never settled")


@pytest.fixture
def runtime(tmp_path: Path, service: PlayedAzure) -> Runtime:
    """A real SQLite store; the runtime owns this test's executor."""
    settings = Settings.from_env({}, data_dir=tmp_path, provider_env=CREDENTIALS)
    return Runtime(settings, executors={"azure": AzureExecutor(settings.provider_env)})


def queued_run(runtime: Runtime) -> str:
    request = {"backend_id": "quantinuum_h2", "workloads": ["bell_state"], "shots": 100, "seed": 7}
    run = RunService(runtime.settings, runtime.store, runtime.catalogue,
                     InProcess(runtime)).plan("tenant-a", request)  # fmt: skip
    assert (run.execution_mode, run.queue) == ("hardware", "azure")
    runtime.store.create_run(run)
    return run.id


def submitted_run(runtime: Runtime) -> str:
    """A run whose workload is submitted and waiting in the played queue."""
    run_id = queued_run(runtime)
    with pytest.raises(jobs.RetryLaterError):
        jobs.advance_workload(runtime, run_id, "bell_state")
    return run_id


def test_the_task_completes_a_run_on_the_played_service(
    runtime: Runtime, service: PlayedAzure
) -> None:
    run_id = submitted_run(runtime)
    job = runtime.store.get_job(run_id, "bell_state")
    assert job is not None and job.provider_job_id in service.jobs
    service.succeed(str(job.provider_job_id), PER_SHOT, COST)
    assert advance_until_settled(runtime, run_id) == ("completed", 0)
    assert jobs.finalize(runtime, run_id) == "completed"
    report = runtime.store.get_report(run_id)
    assert report is not None and report["execution_mode"] == "hardware"
    row = report["workloads"][0]
    assert (row["execution_time_ms"], row["timing_source"]) == (12345.0, "provider")


@pytest.mark.parametrize("status", [503, None], ids=["http-503", "connection-error"])
def test_job_status_outage_fails_after_max_attempts(
    runtime: Runtime, service: PlayedAzure, status: int | None
) -> None:
    run_id = submitted_run(runtime)
    service.break_next("GET", JOB_ROUTE, status, "Azure Quantum is down for maintenance")
    assert advance_until_settled(runtime, run_id) == ("failed", jobs.MAX_ATTEMPTS - 2)
    result = runtime.store.results(run_id)["bell_state"]
    assert "Azure Quantum is down for maintenance" in str(result.error)
    if status is not None:
        assert "HTTP 503" in str(result.error)


def test_a_client_error_fails_the_workload_at_once(runtime: Runtime, service: PlayedAzure) -> None:
    run_id = submitted_run(runtime)
    service.break_next("GET", JOB_ROUTE, 403, "The workspace access key was revoked")
    assert advance_until_settled(runtime, run_id) == ("failed", 0)
    assert service.count("GET", JOB_ROUTE) == 3  # submit's look-up, first poll, this one
    error = str(runtime.store.results(run_id)["bell_state"].error)
    assert "HTTP 403" in error and "The workspace access key was revoked" in error


def test_a_rejected_submission_fails_the_workload_at_once(
    runtime: Runtime, service: PlayedAzure
) -> None:
    run_id = queued_run(runtime)
    service.break_next("PUT", JOB_ROUTE, 400, "Shots must not exceed 10000 on this target")
    assert advance_until_settled(runtime, run_id) == ("failed", 0)
    assert service.count("PUT", JOB_ROUTE) == 1 and not service.jobs
    error = str(runtime.store.results(run_id)["bell_state"].error)
    assert "HTTP 400" in error and "Shots must not exceed 10000 on this target" in error
