"""The Braket executor against a stubbed Braket API, moto's S3 and the local simulator.

The stubbed braket client answers in the order the calls are queued and checks every request's
parameters, so an unexpected, missing or differently parameterised call fails the test.
"""

from __future__ import annotations

import itertools
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
from braket.circuits.serialization import IRType
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
from bench_workers.hardware import logical_circuits
from bench_workers.runtime import WorkerRuntime as Runtime

REGION = "us-east-1"
FORTE = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
BUCKET = "amazon-braket-qcos-bench-test"
RUN_ID = "5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f"
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
RESULT_CREATED = datetime(2026, 11, 25, 10, 41, 4, tzinfo=UTC)

# The population circuit's GHZ-5 outcomes in Braket's order (qubit 0 leftmost): mostly 0ⁿ
# and 1ⁿ, plus qubit 0 alone flipped and every qubit but qubit 4 flipped, so a missing
# reversal changes the keys.
BRAKET_OUTCOMES = {"00000": 470, "11111": 480, "10000": 30, "11110": 20}
QISKIT_HEX = {"0x0": 470, "0x1f": 480, "0x1": 30, "0xf": 20}
SHOTS = sum(BRAKET_OUTCOMES.values())
# A parity circuit's outcomes: qubits 0 and 1 flipped (even parity) or qubit 0 alone (odd),
# in proportions that differ from circuit to circuit, so a task read for the wrong circuit
# changes its counts, and a missing reversal changes the keys.
EVEN, ODD = "11000", "10000"
EVEN_HEX, ODD_HEX = "0x3", "0x1"
S_DAGGER = frozenset({"si", "sdg"})
"""S† as Braket (``si``) and Qiskit (``sdg``) name it."""


def forte_job(workload_id: str = "ghz_5q", run_id: str = RUN_ID) -> JobSpec:
    return JobSpec.of(workload_id, "ionq_forte", SHOTS, 11, run_id=run_id)


def circuit_count(job: JobSpec) -> int:
    """How many circuits (so how many tasks) the workload's type says it executes."""
    return CATALOGUE.type_of(job.workload).circuits(job.workload)


GHZ_CIRCUITS = circuit_count(forte_job())


def task_arns(count: int, family: int = 0) -> list[str]:
    """Distinct task ARNs, one per circuit of a workload."""
    return [
        f"arn:aws:braket:us-east-1:123456789012:quantum-task/6c1f0e4a-2b3d-4e5f-{family:04x}-"
        f"{index:012x}"
        for index in range(count)
    ]


def circuit_bases(job: JobSpec) -> list[str]:
    """What each circuit measures, one letter per qubit (Z for the population circuit)."""
    width = job.workload.qubits
    return [str(c.meta.get("bases", "Z" * width)) for c in logical_circuits(job)]


def ideal_sign(bases: str) -> int:
    """⟨GHZ| S |GHZ⟩ of an X/Y string with an even number of Y: (−1)^(#Y/2)."""
    return 1 if bases.count("Y") % 4 == 0 else -1


def measured_bases(source: str, qubits: int) -> str:
    """The basis each qubit is measured in, from the gates a program (Braket's OpenQASM 3 or
    Qiskit's) applies between the barrier and the measurements."""
    _, _, tail = source.partition("barrier")
    gates = [line for line in tail.splitlines()[1:] if line and "measure" not in line]
    letters = []
    for qubit in range(qubits):
        names = [line.split()[0] for line in gates if line.endswith(f" q[{qubit}];")]
        if names == []:
            letters.append("Z")
        elif names == ["h"]:
            letters.append("X")
        elif len(names) == 2 and names[0] in S_DAGGER and names[1] == "h":
            letters.append("Y")
        else:  # gates a change of basis does not explain (a two-qubit one lands here too)
            letters.append("?")
    return "".join(letters)


def braket_outcomes(bases: str, index: int) -> dict[str, int]:
    """The Braket outcomes of circuit ``index``, measured in ``bases``."""
    if set(bases) == {"Z"}:
        return BRAKET_OUTCOMES
    wrong = 5 * index
    right = SHOTS - wrong
    even, odd = (right, wrong) if ideal_sign(bases) > 0 else (wrong, right)
    return {EVEN: even, ODD: odd}


