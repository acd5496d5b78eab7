"""The quantum-volume model circuits (``bench_common.quantum_volume`` analyses them).

Each trial draws its circuit as qiskit-experiments' ``QuantumVolume`` experiment does: a
seed ``rng.integers(2⁶³ − 1)`` for Qiskit's ``quantum_volume(m, m, seed)`` (m layers of
Haar-random SU(4) on a random pairing), so a run seeded s executes exactly the circuits
that ``QuantumVolume(qubits, seed=s')`` generates for ``s'`` the workload's circuit seed.
The ideal distribution is the exact state vector of that circuit (qubit i = bit i of the
outcome index, as in the counts' keys); its heavy outputs go into the circuit's ``meta``
as a hex mask. Each SU(4) is written as CX and U gates (exact KAK decomposition), so the
logical circuit is standard gates that every device and OpenQASM 3 reader takes.

All trials run on one set of m physical qubits (``LogicalCircuit.qubits``), chosen from
the device graph alone, so the same for every run of a width on a backend: a connected
set with the most couplers, then the shortest distances between its qubits (fewer swaps),
then the lowest sum of coupler and readout errors, grown greedily from every qubit.
Routing stays on it, so a width-m circuit never touches an (m+1)-th qubit, which also
keeps its simulation at m qubits.
"""

from __future__ import annotations

from collections import deque
from functools import cache
from itertools import combinations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import CXGate, quantum_volume
from qiskit.quantum_info import Statevector
from qiskit.synthesis import TwoQubitBasisDecomposer

from bench_common.catalogue import WorkloadSpec
from bench_common.quantum_volume import heavy_mask
from bench_workers.workloads import DeviceGraph, LogicalCircuit

MODEL_SEED_BOUND = np.iinfo(np.int64).max
"""Model circuit seeds are drawn below this, as qiskit-experiments draws them."""


@cache
def _decomposer() -> TwoQubitBasisDecomposer:
    return TwoQubitBasisDecomposer(CXGate(), euler_basis="U")


def in_standard_gates(model: QuantumCircuit) -> QuantumCircuit:
    """The model circuit with each two-qubit unitary replaced by its exact CX + U form."""
    circuit = QuantumCircuit(model.num_qubits, name=model.name)
    for instruction in model.data:
        qubits = [model.find_bit(q).index for q in instruction.qubits]
        circuit.compose(_decomposer()(instruction.operation.to_matrix()), qubits, inplace=True)
    return circuit


def _distances(neighbours: dict[int, dict[int, float]], start: int) -> dict[int, int]:
    """Hops from ``start`` to every qubit ``neighbours`` reaches (breadth first)."""
    found = {start: 0}
    queue = deque([start])
    while queue and len(found) < len(neighbours):
        qubit = queue.popleft()
        for other in neighbours[qubit]:
            if other not in found:
                found[other] = found[qubit] + 1
                queue.append(other)
    return found


def _grown(neighbours: dict[int, dict[int, float]], readout: dict[int, float], seed: int,
           width: int) -> list[int] | None:  # fmt: skip
    """``width`` qubits grown from ``seed``: each step adds the neighbour with the most
    couplers into the set, then the nearest to the seed, then the lowest errors."""
    depth = _distances(neighbours, seed)
    chosen = [seed]
    links: dict[int, list[float]] = {}  # per qubit next to the set: its couplers' errors
    while True:
        for other, error in neighbours[chosen[-1]].items():
            links.setdefault(other, []).append(error)
        for qubit in chosen:
            links.pop(qubit, None)
        if len(chosen) == width:
            return sorted(chosen)
        if not links:
            return None
        chosen.append(min(links, key=lambda v: (-len(links[v]), depth[v],
                                                min(links[v]) + readout[v], v)))  # fmt: skip


def _cost(neighbours: dict[int, dict[int, float]], readout: dict[int, float],
          chosen: list[int]) -> float:  # fmt: skip
    """Expected errors of a model circuit on ``chosen``: m·⌊m/2⌋ SU(4), each 3 two-qubit
    gates per hop between its qubits (swaps along the set's own couplers) at the set's
    mean coupler error, plus m readouts."""
    inside = {q: {v: e for v, e in neighbours[q].items() if v in chosen} for q in chosen}
    errors = [e for q in chosen for v, e in inside[q].items() if q < v]
    hops = [_distances(inside, q)[v] for q, v in combinations(chosen, 2)]
    width = len(chosen)
    return (width * (width // 2) * 3 * float(np.mean(hops)) * float(np.mean(errors))
            + sum(readout[q] for q in chosen))  # fmt: skip


def placement(graph: DeviceGraph, width: int) -> tuple[int, ...]:
    """The m physical qubits every trial of a width-m workload runs on: of the sets grown
    from each qubit (``_grown``), the one with the lowest ``_cost``."""
    return _placement(tuple(sorted(graph.couplers.items())), tuple(sorted(graph.readout.items())),
                      width)  # fmt: skip


@cache
def _placement(couplers: tuple[tuple[tuple[int, int], float], ...],
               readouts: tuple[tuple[int, float], ...], width: int) -> tuple[int, ...]:  # fmt: skip
    readout = dict(readouts)
    neighbours: dict[int, dict[int, float]] = {q: {} for q in readout}
    for (a, b), error in couplers:
        if a in neighbours and b in neighbours:
            neighbours[a][b] = neighbours[b][a] = error
    grown = [_grown(neighbours, readout, seed, width) for seed in sorted(neighbours)]
    candidates = [c for c in grown if c is not None]
    if not candidates:
        raise ValueError(f"no {width} connected usable qubits on this device")

    def score(chosen: list[int]) -> tuple[float, list[int]]:
        return _cost(neighbours, readout, chosen), chosen

    best = min(candidates, key=score)
    return tuple(best)


def model_circuits(
    spec: WorkloadSpec, rng: np.random.Generator, graph: DeviceGraph
) -> list[LogicalCircuit]:
    """``trials`` model circuits of width and depth m, each with its heavy-output mask,
    all placed on the device's ``placement`` for m."""
    width = spec.qubits
    qubits = placement(graph, width)
    circuits = []
    for trial in range(int(spec.params["trials"])):
        seed = int(rng.integers(MODEL_SEED_BOUND, dtype=np.int64))
        model = quantum_volume(width, width, seed=seed)
        mask = heavy_mask(Statevector(model).probabilities())
        preparation = in_standard_gates(model)
        preparation.name = f"{spec.id}_{trial:03d}"
        circuits.append(LogicalCircuit(f"trial_{trial:03d}", preparation,
                                       meta={"heavy": hex(mask)}, qubits=qubits))  # fmt: skip
    return circuits
