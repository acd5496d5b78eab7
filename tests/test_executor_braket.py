"""The Braket executor against a stubbed Braket API, moto's S3 and the local simulator.

The stubbed braket client answers in the order the calls are queued and checks every request's
parameters, so an unexpected, missing or differently parameterised call fails the test.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from braket.devices import LocalSimulator
from braket.tasks import GateModelQuantumTaskResult
from moto import mock_aws

from bench_common.catalogue import CATALOGUE
from bench_common.placement import execution_mode
from bench_common.settings import Settings
from bench_common.store import Run
from bench_common.timeutil import format_time, now
from bench_workers import jobs
from bench_workers.executors import braket_results
from bench_workers.executors.base import JobSpec, ProviderError
from bench_workers.executors.braket import AwsTasks, BraketExecutor, aws_errors, client_token
from bench_workers.runtime import WorkerRuntime as Runtime

REGION = "us-east-1"
FORTE = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
BUCKET = "amazon-braket-qcos-bench-test"
RUN_ID = "5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f"
TASK_ARN = "arn:aws:braket:us-east-1:123456789012:quantum-task/6c1f0e4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_TASK_ARN = (
    "arn:aws:braket:us-east-1:123456789012:quantum-task/0d9e8f7a-6b5c-4d3e-a2f1-b0c9d8e7f6a5"
)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "BENCH_BRAKET_S3_BUCKET": BUCKET,
    "BENCH_BRAKET_S3_PREFIX": "bench",
}
CREATED = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
ENDED = datetime(2026, 11, 25, 10, 41, 7, 250000, tzinfo=UTC)
UPDATED = "2026-11-25T08:15:00"

# GHZ-5 outcomes in Braket's order (qubit 0 leftmost): mostly 0ⁿ and 1ⁿ, plus qubit 0 alone
# flipped and every qubit but qubit 4 flipped, so a missing reversal changes the keys.
BRAKET_OUTCOMES = {"00000": 470, "11111": 480, "10000": 30, "11110": 20}
QISKIT_HEX = {"0x0": 470, "0x1f": 480, "0x1": 30, "0xf": 20}
SHOTS = sum(BRAKET_OUTCOMES.values())


def forte_job(workload_id: str = "ghz_5q", run_id: str = RUN_ID) -> JobSpec:
    return JobSpec.of(workload_id, "ionq_forte", SHOTS, 11, run_id=run_id)


def results_json(task_arn: str) -> str:
    """A results.json as Braket writes it for a gate-model QPU task (per-shot measurements)."""
    measurements = [[int(b) for b in bits] for bits, n in BRAKET_OUTCOMES.items() for _ in range(n)]
    return json.dumps({
        "braketSchemaHeader": {"name": "braket.task_result.gate_model_task_result", "version": "1"},
        "measurements": measurements,
        "measuredQubits": [0, 1, 2, 3, 4],
        "taskMetadata": {
            "braketSchemaHeader": {"name": "braket.task_result.task_metadata", "version": "1"},
            "id": task_arn,
            "shots": SHOTS,
            "deviceId": FORTE,
            "createdAt": "2026-11-25T10:41:04.000Z",
            "endedAt": "2026-11-25T10:41:06.750Z",
            "status": "COMPLETED",
        },
        "additionalMetadata": {
            "action": {
                "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
                "source": braket_results.program(forte_job()).to_ir("OPENQASM").source,
            },
        },
    })  # fmt: skip


def task(status: str, arn: str = TASK_ARN, **extra: Any) -> dict[str, Any]:
    """A GetQuantumTask answer."""
    answer = {
        "quantumTaskArn": arn,
        "status": status,
        "deviceArn": FORTE,
        "deviceParameters": "{}",
        "shots": SHOTS,
        "outputS3Bucket": BUCKET,
        "outputS3Directory": f"bench/{RUN_ID}/{arn.rsplit('/', 1)[1]}",
        "createdAt": CREATED,
    }
    if status in ("COMPLETED", "FAILED", "CANCELLED"):
        answer["endedAt"] = ENDED
    return answer | extra


def forte_capabilities() -> str:
    """IonQ Forte's deviceCapabilities in Braket's published schema."""
    return json.dumps({
        "braketSchemaHeader": {"name": "braket.device_schema.ionq.ionq_device_capabilities",
                               "version": "1"},
        "service": {
            "braketSchemaHeader": {"name": "braket.device_schema.device_service_properties",
                                   "version": "1"},
            "executionWindows": [{"executionDay": "Everyday", "windowStartHour": "00:00",
                                  "windowEndHour": "23:59"}],
            "shotsRange": [1, 5000],
            "deviceCost": {"price": 0.08, "unit": "shot"},
            "deviceLocation": "us-east-1",
            "updatedAt": UPDATED,
        },
        "action": {"braket.ir.openqasm.program": {
            "actionType": "braket.ir.openqasm.program", "version": ["1"],
            "supportedOperations": ["x", "h", "cnot"],
        }},
        "paradigm": {
            "braketSchemaHeader": {
                "name": "braket.device_schema.gate_model_qpu_paradigm_properties", "version": "1"
            },
            "qubitCount": 36,
            "nativeGateSet": ["gpi", "gpi2", "zz"],
            "connectivity": {"fullyConnected": True, "connectivityGraph": {}},
        },
        "provider": {
            "braketSchemaHeader": {"name": "braket.device_schema.ionq.ionq_provider_properties",
                                   "version": "1"},
            "fidelity": {"1Q": {"mean": 0.9998}, "2Q": {"mean": 0.9952}, "spam": {"mean": 0.9948}},
            "timing": {"T1": 100.0, "T2": 1.0, "1Q": 0.00013, "2Q": 0.00097, "readout": 0.00015,
                       "reset": 0.00002},
            "errorMitigation": {"braket.device_schema.error_mitigation.debias.Debias":
                                {"minimumShots": 2500}},
        },
        "deviceParameters": {},
    })  # fmt: skip


def device(status: str = "ONLINE", queued: str = "17") -> dict[str, Any]:
    """A GetDevice answer."""
    return {
        "deviceArn": FORTE,
        "deviceName": "Forte 1",
        "providerName": "IonQ",
        "deviceType": "QPU",
        "deviceStatus": status,
        "deviceCapabilities": forte_capabilities(),
        "deviceQueueInfo": [
            {"queue": "QUANTUM_TASKS_QUEUE", "queueSize": queued, "queuePriority": "Normal"},
            {"queue": "QUANTUM_TASKS_QUEUE", "queueSize": "0", "queuePriority": "Priority"},
            {"queue": "JOBS_QUEUE", "queueSize": "0"},
        ],
    }


class GhzProgram:
    """Equal to an OpenQASM ``action`` that prepares GHZ-n on a chain and measures it all."""

    def __init__(self, qubits: int) -> None:
        self.qubits = qubits

    def __eq__(self, action: object) -> bool:
        program = json.loads(str(action))
        source = program["source"]
        chain = [f"cnot q[{i}], q[{i + 1}];" in source for i in range(self.qubits - 1)]
        return (
            program["braketSchemaHeader"]["name"] == "braket.ir.openqasm.program"
            and "h q[0];" in source
            and all(chain)
            and source.count("measure") == self.qubits
        )

    __hash__ = None  # type: ignore[assignment]  # equality is a predicate, not identity

    def __repr__(self) -> str:
        return f"<GHZ-{self.qubits} program>"


def create_params(job: JobSpec) -> dict[str, Any]:
    """What CreateQuantumTask must receive for ``job``."""
    return {
        "clientToken": client_token(job),
        "deviceArn": FORTE,
        "shots": job.shots,
        "outputS3Bucket": BUCKET,
        "outputS3KeyPrefix": f"bench/{job.run_id}",
        "action": GhzProgram(CATALOGUE.workloads[job.workload_id].qubits),
    }


def poll_params(arn: str = TASK_ARN) -> dict[str, Any]:
    return {"quantumTaskArn": arn}


def sdk_get_params(arn: str = TASK_ARN) -> dict[str, Any]:
    """The SDK's own GetQuantumTask (used by ``AwsQuantumTask.result``) asks for queue info."""
    return {"quantumTaskArn": arn, "additionalAttributeNames": ["QueueInfo"]}


