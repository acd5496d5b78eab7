"""The executor protocol: how a workload reaches a device and how its result comes back.

Submission and polling are separate so that a long provider queue holds no worker slot:
the workload task submits once (the provider job id is stored before anything else), then
re-schedules itself until ``poll`` says the job is over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bench_common.catalogue import BackendSpec
from bench_common.results import WorkloadResult

JobState = Literal["queued", "running", "done", "failed"]
FINISHED_STATES = ("done", "failed")


@dataclass(frozen=True)
class JobSpec:
    """One workload of one run, as an executor sees it."""

    run_id: str
    workload_id: str
    backend_id: str
    shots: int
    seed: int

    @property
    def idempotency_key(self) -> str:
        """Stable across re-deliveries: providers that accept a client token get this one."""
        return f"{self.run_id}:{self.workload_id}"


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

    def calibration(self, backend_id: str) -> dict[str, Any]: ...

    def cancel(self, provider_job_id: str) -> None: ...

    def status(self, backend: BackendSpec) -> BackendStatus:
        """Whether the device accepts work; raise ``ProviderError`` when unreachable."""
        ...


ExecutorFactory = Callable[[Mapping[str, str]], Executor]
"""Builds an executor from provider credentials (``Settings.provider_env``)."""
