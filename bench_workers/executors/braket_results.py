"""Braket programs and results in the report's terms; nothing here calls AWS.

The programs sent are ``to_braket`` of the logical circuits (one task each) without a
target, so Braket compiles them for the device (no verbatim boxes, qubit rewiring allowed).
The report's executed circuits are those programs read back into Qiskit with ``to_qiskit``:
Braket does not return the device-native circuit for every device, so the executed QASM is
the program as submitted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from braket.circuits import Circuit, Measure
from braket.tasks import GateModelQuantumTaskResult
from qiskit import QuantumCircuit
from qiskit_braket_provider import to_braket, to_qiskit

from bench_common.documents import TimingSource
from bench_common.timeutil import format_time, parse_time
from bench_workers.executors.base import JobSpec
from bench_workers.hardware import logical_circuits


def programs(job: JobSpec) -> list[Circuit]:
    """The Braket circuits of a workload; measured qubit ``k`` writes clbit ``k``."""
    return [to_braket(circuit.logical()) for circuit in logical_circuits(job)]


def executed_circuit(submitted: Circuit) -> QuantumCircuit:
    """The submitted program as a Qiskit circuit, for the report's executed QASM and counts."""
    return to_qiskit(submitted)


def measured_qubits(submitted: Circuit) -> list[int]:
    """Qubits in the order the program measures them, which is clbit order."""
    return [
        int(qubit)
        for instruction in submitted.instructions
        if isinstance(instruction.operator, Measure)
        for qubit in instruction.target
    ]


def qiskit_counts(submitted: Circuit, result: GateModelQuantumTaskResult) -> dict[str, int]:
    """Counts as Qiskit bitstrings (clbit 0 rightmost).

    Braket's bitstrings list ``result.measured_qubits`` left to right, qubit 0 leftmost, so
    each bit is placed by the clbit its qubit was measured into.
    """
    clbits = {qubit: clbit for clbit, qubit in enumerate(measured_qubits(submitted))}
    width = len(clbits)
    counts: dict[str, int] = {}
    for bits, count in result.measurement_counts.items():
        ordered = ["0"] * width
        for position, qubit in enumerate(result.measured_qubits):
            ordered[width - 1 - clbits[int(qubit)]] = bits[position]
        key = "".join(ordered)
        counts[key] = counts.get(key, 0) + int(count)
    return counts


def timing(result: GateModelQuantumTaskResult) -> tuple[float | None, TimingSource]:
    """Execution time in milliseconds and where it comes from.

    Only Braket's managed simulators report an execution duration; QPU results carry just the
    task's creation and end times, a span that includes the device queue, so it is reported
    as ``wall_clock`` (submission to result, as the provider stamped them).
    """
    simulator = result.additional_metadata.simulatorMetadata
    if simulator is not None:
        return float(simulator.executionDuration), "provider"
    created = parse_time(result.task_metadata.createdAt)
    ended = parse_time(result.task_metadata.endedAt)
    if created is None or ended is None:
        return None, "wall_clock"
    return (ended - created).total_seconds() * 1000.0, "wall_clock"


def calibration(device_arn: str, properties: Any) -> dict[str, Any]:
    """The device's published fidelities and timings as JSON; ``timestamp`` is when Braket
    last updated them (RFC 3339, UTC)."""
    service = getattr(properties, "service", None)
    updated: datetime | None = getattr(service, "updatedAt", None)
    snapshot: dict[str, Any] = {
        "device": device_arn,
        "timestamp": None if updated is None else format_time(_as_utc(updated)),
    }
    for section in ("provider", "standardized"):
        model = getattr(properties, section, None)
        if model is not None:
            snapshot[section] = json.loads(model.json())
    return snapshot


def _as_utc(moment: datetime) -> datetime:
    """Braket publishes ``updatedAt`` without a zone; it is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
