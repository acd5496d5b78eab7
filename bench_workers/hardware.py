"""What every hardware executor shares: the logical circuit to send, and turning the counts a
provider returns into the report's ``WorkloadResult`` with the same analysis the simulator
uses (so hardware and simulated fidelities are computed identically)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from qiskit import QuantumCircuit

from bench_common.documents import Calibration, TimingSource
from bench_common.results import WorkloadResult
from bench_workers import workloads
from bench_workers.executors.base import JobSpec
from bench_workers.seeds import derive_seeds


def logical_circuit(job: JobSpec) -> QuantumCircuit:
    return workloads.build(job.workload, job.kind)


def hex_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Bitstring counts (Qiskit order, registers possibly space-separated) as hex keys."""
    merged: dict[str, int] = {}
    for bits, count in counts.items():
        key = hex(int(bits.replace(" ", ""), 2))
        merged[key] = merged.get(key, 0) + int(count)
    return merged


def hardware_result(
    job: JobSpec,
    counts: Mapping[str, int],
    executed: QuantumCircuit,
    *,
    execution_time_ms: float | None,
    timing_source: TimingSource,
    provider_job_id: str,
    calibration: Calibration,
) -> WorkloadResult:
    """The report row and evidence of a finished hardware job; ``counts`` as bitstrings."""
    spec = job.workload
    tallied = hex_counts(counts)
    rng = np.random.default_rng(derive_seeds(job.seed, job.workload_id).bootstrap)
    analysis = job.kind.analyse(tallied, spec.qubits, spec.params, rng)
    facts = workloads.CircuitFacts.of(logical_circuit(job), executed)
    return workloads.workload_result(
        job, analysis, facts, tallied, execution_time_ms=execution_time_ms,
        timing_source=timing_source, calibration=calibration, provider_job_id=provider_job_id,
    )  # fmt: skip
