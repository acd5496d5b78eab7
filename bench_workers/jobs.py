"""What the tasks do, free of Celery: advance one workload, finalize one run, reconcile.

Every step is idempotent against the store, the source of truth: a re-delivered task finds
the stored provider job id or result, and a run is finalized at most once (the report and
bundle are written insert-if-absent, under a lock that also keeps the ledger free of
duplicate entries, a finalizer killed between the two writes included: ``Pending``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench_common.documents import BackendStatusRecord, Report, RunStatus, WorkloadRow
from bench_common.evidence import KeyStore, report_leaf, with_receipt
from bench_common.fileutil import locked, private_dir, write_atomic
from bench_common.providers import SIMULATOR
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import WorkloadResult
from bench_common.store import ACTIVE_STATUSES, Run, StoreError
from bench_common.timeutil import format_time, now, parse_time
from bench_workers import alerts
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


def job_spec(runtime: WorkerRuntime, run: Run, workload_id: str) -> JobSpec:
    return JobSpec.of(workload_id, run.backend_id, run.shots, run.seed, run_id=run.id,
                      catalogue=runtime.catalogue)  # fmt: skip


def failure(runtime: WorkerRuntime, run: Run, workload_id: str, error: str) -> WorkloadResult:
    return job_spec(runtime, run, workload_id).failure(error)


def stamp() -> str:
    return format_time(now())


def retry_later(exc: ProviderError, attempt: int) -> None:
    """Retry a retryable provider error after exponential backoff, until attempts run out."""
    if exc.retryable and attempt < MAX_ATTEMPTS:
        raise RetryLaterError(BACKOFF_SECONDS * 2.0 ** (attempt - 1)) from exc


def past(deadline_at: str) -> bool:
    deadline = parse_time(deadline_at)
    return deadline is not None and deadline < now()


class Heartbeat:
    """Renews a workload's lease every ``heartbeat_interval`` seconds from its own thread while
    the task executes, so the lease outlives the task only by ``lease_seconds`` if its worker
    dies. A stalled worker whose lease was taken over just stops renewing: the result is
    written insert-if-absent, so two executions store one result."""

    def __init__(self, runtime: WorkerRuntime, run_id: str, workload_id: str, holder: str):
        self.runtime, self.run_id, self.workload_id, self.holder = (
            runtime, run_id, workload_id, holder)  # fmt: skip
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"lease-{workload_id}", daemon=True)

    def _beat(self) -> None:
        settings = self.runtime.settings
        while not self.stopped.wait(settings.heartbeat_interval):
            try:
                expires_at = time.time() + settings.lease_seconds
                if not self.runtime.store.renew_lease(self.run_id, self.workload_id,
                                                      self.holder, expires_at):  # fmt: skip
                    log.warning("lease of %s of run %s was taken over", self.workload_id,
                                self.run_id)  # fmt: skip
                    return
            except StoreError:
                log.warning("lease of %s of run %s not renewed", self.workload_id, self.run_id,
                            exc_info=True)  # fmt: skip

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


@contextmanager
def leased(
    runtime: WorkerRuntime, run_id: str, workload_id: str, holder: str | None
) -> Iterator[None]:
    """Hold the workload's lease while the body runs (nothing when ``holder`` is None: an
    in-process run has no worker to lose).

    Raises ``RetryLaterError`` until the lease is free when another delivery holds it. A body
    that waits on the provider (``RetryLaterError``) keeps the lease until its next poll is
    due plus ``lease_seconds``, so the reconciler leaves it alone meanwhile; any other end
    releases it."""
    if holder is None:
        yield
        return
    store, settings = runtime.store, runtime.settings
    clock = time.time()
    lease = store.take_lease(run_id, workload_id, holder, clock + settings.lease_seconds, clock)
    if lease.holder != holder:
        raise RetryLaterError(max(1.0, lease.expires_at - clock + 1.0))
    try:
        with Heartbeat(runtime, run_id, workload_id, holder):
            yield
    except RetryLaterError as wait:
        due = time.time() + wait.countdown + settings.lease_seconds
        store.renew_lease(run_id, workload_id, holder, due)
        raise
    except BaseException:
        with suppress(StoreError):
            store.release_lease(run_id, workload_id, holder)
        raise
    with suppress(StoreError):  # it expires anyway
        store.release_lease(run_id, workload_id, holder)


def advance_workload(
    runtime: WorkerRuntime, run_id: str, workload_id: str, holder: str | None = None
) -> str | None:
    """Take one workload one step; its stored status once it has a result.

    Raises ``RetryLaterError`` while the provider runs it, or while another delivery holds
    its lease. Failures of the workload itself become a failed result, so the run's chord
    always completes; store outages propagate, so the task is retried. ``holder`` (the task
    id) takes the workload's lease for the step (see ``leased``).
    """
    store = runtime.store
    run = store.get_run(run_id)
    if run is None or run.status not in ACTIVE_STATUSES:
        return None
    job = store.get_job(run_id, workload_id)
    if job is not None and job.result is not None:
        return job.result.status
    with leased(runtime, run_id, workload_id, holder):
        return _advance(runtime, run, workload_id)


def _advance(runtime: WorkerRuntime, run: Run, workload_id: str) -> str:
    store, run_id = runtime.store, run.id
    job = store.get_job(run_id, workload_id)  # again, now that the lease is held
    if job is not None and job.result is not None:
        return job.result.status
    store.set_run_status(run_id, "running", stamp())
    try:
        result = _execute(runtime, run, workload_id, job.provider_job_id if job else None)
    except (RetryLaterError, StoreError):
        raise
    except Exception as exc:  # a failing workload is data for the report, not a crash
        log.exception("workload %s of run %s failed", workload_id, run_id)
        result = failure(runtime, run, workload_id, f"{type(exc).__name__}: {exc}")
    if store.put_result(run_id, result, stamp()):
        return result.status
    stored = store.get_job(run_id, workload_id)  # another delivery stored its result first
    return stored.result.status if stored and stored.result else result.status


def _execute(
    runtime: WorkerRuntime, run: Run, workload_id: str, provider_job_id: str | None
) -> WorkloadResult:
    store = runtime.store
    executor = runtime.executor(executor_name(run))
    job = job_spec(runtime, run, workload_id)
    if past(run.deadline_at):
        if provider_job_id is not None:
            executor.cancel(provider_job_id)
        return job.failure(DEADLINE_ERROR)
    if provider_job_id is None:
        attempt = store.count_attempt(run.id, workload_id)
        if attempt > MAX_ATTEMPTS:
            return job.failure(f"Execution did not complete in {MAX_ATTEMPTS} attempts")
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
        alerts.watch(runtime, run, report)
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
        pending = Pending(runtime.settings.data_dir / PENDING_DIR / run_id)
        if stored is not None:
            pending.clear()  # left by a finalizer killed after its store write
            return complete_marking(runtime, run, stored)
        report = _ledgered(runtime, report, keys, pending)
        status = final_status(report["workloads"])
        store.finish_run(run_id, report, bundle, status, stamp())
        pending.clear()
    alerts.watch(runtime, run, report)
    return status


PENDING_DIR = "ledger-pending"
"""In the data dir, per run being finalized, the ledger index its leaf is about to take."""


@dataclass(frozen=True)
class Pending:
    """The ledger index a run's leaf takes, written before the append and removed after the
    store write: a finalizer killed between the two leaves it behind, and the next finalize
    of the run (a report's content depends only on stored data, so its leaf is the same)
    finds the leaf there rather than appending it a second time."""

    path: Path

    def index(self) -> int | None:
        try:
            return int(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def mark(self, index: int) -> None:
        private_dir(self.path.parent)
        write_atomic(self.path, str(index).encode())

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _ledgered(runtime: WorkerRuntime, report: Report, keys: KeyStore, pending: Pending) -> Report:
    """The report with its ledger receipt: of the entry an interrupted finalize appended,
    when its leaf is where it said, else of a new one."""
    ledger, leaf = runtime.ledger, report_leaf(report)
    at = pending.index()
    if at is not None and ledger.holds(at, leaf):
        return with_receipt(report, ledger.receipt(at, keys.signer))
    pending.mark(ledger.size)
    return with_receipt(report, ledger.append(leaf, keys.signer))


MAX_GUARD_DOUBLINGS = 7
"""A re-sent workload that keeps waiting in its queue is sent again after the dispatch
grace, then twice that, …, at most 2**7 times the grace (about 43 minutes by default)."""

Resend = Callable[[Run, list[str]], None]
"""Sends the given workloads of a run again (the Celery side: a chord of them)."""


def lost_workloads(runtime: WorkerRuntime, run: Run) -> list[str]:
    """The workloads of an active run that no delivery is executing or will execute, each
    guarded for this caller: no stored result, no live lease, and either a lease that
    expired (its worker died, or its re-send never started) or no lease at all once the run
    is older than the dispatch grace (its dispatch, or the message, was lost). Of concurrent
    reconcilers only one gets a given workload (``Store.guard_lease``)."""
    store, grace = runtime.store, runtime.settings.dispatch_grace
    done = store.workloads_with_results(run.id)
    leases = store.leases(run.id)
    created = parse_time(run.created_at)
    settled = created is None or now() - created > timedelta(seconds=grace)
    clock, holder = time.time(), f"reconciler:{uuid.uuid4()}"
    lost = []
    for workload_id in run.workloads:
        lease = leases.get(workload_id)
        if workload_id in done or (lease is None and not settled):
            continue
        if lease is not None and lease.expires_at > clock:
            continue
        sends = lease.sends if lease is not None else 0
        until = clock + grace * 2.0 ** min(sends, MAX_GUARD_DOUBLINGS)
        if store.guard_lease(run.id, workload_id, holder, until, clock):
            lost.append(workload_id)
    return lost


def reconcile(runtime: WorkerRuntime, resend: Resend | None = None) -> list[str]:
    """Finalize active runs whose results are all stored (their chord was lost), fail the
    missing workloads of runs past their deadline, and (with ``resend``) send again the
    workloads that were lost with their worker, their message or their dispatch
    (``lost_workloads``). Returns the ids it finalized."""
    store = runtime.store
    finalized = []
    for run in store.active_runs():
        complete = store.count_results(run.id) >= len(run.workloads)
        if not complete and past(run.deadline_at):
            for workload_id in run.workloads:
                late = failure(runtime, run, workload_id, DEADLINE_ERROR)
                store.put_result(run.id, late, stamp())
            complete = True
        if complete:
            if finalize(runtime, run.id) is not None:
                finalized.append(run.id)
        elif resend is not None:
            lost = lost_workloads(runtime, run)
            if lost:
                log.warning("run %s: sending %s again", run.id, ", ".join(lost))
                resend(run, lost)
    alerts.deliver_pending(runtime)
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
