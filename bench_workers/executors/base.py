"""The executor protocol: how a workload reaches a device and how its result comes back.

Submission and polling are separate so that a long provider queue holds no worker slot:
the workload task submits once (the provider job id is stored before anything else), then
re-schedules itself until ``poll`` says the job is over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from bench_common.catalogue import CATALOGUE, BackendSpec, Catalogue, WorkloadSpec
from bench_common.documents import Calibration
from bench_common.results import WorkloadResult
from bench_common.workload_types import WorkloadType

JobState = Literal["queued", "running", "done", "failed"]
FINISHED_STATES = ("done", "failed")
JOB_ID_SEPARATOR = ","
"""Joins the ids of a workload's jobs on providers that run one circuit per job."""


def join_job_ids(ids: Sequence[str]) -> str:
    return JOB_ID_SEPARATOR.join(ids)


def split_job_ids(provider_job_id: str) -> list[str]:
    return provider_job_id.split(JOB_ID_SEPARATOR)


def combined_state(states: Sequence[JobState]) -> JobState:
    """The state of a workload whose circuits ran as several jobs: the least advanced one
    until all are finished, then ``done`` only if every one is."""
    for waiting in ("queued", "running"):
        if waiting in states:
            return waiting
    return "done" if all(state == "done" for state in states) else "failed"


@dataclass(frozen=True)
class JobSpec:
    """One workload of one run, as an executor sees it."""

    run_id: str
    workload: WorkloadSpec
    kind: WorkloadType
    backend: BackendSpec
    shots: int
    seed: int

    @classmethod
    def of(
        cls, workload_id: str, backend_id: str, shots: int, seed: int, *, run_id: str = "local",
        catalogue: Catalogue = CATALOGUE,
    ) -> JobSpec:  # fmt: skip
        """The job for catalogue entries named by id."""
        workload = catalogue.workloads[workload_id]
        return cls(run_id, workload, catalogue.type_of(workload), catalogue.backends[backend_id],
                   shots, seed)  # fmt: skip

    @property
    def workload_id(self) -> str:
        return self.workload.id

    @property
    def qubits(self) -> int:
        """The report row's width: the whole device for a ``device_wide`` workload type."""
        return self.backend.qubits if self.kind.device_wide else self.workload.qubits

    def failure(self, error: str) -> WorkloadResult:
        """The failed report row of this workload."""
        return WorkloadResult.failure(self.workload.id, self.workload.type, self.qubits, error)

    @property
    def backend_id(self) -> str:
        return self.backend.id

    @property
    def idempotency_key(self) -> str:
        """Stable across re-deliveries: providers that accept a client token get this one."""
        return f"{self.run_id}:{self.workload_id}"

    def circuit_key(self, circuit: int) -> str:
        """The idempotency key of one circuit, for providers that take one circuit per job
        (the first circuit's is the workload's own, as before workloads had several)."""
        return self.idempotency_key + (f":{circuit}" if circuit else "")


class ProviderError(Exception):
    """A provider refused or failed a request; ``retryable`` says whether to try again."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class BackendStatus:
    """What the provider says about a device right now (``GET /backends``)."""

    status: Literal["online", "offline", "retired"]
    queue_depth: int | None = None
    detail: str | None = None


class Executor(Protocol):
    def submit(self, job: JobSpec) -> str:
        """Start the job; return the provider's job id."""
        ...

    def poll(self, provider_job_id: str) -> JobState: ...

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        """The finished job's result, metrics included."""
        ...

    def calibration(self, backend: BackendSpec) -> Calibration:
        """The device's whole current calibration, as the evidence records it."""
        ...

    def cancel(self, provider_job_id: str) -> None: ...

    def status(self, backend: BackendSpec) -> BackendStatus:
        """Whether the device accepts work; raise ``ProviderError`` when unreachable."""
        ...


ExecutorFactory = Callable[[Mapping[str, str]], Executor]
"""Builds an executor from provider credentials (``Settings.provider_env``)."""
