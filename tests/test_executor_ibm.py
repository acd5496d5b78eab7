"""The IBM executor against the real ``qiskit_ibm_runtime``: local mode on fake backends, and
``QiskitRuntimeService`` talking HTTP to a played IBM Quantum Platform (``played_ibm``)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from played_ibm import (
    CHARGED_SECONDS,
    CREDENTIALS,
    EXECUTOR,
    QUANTUM_SECONDS,
    SPAN_SECONDS,
    PlayedIBM,
)
from qiskit import qasm3
from qiskit_ibm_runtime.fake_provider import FakeBrisbane, FakeManilaV2, FakeTorino
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2
from requests.exceptions import ConnectionError as RequestsConnectionError

from bench_common.catalogue import CATALOGUE
from bench_common.errors import BenchError
from bench_common.evidence import canonicalize
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_common.timeutil import format_time
from bench_workers import jobs
from bench_workers.commands import InProcess
from bench_workers.executors import JobSpec, ProviderError, ibm
from bench_workers.executors.ibm import IBMExecutor
from bench_workers.runtime import WorkerRuntime as Runtime

SHOTS = 1000
SNAPSHOT_TIME = "2025-02-26T19:33:06.000000Z"
"""``last_update_date`` of FakeBrisbane's calibration snapshot, in UTC."""


@pytest.fixture
def played() -> Iterator[PlayedIBM]:
    service = PlayedIBM()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        service.play(mock)
        yield service


@pytest.mark.parametrize(
    ("backend_id", "fake", "workload_ids"),
    [
        ("ibm_brisbane", FakeBrisbane(), ("bell_state", "chsh")),
        ("ibm_torino", FakeTorino(), ("bell_state",)),
    ],
    ids=["eagle", "heron"],
)
def test_local_mode_runs_workloads_on_fake_backends(
    backend_id: str, fake: FakeBackendV2, workload_ids: tuple[str, ...]
) -> None:
    """Local mode simulates the whole device's noise model, seconds per circuit on Eagle
    and several times that on Heron, hence small workloads (3 and 4 circuits) only."""
    executor = IBMExecutor({}, backends={CATALOGUE.backends[backend_id].device: fake}.__getitem__)
    for workload_id in workload_ids:
        job = JobSpec.of(workload_id, backend_id, SHOTS, 11, run_id=f"local-{backend_id}")
        job_id = executor.submit(job)
        assert executor.submit(job) == job_id
        assert executor.poll(job_id) == "done"
        result = executor.result(job, job_id)
        assert sum(result.circuits[0].counts.values()) == SHOTS
        assert result.fidelity is not None and result.fidelity > 0.5
        assert result.timing_source == "wall_clock"
        assert result.execution_time_ms is not None and result.execution_time_ms > 0
        assert result.calibration["timestamp"] == format_time(fake.properties().last_update_date)
        assert result.calibration["device"] == fake.name
        assert len(result.calibration["qubits"]) == result.qubits
        assert result.two_qubit_gate_count == result.qubits - 1
        assert "billed_usage" not in result.report_entry()  # local mode bills nothing
        canonicalize(result.to_dict())
        canonicalize(result.report_entry())