def qiskit_counts(bases: str, index: int) -> dict[str, int]:
    """The counts the report must show for circuit ``index``."""
    if set(bases) == {"Z"}:
        return QISKIT_HEX
    braket = braket_outcomes(bases, index)
    return {EVEN_HEX: braket[EVEN], ODD_HEX: braket[ODD]}


def span_ms(index: int) -> float:
    """Task ``index``'s creation-to-end span: the longest (2750 ms) is neither the first task's
    nor the last one's."""
    return 2000.0 + 250.0 * (index % 4)


def braket_time(moment: datetime) -> str:
    """A task metadata timestamp as Braket writes it (milliseconds, at most 24 characters)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def results_json(
    task_arn: str, source: str, outcomes: dict[str, int], span: float,
    simulator_ms: float | None = None,
) -> str:  # fmt: skip
    """A results.json as Braket writes it for a gate-model task (per-shot measurements)."""
    measurements = [[int(b) for b in bits] for bits, n in outcomes.items() for _ in range(n)]
    width = len(next(iter(outcomes)))
    ended = RESULT_CREATED + timedelta(milliseconds=span)
    document: dict[str, Any] = {
        "braketSchemaHeader": {"name": "braket.task_result.gate_model_task_result", "version": "1"},
        "measurements": measurements,
        "measuredQubits": list(range(width)),
        "taskMetadata": {
            "braketSchemaHeader": {"name": "braket.task_result.task_metadata", "version": "1"},
            "id": task_arn,
            "shots": sum(outcomes.values()),
            "deviceId": FORTE,
            "createdAt": braket_time(RESULT_CREATED),
            "endedAt": braket_time(ended),
            "status": "COMPLETED",
        },
        "additionalMetadata": {
            "action": {
                "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
                "source": source,
            },
        },
    }  # fmt: skip
    if simulator_ms is not None:
        document["additionalMetadata"]["simulatorMetadata"] = {
            "braketSchemaHeader": {"name": "braket.task_result.simulator_metadata",
                                   "version": "1"},
            "executionDuration": simulator_ms,
        }  # fmt: skip
    return json.dumps(document)


def task(status: str, arn: str, **extra: Any) -> dict[str, Any]:
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
    """Equal to an OpenQASM ``action`` that prepares GHZ-n on a chain, then measures every
    qubit in ``bases`` (one letter per qubit)."""

    def __init__(self, bases: str) -> None:
        self.bases = bases

    def __eq__(self, action: object) -> bool:
        program = json.loads(str(action))
        source = program["source"]
        qubits = len(self.bases)
        preparation = source.partition("barrier")[0]
        chain = [f"cnot q[{i}], q[{i + 1}];" in preparation for i in range(qubits - 1)]
        return (
            program["braketSchemaHeader"]["name"] == "braket.ir.openqasm.program"
            and "h q[0];" in preparation
            and all(chain)
            and measured_bases(source, qubits) == self.bases
            and source.count("measure") == qubits
        )

    __hash__ = None  # type: ignore[assignment]  # equality is a predicate, not identity

    def __repr__(self) -> str:
        return f"<GHZ-{len(self.bases)} program measuring {self.bases}>"


def create_params(job: JobSpec, index: int) -> dict[str, Any]:
    """What CreateQuantumTask must receive for circuit ``index`` of ``job``."""
    return {
        "clientToken": client_token(job, index),
        "deviceArn": FORTE,
        "shots": job.shots,
        "outputS3Bucket": BUCKET,
        "outputS3KeyPrefix": f"bench/{job.run_id}",
        "action": GhzProgram(circuit_bases(job)[index]),
    }


def poll_params(arn: str) -> dict[str, Any]:
    return {"quantumTaskArn": arn}


def sdk_get_params(arn: str) -> dict[str, Any]:
    """The SDK's own GetQuantumTask (used by ``AwsQuantumTask.result``) asks for queue info."""
    return {"quantumTaskArn": arn, "additionalAttributeNames": ["QueueInfo"]}


def queue_creates(stub: Stubber, job: JobSpec, arns: list[str]) -> None:
    """CreateQuantumTask for the first ``len(arns)`` circuits, in order, each with its token."""
    for index, arn in enumerate(arns):
        stub.add_response("create_quantum_task", {"quantumTaskArn": arn},
                          create_params(job, index))  # fmt: skip


