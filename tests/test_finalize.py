"""Finalizing a run ledgers its report once, even when the finalizer dies between the ledger
append and the store write."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from bench_common.catalogue import CATALOGUE
from bench_common.evidence import verify_report
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_common.store import Run
from bench_workers import jobs
from bench_workers.commands import execute
from bench_workers.runtime import WorkerRuntime

FORK = multiprocessing.get_context("fork")
KILLED = 9


class Held:
    """A dispatcher that keeps the run: the test executes and finalizes it step by step."""

    def dispatch(self, run: Run) -> None:
        return None


def _killed_after_the_append(settings: Settings, run_id: str) -> None:
    """A finalizer that dies the moment it would store the report: after the ledger append."""
    runtime = WorkerRuntime(settings, CATALOGUE)

    def die(*args: object) -> None:
        os._exit(KILLED)

    runtime.store.finish_run = die  # type: ignore[method-assign]
    jobs.finalize(runtime, run_id)


def test_a_finalizer_killed_between_ledger_and_store_ledgers_the_run_once(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path / "data", api_keys="k:ops")
    runtime = WorkerRuntime(settings, CATALOGUE)
    service = RunService(settings, runtime.store, runtime.catalogue, Held())
    request = {"backend_id": "ibm_brisbane", "workloads": ["bell_state", "ghz_5q"], "shots": 200,
               "seed": 4}  # fmt: skip
    run = service.submit("ops", request).run  # type: ignore[arg-type]
    for workload_id in run.workloads:
        execute(runtime, run.id, workload_id)

    killed = FORK.Process(target=_killed_after_the_append, args=(settings, run.id))
    killed.start()
    killed.join(120)
    assert killed.exitcode == KILLED
    after = WorkerRuntime(settings, CATALOGUE)
    assert after.ledger.size == 1 and after.store.get_report(run.id) is None
    marker = settings.data_dir / jobs.PENDING_DIR / run.id
    assert marker.read_text() == "0"
    assert marker.parent.stat().st_mode & 0o077 == 0 == marker.stat().st_mode & 0o077

    assert jobs.finalize(after, run.id) == "completed"
    report = after.store.get_report(run.id)
    assert report is not None and after.ledger.size == 1  # the leaf it found, not a copy
    assert report["integrity"]["ledger"]["index"] == 0
    assert report["integrity"]["ledger"]["tree_size"] == 1
    verification = verify_report(report, after.keys.trusted())
    assert verification.valid and verification.ledger_valid, verification.to_dict()
    assert not marker.exists()

    # Another run after it is appended as usual, and finalizing again changes nothing.
    second = service.submit("ops", request | {"seed": 5}).run  # type: ignore[arg-type]
    for workload_id in second.workloads:
        execute(after, second.id, workload_id)
    assert jobs.finalize(after, second.id) == "completed"
    assert jobs.finalize(after, run.id) == "completed"
    assert after.ledger.size == 2
    assert after.store.get_report(second.id)["integrity"]["ledger"]["index"] == 1
