"""What executing one workload yields: the record shared by executors, the store and the report."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bench_common.documents import (
    BilledUsage,
    Calibration,
    Metrics,
    TimingSource,
    WorkloadRow,
    WorkloadStatus,
)
from bench_common.evidence import canonicalize
from bench_common.metrics import Counts, Statistics, check_keys
from bench_common.packed_counts import PackedCounts, as_dict


def counts_hash(counts: Counts) -> str:
    """``sha256:`` + SHA-256 of CF(counts): how the bundle commits to counts it leaves out.

    ``PackedCounts`` write CF(counts) themselves, with numpy. Otherwise: canonical hex keys
    are ASCII without characters to escape and sort alike by code unit and by code point,
    and counts are small integers, so CF(counts) is written directly (100 000 outcomes in
    tens of milliseconds); anything else goes through the general encoder."""
    if isinstance(counts, PackedCounts):
        return "sha256:" + counts.sha256
    try:
        check_keys(counts)
    except ValueError:
        return "sha256:" + hashlib.sha256(canonicalize(dict(counts))).hexdigest()
    text = ",".join([f'"{key}":{counts[key]}' for key in sorted(counts)])
    return "sha256:" + hashlib.sha256(("{" + text + "}").encode()).hexdigest()


@dataclass
class CircuitRecord:
    """One executed circuit of a workload: both programs, its shots, the statistics its
    figures are computed from, and its counts with their hash. ``inline`` says whether the
    counts travel in the evidence bundle (small registers, always a dict) or only their hash
    does; those may stay ``PackedCounts`` until the record is stored (``to_dict``)."""

    name: str
    meta: dict[str, str | int]
    shots: int
    logical_qasm3: str
    executed_qasm3: str
    statistics: Statistics
    counts: Counts
    counts_sha256: str
    inline: bool

    @classmethod
    def of(
        cls, *, name: str, meta: dict[str, str | int], shots: int, logical_qasm3: str,
        executed_qasm3: str, statistics: Statistics, counts: Counts, inline: bool,
    ) -> CircuitRecord:  # fmt: skip
        return cls(name, meta, shots, logical_qasm3, executed_qasm3, statistics,
                   as_dict(counts) if inline else counts, counts_hash(counts), inline)  # fmt: skip


@dataclass
class WorkloadResult:
    """One workload's outcome; ``report_entry`` is its row in the report's ``workloads`` list.

    Counts (per circuit) are keyed as in Qiskit's raw results: lowercase hex of the measured
    bits with qubit 0 as the least significant bit (``"0x0"``, ``"0x3ff"``).
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
    circuits: list[CircuitRecord] = field(default_factory=list)
    provider_job_id: str | None = None
    calibration: Calibration = field(default_factory=dict)
    billed_usage: BilledUsage | None = None
    """What the provider reported billing; in the row only when it did (never simulated)."""

    def report_entry(self) -> WorkloadRow:
        """The row for the report's ``workloads`` list."""
        row: WorkloadRow = {
            "id": self.id, "type": self.type, "qubits": self.qubits, "status": self.status,
            "error": self.error, "fidelity": self.fidelity,
            "fidelity_ci95": self.fidelity_ci95, "execution_time_ms": self.execution_time_ms,
            "timing_source": self.timing_source, "gate_count": self.gate_count,
            "depth": self.depth, "transpiled_gate_count": self.transpiled_gate_count,
            "transpiled_depth": self.transpiled_depth,
            "two_qubit_gate_count": self.two_qubit_gate_count, "metrics": dict(self.metrics),
        }  # fmt: skip
        if self.billed_usage is not None:
            row["billed_usage"] = self.billed_usage
        return row

    @property
    def total_shots(self) -> int:
        """Shots over all the workload's circuits (``metrics.total_shots``; 0 if it failed)."""
        shots = self.metrics.get("total_shots")
        return shots if isinstance(shots, int) else 0

    def to_dict(self, *, packed: bool = False) -> dict[str, Any]:
        """JSON-safe, with ``PackedCounts`` made dicts unless ``packed`` keeps them (for the
        store's codec, which writes them as they are). The counts are shared, not copied as
        ``asdict`` would copy them (a wide workload has millions of outcomes; counts are
        never mutated)."""
        data = asdict(replace(self, circuits=[]))
        data["circuits"] = [
            asdict(replace(c, counts={})) | {"counts": c.counts if packed else as_dict(c.counts)}
            for c in self.circuits
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkloadResult:
        circuits = [CircuitRecord(**c) for c in data.get("circuits", [])]
        return cls(**{**data, "circuits": circuits})

    @classmethod
    def failure(cls, id: str, type: str, qubits: int, error: str) -> WorkloadResult:
        """A failed workload: it still gets a row in the signed report."""
        return cls(id=id, type=type, qubits=qubits, status="failed", error=error)
