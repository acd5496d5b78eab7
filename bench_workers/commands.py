"""``bench run``: one benchmark executed in this process, with the platform's own job code.

The run is recorded in the data dir's store and ledger like any other, so ``bench verify``
accepts its report with the local keyring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import click
from tqdm import tqdm

from bench_common.catalogue import CATALOGUE
from bench_common.cli import aligned, catalogue_of, fail, settings_of
from bench_common.documents import Report, WorkloadRow
from bench_common.errors import BenchError
from bench_common.evidence import canonicalize
from bench_common.quantum_volume import WORKLOAD_TYPE as QUANTUM_VOLUME
from bench_common.service import RunRequest, RunService
from bench_common.settings import DEV_TENANT
from bench_common.store import Run
from bench_workers import jobs
from bench_workers.runtime import WorkerRuntime

COLUMNS = (
    ("workload", "id", "{}"), ("status", "status", "{}"), ("fidelity", "fidelity", "{:.4f}"),
    ("ci95", "fidelity_ci95", "{}"), ("time ms", "execution_time_ms", "{:.1f}"),
    ("gates", "transpiled_gate_count", "{}"), ("depth", "transpiled_depth", "{}"),
    ("2q gates", "two_qubit_gate_count", "{}"),
)  # fmt: skip


def cell(entry: WorkloadRow, key: str, template: str) -> str:
    value = entry.get(key)
    if value is None:
        return "-"
    if isinstance(value, list):
        return f"[{value[0]:.4f}, {value[1]:.4f}]"
    return template.format(value)


def table(report: Report) -> str:
    rows = [[cell(e, key, t) for _, key, t in COLUMNS] for e in report["workloads"]]
    return aligned([title for title, _, _ in COLUMNS], rows)


def execute(runtime: WorkerRuntime, run_id: str, workload_id: str) -> None:
    """Advance one workload until it has a result, waiting in between when a provider runs it."""
    while True:
        try:
            jobs.advance_workload(runtime, run_id, workload_id)
            return
        except jobs.RetryLaterError as wait:
            time.sleep(wait.countdown)


@dataclass(frozen=True)
class InProcess:
    """A dispatcher that runs the workloads here, one after the other, then finalizes."""

    runtime: WorkerRuntime

    def dispatch(self, run: Run) -> None:
        for workload_id in tqdm(run.workloads, desc=f"run {run.id[:8]}", unit="workload"):
            execute(self.runtime, run.id, workload_id)
        jobs.finalize(self.runtime, run.id)


@click.command()
@click.option("--backend", "backend_id", required=True, help="Backend id (see GET /backends).")
@click.option("--workloads", default=",".join(CATALOGUE.default_workloads), show_default=True,
              help="Comma-separated workload ids.")  # fmt: skip
@click.option("--shots", type=int, default=1024, show_default=True)
@click.option("--seed", type=int, default=None, help="Sampling seed; drawn when omitted.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Signed report file (default bench-report-<id>.json).")  # fmt: skip
@click.option("--tenant", default=DEV_TENANT, show_default=True,
              help="The run's tenant (make run's development key sees it).")  # fmt: skip
@click.pass_context
def run(
    ctx: click.Context, backend_id: str, workloads: str, shots: int, seed: int | None,
    output: Path | None, tenant: str,
) -> None:  # fmt: skip
    """Run one benchmark in this process and write its signed report."""
    runtime = WorkerRuntime(settings_of(ctx), catalogue_of(ctx))
    service = RunService(runtime.settings, runtime.store, runtime.catalogue, InProcess(runtime))
    request: RunRequest = {"backend_id": backend_id, "shots": shots, "seed": seed,
               "workloads": [w for w in workloads.split(",") if w]}  # fmt: skip
    try:
        submission = service.submit(tenant, request)
    except BenchError as exc:
        fail(str(exc), 2)
    if submission.warning:
        click.echo(submission.warning, err=True)
    planned = submission.run
    report = runtime.store.get_report(planned.id)
    assert report is not None, "a run with every result stored is always finalized"
    path = output or Path(f"bench-report-{planned.id[:8]}.json")
    path.write_bytes(canonicalize(report))
    click.echo(table(report))
    average = report["summary"]["average_fidelity"]
    shown = "-" if average is None else f"{average:.4f}"
    mode = " (simulated)" if report["execution_mode"] == "simulated" else ""
    click.echo(f"\naverage fidelity {shown}{mode}  report {path}  seed {report['seed']}")
    if any(row["type"] == QUANTUM_VOLUME for row in report["workloads"]):
        click.echo(f"quantum volume {report['summary']['quantum_volume'] or 'not reached'}")
