"""The seed's circuit builders (GHZ chain, mirror circuit), and the gate counting the report uses.

Counting follows the contract: measurements and barriers are not gates, so GHZ-n has n
gates and depth n. The depth-stress mirror circuit draws its layers from a generator seeded
by the workload's own ``circuit_seed``, never by the run seed, so every backend and every
run executes the identical circuit and their fidelities compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
from qiskit import QuantumCircuit, qasm3
from qiskit.circuit import CircuitInstruction
from qiskit.circuit.library import get_standard_gate_name_mapping

from bench_common.catalogue import WorkloadSpec
from bench_common.documents import Calibration, TimingSource
from bench_common.metrics import Analysis
from bench_common.results import WorkloadResult
from bench_common.workload_types import WorkloadType
from bench_workers.executors.base import JobSpec
from bench_workers.plugins import resolve

UNCOUNTED = frozenset({"barrier", "measure"})
ONE_QUBIT_CLIFFORDS = ("h", "s", "sdg", "sx", "sxdg", "x", "y", "z")

Builder = Callable[[WorkloadSpec], QuantumCircuit]


def ghz_chain(spec: WorkloadSpec) -> QuantumCircuit:
    """H on qubit 0, then CX(i, i+1) along the chain, all qubits measured (Bell for n = 2)."""
    circuit = QuantumCircuit(spec.qubits, name=spec.id)
    circuit.h(0)
    for qubit in range(spec.qubits - 1):
        circuit.cx(qubit, qubit + 1)
    circuit.measure_all()
    return circuit


def mirror_circuit(spec: WorkloadSpec) -> QuantumCircuit:
    """``layers`` random Clifford layers, a barrier, then their exact inverse: ideal output 0ⁿ.

    A layer is a random single-qubit Clifford on every qubit followed by CX gates on a random
    perfect matching (random orientation), so every layer entangles.
    """
    rng = np.random.default_rng(int(spec.params["circuit_seed"]))
    gates = get_standard_gate_name_mapping()
    forward = QuantumCircuit(spec.qubits)
    for _ in range(int(spec.params["layers"])):
        for qubit in range(spec.qubits):
            forward.append(gates[str(rng.choice(ONE_QUBIT_CLIFFORDS))], [qubit])
        order = rng.permutation(spec.qubits)
        for control, target in zip(order[0::2], order[1::2], strict=False):
            forward.cx(int(control), int(target))
    circuit = QuantumCircuit(spec.qubits, name=spec.id)
    circuit.compose(forward, inplace=True)
    circuit.barrier()
    circuit.compose(forward.inverse(), inplace=True)
    circuit.measure_all()
    return circuit


def build(spec: WorkloadSpec, kind: WorkloadType) -> QuantumCircuit:
    """The logical circuit of a workload, by its type's builder; measurement ``i`` writes
    clbit ``i`` from qubit ``i``."""
    return cast(Builder, resolve(kind.build))(spec)


def _counted(instruction: CircuitInstruction) -> bool:
    return instruction.operation.name not in UNCOUNTED


def gate_count(circuit: QuantumCircuit) -> int:
    return sum(1 for instruction in circuit.data if _counted(instruction))


def two_qubit_gate_count(circuit: QuantumCircuit) -> int:
    return sum(
        1 for instruction in circuit.data if _counted(instruction) and len(instruction.qubits) == 2
    )


def depth(circuit: QuantumCircuit) -> int:
    return int(circuit.depth(_counted))


@dataclass(frozen=True)
class CircuitFacts:
    """What the report says about a workload's circuits: counts of the logical one, of the
    executed (transpiled) one, and both as OpenQASM 3 for the evidence."""

    gate_count: int
    depth: int
    transpiled_gate_count: int
    transpiled_depth: int
    two_qubit_gate_count: int
    logical_qasm3: str
    executed_qasm3: str

    @classmethod
    def of(cls, logical: QuantumCircuit, executed: QuantumCircuit) -> CircuitFacts:
        return cls(
            gate_count=gate_count(logical),
            depth=depth(logical),
            transpiled_gate_count=gate_count(executed),
            transpiled_depth=depth(executed),
            two_qubit_gate_count=two_qubit_gate_count(executed),
            logical_qasm3=qasm3.dumps(logical),
            executed_qasm3=qasm3.dumps(executed),
        )


def workload_result(
    job: JobSpec,
    analysis: Analysis,
    facts: CircuitFacts,
    counts: dict[str, int],
    *,
    execution_time_ms: float | None,
    timing_source: TimingSource,
    calibration: Calibration,
    provider_job_id: str | None = None,
) -> WorkloadResult:
    """The report row and evidence of one executed workload, simulated or on hardware; the
    type's shot accounting gives ``metrics.circuits`` and ``metrics.total_shots``."""
    spec = job.workload
    circuits = job.kind.circuits(spec)
    return WorkloadResult(
        id=spec.id,
        type=spec.type,
        qubits=spec.qubits,
        fidelity=analysis.fidelity,
        fidelity_ci95=analysis.fidelity_ci95,
        execution_time_ms=execution_time_ms,
        timing_source=timing_source,
        metrics={**analysis.metrics, "circuits": circuits, "total_shots": circuits * job.shots},
        counts=counts,
        provider_job_id=provider_job_id,
        calibration=calibration,
        **asdict(facts),
    )
