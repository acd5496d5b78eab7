"""Amazon Braket: workloads run as quantum tasks on the device's ARN, results come from S3.

``submit`` sends ``CreateQuantumTask`` with a ``clientToken`` derived from the job's
idempotency key, so a re-delivered submit gets the task ARN of the first one back instead of
paying for a second task. ``poll`` asks ``GetQuantumTask`` once (beyond botocore's few quick
retries) and leaves retrying to the job layer, which counts every retry against its attempt
limit. Sessions are built from the
credentials mapping on first use (one braket client per region: a device answers only in its
own region), never from a rewritten process environment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from braket.aws import AwsDevice, AwsQuantumTask, AwsSession
from braket.aws.queue_information import QueueType
from braket.circuits import Circuit
from braket.devices import Device
from braket.tasks import GateModelQuantumTaskResult, QuantumTask

from bench_common.catalogue import BackendSpec
from bench_common.documents import Calibration
from bench_common.results import WorkloadResult
from bench_workers.executors import braket_results
from bench_workers.executors.base import (
    BackendStatus,
    JobSpec,
    JobState,
    ProviderError,
    combined_state,
    join_job_ids,
    split_job_ids,
)
from bench_workers.hardware import hardware_result

TASK_STATES: Mapping[str, JobState] = MappingProxyType({
    "CREATED": "queued",
    "QUEUED": "queued",
    "RUNNING": "running",
    "COMPLETED": "done",
    "FAILED": "failed",
    "CANCELLING": "failed",
    "CANCELLED": "failed",
})  # fmt: skip
"""Braket quantum task status → the executor protocol's job state."""

DEVICE_STATUSES: Mapping[str, BackendStatus] = MappingProxyType({
    "ONLINE": BackendStatus("online"),
    "AVAILABLE": BackendStatus("online"),
    "OFFLINE": BackendStatus("offline"),
    "PAUSED": BackendStatus("offline", detail="paused by the provider"),
    "RETIRED": BackendStatus("retired"),
})  # fmt: skip
"""Braket device status (``AVAILABLE`` is a local simulator's) → backend status."""

RETRYABLE_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "SlowDown", "InternalServiceException", "InternalError", "ServiceUnavailable",
})  # fmt: skip
"""Error codes worth retrying whatever their HTTP status (S3 throttles with 503 ``SlowDown``)."""

TRANSIENT_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=60
)
"""A few quick retries inside botocore; longer outages are the job layer's backoff."""
DEFAULT_S3_PREFIX = "qcos-bench"
QUEUE_DEPTH_CAP = 4000
"""Braket reports deeper task queues as ``">4000"``."""


def provider_error(exc: ClientError) -> ProviderError:
    """An AWS error as a ``ProviderError``: throttling and 5xx are retryable, other 4xx not."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    retryable = status >= 500 or code in RETRYABLE_CODES
    return ProviderError(
        f"Braket {exc.operation_name} failed: {code}: {error.get('Message', '')}",
        retryable=retryable,
    )


@contextmanager
def aws_errors() -> Iterator[None]:
    """Translate botocore's errors into ``ProviderError`` for the job layer."""
    try:
        yield
    except ClientError as exc:
        raise provider_error(exc) from exc
    except TRANSIENT_ERRORS as exc:
        raise ProviderError(f"Braket unreachable: {type(exc).__name__}: {exc}") from exc


def client_token(job: JobSpec, circuit: int = 0) -> str:
    """Braket's idempotency token (at most 64 characters) for one circuit of one workload."""
    return hashlib.sha256(job.circuit_key(circuit).encode()).hexdigest()


def region_of(arn: str) -> str:
    """The region field of an ARN (empty for Braket's region-less simulators)."""
    return arn.split(":")[3]


def boto_session(credentials: Mapping[str, str], region: str | None) -> boto3.Session:
    """A boto3 session from explicit keys, else from the named profile."""
    keys = credentials.get("AWS_ACCESS_KEY_ID")
    return boto3.Session(
        aws_access_key_id=keys or None,
        aws_secret_access_key=credentials.get("AWS_SECRET_ACCESS_KEY") if keys else None,
        aws_session_token=credentials.get("AWS_SESSION_TOKEN") if keys else None,
        profile_name=None if keys else credentials.get("AWS_PROFILE") or None,
        region_name=region,
    )


