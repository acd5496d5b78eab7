"""What every hardware executor shares: the circuits to send, and turning the counts a
provider returns into the report's ``WorkloadResult`` with the same statistics and analysis
the simulator uses (so hardware and simulated fidelities are computed identically)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import StagedPassManager, Target

from bench_common.documents import Calibration, TimingSource
from bench_common.results import WorkloadResult
from bench_common.seeds import derive_seeds
from bench_workers import workloads
from bench_workers.executors.base import JobSpec


def logical_circuits(job: JobSpec) -> list[workloads.LogicalCircuit]:
    """The workload's circuits; random ones (settings, mirror circuits) from the run's seed."""
    rng = np.random.default_rng(derive_seeds(job.seed, job.workload_id).circuits)
    return workloads.build(job.workload, job.kind, rng, job.backend)


def device_circuits(
    job: JobSpec, manager: StagedPassManager, target: Target
) -> list[QuantumCircuit]:
    """The workload's circuits for a provider's target, each preparation transpiled once."""
    return workloads.transpile_all(logical_circuits(job), manager, target)


def hex_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Bitstring counts (Qiskit order, registers possibly space-separated) as hex keys."""
    merged: dict[str, int] = {}
    for bits, count in counts.items():
        key = hex(int(bits.replace(" ", ""), 2))
        merged[key] = merged.get(key, 0) + int(count)
    return merged


def hardware_result(
    job: JobSpec,
    counts: Sequence[Mapping[str, int]],
    executed: Sequence[QuantumCircuit],
    *,
    execution_time_ms: float | None,
    timing_source: TimingSource,
    provider_job_id: str,
    calibration: Calibration,
) -> WorkloadResult:
    """The report row and evidence of a finished hardware job; ``counts`` per circuit, as
    bitstrings, in the order of ``logical_circuits``."""
    return workloads.workload_result(
        job, logical_circuits(job), executed, [hex_counts(c) for c in counts],
        execution_time_ms=execution_time_ms, timing_source=timing_source,
        calibration=calibration, provider_job_id=provider_job_id,
    )  # fmt: skip