def queue_polls(stub: Stubber, arns: list[str], statuses: list[str]) -> None:
    """One ``poll``: GetQuantumTask of every task, in order."""
    for arn, status in zip(arns, statuses, strict=True):
        stub.add_response("get_quantum_task", task(status, arn), poll_params(arn))


def queue_outcomes(
    stub: Stubber, arns: list[str], statuses: list[str] | None = None, reason: str | None = None
) -> None:
    """``result``: each task's metadata (a completed one's S3 download and the SDK's state
    check after it), then the device once every task has completed."""
    statuses = statuses or ["COMPLETED"] * len(arns)
    for arn, status in zip(arns, statuses, strict=True):
        if status == "COMPLETED":
            stub.add_response("get_quantum_task", task(status, arn), sdk_get_params(arn))
            stub.add_response("get_quantum_task", task(status, arn), sdk_get_params(arn))
        else:
            extra = {} if reason is None else {"failureReason": reason}
            stub.add_response("get_quantum_task", task(status, arn, **extra), sdk_get_params(arn))
    if all(status == "COMPLETED" for status in statuses):
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


def put_results(
    s3: Any, job: JobSpec, arns: list[str], simulator_ms: list[float] | None = None
) -> None:
    """Every task's results.json where Braket writes it: task i ran circuit i."""
    programs = braket_results.programs(job)
    for index, (arn, program, bases) in enumerate(
        zip(arns, programs, circuit_bases(job), strict=True)
    ):
        key = f"{task('COMPLETED', arn)['outputS3Directory']}/results.json"
        body = results_json(
            arn, program.to_ir(ir_type=IRType.OPENQASM).source, braket_outcomes(bases, index),
            span_ms(index), None if simulator_ms is None else simulator_ms[index],
        )  # fmt: skip
        s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())


def expected_figures(job: JobSpec) -> tuple[float, float]:
    """Population P and coherence C of the stored outcomes, from their definition."""
    population = (BRAKET_OUTCOMES["0" * 5] + BRAKET_OUTCOMES["1" * 5]) / SHOTS
    parities = []
    for index, bases in enumerate(circuit_bases(job)[1:], start=1):
        outcomes = braket_outcomes(bases, index)
        parities.append(ideal_sign(bases) * (outcomes[EVEN] - outcomes[ODD]) / SHOTS)
    return population, sum(parities) / len(parities)


def test_the_workload_s_circuits_are_all_settings_of_ghz_5() -> None:
    bases = circuit_bases(forte_job())
    assert len(bases) == GHZ_CIRCUITS == 17
    assert bases[0] == "ZZZZZ"
    every_setting = {
        "".join(s) for s in itertools.product("XY", repeat=5) if "".join(s).count("Y") % 2 == 0
    }
    assert sorted(bases[1:]) == sorted(every_setting)


