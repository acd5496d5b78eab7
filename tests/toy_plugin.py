"""A throwaway provider and workload type, defined the way a new one would be: an executor
module, a circuit builder and an analysis, named by records in ``test_records.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from bench_common.catalogue import BackendSpec, WorkloadSpec
from bench_common.documents import Calibration
from bench_common.metrics import Analysis, Counts
from bench_common.results import WorkloadResult
from bench_workers.executors import BackendStatus, JobSpec, JobState
from bench_workers.hardware import hardware_result, logical_circuit


def plus_state(spec: WorkloadSpec) -> QuantumCircuit:
    """H on every qubit, all measured: every outcome equally likely."""
    circuit = QuantumCircuit(spec.qubits, name=spec.id)
    circuit.h(range(spec.qubits))
    circuit.measure_all()
    return circuit


def analyse_spread(
    counts: Counts, qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    """The share of the 2ⁿ outcomes seen at least once."""
    seen = len(counts) / 2**qubits
    return Analysis(seen, [seen, seen], {"outcomes_seen": len(counts)})


class ToyExecutor:
    """A device that answers every job at once with all shots on 0ⁿ."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.token = credentials["TOYQ_TOKEN"]

    def submit(self, job: JobSpec) -> str:
        return f"toy:{job.idempotency_key}"

    def poll(self, provider_job_id: str) -> JobState:
        return "done"

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        circuit = logical_circuit(job)
        return hardware_result(
            job, {"0" * circuit.num_clbits: job.shots}, circuit, execution_time_ms=1.0,
            timing_source="provider", provider_job_id=provider_job_id,
            calibration=self.calibration(job.backend),
        )  # fmt: skip

    def calibration(self, backend: BackendSpec) -> Calibration:
        return {"source": "toy", "timestamp": None, "device": backend.device}

    def cancel(self, provider_job_id: str) -> None:
        return None

    def status(self, backend: BackendSpec) -> BackendStatus:
        return BackendStatus("online", queue_depth=0)
