"""The store interface: the platform's source of truth for runs, results, reports and keys.

Every write that a re-delivered task may repeat is insert-if-absent: a job result, a report
and its bundle are written once and never replaced, so nothing is counted twice.
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass
from typing import Any

from bench_common.documents import BackendStatusRecord, Bundle, ExecutionMode, Report, RunStatus
from bench_common.results import WorkloadResult

ACTIVE_STATUSES: tuple[RunStatus, ...] = ("queued", "running")


class StoreError(Exception):
    """The store cannot be reached or refused an operation."""


@dataclass
class Run:
    """One accepted benchmark request."""

    id: str
    tenant_id: str
    backend_id: str
    provider: str
    execution_mode: ExecutionMode
    queue: str
    workloads: list[str]
    shots: int
    seed: int
    status: RunStatus
    created_at: str
    updated_at: str
    deadline_at: str
    finished_at: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Job:
    """One workload of one run: its provider job id once submitted, its result once done."""

    run_id: str
    workload_id: str
    provider_job_id: str | None = None
    submitted_at: str | None = None
    result: WorkloadResult | None = None
    finished_at: str | None = None
    attempts: int = 0


class Store(abc.ABC):
    """Implemented by ``SQLiteStore`` and ``MongoStore``; ``tests/test_store_contract.py``
    holds both to the same behaviour."""

    # runs
    @abc.abstractmethod
    def create_run(self, run: Run) -> None:
        """Insert a new run; a duplicate id raises ``StoreError``."""

    @abc.abstractmethod
    def get_run(self, run_id: str, tenant_id: str | None = None) -> Run | None:
        """The run, or None when unknown or (with ``tenant_id``) another tenant's."""

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Remove a run that could not be enqueued, with anything stored for it."""

    @abc.abstractmethod
    def set_run_status(
        self, run_id: str, status: RunStatus, at: str, error: str | None = None
    ) -> bool:
        """Move an active run to ``status``; False (and no change) if it already finished."""

    @abc.abstractmethod
    def active_runs(self) -> list[Run]:
        """Queued or running runs, oldest first (for the reconciler)."""

    @abc.abstractmethod
    def count_active_runs(self, queue: str) -> int: ...

    @abc.abstractmethod
    def recent_run_durations(self, backend_id: str, limit: int) -> list[float]:
        """Seconds from creation to finish of the latest finished runs on ``backend_id``."""

    # jobs
    @abc.abstractmethod
    def get_job(self, run_id: str, workload_id: str) -> Job | None: ...

    @abc.abstractmethod
    def record_submission(
        self, run_id: str, workload_id: str, provider_job_id: str, at: str
    ) -> str:
        """Store the provider job id unless one is stored already; return the stored one."""

    @abc.abstractmethod
    def count_attempt(self, run_id: str, workload_id: str) -> int:
        """Increment and return the number of times the workload's task started."""

    @abc.abstractmethod
    def put_result(self, run_id: str, result: WorkloadResult, at: str) -> bool:
        """Store the workload's result unless one exists; True if this call stored it."""

    @abc.abstractmethod
    def results(self, run_id: str) -> dict[str, WorkloadResult]:
        """Stored results of the run by workload id."""

    @abc.abstractmethod
    def count_results(self, run_id: str) -> int: ...

    # reports and bundles
    @abc.abstractmethod
    def finish_run(
        self,
        run_id: str,
        report: Report,
        bundle: Bundle,
        status: RunStatus,
        at: str,
    ) -> Report:
        """Store report and bundle and mark the run finished, unless a report exists;
        return the stored report (the earlier one if there was).

        ``status`` is ``completed`` or ``failed``; an active status, or a bundle id another
        run holds, raises ``StoreError``."""

    @abc.abstractmethod
    def get_report(self, run_id: str) -> Report | None: ...

    @abc.abstractmethod
    def get_bundle(self, bundle_id: str) -> Bundle | None: ...

    @abc.abstractmethod
    def get_bundle_for_run(self, run_id: str) -> Bundle | None: ...

    # api keys (hashed at rest)
    @abc.abstractmethod
    def add_api_key(self, key_hash: str, tenant_id: str, label: str, at: str) -> None:
        """Store the hash for ``tenant_id`` unless it is stored already: a key keeps its
        first tenant."""

    @abc.abstractmethod
    def tenant_for_key(self, key_hash: str) -> str | None: ...

    @abc.abstractmethod
    def api_keys(self) -> list[dict[str, str]]:
        """Every key's ``key_hash``, ``tenant_id``, ``label`` and ``created_at``, oldest first."""

    @abc.abstractmethod
    def revoke_api_key(self, key_hash: str) -> bool:
        """Forget a key; True if it existed. Requests with it are refused from then on."""

    # provider status, refreshed by the workers that can reach each provider
    @abc.abstractmethod
    def put_backend_status(self, backend_id: str, status: BackendStatusRecord, at: str) -> None:
        """Replace the last known status of a backend (``checked_at`` is set to ``at``)."""

    @abc.abstractmethod
    def backend_statuses(self) -> dict[str, BackendStatusRecord]:
        """The last known status of every backend checked so far, by backend id."""

    # health
    @abc.abstractmethod
    def ping(self) -> None:
        """Raise ``StoreError`` if the store is unreachable."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
