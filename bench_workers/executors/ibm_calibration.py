"""IBM calibration as evidence: a job's covers only the qubits and gates its circuit used.

Figures come from the backend's target (built from the same properties snapshot whose
``last_update_date`` becomes the ``timestamp``), in the units of the simulator's snapshots
(``bench_workers.devices``), so simulated and hardware evidence read alike. The snapshot is
the one current when the result is collected, which is within a poll interval of the job
finishing unless calibration changed in between.
"""

from __future__ import annotations

import math
from typing import Any

from qiskit import QuantumCircuit
from qiskit_ibm_runtime import IBMBackend
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

from bench_common.timeutil import format_time

UNCALIBRATED = frozenset({"barrier", "delay"})


def _scaled(value: float | None, scale: float) -> float | None:
    """JSON has no infinity or NaN: a missing or non-finite figure becomes null."""
    return value * scale if value is not None and math.isfinite(value) else None


def gate_uses(executed: QuantumCircuit) -> set[tuple[str, tuple[int, ...]]]:
    """(gate, physical qubits) of every calibrated instruction of an ISA circuit."""
    index = {bit: i for i, bit in enumerate(executed.qubits)}
    return {
        (item.operation.name, tuple(index[q] for q in item.qubits))
        for item in executed.data
        if item.operation.name not in UNCALIBRATED
    }


def snapshot(
    backend: IBMBackend | FakeBackendV2, uses: set[tuple[str, tuple[int, ...]]] | None = None
) -> dict[str, Any]:
    """Per qubit T1/T2/readout error and per gate error/duration, JSON-safe: of the given
    gate uses (the qubits they touch), or of the whole device."""
    target = backend.target
    if uses is None:
        uses = {
            (name, qargs)
            for name in target.operation_names
            if name not in UNCALIBRATED
            for qargs in target[name]
            if qargs is not None
        }
    qubits = sorted({q for _, on in uses for q in on})
    gates: dict[str, dict[str, dict[str, float | None]]] = {}
    for name, on in sorted(uses):
        if name == "measure" or name not in target.operation_names:
            continue
        figures = target[name].get(on)
        gates.setdefault(name, {})[",".join(map(str, on))] = {
            "error": _scaled(figures.error if figures else None, 1.0),
            "duration_ns": _scaled(figures.duration if figures else None, 1e9),
        }
    measure = target["measure"] if "measure" in target.operation_names else {}
    qubit_figures = {}
    for q in qubits:
        props = target.qubit_properties[q] if target.qubit_properties else None
        readout = measure.get((q,))
        qubit_figures[str(q)] = {
            "t1_us": _scaled(props.t1 if props else None, 1e6),
            "t2_us": _scaled(props.t2 if props else None, 1e6),
            "readout_error": _scaled(readout.error if readout else None, 1.0),
        }
    properties = backend.properties()
    return {
        "device": backend.name,
        "source": "IBM Quantum backend properties",
        "timestamp": format_time(properties.last_update_date) if properties else None,
        "num_qubits": backend.num_qubits,
        "basis_gates": sorted(set(target.operation_names) - UNCALIBRATED - {"measure"}),
        "qubits": qubit_figures,
        "gates": gates,
    }
