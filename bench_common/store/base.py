"""The store interface: the platform's source of truth for runs, results, reports and keys.

Every write that a re-delivered task may repeat is insert-if-absent: a job result, a report
and its bundle are written once and never replaced, so nothing is counted twice.
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass
from typing import Any

from bench_common.documents import (
    Alert,
    BackendStatusRecord,
    Bundle,
    ExecutionMode,
    Report,
    RunStatus,
    Summary,
    Thresholds,
)
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
    thresholds: Thresholds | None = None
    campaign_id: str | None = None
    schedule: str | None = None
    """The name of the schedule that started the run, if one did."""

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


@dataclass
class Lease:
    """Who works on one workload of a run, and until when (seconds since the epoch).

    The executing task holds it and renews it from a heartbeat; a task waiting on a provider
    holds it until its next poll is due. A ``guard`` lease is the reconciler's mark on a
    workload it re-sent: whichever delivery starts first takes it over. ``sends`` counts the
    re-sends, which space out further each time."""

    run_id: str
    workload_id: str
    holder: str
    expires_at: float
    guard: bool = False
    sends: int = 0


@dataclass(frozen=True)
class RunFilter:
    """What ``list_runs`` selects: one tenant's runs, newest first, optionally on one backend,
    in one status, created at or after ``since``, strictly before the ``before`` position
    (``created_at``, ``id``) of the last run of the previous page."""

    tenant_id: str
    limit: int
    backend_id: str | None = None
    status: RunStatus | None = None
    since: str | None = None
    before: tuple[str, str] | None = None


@dataclass(frozen=True)
class RunListing:
    """A run with what its report says in brief (None until it has one)."""

    run: Run
    summary: Summary | None
    validation_passed: bool | None


@dataclass(frozen=True)
class FinishedWorkload:
    """A stored workload result in brief (``recent_finished_workloads``): which run and
    workload, the run's backend, and when the result was stored."""

    run_id: str
    workload_id: str
    backend_id: str
    finished_at: str


@dataclass(frozen=True)
class Campaign:
    """The same workloads on several backends, requested at once: one run per backend."""

    id: str
    tenant_id: str
    created_at: str
    runs: dict[str, str]
    """Backend id → run id, in the order requested."""


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
    def count_tenant_active_runs(self, tenant_id: str) -> int:
        """How many of ``tenant_id``'s runs are queued or running (its active-run quota)."""

    @abc.abstractmethod
    def list_runs(self, selection: RunFilter) -> list[RunListing]:
        """At most ``selection.limit`` runs, newest first (ties by id, descending)."""

    @abc.abstractmethod
    def recent_run_durations(self, backend_id: str, limit: int) -> list[float]:
        """Seconds from creation to finish of the latest finished runs on ``backend_id``."""

    # scrape-time figures for GET /metrics (bench_api/metrics.py)
    @abc.abstractmethod
    def count_runs_by_status(self) -> dict[str, int]:
        """How many runs are in each status (statuses without runs are left out)."""

    @abc.abstractmethod
    def recent_finished_workloads(self, limit: int) -> list[FinishedWorkload]:
        """The latest ``limit`` stored workload results, newest first (no payload decoded)."""

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

    def workloads_with_results(self, run_id: str) -> set[str]:
        """Ids of the run's workloads whose result is stored (without decoding them)."""
        return set(self.results(run_id))

    # leases: which delivery of a workload's task is executing it (see ``Lease``)
    @abc.abstractmethod
    def take_lease(
        self, run_id: str, workload_id: str, holder: str, expires_at: float, now: float
    ) -> Lease:
        """Claim the workload for ``holder`` until ``expires_at`` if it is unclaimed, its
        lease expired (at ``now``), is a guard, or is ``holder``'s already; return the
        lease stored afterwards (``holder`` is this caller's exactly when it succeeded)."""

    @abc.abstractmethod
    def renew_lease(self, run_id: str, workload_id: str, holder: str, expires_at: float) -> bool:
        """Move ``holder``'s lease to ``expires_at``; False when ``holder`` lost it."""

    @abc.abstractmethod
    def release_lease(self, run_id: str, workload_id: str, holder: str) -> None:
        """Drop ``holder``'s lease (nothing if another holds it now)."""

    @abc.abstractmethod
    def guard_lease(
        self, run_id: str, workload_id: str, holder: str, expires_at: float, now: float
    ) -> bool:
        """Set a guard lease and count a re-send, unless a lease is live at ``now``; True
        if this call set it. Of concurrent reconcilers exactly one re-sends a workload."""

    @abc.abstractmethod
    def leases(self, run_id: str) -> dict[str, Lease]:
        """The run's leases (live or expired) by workload id."""

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
    def get_tenant_bundle(self, bundle_id: str, tenant_id: str) -> Bundle | None:
        """The bundle, or None when unknown or another tenant's. The tenant is checked on the
        stored run before the bundle is read or decoded, so both answers cost the same."""

    @abc.abstractmethod
    def get_bundle_for_run(self, run_id: str) -> Bundle | None: ...

    # campaigns
    @abc.abstractmethod
    def create_campaign(self, campaign: Campaign) -> None:
        """Insert a new campaign; a duplicate id raises ``StoreError``."""

    @abc.abstractmethod
    def delete_campaign(self, campaign_id: str) -> None:
        """Remove a campaign whose runs could not be enqueued."""

    @abc.abstractmethod
    def get_campaign(self, campaign_id: str, tenant_id: str) -> Campaign | None:
        """The campaign, or None when unknown or another tenant's."""

    @abc.abstractmethod
    def list_campaigns(self, tenant_id: str, limit: int) -> list[Campaign]:
        """The tenant's latest campaigns, newest first."""

    # drift alerts
    @abc.abstractmethod
    def put_alert(self, alert: Alert) -> bool:
        """Store an alert unless one exists for its run and workload; True if this call did."""

    @abc.abstractmethod
    def list_alerts(self, tenant_id: str, since: str | None, limit: int) -> list[Alert]:
        """The tenant's alerts created at or after ``since``, newest first."""

    @abc.abstractmethod
    def undelivered_alerts(self, limit: int) -> list[Alert]:
        """Alerts not yet posted to the webhook, oldest first."""

    @abc.abstractmethod
    def mark_alert_delivered(self, alert_id: str, at: str) -> None: ...

    @abc.abstractmethod
    def count_alerts(self) -> int:
        """All alerts ever raised (for ``/metrics``)."""

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