def test_every_circuit_is_a_task_polled_and_its_result_read_from_s3(
    executor: BraketExecutor, stub: Stubber, s3: Any
) -> None:
    job = forte_job()
    arns = task_arns(GHZ_CIRCUITS)
    put_results(s3, job, arns)
    queue_creates(stub, job, arns)
    rounds = [
        ["QUEUED"] * GHZ_CIRCUITS,
        ["COMPLETED"] * 3 + ["RUNNING"] * 3 + ["QUEUED"] + ["COMPLETED"] * (GHZ_CIRCUITS - 7),
        ["COMPLETED"] * (GHZ_CIRCUITS - 1) + ["RUNNING"],
        ["COMPLETED"] * GHZ_CIRCUITS,
    ]
    for statuses in rounds:
        queue_polls(stub, arns, statuses)
    queue_outcomes(stub, arns)

    provider_job_id = executor.submit(job)
    assert provider_job_id == ",".join(arns)
    polled = [executor.poll(provider_job_id) for _ in rounds]
    assert polled == ["queued", "queued", "running", "done"]
    result = executor.result(job, provider_job_id)

    assert result.status == "completed", result.error
    assert result.provider_job_id == provider_job_id
    assert len(result.circuits) == GHZ_CIRCUITS
    assert result.circuits[0].counts == QISKIT_HEX
    for index, (circuit, bases) in enumerate(zip(result.circuits, circuit_bases(job), strict=True)):
        assert circuit.meta.get("bases", "ZZZZZ") == bases
        assert circuit.shots == SHOTS
        assert circuit.counts == qiskit_counts(bases, index)
        if index:
            outcomes = braket_outcomes(bases, index)
            assert circuit.statistics == {"even": outcomes[EVEN], "odd": outcomes[ODD]}
        # The executed circuit is the program task ``index`` ran, as Qiskit reads it back.
        assert "cx q[0], q[1];" in circuit.executed_qasm3
        assert measured_bases(circuit.executed_qasm3, 5) == bases
    population, coherence = expected_figures(job)
    assert result.metrics["population"] == pytest.approx(population)
    assert result.metrics["coherence"] == pytest.approx(coherence)
    assert result.fidelity == pytest.approx((population + coherence) / 2)
    p = [n / SHOTS for n in QISKIT_HEX.values()]
    hellinger = (math.sqrt(p[0] / 2) + math.sqrt(p[1] / 2)) ** 2
    assert result.metrics["hellinger_fidelity"] == pytest.approx(hellinger)
    assert result.metrics["circuits"] == GHZ_CIRCUITS
    assert result.metrics["total_shots"] == GHZ_CIRCUITS * SHOTS
    # The tasks' spans include the device queue and overlap: the longest stands, not a sum.
    assert result.execution_time_ms == pytest.approx(max(map(span_ms, range(GHZ_CIRCUITS))))
    assert result.execution_time_ms == pytest.approx(2750.0)
    assert result.timing_source == "wall_clock"
    assert (result.gate_count, result.depth) == (5, 5)
    assert result.transpiled_gate_count == 5
    calibration = result.calibration
    assert calibration["device"] == FORTE
    assert calibration["timestamp"] == "2026-11-25T08:15:00.000000Z"
    assert calibration["provider"]["fidelity"]["2Q"] == {"mean": 0.9952}
    assert calibration["provider"]["errorMitigation"] == {
        "braket.device_schema.error_mitigation.debias.Debias": {"minimumShots": 2500}
    }
    assert json.loads(json.dumps(calibration)) == calibration
    assert result.report_entry()["timing_source"] == "wall_clock"
    # Braket bills per task and per shot: the tasks, and the shots their metadata states.
    assert result.report_entry()["billed_usage"] == {
        "usage": [{"unit": "tasks", "quantity": GHZ_CIRCUITS},
                  {"unit": "shots", "quantity": GHZ_CIRCUITS * SHOTS}],
        "amount": None, "currency": None,
        "source": "Braket task results: one task per circuit, taskMetadata.shots",
    }  # fmt: skip


def test_a_redelivered_submit_sends_the_same_client_tokens_and_gets_the_same_tasks(
    executor: BraketExecutor, stub: Stubber
) -> None:
    job, other = forte_job(), forte_job("bell_state")
    tokens = [client_token(job, index) for index in range(GHZ_CIRCUITS)]
    other_tokens = [client_token(other, index) for index in range(circuit_count(other))]
    assert len(set(tokens + other_tokens)) == len(tokens) + len(other_tokens)
    assert all(len(token) <= 64 for token in tokens + other_tokens)
    assert client_token(job) == tokens[0]  # the first circuit keeps the workload's own token
    arns, other_arns = task_arns(GHZ_CIRCUITS), task_arns(len(other_tokens), family=1)
    for _ in range(2):  # Braket answers a repeated clientToken with the first task
        queue_creates(stub, job, arns)
    queue_creates(stub, other, other_arns)

    assert executor.submit(job) == executor.submit(JobSpec(**vars(job))) == ",".join(arns)
    assert executor.submit(other) == ",".join(other_arns)


def test_a_submit_that_failed_part_way_is_completed_with_the_same_tokens(
    executor: BraketExecutor, stub: Stubber
) -> None:
    job, arns = forte_job(), task_arns(GHZ_CIRCUITS)
    queue_creates(stub, job, arns[:5])
    stub.add_client_error("create_quantum_task", "ThrottlingException", "Rate exceeded", 429,
                          expected_params=create_params(job, 5))  # fmt: skip
    with pytest.raises(ProviderError, match="ThrottlingException") as raised:
        executor.submit(job)
    assert raised.value.retryable is True

    queue_creates(stub, job, arns)  # the five tokens Braket knows get their tasks back
    assert executor.submit(job) == ",".join(arns)


