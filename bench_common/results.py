"""What executing one workload yields: the record shared by executors, the store and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

WorkloadStatus = Literal["completed", "failed"]
TimingSource = Literal["provider", "wall_clock"]


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
    metrics: dict[str, Any] = field(default_factory=dict)
    # Evidence, not part of the report row:
    counts: dict[str, int] = field(default_factory=dict)
    logical_qasm3: str | None = None
    executed_qasm3: str | None = None
    provider_job_id: str | None = None
    calibration: dict[str, Any] = field(default_factory=dict)

    REPORT_FIELDS = (
        "id", "type", "qubits", "status", "error", "fidelity", "fidelity_ci95",
        "execution_time_ms", "timing_source", "gate_count", "depth", "transpiled_gate_count",
        "transpiled_depth", "two_qubit_gate_count", "metrics",
    )  # fmt: skip

    def report_entry(self) -> dict[str, Any]:
        """The row for the report's ``workloads`` list (CONTRACT section 3)."""
        data = asdict(self)
        return {name: data[name] for name in self.REPORT_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkloadResult:
        return cls(**data)

    @classmethod
    def failure(cls, id: str, type: str, qubits: int, error: str) -> WorkloadResult:
        """A failed workload: it still gets a row in the signed report."""
        return cls(id=id, type=type, qubits=qubits, status="failed", error=error)
