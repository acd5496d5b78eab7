"""Assembling a run's signed report and evidence bundle from its workload results.

The content is a pure function of the stored run and results (the bundle id derives from
the run id, ``created_at`` from the last result), and signatures are deterministic, so a
finalizer that runs twice produces the same content hash.
"""

from __future__ import annotations

import platform
import uuid
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from typing import Protocol

from bench_common import quantum_volume
from bench_common.documents import (
    Bundle,
    Environment,
    ExecutionMode,
    Report,
    Summary,
    Thresholds,
    Validation,
    ValidationCheck,
    WorkloadRow,
)
from bench_common.evidence import (
    Signer,
    build_bundle,
    evidence_section,
    make_items,
    seal_report,
    sign_bundle,
)
from bench_common.results import WorkloadResult

BUNDLE_NAMESPACE = uuid.UUID("6f0c1a52-3d6e-4d59-9a43-2c2b8f0e7a11")
ENVIRONMENT_PACKAGES = ("qcos-bench", "qiskit", "qiskit-aer", "qiskit-ibm-runtime", "stim", "numpy")


class RunLike(Protocol):
    id: str
    tenant_id: str
    backend_id: str
    provider: str
    execution_mode: ExecutionMode
    shots: int
    seed: int
    thresholds: Thresholds | None


@cache
def environment_info(packages: Sequence[str] = ENVIRONMENT_PACKAGES) -> Environment:
    """Platform and SDK versions of this process (read once: reading package metadata
    costs milliseconds, and versions do not change while a process runs)."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def _evidence_items(
    run: RunLike, results: Sequence[WorkloadResult], environment: Environment
) -> list[tuple[str, str, object]]:
    items: list[tuple[str, str, object]] = [("environment", "environment", environment)]
    for result in results:
        items += [
            (
                "circuit_submission",
                f"circuit_submission/{result.id}",
                {
                    "workload_id": result.id,
                    "seed": run.seed,
                    "circuits": [
                        {"name": c.name, "shots": c.shots, "logical_qasm3": c.logical_qasm3,
                         "executed_qasm3": c.executed_qasm3}
                        for c in result.circuits
                    ],
                },
            ),
            (
                "execution_result",
                f"execution_result/{result.id}",
                {
                    "workload_id": result.id,
                    "status": result.status,
                    "error": result.error,
                    "provider_job_id": result.provider_job_id,
                    "execution_time_ms": result.execution_time_ms,
                    "timing_source": result.timing_source,
                    "circuits": [
                        {"name": c.name, "meta": c.meta, "shots": c.shots,
                         "statistics": c.statistics, "counts_sha256": c.counts_sha256,
                         "counts": c.counts if c.inline else None}
                        for c in result.circuits
                    ],
                },
            ),
            ("calibration_snapshot", f"calibration_snapshot/{result.id}", result.calibration),
        ]  # fmt: skip
    return items


def _summary(results: Sequence[WorkloadResult]) -> Summary:
    done = [r for r in results if r.status == "completed"]
    fidelities = [r.fidelity for r in done if r.fidelity is not None]
    return {
        "total_workloads": len(results),
        "completed_workloads": len(done),
        "average_fidelity": sum(fidelities) / len(fidelities) if fidelities else None,
        "total_execution_time_ms": sum(r.execution_time_ms or 0.0 for r in done),
        "total_shots": sum(r.total_shots for r in done),
        "largest_genuine_ghz": max(
            (r.qubits for r in done if r.metrics.get("genuinely_entangled") is True),
            default=None,
        ),
        "quantum_volume": quantum_volume.quantum_volume(
            (r.qubits, r.status == "completed" and r.metrics.get("passed") is True)
            for r in results
            if r.type == quantum_volume.WORKLOAD_TYPE
        ),
    }


def validate(thresholds: Thresholds, rows: Sequence[WorkloadRow]) -> Validation:
    """One check per threshold: it passes only when the lower end of the workload's 95 %
    interval reaches the threshold (a failed workload, with no interval, never passes)."""
    by_id = {row["id"]: row for row in rows}
    checks: list[ValidationCheck] = []
    for workload_id, threshold in thresholds.items():
        row = by_id[workload_id]
        interval = row["fidelity_ci95"] if row["status"] == "completed" else None
        minimum = threshold["min_fidelity"]
        checks.append({
            "workload_id": workload_id, "metric": "fidelity", "threshold": minimum,
            "value": row["fidelity"], "ci95": interval,
            "passed": interval is not None and interval[0] >= minimum,
        })  # fmt: skip
    return {"passed": all(check["passed"] for check in checks), "checks": checks}


def assemble_report(
    run: RunLike,
    results: Sequence[WorkloadResult],
    environment: Environment,
    created_at: str,
    signer: Signer,
) -> tuple[Report, Bundle]:
    """The signed report and signed bundle of a finished run, results in requested order;
    ``record_in_ledger`` then adds the report's ledger receipt."""
    bundle_id = str(uuid.uuid5(BUNDLE_NAMESPACE, run.id))
    items = make_items(_evidence_items(run, results, environment))
    bundle = sign_bundle(build_bundle(bundle_id, run.id, run.tenant_id, created_at, items), signer)
    calibrated = next((r.calibration for r in results if r.calibration), {})
    report: Report = {
        "id": run.id,
        "created_at": created_at,
        "backend_id": run.backend_id,
        "tenant_id": run.tenant_id,
        "provider": run.provider,
        "execution_mode": run.execution_mode,
        "shots": run.shots,
        "seed": run.seed,
        "workloads": [r.report_entry() for r in results],
        "summary": _summary(results),
        "environment": {
            **environment,
            "backend_calibration_timestamp": calibrated.get("timestamp"),
        },
        "evidence": evidence_section(bundle),
    }
    if run.thresholds:
        report["validation"] = validate(run.thresholds, report["workloads"])
    return seal_report(report, signer), bundle
