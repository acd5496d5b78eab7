"""Braket programs and results in the report's terms; nothing here calls AWS.

The programs sent are ``to_braket`` of the logical circuits (one task each) without a
target, so Braket compiles them for the device (no verbatim boxes); it may rewire their
qubits, except those of device-aware workloads, which are written on the device's own
qubits and sent with rewiring disabled (``task_program``).
The report's executed circuits are those programs read back into Qiskit with ``to_qiskit``:
Braket does not return the device-native circuit for every device, so the executed QASM is
the program as submitted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from braket.circuits import Circuit, Measure
from braket.circuits.serialization import (
    IRType,
    OpenQASMSerializationProperties,
    QubitReferenceType,
)
from braket.device_schema import GateModelParameters
from braket.device_schema.ionq import IonqDeviceParameters
from braket.device_schema.oqc import OqcDeviceParameters
from braket.device_schema.rigetti import RigettiDeviceParameters
from braket.device_schema.simulators import GateModelSimulatorDeviceParameters
from braket.tasks import GateModelQuantumTaskResult
from qiskit import QuantumCircuit
from qiskit_braket_provider import to_braket, to_qiskit

from bench_common.documents import BilledUsage, TimingSource
from bench_common.timeutil import format_time, parse_time
from bench_workers.executors.base import JobSpec
from bench_workers.hardware import logical_circuits


def programs(job: JobSpec) -> list[Circuit]:
    """The Braket circuits of a workload; measured qubit ``k`` writes clbit ``k``."""
    return [to_braket(circuit.logical()) for circuit in logical_circuits(job)]


PINNING_PARAMETERS = {"ionq": IonqDeviceParameters, "rigetti": RigettiDeviceParameters,
                      "oqc": OqcDeviceParameters}  # fmt: skip
"""The ``deviceParameters`` class per vendor (the others take the generic one), as the SDK
picks it."""


def task_program(job: JobSpec, device_arn: str, submitted: Circuit) -> dict[str, str]:
    """``CreateQuantumTask``'s ``action`` (OpenQASM 3); for a device-aware workload, whose
    circuits are written on the device's own qubits (``LogicalCircuit.physical``), also what
    keeps Braket from moving them elsewhere: physical qubit references (``$i``) and
    ``disableQubitRewiring`` in the ``deviceParameters``, as the SDK's
    ``disable_qubit_rewiring=True`` sends them (the gates are still compiled to the
    device's native ones)."""
    if not job.kind.on_device:
        return {"action": submitted.to_ir(ir_type=IRType.OPENQASM).json()}
    physical = OpenQASMSerializationProperties(qubit_reference_type=QubitReferenceType.PHYSICAL)
    program = submitted.to_ir(ir_type=IRType.OPENQASM, serialization_properties=physical)
    paradigm = GateModelParameters(qubitCount=submitted.qubit_count, disableQubitRewiring=True)
    vendor = device_arn.rsplit("/", 2)[-2]  # arn:aws:braket:<region>::device/qpu/<vendor>/<name>
    parameters = PINNING_PARAMETERS.get(vendor, GateModelSimulatorDeviceParameters)
    pinned = parameters(paradigmParameters=paradigm).json(exclude_none=True)
    return {"action": program.json(), "deviceParameters": pinned}


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


def billed_usage(results: Sequence[GateModelQuantumTaskResult]) -> BilledUsage | None:
    """What Braket bills QPU tasks by: a fee per task and per shot, the shots as each task's
    metadata states them (Braket reports no charge). None for simulator tasks, billed by
    the minute instead."""
    if any(r.additional_metadata.simulatorMetadata is not None for r in results):
        return None
    return {
        "usage": [{"unit": "tasks", "quantity": len(results)},
                  {"unit": "shots", "quantity": sum(r.task_metadata.shots for r in results)}],
        "amount": None, "currency": None,
        "source": "Braket task results: one task per circuit, taskMetadata.shots",
    }  # fmt: skip


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
