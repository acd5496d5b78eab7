"""The fast OpenQASM 3 writer against Qiskit's exporter: the same text, character for
character, on the circuits the platform exports and on the cases it must hand back."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3
from qiskit.circuit import Parameter
from qiskit.circuit.tools import pi_check

from bench_common.catalogue import CATALOGUE
from bench_workers import qasm_export, simulator, workloads

BACKENDS = ("simulator", "ibm_brisbane", "ibm_fez", "ionq_forte", "quantinuum_h2", "iqm_garnet")
WORKLOADS = ("bell_state", "ghz_10q", "depth_stress", "chsh", "mirror_10q", "qv_3q", "qv_6q")


def test_angles_are_written_as_pi_check_writes_them() -> None:
    fractions = [k * math.pi / d for d in range(1, 101) for k in range(-150, 151, 7)]
    inverse = [k / (d * math.pi) for d in range(1, 101) for k in range(-120, 121, 11)]
    edges = [0.0, -0.0, 1e-10, -1e-10, 1e-9, 2e-9, math.pi**2, math.pi**3, 99 * math.pi,
             100 * math.pi, 1.0, 1e-5, 1e300, math.pi / 2 + 1e-10, math.pi / 2 + 1e-8]  # fmt: skip
    rng = np.random.default_rng(1)
    values = [*fractions, *inverse, *edges, *rng.uniform(-10, 10, 5000), *rng.normal(0, 1e-8, 500)]
    values = [float(v) for v in values]
    assert qasm_export._angles(values) == [pi_check(v, output="qasm") for v in values]


@pytest.mark.parametrize("backend_id", BACKENDS)
def test_the_platform_s_circuits_export_as_qiskit_exports_them(backend_id: str) -> None:
    backend = CATALOGUE.backends[backend_id]
    for workload_id in WORKLOADS:
        spec = CATALOGUE.workloads[workload_id]
        if spec.qubits > backend.qubits:
            continue
        kind = CATALOGUE.type_of(spec)
        for circuit in workloads.build(spec, kind, np.random.default_rng(3), backend)[:2]:
            width = circuit.preparation.num_qubits
            prepared = simulator.transpiled(backend, width, simulator.gates_of(circuit.preparation),
                                            circuit.physical, circuit.qubits)  # fmt: skip
            for exported in (circuit.preparation, workloads._measured_prefix(prepared, width)):
                assert qasm_export.dumps(exported) == qasm3.dumps(exported), workload_id


def test_gate_definitions_phases_and_what_it_hands_back() -> None:
    defined = QuantumCircuit(3, global_phase=0.3)
    defined.sxdg(0)
    defined.rzz(0.2, 0, 1)
    defined.ecr(1, 2)
    defined.rzz(-0.7, 1, 2)
    defined.u(0.1, math.pi / 2, -math.pi, 2)
    defined.barrier()
    defined.rz(1e-12, 0)
    measured = defined.copy()
    measured.measure_all()
    registers = QuantumCircuit(QuantumRegister(1, "a"), QuantumRegister(1, "b"),
                               ClassicalRegister(2, "c"))  # fmt: skip
    registers.cx(0, 1)
    symbolic = QuantumCircuit(1)
    symbolic.rz(Parameter("θ"), 0)
    for circuit in (defined, measured, registers, symbolic):
        assert qasm_export.dumps(circuit) == qasm3.dumps(circuit)
    assert qasm_export._instructions(defined) is not None  # written here
    assert all(qasm_export._instructions(c) is None for c in (measured, registers, symbolic))
