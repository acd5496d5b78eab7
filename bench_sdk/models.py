"""Typed views of the API's answers; each keeps the JSON it was read from in ``raw``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Workload:
    id: str
    type: str
    description: str
    qubits: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Workload:
        return cls(data["id"], data["type"], data["description"], data["qubits"])


@dataclass(frozen=True)
class Backend:
    id: str
    provider: str
    execution_mode: str
    qubits: int
    status: str
    queue: str
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Backend:
        return cls(
            data["id"], data["provider"], data["execution_mode"], data["qubits"],
            data["status"], data["queue"], data,
        )  # fmt: skip


@dataclass(frozen=True)
class WorkloadResult:
    """One workload of a report (CONTRACT section 3)."""

    id: str
    type: str
    qubits: int
    status: str
    error: str | None
    fidelity: float | None
    fidelity_ci95: list[float] | None
    execution_time_ms: float | None
    timing_source: str | None
    gate_count: int | None
    depth: int | None
    transpiled_gate_count: int | None
    transpiled_depth: int | None
    two_qubit_gate_count: int | None
    metrics: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkloadResult:
        return cls(
            id=data["id"],
            type=data["type"],
            qubits=data["qubits"],
            status=data["status"],
            error=data.get("error"),
            fidelity=data.get("fidelity"),
            fidelity_ci95=data.get("fidelity_ci95"),
            execution_time_ms=data.get("execution_time_ms"),
            timing_source=data.get("timing_source"),
            gate_count=data.get("gate_count"),
            depth=data.get("depth"),
            transpiled_gate_count=data.get("transpiled_gate_count"),
            transpiled_depth=data.get("transpiled_depth"),
            two_qubit_gate_count=data.get("two_qubit_gate_count"),
            metrics=data.get("metrics") or {},
            raw=data,
        )


@dataclass(frozen=True)
class Summary:
    total_workloads: int
    completed_workloads: int
    average_fidelity: float | None
    total_execution_time_ms: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        return cls(
            data["total_workloads"], data["completed_workloads"], data.get("average_fidelity"),
            data["total_execution_time_ms"],
        )  # fmt: skip


@dataclass(frozen=True)
class Report:
    """A signed report; ``raw`` is the exact signed JSON (what ``verify`` takes)."""

    id: str
    created_at: str
    backend_id: str
    execution_mode: str
    shots: int
    seed: int
    workloads: list[WorkloadResult]
    summary: Summary
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(
            id=data["id"],
            created_at=data["created_at"],
            backend_id=data["backend_id"],
            execution_mode=data["execution_mode"],
            shots=data["shots"],
            seed=data["seed"],
            workloads=[WorkloadResult.from_json(w) for w in data["workloads"]],
            summary=Summary.from_json(data["summary"]),
            raw=data,
        )


@dataclass(frozen=True)
class Verification:
    """The ``POST /verify`` fields; ``valid`` is ``status == "valid"``."""

    status: str
    report_id: str | None
    error: str | None
    warnings: list[str]
    raw: dict[str, Any] = field(repr=False)

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def __getitem__(self, name: str) -> Any:
        """Any verification field, e.g. ``result["signature_valid"]``."""
        return self.raw[name]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verification:
        return cls(
            data["status"], data.get("report_id"), data.get("error"), data.get("warnings", []),
            data,
        )  # fmt: skip
