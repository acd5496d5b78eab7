"""Finding a tenant's run and its finished documents, with the contract's answers when absent.

Another tenant's run is answered exactly like an unknown id.
"""

from __future__ import annotations

from bench_api import auth, platform
from bench_api.errors import ApiError
from bench_common.documents import Report
from bench_common.errors import ErrorCode
from bench_common.store.base import ACTIVE_STATUSES, Run


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(ErrorCode.BENCHMARK_NOT_FOUND, f"No {what} with id {ident}", {"id": ident})


def owned_run(benchmark_id: str) -> Run:
    run = platform.current().runtime.store.get_run(benchmark_id, auth.tenant())
    if run is None:
        raise not_found("benchmark", benchmark_id)
    return run


def still_running(run: Run) -> ApiError:
    """``202 BENCHMARK_STILL_RUNNING`` with the run's status and progress."""
    status = run.status if run.status in ACTIVE_STATUSES else "running"
    completed = platform.current().runtime.store.count_results(run.id)
    return ApiError(
        ErrorCode.BENCHMARK_STILL_RUNNING,
        f"Benchmark {run.id} is {status}: {completed} of {len(run.workloads)} workloads done",
        {"status": status, "progress": {"completed": completed, "total": len(run.workloads)}},
    )


def finished_report(benchmark_id: str) -> Report:
    run = owned_run(benchmark_id)
    report = platform.current().runtime.store.get_report(run.id)
    if report is None:
        raise still_running(run)
    return report