@pytest.mark.parametrize(
    ("status", "reason", "error"),
    [("FAILED", "Device Forte-1 is not available for the current time window",
      "Braket task FAILED: Device Forte-1 is not available for the current time window"),
     ("CANCELLED", None, "Braket task CANCELLED: no reason given")],
)  # fmt: skip
def test_a_failed_task_gives_a_failed_row_with_braket_s_reason(
    executor: BraketExecutor, stub: Stubber, s3: Any, status: str, reason: str | None, error: str
) -> None:
    job, arns = forte_job(), task_arns(GHZ_CIRCUITS)
    put_results(s3, job, arns)
    statuses = ["COMPLETED"] * GHZ_CIRCUITS
    statuses[4] = status
    queue_polls(stub, arns, ["QUEUED", *statuses[1:]])
    queue_polls(stub, arns, statuses)
    queue_outcomes(stub, arns, statuses, reason)
    provider_job_id = ",".join(arns)

    assert executor.poll(provider_job_id) == "queued"  # the workload waits for every task
    assert executor.poll(provider_job_id) == "failed"
    result = executor.result(job, provider_job_id)
    assert result.status == "failed"
    assert result.error == error
    assert result.provider_job_id == provider_job_id
    assert result.circuits == []
    assert result.fidelity is None


def test_cancel_cancels_every_task_and_a_finished_one_is_not_an_error(
    executor: BraketExecutor, stub: Stubber
) -> None:
    arns = task_arns(3)
    for index, arn in enumerate(arns):
        if index == 1:
            stub.add_client_error("cancel_quantum_task", "ConflictException",
                                  "Task is COMPLETED", 409,
                                  expected_params={"quantumTaskArn": arn})  # fmt: skip
        else:
            cancelled = {"quantumTaskArn": arn, "cancellationStatus": "CANCELLING"}
            stub.add_response("cancel_quantum_task", cancelled, {"quantumTaskArn": arn})
    stub.add_client_error("cancel_quantum_task", "AccessDeniedException", "Denied", 403,
                          expected_params={"quantumTaskArn": arns[0]})  # fmt: skip

    executor.cancel(",".join(arns))
    with pytest.raises(ProviderError, match="AccessDeniedException: Denied"):
        executor.cancel(",".join(arns))


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
    task_ids = executor.submit(job)
    assert len(task_ids.split(",")) == circuit_count(job)
    assert executor.poll(task_ids) == "done"
    result = executor.result(job, task_ids)

    assert result.status == "completed"
    assert len(result.circuits) == circuit_count(job)
    ones = hex(2**result.qubits - 1)
    population = result.circuits[0].counts
    assert set(population) == {"0x0", ones}
    # The simulator is exact: a setting's parity is always its ideal sign, and every shot
    # lands on 0ⁿ or 1ⁿ.
    for circuit, bases in zip(result.circuits, circuit_bases(job), strict=True):
        assert sum(circuit.counts.values()) == 2000
        assert measured_bases(circuit.executed_qasm3, result.qubits) == bases
        if circuit.meta["role"] == "parity":
            parities = {int(key, 16).bit_count() % 2 for key in circuit.counts}
            assert parities == {0 if ideal_sign(bases) > 0 else 1}, bases
    # The local simulator is not seeded: the population's Hellinger fidelity must be exactly
    # what the balance of the two ideal outcomes gives, (1 + 2 sqrt(p0 p1)) / 2, which
    # exceeds 0.99 unless the split is off by more than 0.07 (a 6-sigma event at 2000 shots).
    # The coherence is then all that balance allows, 2 sqrt(p0 p1), and F the same figure.
    p0 = population["0x0"] / 2000
    hellinger = result.metrics["hellinger_fidelity"]
    assert hellinger == pytest.approx((1 + 2 * (p0 * (1 - p0)) ** 0.5) / 2, abs=1e-12)
    assert hellinger >= 0.99
    assert result.metrics["population"] == 1.0
    assert result.metrics["coherence"] == pytest.approx(2 * (p0 * (1 - p0)) ** 0.5, abs=1e-12)
    assert result.fidelity == pytest.approx(hellinger, abs=1e-12)
    assert result.fidelity_ci95[1] == 1.0
    assert result.execution_time_ms is not None and result.execution_time_ms >= 0
    assert result.calibration["device"] == "StateVectorSimulator"
    assert "billed_usage" not in result.report_entry()  # a local simulator bills nothing