@dataclass(frozen=True)
class Outcome:
    """A finished task: its Braket status, the failure reason, the result if it completed."""

    status: str
    failure_reason: str | None
    result: GateModelQuantumTaskResult | None


class TaskRunner(Protocol):
    """Where tasks run: Braket in AWS, or a local simulator in this process; ``billed``
    says whether anyone pays for them."""

    billed: bool

    def create(self, job: JobSpec, device_arn: str, submitted: Circuit, token: str) -> str: ...

    def state(self, task_id: str) -> str: ...

    def outcome(self, task_id: str) -> Outcome: ...

    def cancel(self, task_id: str) -> None: ...

    def device(self, device_arn: str) -> Device: ...

    def queue_depth(self, device: Device) -> int | None: ...


class AwsTasks:
    """Quantum tasks in the AWS account the credentials name."""

    billed = True

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._credentials = dict(credentials)
        self._sessions: dict[str, AwsSession] = {}

    def session(self, region: str) -> AwsSession:
        """This region's session (a device and its tasks answer only in their own region)."""
        env = self._credentials
        region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", "")
        if region not in self._sessions:
            boto = boto_session(env, region or None)
            client = boto.client("braket", config=CLIENT_CONFIG)
            self._sessions[region] = AwsSession(boto_session=boto, braket_client=client)
        return self._sessions[region]

    def braket_client(self, region: str) -> Any:
        """This region's braket client, shared by every call (and by a test's stubber)."""
        return self.session(region).braket_client

    def destination(self, job: JobSpec) -> tuple[str, str]:
        """The S3 bucket and key prefix of a run's results (one folder per run)."""
        bucket = self._credentials.get("BENCH_BRAKET_S3_BUCKET")
        if not bucket:
            raise ProviderError("BENCH_BRAKET_S3_BUCKET is not set", retryable=False)
        prefix = (self._credentials.get("BENCH_BRAKET_S3_PREFIX") or DEFAULT_S3_PREFIX).strip("/")
        return bucket, f"{prefix}/{job.run_id}" if prefix else job.run_id

    def create(self, job: JobSpec, device_arn: str, submitted: Circuit, token: str) -> str:
        bucket, prefix = self.destination(job)
        with aws_errors():
            arn: str = self.session(region_of(device_arn)).create_quantum_task(
                clientToken=token,
                deviceArn=device_arn,
                outputS3Bucket=bucket,
                outputS3KeyPrefix=prefix,
                shots=job.shots,
                **braket_results.task_program(job, device_arn, submitted),
            )
        return arn

    def state(self, task_id: str) -> str:
        with aws_errors():
            response = self.braket_client(region_of(task_id)).get_quantum_task(
                quantumTaskArn=task_id
            )
        return str(response["status"])

    def outcome(self, task_id: str) -> Outcome:
        task = AwsQuantumTask(task_id, aws_session=self.session(region_of(task_id)), quiet=True)
        with aws_errors():
            metadata = task.metadata()
            status = str(metadata["status"])
            if status != "COMPLETED":
                return Outcome(status, metadata.get("failureReason"), None)
            return Outcome(status, None, task.result())

    def cancel(self, task_id: str) -> None:
        """Cancel the task; Braket's ``ConflictException`` means it has already finished."""
        with aws_errors():
            try:
                self.braket_client(region_of(task_id)).cancel_quantum_task(quantumTaskArn=task_id)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConflictException":
                    raise

    def device(self, device_arn: str) -> Device:
        with aws_errors():
            return AwsDevice(device_arn, aws_session=self.session(region_of(device_arn)))

    def queue_depth(self, device: Device) -> int | None:
        """Tasks waiting in the device's normal queue, capped where Braket caps it."""
        with aws_errors():
            waiting = device.queue_depth().quantum_tasks.get(QueueType.NORMAL)
        if waiting is None:
            return None
        return QUEUE_DEPTH_CAP if str(waiting).startswith(">") else int(waiting)


class LocalTasks:
    """Tasks run synchronously on a Braket local simulator, e.g. ``LocalSimulator()``.

    Exercises the same conversion and result path as AWS without an account; task ids live
    only in this process.
    """

    billed = False

    def __init__(self, device: Device) -> None:
        self._device = device
        self._tasks: dict[str, QuantumTask] = {}

    def create(self, job: JobSpec, device_arn: str, submitted: Circuit, token: str) -> str:
        task = self._device.run(submitted, shots=job.shots)
        self._tasks[task.id] = task
        return str(task.id)

    def _task(self, task_id: str) -> QuantumTask:
        if task_id not in self._tasks:
            raise ProviderError(f"Unknown local task {task_id}", retryable=False)
        return self._tasks[task_id]

    def state(self, task_id: str) -> str:
        return str(self._task(task_id).state())

    def outcome(self, task_id: str) -> Outcome:
        return Outcome("COMPLETED", None, self._task(task_id).result())

    def cancel(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)

    def device(self, device_arn: str) -> Device:
        return self._device

    def queue_depth(self, device: Device) -> int | None:
        return 0


