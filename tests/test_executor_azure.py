"""The Azure Quantum executor against a played workspace (``played_azure``): the real SDK
uploads, submits, polls and downloads over HTTP that never leaves the process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from played_azure import CONNECTION_STRING, PlayedAzure, played_azure
from qiskit import qasm2, qasm3

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
CIRCUITS = CATALOGUE.type_of(BELL.workload).circuits(BELL.workload)
"""Bell's population circuit and its two coherence settings: one Azure job each."""
JOB_IDS = [job_id_for(BELL, index) for index in range(CIRCUITS)]
JOB_ROUTE = "/jobs/{id}"
# Quantinuum's per-shot results of each circuit, by the basis its job measures in (read
# from the job's input blob, so each job gets the answer of the circuit it really runs).
PER_SHOT = {
    "ZZ": {"meas": ["00"] * 48 + ["11"] * 50 + ["01", "10"]},
    "XX": {"meas": ["00"] * 46 + ["11"] * 49 + ["01"] * 3 + ["10"] * 2},
    "YY": {"meas": ["01"] * 47 + ["10"] * 45 + ["00"] * 6 + ["11"] * 2},
}
COUNTS = {
    "ZZ": {"0x0": 48, "0x3": 50, "0x1": 1, "0x2": 1},
    "XX": {"0x0": 46, "0x3": 49, "0x1": 3, "0x2": 2},
    "YY": {"0x1": 47, "0x2": 45, "0x0": 6, "0x3": 2},
}
# P = p(00) + p(11) of the population circuit; C = mean over the settings of the ideal sign
# (+1 for XX, −1 for YY) times the mean parity; F = (P + C)/2.
POPULATION = 0.98
COHERENCE = (0.90 + 0.84) / 2
SECONDS = {"ZZ": 12.345, "XX": 3.5, "YY": 4.25}
ENDED = {
    "ZZ": "2026-11-25T10:00:12.345000Z",
    "XX": "2026-11-25T10:00:03.500000Z",
    "YY": "2026-11-25T10:00:04.250000Z",
}
HQC = {"ZZ": 5.42, "XX": 5.87, "YY": 6.11}
AZURE_BILLING = (
    "Azure Quantum jobs' costEstimate: events[].amountBilled by measureUnit, estimatedTotal"
)


def cost(basis: str) -> dict[str, object]:
    return {
        "currencyCode": "USD",
        "events": [{
            "dimensionId": "hqc", "dimensionName": "HQC", "measureUnit": "hqc",
            "amountBilled": HQC[basis], "amountConsumed": HQC[basis], "unitPrice": 0.0,
        }],
        "estimatedTotal": 0.0,
    }  # fmt: skip


def measured_basis(qasm: bytes, qubits: int = 2) -> str:
    """The basis each qubit is measured in, from the OpenQASM 2 a job received: the gates
    between the barrier and the measurements."""
    _, _, tail = qasm.decode().partition("barrier")
    gates = [line for line in tail.splitlines()[1:] if line and not line.startswith("measure")]
    letters = []
    for qubit in range(qubits):
        names = [line.split()[0] for line in gates if line.endswith(f"q[{qubit}];")]
        letters.append({(): "Z", ("h",): "X", ("sdg", "h"): "Y"}.get(tuple(names), "?"))
    return "".join(letters)


def basis_of(service: PlayedAzure, job_id: str) -> str:
    return measured_basis(service.input_of(job_id)[0])


def finish(service: PlayedAzure, job_ids: list[str]) -> None:
    """Each job succeeds with the results of the circuit it was sent."""
    for job_id in job_ids:
        basis = basis_of(service, job_id)
        service.succeed(job_id, PER_SHOT[basis], cost(basis), SECONDS[basis])


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlayedAzure]:
    """The played workspace; the SDK's own retry back-off sleeps are skipped, not waited."""
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    with played_azure() as played:
        yield played