def queue_result_download(stub: Stubber, arn: str = TASK_ARN) -> None:
    """``result``: task metadata, the S3 download, the SDK's state check, the device."""
    stub.add_response("get_quantum_task", task("COMPLETED", arn), sdk_get_params(arn))
    stub.add_response("get_quantum_task", task("COMPLETED", arn), sdk_get_params(arn))
    stub.add_response("get_device", device(), {"deviceArn": FORTE})


@pytest.fixture
def s3() -> Iterator[Any]:
    """moto's S3 with the results bucket, active for the whole test."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def executor(s3: Any) -> BraketExecutor:
    return BraketExecutor(CREDENTIALS)


@pytest.fixture
def stub(executor: BraketExecutor) -> Iterator[Stubber]:
    assert isinstance(executor.tasks, AwsTasks)
    with Stubber(executor.tasks.braket_client(REGION)) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def put_results(s3: Any, arn: str = TASK_ARN) -> None:
    key = f"{task('COMPLETED', arn)['outputS3Directory']}/results.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=results_json(arn).encode())


def test_a_task_is_created_polled_and_its_result_read_from_s3(
    executor: BraketExecutor, stub: Stubber, s3: Any
) -> None:
    job = forte_job()
    put_results(s3)
    stub.add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN}, create_params(job))
    for status in ("QUEUED", "RUNNING", "COMPLETED"):
        stub.add_response("get_quantum_task", task(status), poll_params())
    queue_result_download(stub)

    assert executor.submit(job) == TASK_ARN
    assert [executor.poll(TASK_ARN) for _ in range(3)] == ["queued", "running", "done"]
    result = executor.result(job, TASK_ARN)

    assert result.status == "completed"
    assert result.counts == QISKIT_HEX
    p = [n / SHOTS for n in QISKIT_HEX.values()]
    assert result.fidelity == pytest.approx((math.sqrt(p[0] / 2) + math.sqrt(p[1] / 2)) ** 2)
    assert result.metrics["population"] == pytest.approx(p[0] + p[1])
    assert result.execution_time_ms == pytest.approx(2750.0)
    assert result.timing_source == "wall_clock"
    assert result.provider_job_id == TASK_ARN
    assert (result.gate_count, result.depth) == (5, 5)
    assert result.transpiled_gate_count == 5
    assert "cx q[0], q[1];" in (result.executed_qasm3 or "")
    calibration = result.calibration
    assert calibration["device"] == FORTE
    assert calibration["timestamp"] == "2026-11-25T08:15:00.000000Z"
    assert calibration["provider"]["fidelity"]["2Q"] == {"mean": 0.9952}
    assert calibration["provider"]["errorMitigation"] == {
        "braket.device_schema.error_mitigation.debias.Debias": {"minimumShots": 2500}
    }
    assert json.loads(json.dumps(calibration)) == calibration
    assert result.report_entry()["timing_source"] == "wall_clock"


def test_a_redelivered_submit_sends_the_same_client_token_and_gets_the_same_task(
    executor: BraketExecutor, stub: Stubber
) -> None:
    job, other = forte_job(), forte_job("bell_state")
    assert client_token(job) != client_token(other)
    assert len(client_token(job)) <= 64
    for _ in range(2):  # Braket answers a repeated clientToken with the first task
        stub.add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN}, create_params(job))
    stub.add_response("create_quantum_task", {"quantumTaskArn": OTHER_TASK_ARN},
                      create_params(other))  # fmt: skip

    assert executor.submit(job) == executor.submit(JobSpec(**vars(job))) == TASK_ARN
    assert executor.submit(other) == OTHER_TASK_ARN


def test_a_failed_task_gives_a_failed_row_with_braket_s_reason(
    executor: BraketExecutor, stub: Stubber
) -> None:
    reason = "Device Forte-1 is not available for the current time window"
    stub.add_response("get_quantum_task", task("FAILED"), poll_params())
    stub.add_response("get_quantum_task", task("FAILED", failureReason=reason), sdk_get_params())

    assert executor.poll(TASK_ARN) == "failed"
    result = executor.result(forte_job(), TASK_ARN)
    assert result.status == "failed"
    assert result.error == f"Braket task FAILED: {reason}"
    assert result.provider_job_id == TASK_ARN


def test_cancelling_a_finished_task_is_not_an_error(
    executor: BraketExecutor, stub: Stubber
) -> None:
    cancelled = {"quantumTaskArn": TASK_ARN, "cancellationStatus": "CANCELLING"}
    stub.add_response("cancel_quantum_task", cancelled, {"quantumTaskArn": TASK_ARN})
    stub.add_client_error("cancel_quantum_task", "ConflictException", "Task is COMPLETED", 409)
    stub.add_client_error("cancel_quantum_task", "AccessDeniedException", "Denied", 403)

    executor.cancel(TASK_ARN)
    executor.cancel(TASK_ARN)
    with pytest.raises(ProviderError, match="AccessDeniedException: Denied"):
        executor.cancel(TASK_ARN)


def test_device_status_and_queue_depth(executor: BraketExecutor, stub: Stubber) -> None:
    stub.add_response("get_device", device("ONLINE", "17"), {"deviceArn": FORTE})
    stub.add_response("get_device", device("ONLINE", "17"), {"deviceArn": FORTE})
    stub.add_response("get_device", device("OFFLINE"), {"deviceArn": FORTE})

    online = executor.status(CATALOGUE.backends["ionq_forte"])
    assert (online.status, online.queue_depth) == ("online", 17)
    assert executor.status(CATALOGUE.backends["ionq_forte"]).status == "offline"
    assert executor.status(CATALOGUE.backends["ionq_aria"]).status == "retired"  # no AWS call


@pytest.mark.parametrize("backend_id", ["ionq_aria", "rigetti_ankaa"])
def test_retired_devices_refuse_work_for_good(executor: BraketExecutor, backend_id: str) -> None:
    with pytest.raises(ProviderError, match="device retired") as raised:
        executor.submit(JobSpec.of("bell_state", backend_id, 100, 1, run_id=RUN_ID))
    assert raised.value.retryable is False


def test_a_workload_wider_than_the_device_is_refused_before_any_call(
    executor: BraketExecutor, stub: Stubber
) -> None:
    with pytest.raises(ProviderError, match="ghz_50q needs 50 qubits; ionq_forte has 36") as raised:
        executor.submit(forte_job("ghz_50q"))
    assert raised.value.retryable is False


def test_catalogue_arns_are_the_sdk_s_current_devices() -> None:
    from braket.devices import Devices

    assert CATALOGUE.backends["ionq_forte"].device == Devices.IonQ.Forte1
    assert CATALOGUE.backends["iqm_garnet"].device == Devices.IQM.Garnet


@pytest.mark.parametrize(
    "error", [EndpointConnectionError(endpoint_url="https://braket.us-east-1.amazonaws.com"),
              ReadTimeoutError(endpoint_url="https://braket.us-east-1.amazonaws.com")],
)  # fmt: skip
def test_network_failures_are_retryable(error: Exception) -> None:
    with pytest.raises(ProviderError) as raised, aws_errors():
        raise error
    assert raised.value.retryable is True


@pytest.mark.parametrize("workload_id", ["bell_state", "ghz_5q"])
def test_the_local_simulator_runs_a_workload_through_the_same_path(workload_id: str) -> None:
    executor = BraketExecutor({}, local_device=LocalSimulator())
    job = JobSpec.of(workload_id, "ionq_forte", 2000, 3, run_id=RUN_ID)
    task_id = executor.submit(job)
    assert executor.poll(task_id) == "done"
    result = executor.result(job, task_id)

    ones = hex(2**result.qubits - 1)
    assert result.status == "completed"
    assert set(result.counts) == {"0x0", ones}
    assert sum(result.counts.values()) == 2000
    # The local simulator is not seeded: the fidelity must be exactly what the balance of
    # the two ideal outcomes gives, (1 + 2 sqrt(p0 p1)) / 2, which exceeds 0.99 unless the
    # split is off by more than 0.07 (a 6-sigma event at 2000 shots).
    p0 = result.counts["0x0"] / 2000
    assert result.fidelity == pytest.approx((1 + 2 * (p0 * (1 - p0)) ** 0.5) / 2, abs=1e-12)
    assert result.fidelity >= 0.99
    assert result.execution_time_ms is not None and result.execution_time_ms >= 0
    assert result.calibration["device"] == "StateVectorSimulator"


def test_a_simulator_s_reported_execution_duration_is_provider_timing() -> None:
    document = json.loads(results_json(TASK_ARN))
    document["additionalMetadata"]["simulatorMetadata"] = {
        "braketSchemaHeader": {"name": "braket.task_result.simulator_metadata", "version": "1"},
        "executionDuration": 42,
    }
    result = GateModelQuantumTaskResult.from_string(json.dumps(document))
    assert braket_results.timing(result) == (42.0, "provider")


# --- through the job layer, against a real SQLite store ------------------------------------


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    settings = Settings.from_env({}, data_dir=tmp_path, provider_env=CREDENTIALS, poll_interval=1.0)
    return Runtime(settings)


def queued_run(runtime: Runtime) -> str:
    """A queued hardware run of ghz_5q on IonQ Forte, stored as ``prepare_run`` stores one."""
    backend = CATALOGUE.backends["ionq_forte"]
    assert execution_mode(CATALOGUE, backend, runtime.settings.provider_env) == "hardware"
    moment = now()
    run = Run(
        id=str(uuid.uuid4()),
        tenant_id="tenant-a",
        backend_id=backend.id,
        provider=backend.provider,
        execution_mode="hardware",
        queue=backend.provider,
        workloads=["ghz_5q"],
        shots=SHOTS,
        seed=11,
        status="queued",
        created_at=format_time(moment),
        updated_at=format_time(moment),
        deadline_at=format_time(moment + timedelta(hours=1)),
    )
    runtime.store.create_run(run)
    return run.id


def drive(runtime: Runtime, run_id: str, limit: int = 10) -> tuple[str | None, list[float]]:
    """Run the workload task as the worker would until it stops asking to be retried."""
    countdowns: list[float] = []
    while len(countdowns) < limit:
        try:
            return jobs.advance_workload(runtime, run_id, "ghz_5q"), countdowns
        except jobs.RetryLaterError as retry:
            countdowns.append(retry.countdown)
    raise AssertionError(f"still retrying after {limit} attempts")


@pytest.fixture
def injected(runtime: Runtime, executor: BraketExecutor) -> BraketExecutor:
    """The job layer uses this executor: the runtime owns it."""
    runtime.executors["braket"] = executor
    return executor


@pytest.mark.parametrize(
    ("code", "http_status"), [("ThrottlingException", 429), ("InternalServiceException", 500)]
)
def test_transient_poll_errors_are_retried_with_backoff_then_fail_the_workload(
    runtime: Runtime, injected: BraketExecutor, stub: Stubber, code: str, http_status: int
) -> None:
    run_id = queued_run(runtime)
    job = forte_job(run_id=run_id)
    stub.add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN}, create_params(job))
    for _ in range(jobs.MAX_ATTEMPTS - 1):  # the submit counted as the first attempt
        stub.add_client_error("get_quantum_task", code, "Rate exceeded", http_status,
                              expected_params=poll_params())  # fmt: skip

    status, countdowns = drive(runtime, run_id)

    assert status == "failed"
    assert len(countdowns) == jobs.MAX_ATTEMPTS - 2
    assert countdowns == sorted(countdowns) and len(set(countdowns)) == len(countdowns)
    stored = runtime.store.get_job(run_id, "ghz_5q")
    assert stored is not None and stored.result is not None
    assert stored.provider_job_id == TASK_ARN
    assert f"{code}: Rate exceeded" in (stored.result.error or "")


def test_access_denied_fails_the_workload_at_once(
    runtime: Runtime, injected: BraketExecutor, stub: Stubber
) -> None:
    run_id = queued_run(runtime)
    stub.add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN},
                      create_params(forte_job(run_id=run_id)))  # fmt: skip
    stub.add_client_error("get_quantum_task", "AccessDeniedException",
                          "User is not authorized to perform: braket:GetQuantumTask", 403,
                          expected_params=poll_params())  # fmt: skip

    status, countdowns = drive(runtime, run_id)

    assert (status, countdowns) == ("failed", [])
    stored = runtime.store.get_job(run_id, "ghz_5q")
    assert stored is not None and stored.result is not None
    assert "AccessDeniedException: User is not authorized" in (stored.result.error or "")


def test_a_workload_is_submitted_once_and_completes_through_the_job_layer(
    runtime: Runtime, injected: BraketExecutor, stub: Stubber, s3: Any
) -> None:
    run_id = queued_run(runtime)
    arn = OTHER_TASK_ARN
    put_results(s3, arn)
    stub.add_response("create_quantum_task", {"quantumTaskArn": arn},
                      create_params(forte_job(run_id=run_id)))  # fmt: skip
    for status in ("QUEUED", "RUNNING", "COMPLETED"):
        stub.add_response("get_quantum_task", task(status, arn), poll_params(arn))
    queue_result_download(stub, arn)

    status, countdowns = drive(runtime, run_id)

    assert (status, countdowns) == ("completed", [1.0, 1.0])
    stored = runtime.store.get_job(run_id, "ghz_5q")
    assert stored is not None and stored.result is not None
    assert stored.result.counts == QISKIT_HEX
    assert stored.result.provider_job_id == arn