class BraketExecutor:
    """The executor protocol on Amazon Braket (or on ``local_device`` when one is given)."""

    def __init__(
        self, credentials: Mapping[str, str], *, local_device: Device | None = None
    ) -> None:
        self.tasks: TaskRunner = (
            AwsTasks(credentials) if local_device is None else LocalTasks(local_device)
        )

    def submit(self, job: JobSpec) -> str:
        """Create the task; a workload wider than the device fails here, before any charge."""
        backend, spec = job.backend, job.workload
        arn = device_arn(backend)
        if spec.qubits > backend.qubits:
            raise ProviderError(
                f"{spec.id} needs {spec.qubits} qubits; {backend.id} has {backend.qubits}",
                retryable=False,
            )
        return join_job_ids([
            self.tasks.create(job, arn, submitted, client_token(job, index))
            for index, submitted in enumerate(braket_results.programs(job))
        ])  # fmt: skip

    def poll(self, provider_job_id: str) -> JobState:
        states = []
        for task_id in split_job_ids(provider_job_id):
            status = self.tasks.state(task_id)
            if status not in TASK_STATES:
                raise ProviderError(f"Unknown Braket task status {status!r}", retryable=False)
            states.append(TASK_STATES[status])
        return combined_state(states)

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        """The report row (one task per circuit); a failed or cancelled task gives a failed
        row with Braket's reason."""
        outcomes = [self.tasks.outcome(task_id) for task_id in split_job_ids(provider_job_id)]
        for outcome in outcomes:
            if outcome.result is None:
                reason = outcome.failure_reason or "no reason given"
                failed = job.failure(f"Braket task {outcome.status}: {reason}")
                failed.provider_job_id = provider_job_id
                return failed
        submitted = braket_results.programs(job)
        results = [o.result for o in outcomes if o.result is not None]
        timings = [braket_results.timing(r) for r in results]
        provider = all(source == "provider" for _, source in timings)
        row = hardware_result(
            job,
            [braket_results.qiskit_counts(p, r) for p, r in zip(submitted, results, strict=True)],
            [braket_results.executed_circuit(p) for p in submitted],
            # Device time adds up; queue-inclusive spans overlap, so the longest one stands.
            execution_time_ms=(
                sum(ms or 0.0 for ms, _ in timings)
                if provider
                else max((ms for ms, _ in timings if ms is not None), default=None)
            ),
            timing_source="provider" if provider else "wall_clock",
            provider_job_id=provider_job_id,
            calibration=self.calibration(job.backend),
        )
        row.billed_usage = braket_results.billed_usage(results) if self.tasks.billed else None
        return row

    def calibration(self, backend: BackendSpec) -> Calibration:
        """The device's published figures, named by its ARN (a local simulator by its name)."""
        device = self.tasks.device(device_arn(backend))
        return braket_results.calibration(getattr(device, "arn", device.name), device.properties)

    def cancel(self, provider_job_id: str) -> None:
        for task_id in split_job_ids(provider_job_id):
            self.tasks.cancel(task_id)

    def status(self, backend: BackendSpec) -> BackendStatus:
        if backend.retired:
            return BackendStatus("retired", detail="retired on Amazon Braket")
        device = self.tasks.device(device_arn(backend))
        known = DEVICE_STATUSES.get(str(device.status))
        if known is None:
            return BackendStatus("offline", detail=f"Braket status {device.status}")
        if known.status != "online":
            return known
        return BackendStatus("online", queue_depth=self.tasks.queue_depth(device))


def device_arn(backend: BackendSpec) -> str:
    """The backend's ARN; retired devices refuse work for good."""
    if backend.retired:
        raise ProviderError(f"{backend.id}: device retired on Amazon Braket", retryable=False)
    if backend.provider != "braket" or backend.device is None:
        raise ProviderError(f"{backend.id} is not a Braket device", retryable=False)
    return backend.device