def test_bell_state_on_quantinuum_h2_from_submit_to_result(service: PlayedAzure) -> None:
    executor = AzureExecutor(CREDENTIALS)
    provider_job_id = executor.submit(BELL)
    ids = provider_job_id.split(",")
    assert ids == JOB_IDS and len(set(ids)) == CIRCUITS == 3
    assert ids[0] == job_id_for(BELL)  # the first circuit keeps the workload's own job id
    assert sorted(service.jobs) == sorted(ids)

    states = [executor.poll(provider_job_id)]
    service.advance(ids[0], "Executing")
    states.append(executor.poll(provider_job_id))  # the other two still wait
    for job_id in ids[1:]:
        service.advance(job_id, "Executing")
    states.append(executor.poll(provider_job_id))
    finish(service, ids[:2])
    states.append(executor.poll(provider_job_id))  # the last one still runs
    finish(service, ids[2:])
    states.append(executor.poll(provider_job_id))
    assert states == ["queued", "queued", "running", "running", "done"]

    bases = []
    for job_id in ids:
        created = service.jobs[job_id]
        assert (created["target"], created["inputParams"]) == ("quantinuum.qpu.h2-1",
                                                               {"shots": 100})  # fmt: skip
        qasm, content_type = service.input_of(job_id)
        assert content_type == "application/qasm"
        assert qasm.startswith(b"OPENQASM 2.0;") and b"cx q[0],q[1];" in qasm
        bases.append(measured_basis(qasm))
    assert bases[0] == "ZZ" and sorted(bases[1:]) == ["XX", "YY"]

    result = executor.result(BELL, provider_job_id)
    assert result.status == "completed", result.error
    assert result.provider_job_id == provider_job_id
    assert len(result.circuits) == CIRCUITS
    for circuit, job_id, basis in zip(result.circuits, ids, bases, strict=True):
        assert circuit.meta.get("bases", "ZZ") == basis  # circuit i ran as job i
        assert circuit.shots == 100
        assert circuit.counts == COUNTS[basis]
        # The executed circuit is what the job's input blob holds, read back.
        sent = service.input_of(job_id)[0].decode()
        assert circuit.executed_qasm3 == qasm3.dumps(qasm2.loads(sent))
        assert "cx q[0], q[1];" in circuit.executed_qasm3
    assert result.metrics["population"] == pytest.approx(POPULATION)
    assert result.metrics["coherence"] == pytest.approx(COHERENCE)
    assert result.fidelity == pytest.approx((POPULATION + COHERENCE) / 2)
    assert 0.97 < result.metrics["hellinger_fidelity"] < 0.99
    assert (result.metrics["circuits"], result.metrics["total_shots"]) == (CIRCUITS, 300)
    # Each job's execution window is device time: they add up.
    assert result.execution_time_ms == pytest.approx(1000 * sum(SECONDS.values()))
    assert result.timing_source == "provider"
    evidence = result.calibration
    assert "cost_estimate" not in evidence and "job_id" not in evidence
    assert evidence["jobs"] == [
        {"job_id": job_id, "job_status": "Succeeded",
         "begin_execution_time": "2026-11-25T10:00:00.000000Z",
         "end_execution_time": ENDED[basis], "cost_estimate": cost(basis)}
        for job_id, basis in zip(ids, bases, strict=True)
    ]  # fmt: skip
    assert evidence["target"] == "quantinuum.qpu.h2-1"
    assert (evidence["availability"], evidence["average_queue_time_s"]) == ("Available", 5400)
    # What the jobs' cost estimates say was billed, added up, is in the row.
    assert result.report_entry()["billed_usage"] == {
        "usage": [{"unit": "hqc", "quantity": pytest.approx(sum(HQC.values()))}],
        "amount": 0.0, "currency": "USD", "source": AZURE_BILLING,
    }  # fmt: skip
    assert parse_time(evidence["timestamp"]) is not None and evidence["timestamp"].endswith("Z")


@pytest.mark.parametrize("how", ["failed", "cancelled"])
def test_a_failed_job_is_a_failed_row_with_the_service_error(
    service: PlayedAzure, how: str
) -> None:
    executor = AzureExecutor(CREDENTIALS)
    provider_job_id = executor.submit(BELL)
    ids = provider_job_id.split(",")
    finish(service, ids[:1])
    if how == "failed":
        message = "Circuit exceeds the HQC limit of the account"
        service.fail_job(ids[1], "QuantinuumError", message)
        error = f"Azure Quantum job {ids[1]} Failed: QuantinuumError: {message}"
    else:
        service.advance(ids[1], "Cancelled")
        error = f"Azure Quantum job {ids[1]} ended Cancelled"
    assert executor.poll(provider_job_id) == "queued"  # the workload waits for every job
    finish(service, ids[2:])
    assert executor.poll(provider_job_id) == "failed"

    result = executor.result(BELL, provider_job_id)
    assert result.status == "failed"
    assert result.error == error
    assert result.provider_job_id == provider_job_id
    assert result.circuits == [] and result.fidelity is None
    # Every job is in the evidence, the billed ones with their cost.
    jobs_evidence = result.calibration["jobs"]
    assert [j["job_id"] for j in jobs_evidence] == ids
    failed = "Failed" if how == "failed" else "Cancelled"
    assert [j["job_status"] for j in jobs_evidence] == ["Succeeded", failed, "Succeeded"]
    assert jobs_evidence[0]["cost_estimate"] == cost(basis_of(service, ids[0]))
    assert jobs_evidence[2]["cost_estimate"] == cost(basis_of(service, ids[2]))
    billed = sum(HQC[basis_of(service, job_id)] for job_id in (ids[0], ids[2]))
    assert result.report_entry()["billed_usage"]["usage"] == [
        {"unit": "hqc", "quantity": pytest.approx(billed)}
    ]


