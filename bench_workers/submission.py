"""Accepting a benchmark run: validate, record it as queued, enqueue it, estimate.

Called by the API and by ``bench run``; it imports no Qiskit. Accepting publishes a single
``dispatch`` message (no result is followed, so the API process holds no result-backend
state); a worker then applies the run's canvas: a chord of one ``run_workload`` task per
workload on the run's queue, with the ``finalize`` body.
"""

from __future__ import annotations

import secrets
import statistics
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery, chord, signature
from kombu import Connection
from kombu.exceptions import OperationalError

from bench_common.catalogue import BACKENDS, DEFAULT_WORKLOADS, WORKLOADS
from bench_common.settings import Settings
from bench_common.store import Run, Store
from bench_common.timeutil import format_time, now
from bench_workers.credentials import placement
from bench_workers.executors import EXECUTORS
from bench_workers.routing import DISPATCH, FINALIZE, RUN_WORKLOAD

MAX_SHOTS = 100_000
MAX_SEED = 2**53 - 1
DEV_MODE_WARNING = "DEV MODE: Using SimulatorExecutor. Results are simulated."
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
FALLBACK_SECONDS_PER_WORKLOAD = 2.0
BROKER_TIMEOUT_SECONDS = 2.0


class SubmissionError(Exception):
    """A request the contract refuses; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class Submission:
    run: Run
    estimated_time_seconds: float
    warning: str | None

    @property
    def message(self) -> str:
        return f"Benchmark {self.run.id} queued for execution on {self.run.backend_id}"

    def to_json(self) -> dict[str, Any]:
        """The ``POST /run`` answer."""
        return {
            "benchmark_id": self.run.id,
            "status": "queued",
            "estimated_time_seconds": self.estimated_time_seconds,
            "message": self.message,
            "warning": self.warning,
        }


def validate(
    backend_id: str, workloads: Sequence[str] | None, shots: int, seed: int | None
) -> tuple[list[str], int]:
    """The workload list and seed to run, or a ``SubmissionError`` naming what is wrong."""
    if backend_id not in BACKENDS:
        raise SubmissionError(
            "INVALID_BACKEND", f"Unknown backend {backend_id!r}", {"backend_id": backend_id}
        )
    chosen = list(DEFAULT_WORKLOADS if workloads is None else workloads)
    invalid = [w for w in chosen if w not in WORKLOADS]
    if invalid:
        raise SubmissionError(
            "INVALID_WORKLOAD", f"Unknown workloads: {', '.join(invalid)}", {"invalid": invalid}
        )
    if not chosen or len(set(chosen)) != len(chosen):
        raise SubmissionError(
            "VALIDATION_ERROR",
            "workloads must be a non-empty list without duplicates",
            {"workloads": ["must be a non-empty list without duplicates"]},
        )
    if not 1 <= shots <= MAX_SHOTS:
        raise SubmissionError(
            "VALIDATION_ERROR",
            f"shots must be between 1 and {MAX_SHOTS}",
            {"shots": [f"must be between 1 and {MAX_SHOTS}"]},
        )
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise SubmissionError(
            "VALIDATION_ERROR",
            f"seed must be between 0 and {MAX_SEED}",
            {"seed": [f"must be between 0 and {MAX_SEED}"]},
        )
    return chosen, secrets.randbelow(2**32) if seed is None else seed


def estimate_seconds(store: Store, run: Run, workers: int) -> float:
    """Past durations of this backend's runs, scaled by the runs queued ahead on its queue."""
    past = store.recent_run_durations(run.backend_id, 20)
    per_run = (
        statistics.median(past) if past else FALLBACK_SECONDS_PER_WORKLOAD * len(run.workloads)
    )
    ahead = max(store.count_active_runs(run.queue) - 1, 0)
    return round(per_run * (1 + ahead / max(workers, 1)), 3)


def canvas(app: Celery, run: Run) -> Any:
    """One workload task per workload on the run's queue, then the finalizer."""
    header = [
        signature(RUN_WORKLOAD, app=app,
                  kwargs={"run_id": run.id, "workload_id": w, "queue": run.queue})
        for w in run.workloads
    ]  # fmt: skip
    return chord(header, signature(FINALIZE, app=app, kwargs={"run_id": run.id}), app=app)


def reach_broker(connection: Connection) -> None:
    """Raise kombu's ``OperationalError`` within seconds when the broker does not answer,
    instead of retrying for as long as Celery's defaults allow."""
    connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


def prepare_run(
    settings: Settings,
    tenant_id: str,
    request: dict[str, Any],
    statuses: Mapping[str, Mapping[str, Any]],
    run_id: str | None = None,
) -> Run:
    """The queued ``Run`` for ``request`` (``POST /run`` fields), validated, not yet stored;
    ``statuses`` are the providers' last known backend statuses (``Store.backend_statuses``).
    The id is a new UUID4 unless given (scheduled runs derive theirs)."""
    backend_id = request.get("backend_id", "")
    shots = request.get("shots", 1024)
    workloads, seed = validate(backend_id, request.get("workloads"), shots, request.get("seed"))
    backend = BACKENDS[backend_id]
    where = placement(backend, settings.provider_env, EXECUTORS, statuses)
    if not where.available:
        raise SubmissionError(
            "BACKEND_UNAVAILABLE",
            f"Backend {backend_id} is {where.status}"
            + (f": {where.detail}" if where.detail else ""),
            {"backend_id": backend_id, "status": where.status},
        )
    moment = now()
    return Run(
        id=run_id or str(uuid.uuid4()),
        tenant_id=tenant_id,
        backend_id=backend.id,
        provider=backend.provider,
        execution_mode=where.mode,
        queue=where.queue,
        workloads=workloads,
        shots=shots,
        seed=seed,
        status="queued",
        created_at=format_time(moment),
        updated_at=format_time(moment),
        deadline_at=format_time(moment + timedelta(seconds=settings.run_deadline)),
    )


def warning_for(settings: Settings, run: Run) -> str | None:
    """The ``warning`` of a ``POST /run`` answer: every simulated run says so."""
    if run.execution_mode != "simulated":
        return None
    return f"{DEV_MODE_WARNING} Data is stored in {settings.store_description}."


def submit_run(
    settings: Settings, store: Store, app: Celery, tenant_id: str, request: dict[str, Any]
) -> Submission:
    """Validate and record ``request``, then enqueue its work; nothing stays if that fails."""
    run = prepare_run(settings, tenant_id, request, store.backend_statuses())
    store.create_run(run)
    try:
        with app.connection_for_write() as connection:
            reach_broker(connection)
            app.send_task(DISPATCH, kwargs={"run_id": run.id}, connection=connection,
                          ignore_result=True, retry_policy=PUBLISH_RETRY)  # fmt: skip
    except (OperationalError, OSError) as exc:
        store.delete_run(run.id)
        raise SubmissionError(
            "SERVICE_UNAVAILABLE", "The broker is unreachable; nothing was queued"
        ) from exc
    estimate = estimate_seconds(store, run, settings.workers)
    return Submission(run, estimate, warning_for(settings, run))
