"""What the tasks do, free of Celery: advance one workload, finalize one run, reconcile.

Every step is idempotent against the store, the source of truth: a re-delivered task finds
the stored provider job id or result, and a run is finalized at most once (the report and
bundle are written insert-if-absent, under a lock that also keeps the ledger free of
duplicate entries).
"""

from __future__ import annotations

import logging

from bench_common.documents import BackendStatusRecord, Report, RunStatus, WorkloadRow
from bench_common.evidence import KeyStore, record_in_ledger
from bench_common.fileutil import locked
from bench_common.providers import SIMULATOR
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import WorkloadResult
from bench_common.store import ACTIVE_STATUSES, Run, StoreError
from bench_common.timeutil import format_time, now, parse_time
from bench_workers.executors import JobSpec, ProviderError
from bench_workers.executors.base import FINISHED_STATES
from bench_workers.runtime import WorkerRuntime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""Tries of one workload before it fails: lost workers and provider errors both count."""
BACKOFF_SECONDS = 2.0
DEADLINE_ERROR = "The workload did not finish before the run's deadline"


class RetryLaterError(Exception):
    """Run this workload's task again after ``countdown`` seconds (provider still busy)."""

    def __init__(self, countdown: float) -> None:
        super().__init__(f"again in {countdown} s")
        self.countdown = countdown


def executor_name(run: Run) -> str:
    """Simulated runs all use the simulator; hardware runs their provider's executor."""
    return SIMULATOR if run.execution_mode == "simulated" else run.provider


def failure(runtime: WorkerRuntime, workload_id: str, error: str) -> WorkloadResult:
    spec = runtime.catalogue.workloads[workload_id]
    return WorkloadResult.failure(workload_id, spec.type, spec.qubits, error)


def stamp() -> str:
    return format_time(now())


def retry_later(exc: ProviderError, attempt: int) -> None:
    """Retry a retryable provider error after exponential backoff, until attempts run out."""
    if exc.retryable and attempt < MAX_ATTEMPTS:
        raise RetryLaterError(BACKOFF_SECONDS * 2.0 ** (attempt - 1)) from exc


def past(deadline_at: str) -> bool:
    deadline = parse_time(deadline_at)
    return deadline is not None and deadline < now()


def advance_workload(runtime: WorkerRuntime, run_id: str, workload_id: str) -> str | None:
    """Take one workload one step; its stored status once it has a result.

    Raises ``RetryLaterError`` while the provider runs it. Failures of the workload itself become
    a failed result, so the run's chord always completes; store outages propagate, so the
    task is retried.
    """
    store = runtime.store
    run = store.get_run(run_id)
    if run is None or run.status not in ACTIVE_STATUSES:
        return None
    job = store.get_job(run_id, workload_id)
    if job is not None and job.result is not None:
        return job.result.status
    store.set_run_status(run_id, "running", stamp())
    try:
        result = _execute(runtime, run, workload_id, job.provider_job_id if job else None)
    except (RetryLaterError, StoreError):
        raise
    except Exception as exc:  # a failing workload is data for the report, not a crash
        log.exception("workload %s of run %s failed", workload_id, run_id)
        result = failure(runtime, workload_id, f"{type(exc).__name__}: {exc}")
    if store.put_result(run_id, result, stamp()):
        return result.status
    stored = store.get_job(run_id, workload_id)  # another delivery stored its result first
    return stored.result.status if stored and stored.result else result.status


def _execute(
    runtime: WorkerRuntime, run: Run, workload_id: str, provider_job_id: str | None
) -> WorkloadResult:
    store = runtime.store
    executor = runtime.executor(executor_name(run))
    job = JobSpec.of(workload_id, run.backend_id, run.shots, run.seed, run_id=run.id,
                     catalogue=runtime.catalogue)  # fmt: skip
    if past(run.deadline_at):
        if provider_job_id is not None:
            executor.cancel(provider_job_id)
        return failure(runtime, workload_id, DEADLINE_ERROR)
    if provider_job_id is None:
        attempt = store.count_attempt(run.id, workload_id)
        if attempt > MAX_ATTEMPTS:
            return failure(
                runtime, workload_id, f"Execution did not complete in {MAX_ATTEMPTS} attempts"
            )
        try:
            submitted = executor.submit(job)
        except ProviderError as exc:
            retry_later(exc, attempt)
            raise
        provider_job_id = store.record_submission(run.id, workload_id, submitted, stamp())
    try:
        if executor.poll(provider_job_id) not in FINISHED_STATES:
            raise RetryLaterError(runtime.settings.poll_interval)
        return executor.result(job, provider_job_id)
    except ProviderError as exc:
        retry_later(exc, store.count_attempt(run.id, workload_id))
        raise


