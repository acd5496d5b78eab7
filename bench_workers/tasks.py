"""The Celery tasks: thin wrappers that map ``bench_workers.jobs`` onto Celery's retries.

Header tasks return their workload's status instead of raising, so a chord always reaches
its finalizer; only store outages and provider waits go through ``self.retry``.
"""

from __future__ import annotations

from typing import Any

from celery import Task

from bench_common import runtime
from bench_common.evidence import LedgerError
from bench_common.store import ACTIVE_STATUSES, StoreError
from bench_workers import jobs
from bench_workers.celery_app import app
from bench_workers.routing import (
    DISPATCH,
    FINALIZE,
    RECONCILE,
    REFRESH_STATUS,
    RUN_WORKLOAD,
    SCHEDULED_RUN,
)
from bench_workers.schedules import load_schedules, start_scheduled_run
from bench_workers.submission import canvas

OUTAGE_RETRY: dict[str, Any] = {
    "autoretry_for": (StoreError, LedgerError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 20,
}


@app.task(name=DISPATCH, **OUTAGE_RETRY)
def dispatch(run_id: str) -> None:
    """Apply an accepted run's chord; a repeated dispatch is harmless (every step is
    idempotent)."""
    run = runtime.current().store.get_run(run_id)
    if run is not None and run.status in ACTIVE_STATUSES:
        canvas(app, run).apply_async()


# Unbounded retries: a provider job is polled until it ends or the run's deadline passes.
@app.task(name=RUN_WORKLOAD, bind=True, **(OUTAGE_RETRY | {"max_retries": None}))
def run_workload(self: Task, run_id: str, workload_id: str, queue: str) -> str | None:
    """Execute (or submit, then poll) one workload and store its result."""
    try:
        return jobs.advance_workload(runtime.current(), run_id, workload_id)
    except jobs.RetryLaterError as wait:
        raise self.retry(countdown=wait.countdown) from None


@app.task(name=FINALIZE, **OUTAGE_RETRY)
def finalize(header: Any = None, run_id: str = "") -> str | None:
    """The chord body: sign and store the run's report (idempotent)."""
    return jobs.finalize(runtime.current(), run_id)


@app.task(name=RECONCILE, **OUTAGE_RETRY)
def reconcile() -> list[str]:
    """Periodic: finalize runs whose chord was lost, fail runs past their deadline."""
    return jobs.reconcile(runtime.current())


@app.task(name=REFRESH_STATUS, **OUTAGE_RETRY)
def refresh_status(provider: str, queue: str) -> dict[str, str]:
    """Periodic, on each provider's own pool: store its backends' current status."""
    return jobs.refresh_status(runtime.current(), provider)


@app.task(name=SCHEDULED_RUN, **OUTAGE_RETRY)
def scheduled_run(name: str) -> str | None:
    """Fired by beat: today's run of schedule ``name`` (created at most once a day)."""
    here = runtime.current()
    schedule = load_schedules(here.settings.schedules_file)[name]
    return start_scheduled_run(here, app, schedule)