def test_played_service_job_reports_the_provider_spans(played: PlayedIBM) -> None:
    executor = IBMExecutor(CREDENTIALS)
    job = JobSpec.of("ghz_5q", "ibm_brisbane", SHOTS, 5, run_id="played-run")
    job_id = executor.submit(job)
    sent = played.jobs[job_id]
    assert sent.backend == "ibm_brisbane"
    assert sent.tags == [job.idempotency_key]
    seen = []
    for status in ("Queued", "Running", "Completed"):
        sent.status = status
        seen.append(executor.poll(job_id))
    assert seen == ["queued", "running", "done"]
    result = executor.result(job, job_id)
    assert result.timing_source == "provider"
    assert result.execution_time_ms == pytest.approx(SPAN_SECONDS * 1000)
    assert result.provider_job_id == job_id
    assert all(sum(c.counts.values()) == SHOTS for c in result.circuits)
    # The played device samples noiselessly: F is all that the sampled balance of 0ⁿ and 1ⁿ
    # allows, the Hellinger figure, and the interval reaches 1.
    assert result.fidelity == pytest.approx(result.metrics["hellinger_fidelity"])
    assert result.fidelity > 0.99
    assert result.fidelity_ci95[1] == 1.0
    assert sent.program == EXECUTOR
    received = sent.circuits()
    assert len(received) == result.metrics["circuits"] == 17  # one job, all the circuits
    assert [c.executed_qasm3 for c in result.circuits] == [qasm3.dumps(c) for c in received]
    assert result.calibration["timestamp"] == SNAPSHOT_TIME
    assert sorted(result.calibration["gates"]) == ["ecr", "rz", "sx"]
    # What the service says it charged, not the QPU time it also reports.
    assert result.report_entry()["billed_usage"] == {
        "usage": [{"unit": "seconds", "quantity": CHARGED_SECONDS}], "amount": None,
        "currency": None, "source": "IBM Quantum job metrics: usage.qpu_charge_time_seconds",
    }  # fmt: skip
    canonicalize(result.to_dict())


def test_job_of_the_legacy_sampler_program_is_still_collected(played: PlayedIBM) -> None:
    """A job the server-side ``SamplerV2`` submitted before the upgrade: found by its tag,
    polled, and read with its pubs and execution spans."""
    executor = IBMExecutor(CREDENTIALS)
    job = JobSpec.of("ghz_5q", "ibm_brisbane", SHOTS, 5, run_id="legacy-run")
    circuits = IBMExecutor._isa(job, FakeBrisbane())
    legacy = played.legacy_job(circuits, SHOTS, [job.idempotency_key])
    assert executor.submit(job) == legacy.id
    assert played.created == 0
    legacy.status = "Completed"
    assert executor.poll(legacy.id) == "done"
    result = executor.result(job, legacy.id)
    assert (result.timing_source, result.execution_time_ms) == ("provider", SPAN_SECONDS * 1e3)
    assert [c.executed_qasm3 for c in result.circuits] == [
        qasm3.dumps(c) for c in legacy.circuits()
    ]
    assert sum(result.circuits[0].counts.values()) == SHOTS
    assert result.fidelity == pytest.approx(result.metrics["hellinger_fidelity"])
    assert result.fidelity > 0.99


def _deprecations(caught: list[warnings.WarningMessage]) -> list[str]:
    """DeprecationWarnings raised by the SDK's sampler modules or attributed to our package."""
    package = str(Path(ibm.__file__).parent.parent)
    return [
        f"{w.filename}:{w.lineno}: {w.message}"
        for w in caught
        if issubclass(w.category, DeprecationWarning)
        and (
            w.filename.startswith(package)
            or ("qiskit_ibm_runtime" in w.filename and "sampler" in Path(w.filename).name)
        )
    ]


