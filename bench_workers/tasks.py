"""The Celery tasks: thin wrappers that map ``bench_workers.jobs`` onto Celery's retries.

``register`` defines them on the app it is given, with the runtime they use, so two apps
(tests, a custom catalogue) never share a task. Header tasks return their workload's
status instead of raising, so a chord always reaches its finalizer; only store outages and
provider waits go through ``self.retry``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery, Task, chord, signature

from bench_common.broker import BrokerDispatcher
from bench_common.evidence import LedgerError
from bench_common.queues import (
    DISPATCH,
    FINALIZE,
    RECONCILE,
    REFRESH_STATUS,
    RUN_WORKLOAD,
    SCHEDULED_RUN,
)
from bench_common.service import RunService
from bench_common.store import ACTIVE_STATUSES, Run, StoreError
from bench_workers import jobs
from bench_workers.runtime import WorkerRuntime
from bench_workers.schedules import load_schedules, start_scheduled_run

OUTAGE_RETRY: dict[str, Any] = {
    "autoretry_for": (StoreError, LedgerError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 20,
}


def canvas(app: Celery, run: Run, workloads: list[str] | None = None) -> Any:
    """One workload task per workload (default: all of the run's) on the run's queue, then
    the finalizer."""
    header = [
        signature(RUN_WORKLOAD, app=app,
                  kwargs={"run_id": run.id, "workload_id": w, "queue": run.queue})
        for w in (run.workloads if workloads is None else workloads)
    ]  # fmt: skip
    return chord(header, signature(FINALIZE, app=app, kwargs={"run_id": run.id}), app=app)


def register(app: Celery, runtime: Callable[[], WorkerRuntime]) -> None:
    """Define the platform's tasks on ``app``; ``runtime()`` gives this process's state."""

    @app.task(name=DISPATCH, shared=False, **OUTAGE_RETRY)
    def dispatch(run_id: str) -> None:
        """Apply an accepted run's chord; a repeated dispatch is harmless (every step is
        idempotent)."""
        run = runtime().store.get_run(run_id)
        if run is not None and run.status in ACTIVE_STATUSES:
            canvas(app, run).apply_async()

    # Unbounded retries: a provider job is polled until it ends or the run's deadline passes.
    @app.task(name=RUN_WORKLOAD, shared=False, bind=True, **(OUTAGE_RETRY | {"max_retries": None}))
    def run_workload(self: Task, run_id: str, workload_id: str, queue: str) -> str | None:
        """Execute (or submit, then poll) one workload and store its result, holding the
        workload's lease (under this task's id, which a retry keeps) meanwhile."""
        try:
            return jobs.advance_workload(runtime(), run_id, workload_id, self.request.id)
        except jobs.RetryLaterError as wait:
            raise self.retry(countdown=wait.countdown) from None

    @app.task(name=FINALIZE, shared=False, **OUTAGE_RETRY)
    def finalize(header: Any = None, run_id: str = "") -> str | None:
        """The chord body: sign and store the run's report (idempotent)."""
        return jobs.finalize(runtime(), run_id)

    @app.task(name=RECONCILE, shared=False, **OUTAGE_RETRY)
    def reconcile() -> list[str]:
        """Periodic: finalize runs whose chord was lost, fail runs past their deadline, send
        lost workloads (and never-dispatched runs) again as a chord of their own."""
        return jobs.reconcile(runtime(), lambda run, lost: canvas(app, run, lost).apply_async())

    @app.task(name=REFRESH_STATUS, shared=False, **OUTAGE_RETRY)
    def refresh_status(provider: str, queue: str) -> dict[str, str]:
        """Periodic, on each provider's own pool: store its backends' current status."""
        return jobs.refresh_status(runtime(), provider)

    @app.task(name=SCHEDULED_RUN, shared=False, **OUTAGE_RETRY)
    def scheduled_run(name: str) -> str | None:
        """Fired by beat: today's run of schedule ``name`` (created at most once a day)."""
        here = runtime()
        schedule = load_schedules(here.settings.schedules_file, here.catalogue)[name]
        service = RunService(here.settings, here.store, here.catalogue, BrokerDispatcher(app))
        return start_scheduled_run(service, schedule)
