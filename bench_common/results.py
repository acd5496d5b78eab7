"""What executing one workload yields: the record shared by executors, the store and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench_common.documents import Calibration, Metrics, TimingSource, WorkloadRow, WorkloadStatus


@dataclass
class WorkloadResult:
    """One workload's outcome; ``report_entry`` is its row in the report's ``workloads`` list.

    Counts are keyed as in Qiskit's raw results: lowercase hex of the measured bits with
    qubit 0 as the least significant bit (``"0x0"``, ``"0x3ff"``), compact for wide registers.
    """

    id: str
    type: str
    qubits: int
    status: WorkloadStatus = "completed"
    error: str | None = None
    fidelity: float | None = None
    fidelity_ci95: list[float] | None = None
    execution_time_ms: float | None = None
    timing_source: TimingSource = "wall_clock"
    gate_count: int | None = None
    depth: int | None = None
    transpiled_gate_count: int | None = None
    transpiled_depth: int | None = None
    two_qubit_gate_count: int | None = None
    metrics: Metrics = field(default_factory=dict)
    # Evidence, not part of the report row:
    counts: dict[str, int] = field(default_factory=dict)
    logical_qasm3: str | None = None
    executed_qasm3: str | None = None
    provider_job_id: str | None = None
    calibration: Calibration = field(default_factory=dict)

    def report_entry(self) -> WorkloadRow:
        """The row for the report's ``workloads`` list."""
        return {
            "id": self.id, "type": self.type, "qubits": self.qubits, "status": self.status,
            "error": self.error, "fidelity": self.fidelity,
            "fidelity_ci95": self.fidelity_ci95, "execution_time_ms": self.execution_time_ms,
            "timing_source": self.timing_source, "gate_count": self.gate_count,
            "depth": self.depth, "transpiled_gate_count": self.transpiled_gate_count,
            "transpiled_depth": self.transpiled_depth,
            "two_qubit_gate_count": self.two_qubit_gate_count, "metrics": dict(self.metrics),
        }  # fmt: skip

    @property
    def total_shots(self) -> int:
        """Shots over all the workload's circuits (``metrics.total_shots``; 0 if it failed)."""
        shots = self.metrics.get("total_shots")
        return shots if isinstance(shots, int) else 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkloadResult:
        return cls(**data)

    @classmethod
    def failure(cls, id: str, type: str, qubits: int, error: str) -> WorkloadResult:
        """A failed workload: it still gets a row in the signed report."""
        return cls(id=id, type=type, qubits=qubits, status="failed", error=error)