def test_a_simulator_s_reported_execution_duration_is_provider_timing() -> None:
    job = forte_job()
    source = braket_results.programs(job)[0].to_ir(ir_type=IRType.OPENQASM).source
    document = results_json(task_arns(1)[0], source, BRAKET_OUTCOMES, 2750.0, simulator_ms=42)
    result = GateModelQuantumTaskResult.from_string(document)
    assert braket_results.timing(result) == (42.0, "provider")
    assert braket_results.billed_usage([result]) is None  # billed by the minute, not shot


def test_the_simulator_durations_of_the_tasks_add_up(
    executor: BraketExecutor, stub: Stubber, s3: Any
) -> None:
    job, arns = forte_job(), task_arns(GHZ_CIRCUITS)
    durations = [40.0 + index for index in range(GHZ_CIRCUITS)]
    put_results(s3, job, arns, simulator_ms=durations)
    queue_outcomes(stub, arns)

    result = executor.result(job, ",".join(arns))
    assert result.status == "completed", result.error
    assert (result.execution_time_ms, result.timing_source) == (sum(durations), "provider")


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
    arns = task_arns(GHZ_CIRCUITS)
    queue_creates(stub, forte_job(run_id=run_id), arns)
    for _ in range(jobs.MAX_ATTEMPTS - 1):  # the submit counted as the first attempt
        stub.add_client_error("get_quantum_task", code, "Rate exceeded", http_status,
                              expected_params=poll_params(arns[0]))  # fmt: skip

    status, countdowns = drive(runtime, run_id)

    assert status == "failed"
    assert len(countdowns) == jobs.MAX_ATTEMPTS - 2
    assert countdowns == sorted(countdowns) and len(set(countdowns)) == len(countdowns)
    stored = runtime.store.get_job(run_id, "ghz_5q")
    assert stored is not None and stored.result is not None
    assert stored.provider_job_id == ",".join(arns)
    assert f"{code}: Rate exceeded" in (stored.result.error or "")


def test_access_denied_fails_the_workload_at_once(
    runtime: Runtime, injected: BraketExecutor, stub: Stubber
) -> None:
    run_id = queued_run(runtime)
    arns = task_arns(GHZ_CIRCUITS)
    queue_creates(stub, forte_job(run_id=run_id), arns)
    stub.add_client_error("get_quantum_task", "AccessDeniedException",
                          "User is not authorized to perform: braket:GetQuantumTask", 403,
                          expected_params=poll_params(arns[0]))  # fmt: skip

    status, countdowns = drive(runtime, run_id)

    assert (status, countdowns) == ("failed", [])
    stored = runtime.store.get_job(run_id, "ghz_5q")
    assert stored is not None and stored.result is not None
    assert "AccessDeniedException: User is not authorized" in (stored.result.error or "")


def test_a_workload_is_submitted_once_and_completes_through_the_job_layer(
    runtime: Runtime, injected: BraketExecutor, stub: Stubber, s3: Any
) -> None:
    run_id = queued_run(runtime)
    job = forte_job(run_id=run_id)
    arns = task_arns(GHZ_CIRCUITS, family=2)
    put_results(s3, job, arns)
    queue_creates(stub, job, arns)
    for status in ("QUEUED", "RUNNING", "COMPLETED"):
        queue_polls(stub, arns, [status] * GHZ_CIRCUITS)
    queue_outcomes(stub, arns)

    status, countdowns = drive(runtime, run_id)

    assert (status, countdowns) == ("completed", [1.0, 1.0])
    stored = runtime.store.get_job(run_id, "ghz_5q")
    assert stored is not None and stored.result is not None
    assert stored.result.provider_job_id == ",".join(arns)
    assert [c.counts for c in stored.result.circuits] == [
        qiskit_counts(bases, index) for index, bases in enumerate(circuit_bases(job))
    ]
