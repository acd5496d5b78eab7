"""A throwaway provider and workload type, defined the way a new one would be: an executor
module, a circuit builder and an analysis, named by records in ``test_records.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from bench_common.catalogue import BackendSpec, WorkloadSpec
from bench_common.documents import Calibration
from bench_common.metrics import Analysis, CircuitMeta, Counts, Measured, Statistics
from bench_common.results import WorkloadResult
from bench_workers.executors import BackendStatus, JobSpec, JobState
from bench_workers.hardware import hardware_result, logical_circuits
from bench_workers.workloads import BasisGate, LogicalCircuit


def plus_state(spec: WorkloadSpec, rng: np.random.Generator) -> list[LogicalCircuit]:
    """H on every qubit, measured in Z and then in X (the X-basis circuit always reads 0ⁿ)."""
    circuit = QuantumCircuit(spec.qubits, name=spec.id)
    circuit.h(range(spec.qubits))
    x_basis = tuple(BasisGate("h", q) for q in range(spec.qubits))
    return [LogicalCircuit("z", circuit), LogicalCircuit("x", circuit, x_basis)]


def spread(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    return {"outcomes": len(counts)}


def analyse_spread(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    """The share of the 2ⁿ outcomes the first circuit saw at least once."""
    seen = int(measured[0].statistics["outcomes"])  # type: ignore[arg-type]
    return Analysis(seen / 2**qubits, [seen / 2**qubits] * 2, {"outcomes_seen": seen})


class ToyExecutor:
    """A device that answers every job at once with all shots on 0ⁿ."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.token = credentials["TOYQ_TOKEN"]

    def submit(self, job: JobSpec) -> str:
        return f"toy:{job.idempotency_key}"

    def poll(self, provider_job_id: str) -> JobState:
        return "done"

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        circuits = [c.logical() for c in logical_circuits(job)]
        return hardware_result(
            job, [{"0" * c.num_clbits: job.shots} for c in circuits], circuits,
            execution_time_ms=1.0,
            timing_source="provider", provider_job_id=provider_job_id,
            calibration=self.calibration(job.backend),
        )  # fmt: skip

    def calibration(self, backend: BackendSpec) -> Calibration:
        return {"source": "toy", "timestamp": None, "device": backend.device}

    def cancel(self, provider_job_id: str) -> None:
        return None

    def status(self, backend: BackendSpec) -> BackendStatus:
        return BackendStatus("online", queue_depth=0)