def test_constructing_and_running_raises_no_deprecation_warning(played: PlayedIBM) -> None:
    """The executor uses the SDK's current primitive, locally (on a small fake backend) and
    against the service."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        local = IBMExecutor({}, backends=lambda _: FakeManilaV2())
        job = JobSpec.of("bell_state", "ibm_brisbane", SHOTS, 3, run_id="warning-local")
        local_id = local.submit(job)
        assert local.poll(local_id) == "done"
        assert sum(local.result(job, local_id).circuits[0].counts.values()) == SHOTS
        remote = IBMExecutor(CREDENTIALS)
        job = JobSpec.of("bell_state", "ibm_brisbane", SHOTS, 3, run_id="warning-remote")
        remote_id = remote.submit(job)
        played.jobs[remote_id].status = "Completed"
        assert remote.poll(remote_id) == "done"
        assert sum(remote.result(job, remote_id).circuits[0].counts.values()) == SHOTS
    assert _deprecations(caught) == []


@pytest.mark.parametrize(
    ("usage", "billed"),
    [
        ({"qpu_charge_time_seconds": 3.5, "status": "complete", "quantum_seconds": 9.0},
         ("qpu_charge_time_seconds", 3.5)),
        ({"qpu_charge_time_seconds": 0, "status": "pending"}, None),
        ({"quantum_seconds": 4.0, "seconds": 5.0}, ("quantum_seconds", 4.0)),
        ({}, None),
    ],
    ids=["charged", "pending", "older-answer", "none"],
)  # fmt: skip
def test_billed_seconds_are_the_final_charge_the_service_states(
    usage: dict[str, object], billed: tuple[str, float] | None
) -> None:
    found = ibm.billed_seconds(usage)
    if billed is None:
        assert found is None
    else:
        assert found is not None and found["source"].endswith("usage." + billed[0])
        assert found["usage"] == [{"unit": "seconds", "quantity": billed[1]}]


def test_played_job_without_spans_is_timed_by_its_metrics(played: PlayedIBM) -> None:
    played.spans = False
    executor = IBMExecutor(CREDENTIALS)
    job = JobSpec.of("bell_state", "ibm_brisbane", SHOTS, 5, run_id="metrics-run")
    job_id = executor.submit(job)
    played.jobs[job_id].status = "Completed"
    result = executor.result(job, job_id)
    assert (result.timing_source, result.execution_time_ms) == ("provider", QUANTUM_SECONDS * 1e3)


@pytest.mark.parametrize(
    ("played_status", "state"), [("Failed", "failed"), ("Cancelled", "failed")]
)
def test_played_job_endings_map_to_failed(
    played: PlayedIBM, played_status: str, state: str
) -> None:
    executor = IBMExecutor(CREDENTIALS)
    job_id = executor.submit(
        JobSpec.of("bell_state", "ibm_brisbane", SHOTS, 5, run_id="ending-run")
    )
    played.jobs[job_id].status = played_status
    assert executor.poll(job_id) == state


def test_redelivered_submit_creates_one_provider_job(played: PlayedIBM) -> None:
    job = JobSpec.of("bell_state", "ibm_brisbane", SHOTS, 5, run_id="redelivered-run")
    first = IBMExecutor(CREDENTIALS).submit(job)
    again = IBMExecutor(CREDENTIALS).submit(job)
    assert again == first
    assert played.created == 1


def test_backend_status_and_unknown_backend(played: PlayedIBM) -> None:
    executor = IBMExecutor(CREDENTIALS)
    status = executor.status(CATALOGUE.backends["ibm_brisbane"])
    assert (status.status, status.queue_depth) == ("online", 7)
    with pytest.raises(ProviderError) as refused:
        executor.status(CATALOGUE.backends["ibm_heron"])
    assert not refused.value.retryable
    assert "ibm_fez" in str(refused.value)


@pytest.mark.parametrize(("http_status", "retryable"), [(400, False), (500, True)])
def test_token_exchange_failures(played: PlayedIBM, http_status: int, retryable: bool) -> None:
    played.failures["POST /identity/token"] = http_status
    with pytest.raises(ProviderError) as failed:
        IBMExecutor(CREDENTIALS).status(CATALOGUE.backends["ibm_brisbane"])
    assert failed.value.retryable is retryable
    assert f"Played failure {http_status}" in str(failed.value)


def test_cancel_and_device_calibration(played: PlayedIBM) -> None:
    executor = IBMExecutor(CREDENTIALS)
    job_id = executor.submit(
        JobSpec.of("bell_state", "ibm_brisbane", SHOTS, 5, run_id="cancel-run")
    )
    executor.cancel(job_id)
    assert played.jobs[job_id].status == "Cancelled"
    assert executor.poll(job_id) == "failed"
    device = executor.calibration(CATALOGUE.backends["ibm_brisbane"])
    assert (device["timestamp"], device["num_qubits"], len(device["qubits"])) == (
        SNAPSHOT_TIME,
        127,
        127,
    )
    canonicalize(device)


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    """A real SQLite store; the runtime builds its own executors, so the played one stays here."""
    return Runtime(Settings.from_env({}, data_dir=tmp_path, provider_env=CREDENTIALS))


def _advance(runtime: Runtime, run_id: str, workload_id: str) -> tuple[str | None, int]:
    """Drive the workload as its task would until it settles; its status and the retries."""
    retries = 0
    while True:
        try:
            return jobs.advance_workload(runtime, run_id, workload_id), retries
        except jobs.RetryLaterError:
            retries += 1


def _hardware_run(runtime: Runtime) -> str:
    request = {"backend_id": "ibm_brisbane", "workloads": ["bell_state"]}
    run = RunService(runtime.settings, runtime.store, runtime.catalogue,
                     InProcess(runtime)).plan("tenant-a", request)  # fmt: skip
    assert (run.execution_mode, run.queue) == ("hardware", "ibm")
    runtime.store.create_run(run)
    return run.id


@pytest.mark.parametrize(
    "failure", [503, RequestsConnectionError("played: the read timed out")], ids=["503", "timeout"]
)
def test_unavailable_service_fails_the_workload_after_bounded_retries(
    played: PlayedIBM, runtime: Runtime, failure: int | Exception
) -> None:
    played.failures[r"GET /api/v1/jobs/\w+"] = failure
    run_id = _hardware_run(runtime)
    status, retries = _advance(runtime, run_id, "bell_state")
    assert status == "failed"
    assert retries == jobs.MAX_ATTEMPTS - 2  # the submitting task was the first attempt
    stored = runtime.store.get_job(run_id, "bell_state")
    assert stored is not None and stored.result is not None
    error = stored.result.error or ""
    assert error.startswith("ProviderError: Failed to retrieve job")
    assert ("503" in error) if failure == 503 else ("the read timed out" in error)
    assert played.created == 1


@pytest.mark.parametrize("http_status", [401, 403])
def test_refused_request_fails_the_workload_at_once(
    played: PlayedIBM, runtime: Runtime, http_status: int
) -> None:
    played.failures[r"GET /api/v1/jobs/\w+"] = http_status
    run_id = _hardware_run(runtime)
    status, retries = _advance(runtime, run_id, "bell_state")
    assert (status, retries) == ("failed", 0)
    stored = runtime.store.get_job(run_id, "bell_state")
    assert stored is not None and stored.result is not None
    assert f"Played failure {http_status}" in (stored.result.error or "")


def test_job_the_provider_failed_fails_the_workload_with_its_reason(
    played: PlayedIBM, runtime: Runtime
) -> None:
    run_id = _hardware_run(runtime)
    with pytest.raises(jobs.RetryLaterError):
        jobs.advance_workload(runtime, run_id, "bell_state")
    (job,) = played.jobs.values()
    job.status = "Failed"
    assert _advance(runtime, run_id, "bell_state") == ("failed", 0)
    stored = runtime.store.get_job(run_id, "bell_state")
    assert stored is not None and stored.result is not None
    assert "Played job failed" in (stored.result.error or "")


def test_status_refresh_stores_what_the_provider_says_and_gates_new_runs(
    played: PlayedIBM, runtime: Runtime
) -> None:
    answers = jobs.refresh_status(runtime, "ibm")
    assert answers["ibm_brisbane"] == "online"
    assert answers["ibm_heron"] == "offline"  # the played service has no ibm_fez
    stored = runtime.store.backend_statuses()
    assert stored["ibm_brisbane"]["queue_depth"] == 7
    assert "ibm_fez" in stored["ibm_heron"]["detail"]
    request = {"backend_id": "ibm_heron", "workloads": ["bell_state"]}
    with pytest.raises(BenchError) as refused:
        RunService(runtime.settings, runtime.store, runtime.catalogue,
                   InProcess(runtime)).plan("tenant-a", request)  # fmt: skip
    assert refused.value.code == "BACKEND_UNAVAILABLE"

    played.failures[r"GET /api/v1/backends/\w+/status"] = 503  # the provider is down
    assert set(jobs.refresh_status(runtime, "ibm").values()) == {"offline"}
    assert runtime.store.backend_statuses()["ibm_brisbane"]["status"] == "offline"