def signing_time(keys: KeyStore, finished: list[str | None]) -> str:
    """The report's ``created_at``: its last result's time, but never before the signing key
    became valid (a key generated during the run). Both are stored, so this is repeatable."""
    moments = [m for m in map(parse_time, finished) if m is not None]
    moments.append(keys.active_since or now())
    return format_time(max(moments))


def final_status(workloads: list[WorkloadRow]) -> RunStatus:
    """A run with no completed workload failed; any other finished run completed."""
    return "completed" if any(w["status"] == "completed" for w in workloads) else "failed"


def complete_marking(runtime: WorkerRuntime, run: Run, report: Report) -> RunStatus:
    """A report is stored; mark its run finished if a crash came between the two writes."""
    if run.status in ACTIVE_STATUSES:
        bundle = runtime.store.get_bundle_for_run(run.id)
        assert bundle is not None, "a report is always stored with its bundle"
        runtime.store.finish_run(run.id, report, bundle, final_status(report["workloads"]),
                                 stamp())  # fmt: skip
    return final_status(report["workloads"])


def finalize(runtime: WorkerRuntime, run_id: str) -> str | None:
    """Sign, ledger and store the run's report once all its workloads have results.

    Returns the run's final status, or None if the run is unknown or not ready. The report
    content depends only on stored data (``created_at`` is the last result's time), so a
    repeated call returns the same report. Signing happens outside the lock; only the
    ledger append and the store write are serialized, so that a run is ledgered once. One
    snapshot of the keys signs the report, the bundle and the ledger checkpoint.
    """
    store = runtime.store
    run = store.get_run(run_id)
    if run is None:
        return None
    stored = store.get_report(run_id)
    if stored is not None:
        return complete_marking(runtime, run, stored)
    jobs = [store.get_job(run_id, w) for w in run.workloads]
    results = [job.result for job in jobs if job is not None and job.result is not None]
    if len(results) < len(run.workloads):
        return None
    keys = runtime.keys
    created_at = signing_time(keys, [job.finished_at for job in jobs if job is not None])
    report, bundle = assemble_report(run, results, environment_info(), created_at, keys.signer)
    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with locked(runtime.settings.data_dir / "finalize.lock"):
        stored = store.get_report(run_id)
        if stored is not None:
            return complete_marking(runtime, run, stored)
        report = record_in_ledger(report, runtime.ledger, keys.signer)
        status = final_status(report["workloads"])
        store.finish_run(run_id, report, bundle, status, stamp())
        return status


def reconcile(runtime: WorkerRuntime) -> list[str]:
    """Finalize active runs whose results are all stored (their chord was lost), and fail
    the missing workloads of runs past their deadline. Returns the ids it finalized."""
    store = runtime.store
    finalized = []
    for run in store.active_runs():
        complete = store.count_results(run.id) >= len(run.workloads)
        if not complete and past(run.deadline_at):
            for workload_id in run.workloads:
                store.put_result(run.id, failure(runtime, workload_id, DEADLINE_ERROR), stamp())
            complete = True
        if complete and finalize(runtime, run.id) is not None:
            finalized.append(run.id)
    return finalized


def refresh_status(runtime: WorkerRuntime, provider: str) -> dict[str, str]:
    """Ask the provider how each of its backends is doing and store the answers, which the
    API reads for ``GET /backends`` and to refuse runs on unavailable devices."""
    if not runtime.catalogue.providers[provider].has_credentials(runtime.settings.provider_env):
        return {}
    executor = runtime.executor(provider)
    answers: dict[str, str] = {}
    for backend in (b for b in runtime.catalogue.backends.values() if b.provider == provider):
        status: BackendStatusRecord
        try:
            known = executor.status(backend)
            status = {"status": known.status, "queue_depth": known.queue_depth,
                      "detail": known.detail}  # fmt: skip
        except ProviderError as exc:
            status = {"status": "offline", "queue_depth": None, "detail": str(exc)}
        runtime.store.put_backend_status(backend.id, status, stamp())
        answers[backend.id] = status["status"]
    return answers