def test_a_redelivered_submit_creates_no_second_job(service: PlayedAzure) -> None:
    first = AzureExecutor(CREDENTIALS).submit(BELL)
    again = AzureExecutor(CREDENTIALS).submit(BELL)  # another worker, same task
    assert first == again == ",".join(JOB_IDS)
    assert service.count("PUT", JOB_ROUTE) == CIRCUITS
    assert service.count("PUT", "blob") == CIRCUITS
    assert sorted(service.jobs) == sorted(JOB_IDS)


def test_a_submit_that_died_after_uploading_is_completed_by_the_retry(
    service: PlayedAzure,
) -> None:
    service.break_next("PUT", JOB_ROUTE, None, "connection reset by peer")
    with pytest.raises(ProviderError) as raised:
        AzureExecutor(CREDENTIALS).submit(BELL)
    assert raised.value.retryable
    assert not service.jobs and service.count("PUT", "blob") == 1

    service.faults.clear()
    provider_job_id = AzureExecutor(CREDENTIALS).submit(BELL)
    assert provider_job_id == ",".join(JOB_IDS)
    assert sorted(service.jobs) == sorted(JOB_IDS)
    # The first input blob is left, not overwritten: one fresh upload per job created.
    assert service.count("PUT", "blob") == 1 + CIRCUITS


def test_a_submit_that_died_part_way_creates_only_the_missing_jobs(
    service: PlayedAzure,
) -> None:
    service.break_next("PUT", JOB_ROUTE, 503, "Service Unavailable", after=1)
    with pytest.raises(ProviderError, match="HTTP 503") as raised:
        AzureExecutor(CREDENTIALS).submit(BELL)
    assert raised.value.retryable
    assert list(service.jobs) == JOB_IDS[:1]
    created = dict(service.jobs[JOB_IDS[0]])
    puts, uploads = service.count("PUT", JOB_ROUTE), service.count("PUT", "blob")

    service.faults.clear()
    provider_job_id = AzureExecutor(CREDENTIALS).submit(BELL)
    assert provider_job_id == ",".join(JOB_IDS)
    assert sorted(service.jobs) == sorted(JOB_IDS)
    assert service.jobs[JOB_IDS[0]] == created  # found, not created again
    assert service.count("PUT", JOB_ROUTE) - puts == CIRCUITS - 1
    assert service.count("PUT", "blob") - uploads == CIRCUITS - 1
    # Each job runs its own circuit: the retry did not shift them.
    bases = [basis_of(service, job_id) for job_id in JOB_IDS]
    assert bases[0] == "ZZ" and sorted(bases[1:]) == ["XX", "YY"]


def test_cancel_stops_the_unfinished_jobs_and_leaves_a_finished_one(
    service: PlayedAzure,
) -> None:
    executor = AzureExecutor(CREDENTIALS)
    provider_job_id = executor.submit(BELL)
    ids = provider_job_id.split(",")
    finish(service, ids[:1])
    service.advance(ids[1], "Executing")
    executor.cancel(provider_job_id)
    assert service.count("POST", JOB_ROUTE + ":cancel") == CIRCUITS - 1
    assert [service.jobs[j]["status"] for j in ids] == ["Succeeded", "Cancelled", "Cancelled"]
    assert executor.poll(provider_job_id) == "failed"
    executor.cancel(provider_job_id)
    assert service.count("POST", JOB_ROUTE + ":cancel") == CIRCUITS - 1


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
    assert job is not None and job.provider_job_id is not None
    ids = job.provider_job_id.split(",")
    assert len(ids) == CIRCUITS and sorted(ids) == sorted(service.jobs)
    finish(service, ids)
    assert advance_until_settled(runtime, run_id) == ("completed", 0)
    assert jobs.finalize(runtime, run_id) == "completed"
    report = runtime.store.get_report(run_id)
    assert report is not None and report["execution_mode"] == "hardware"
    row = report["workloads"][0]
    assert row["execution_time_ms"] == pytest.approx(1000 * sum(SECONDS.values()))
    assert row["timing_source"] == "provider"
    assert (row["metrics"]["circuits"], row["metrics"]["total_shots"]) == (CIRCUITS, 300)
    assert row["fidelity"] == pytest.approx((POPULATION + COHERENCE) / 2)


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
    # submit's look-up of every job, the first poll's of every job, then this failing one
    assert service.count("GET", JOB_ROUTE) == 2 * CIRCUITS + 1
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
