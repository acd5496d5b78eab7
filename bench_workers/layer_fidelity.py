"""Layer fidelity circuits: simultaneous direct randomized benchmarking on the two layers of
a chain (McKay et al., arXiv:2311.05933), built as qiskit-experiments' ``LayerFidelity``
builds them (``library/randomized_benchmarking/layer_fidelity.py``); the analysis is
``bench_common.layer_fidelity``.

The chain: n qubits joined by couplers, chosen by the device's reported errors as
qiskit-device-benchmarking's layer-fidelity notebook chooses it: the path whose layer
fidelity the reported errors predict highest, each coupler counting as its process fidelity
1 − 5/4·e₂ (the notebook's default leaves readout out, as LF does not see it), here with
each qubit's single-qubit process fidelity 1 − 3/2·e₁ too (every chain qubit takes a random
Clifford in each layer's every step): the chain minimizes

    Σ over its couplers −ln(1 − 5/4·e₂) + Σ over its qubits −2·ln(1 − 3/2·e₁).

Finding the best path of n qubits is NP-hard, so the search is bounded, and deterministic
for a device model: a beam search (``BEAM`` paths, grown one qubit at a time at one end from
every usable qubit, the cheapest kept) that keeps only paths that can still reach n qubits
by a necessary count (the qubits their end still reaches, less the dead-end branches a path
cannot all enter); beside it, a depth-first search in Warnsdorff's order (the neighbour
with the fewest free neighbours first) from every qubit with at most two neighbours, which
finds the long chains of a sparse device where the beam can paint itself into a corner.
The cheapest of all, after sliding it (an end dropped, a neighbour of an end taken on)
while that helps, is the chain; when none finds one, the depth-first search tries again
from every qubit, ten times longer, and takes the first chain it finds.

The layers, as qiskit-device-benchmarking cuts them: the chain's bonds 0, 2, 4, … and
1, 3, 5, …, each gate the coupler's native two-qubit gate in the direction the device
runs it (a direct RB benchmarks that gate itself, so no translation may dress it). Each
circuit of a layer: ``length`` times a random single-qubit Clifford on every chain qubit,
a barrier, the layer's gates, a barrier; then each subsystem's inverse Clifford (a pair's
as Stim's tableau synthesis writes it, in CX and single-qubit gates), so the ideal outcome
is all zeros. The barriers keep the level-1 translation from merging across the layers.
Every qubit of the device is measured; the qubits off the chain stay idle in |0⟩.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import islice, pairwise, product

import numpy as np
import stim
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit import Barrier, CircuitInstruction, Gate
from qiskit.circuit.library import get_standard_gate_name_mapping

from bench_common.catalogue import WorkloadSpec
from bench_common.layer_fidelity import LAYERS, Subsystem, lengths, subsystems_text
from bench_workers.stim_sampler import stim_ops
from bench_workers.workloads import DeviceGraph, LogicalCircuit

BEAM = 64
"""Paths kept at each step of the chain search."""
BRANCHES = 8
"""Cheapest free neighbours a path of the beam may grow into (all of them on sparse
devices; a bound on all-to-all ones)."""
DFS_BUDGET = 2_000
"""Qubits each depth-first search may step on (one from every qubit with at most two
neighbours: where a chain that spans most of a sparse device can start)."""
DFS_FALLBACK = 20_000
"""The same, when none found a chain (then the first chain found is taken)."""
SLIDE_GAIN = 1e-12
"""Least cost improvement a slide must make (so that sliding ends)."""
ERROR_CAP = 0.999
"""Errors are capped here so that a dead coupler costs much but stays finite."""
TWO_QUBIT_PROCESS = 5 / 4
"""(d + 1)/d at d = 4: a reported average gate infidelity as a process infidelity."""
ONE_QUBIT_PROCESS = 3 / 2
"""(d + 1)/d at d = 2."""
CLIFFORD_ANGLE = math.pi / 2
CLIFFORD_GATES = ("h", "s", "sdg", "sx", "x", "z")
"""Words over these gates name the 24 single-qubit Cliffords (the shortest word of each)."""
STIM_TO_QISKIT = {"H": "h", "S": "s", "S_DAG": "sdg", "X": "x", "Y": "y", "Z": "z",
                  "SQRT_X": "sx", "SQRT_X_DAG": "sxdg", "CX": "cx", "CZ": "cz",
                  "SWAP": "swap"}  # fmt: skip


@cache
def _stim_tableau(gates: tuple[str, ...], qubits: int = 1, angle: float | None = None
                  ) -> stim.Tableau:  # fmt: skip
    """The tableau of a word of standard gates (each at ``angle`` if it takes one)."""
    program = stim.Circuit()
    for name in gates:
        for op, targets in stim_ops(name, () if angle is None else (angle,)):
            program.append(op, list(targets))
    return stim.Tableau.from_circuit(program) if len(program) else stim.Tableau(qubits)


def native_gate(name: str) -> tuple[Gate, stim.Tableau]:
    """A device's two-qubit gate as the sequences use it, with its tableau: a rotation
    (``rxx``, ``rzz``: Mølmer–Sørensen and ZZ gates) at the Clifford angle π/2."""
    gate = get_standard_gate_name_mapping()[name]
    if not gate.params:
        return gate, _stim_tableau((name,), 2)
    rotation = type(gate)(*(CLIFFORD_ANGLE,) * len(gate.params))
    return rotation, _stim_tableau((name,), 2, CLIFFORD_ANGLE)


@cache
def one_qubit_cliffords() -> tuple[tuple[tuple[str, ...], stim.Tableau], ...]:
    """The 24 single-qubit Cliffords, each as its shortest word over ``CLIFFORD_GATES``
    (the first in a fixed order) with its tableau."""
    found: dict[str, tuple[tuple[str, ...], stim.Tableau]] = {}
    for size in range(4):
        for word in product(CLIFFORD_GATES, repeat=size):
            tableau = _stim_tableau(word)
            found.setdefault(str(tableau), (word, tableau))
    if len(found) != 24:
        raise RuntimeError("the single-qubit Clifford table is incomplete")
    return tuple(found.values())


@dataclass(frozen=True)
class Graph:
    """The usable qubits and what stepping onto each costs: each qubit's own cost, its
    neighbours by the cost of stepping onto them (the coupler's and the neighbour's own),
    cheapest first, and its neighbours as the bits of an integer (for the reachability
    counts)."""

    qubits: Mapping[int, float]
    couplers: Mapping[tuple[int, int], float]
    steps: Mapping[int, list[tuple[float, int]]]
    adjacent: Mapping[int, int]

    def cost(self, path: Sequence[int]) -> float:
        """The chain's cost: its qubits' and its couplers'."""
        return sum(self.qubits[q] for q in path) + sum(
            self.couplers[(min(a, b), max(a, b))] for a, b in pairwise(path)
        )

    @classmethod
    def of(cls, device: DeviceGraph) -> Graph:
        """A coupler costs −ln(1 − 5/4·e₂), a qubit −2·ln(1 − 3/2·e₁): the process
        infidelities ((d + 1)/d times the reported errors) of the layer gate and of a
        single-qubit gate in each of the two layers, so a chain's cost is −ln of the layer
        fidelity its reported errors predict. Readout errors are left out (LF does not see
        them); the usable qubits are those with a readout."""
        cost = {q: -LAYERS * math.log1p(-min(ONE_QUBIT_PROCESS * device.one_qubit.get(q, 0.0),
                                             ERROR_CAP))
                for q in device.readout}  # fmt: skip
        steps: dict[int, list[tuple[float, int]]] = {q: [] for q in cost}
        adjacent = dict.fromkeys(cost, 0)
        couplers = {}
        for (a, b), error in device.couplers.items():
            if a in cost and b in cost:
                coupler = couplers[a, b] = -math.log1p(-min(TWO_QUBIT_PROCESS * error, ERROR_CAP))
                steps[a].append((coupler + cost[b], b))
                steps[b].append((coupler + cost[a], a))
                adjacent[a] |= 1 << b
                adjacent[b] |= 1 << a
        for neighbours in steps.values():
            neighbours.sort()
        return cls(cost, couplers, steps, adjacent)


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _may_reach(graph: Graph, end: int, used: int, needed: int) -> bool:
    """Whether a path ending at ``end`` (its qubits the bits of ``used``) might still grow
    by ``needed`` qubits, ``end`` included: the free qubits it reaches, less all but the
    longest of the dead-end branches among them (a path enters at most one, as its last
    stretch). A necessary condition, cheap enough to test on every candidate."""
    free = ~used | 1 << end
    reached = frontier = 1 << end
    while frontier:
        grown = 0
        for q in _bits(frontier):
            grown |= graph.adjacent[q]
        frontier = grown & free & ~reached
        reached |= frontier
    if reached.bit_count() < needed:
        return False
    branches = []
    for leaf in _bits(reached & ~(1 << end)):
        if (graph.adjacent[leaf] & reached).bit_count() != 1:
            continue
        size, previous, q = 1, leaf, (graph.adjacent[leaf] & reached).bit_length() - 1
        while q != end and (graph.adjacent[q] & reached).bit_count() == 2:
            size += 1
            previous, q = q, (graph.adjacent[q] & reached & ~(1 << previous)).bit_length() - 1
        branches.append(size)
    return reached.bit_count() - sum(branches) + max(branches, default=0) >= needed


Path = tuple[float, tuple[int, ...], int]
"""A partial chain: its cost, its qubits, and its qubits as the bits of an integer."""


def _beam(graph: Graph, n: int) -> tuple[int, ...] | None:
    starts: list[Path] = [(cost, (q,), 1 << q) for q, cost in graph.qubits.items()]
    beam = sorted(starts)[:BEAM]
    for size in range(1, n):
        grown: dict[tuple[int, int], Path] = {}
        for cost, path, used in beam:
            free = (q for q in graph.steps[path[-1]] if not used >> q[1] & 1)
            for step, q in islice(free, BRANCHES):
                key = (used | 1 << q, q)
                candidate = (cost + step, (*path, q), key[0])
                if key not in grown or candidate < grown[key]:
                    grown[key] = candidate
        beam = []
        for candidate in sorted(grown.values()):
            if _may_reach(graph, candidate[1][-1], candidate[2], n - size):
                beam.append(candidate)
                if len(beam) == BEAM:
                    break
        if not beam:
            return None
    return beam[0][1]


def _free_neighbours(graph: Graph, q: int, used: int) -> Iterator[int]:
    """Warnsdorff's order: the free neighbours (not in the bits of ``used``) with the fewest
    free neighbours first."""
    free = [r for _, r in graph.steps[q] if not used >> r & 1]
    return iter(sorted(free, key=lambda r: ((graph.adjacent[r] & ~used).bit_count(), r)))


def depth_first_chain(graph: Graph, n: int, start: int, budget: int) -> tuple[int, ...] | None:
    """A path of n qubits from ``start`` by depth-first search in Warnsdorff's order,
    stepping on at most ``budget`` qubits."""
    path, used = [start], 1 << start
    choices = [_free_neighbours(graph, start, used)]
    while choices:
        q = next((r for r in choices[-1] if not used >> r & 1), None)
        if q is None:
            choices.pop()
            used &= ~(1 << path.pop())
            continue
        budget -= 1
        if budget < 0:
            return None
        path.append(q)
        used |= 1 << q
        if len(path) == n:
            return tuple(path)
        choices.append(_free_neighbours(graph, q, used))
    return None


def _slid(graph: Graph, chain: tuple[int, ...]) -> tuple[int, ...]:
    """The chain improved by sliding: an end qubit dropped and a free neighbour of either
    end taken on, while that lowers the cost (each move's cost found from the chain's)."""
    cost = graph.cost(chain)
    while True:
        moves = []
        for rest, end, next_to in ((chain[1:], chain[0], chain[1]),
                                   (chain[:-1], chain[-1], chain[-2])):  # fmt: skip
            left = cost - graph.qubits[end] - graph.couplers[(min(end, next_to),
                                                               max(end, next_to))]  # fmt: skip
            on = set(rest)
            for tip, grow in ((rest[0], -1), (rest[-1], 1)):
                moves += [(left + step, q, grow, rest) for step, q in graph.steps[tip]
                          if q not in on]  # fmt: skip
        if not moves:
            return chain
        best, q, grow, rest = min(moves)
        if best >= cost - SLIDE_GAIN:
            return chain
        chain, cost = ((q, *rest) if grow < 0 else (*rest, q)), best


@lru_cache(maxsize=64)
def _chain(couplers: tuple[tuple[tuple[int, int], float], ...],
           readout: tuple[tuple[int, float], ...], one_qubit: tuple[tuple[int, float], ...],
           n: int) -> tuple[int, ...]:  # fmt: skip
    graph = Graph.of(DeviceGraph(0, dict(couplers), dict(readout), {}, dict(one_qubit)))
    starts = sorted(graph.qubits)
    ends = [q for q in starts if graph.adjacent[q].bit_count() <= 2]
    found = [_beam(graph, n), *(depth_first_chain(graph, n, q, DFS_BUDGET) for q in ends)]
    candidates = [chain for chain in found if chain is not None]
    if not candidates:  # long chains are rare on this device: search harder for one
        harder = (depth_first_chain(graph, n, q, DFS_FALLBACK) for q in starts)
        first = next((chain for chain in harder if chain is not None), None)
        if first is None:
            raise ValueError(f"no chain of {n} connected qubits found on the device")
        candidates = [first]
    best = min((_slid(graph, chain) for chain in candidates), key=lambda c: (graph.cost(c), c))
    return best if best[0] < best[-1] else best[::-1]


def best_chain(device: DeviceGraph, n: int) -> tuple[int, ...]:
    """The chain of n qubits for a device (see the module's docstring), lower end first;
    found once per device and length in a process."""
    tables = (device.couplers, device.readout, device.one_qubit)
    return _chain(*(tuple(sorted(table.items())) for table in tables), n)


def layers(device: DeviceGraph, chain: tuple[int, ...]) -> list[list[tuple[int, int]]]:
    """The even and the odd bonds of the chain, each as its native gate runs (control
    first, for a directed gate)."""
    bonds = [device.native[(min(a, b), max(a, b))][1] for a, b in pairwise(chain)]
    return [bonds[parity::LAYERS] for parity in range(LAYERS)]


def _inverse(tableau: stim.Tableau, qubits: Subsystem) -> list[tuple[str, tuple[int, ...]]]:
    """The gates (Qiskit names, on device qubits) that undo a subsystem's Clifford."""
    gates = []
    for op in tableau.inverse().to_circuit(method="elimination"):
        targets = [t.value for t in op.targets_copy()]
        arity = 2 if op.name in ("CX", "CZ", "SWAP") else 1
        for start in range(0, len(targets), arity):
            on = tuple(qubits[t] for t in targets[start : start + arity])
            gates.append((STIM_TO_QISKIT[op.name], on))
    return gates


class LayerSequences:
    """Direct RB sequences of one layer of a chain: its pairs, each with its native gate,
    and the chain's other qubits alone. The instructions every sequence reuses are made
    once, on one register that all the layer's circuits share."""

    def __init__(self, width: int, chain: tuple[int, ...], pairs: list[tuple[int, int]],
                 gates: list[str]) -> None:  # fmt: skip
        named = get_standard_gate_name_mapping()
        self.register = QuantumRegister(width, "q")
        qubits = list(self.register)
        paired = {q for pair in pairs for q in pair}
        self.chain = chain
        self.subsystems: list[Subsystem] = [*pairs, *((q,) for q in chain if q not in paired)]
        self.position = {q: (index, slot) for index, sub in enumerate(self.subsystems)
                         for slot, q in enumerate(sub)}  # fmt: skip
        natives = [native_gate(gate) for gate in gates]
        self.native = [tableau for _, tableau in natives]
        self.barrier = CircuitInstruction(Barrier(len(chain)), [qubits[q] for q in chain])
        words = [word for word, _ in one_qubit_cliffords()]
        self.words = {(q, c): [CircuitInstruction(named[g], [qubits[q]]) for g in word]
                      for q in chain for c, word in enumerate(words)}  # fmt: skip
        self.layer = [CircuitInstruction(gate, [qubits[a], qubits[b]])
                      for (gate, _), (a, b) in zip(natives, pairs, strict=True)]  # fmt: skip
        self.named = {name: named[name] for name in STIM_TO_QISKIT.values()}

    def circuit(self, length: int, rng: np.random.Generator, name: str) -> QuantumCircuit:
        """``length`` times a random single-qubit Clifford on every chain qubit, a barrier,
        the layer's gates, a barrier; then each subsystem's inverse Clifford."""
        cliffords = one_qubit_cliffords()
        tableaux = [stim.Tableau(len(sub)) for sub in self.subsystems]
        circuit = QuantumCircuit(self.register, name=name)
        for drawn in rng.integers(0, len(cliffords), size=(length, len(self.chain))):
            frame = [[cliffords[0][1]] * len(sub) for sub in self.subsystems]
            for q, c in zip(self.chain, drawn.tolist(), strict=True):
                for instruction in self.words[q, c]:
                    circuit._append(instruction)
                index, slot = self.position[q]
                frame[index][slot] = cliffords[c][1]
            for index, parts in enumerate(frame):
                tableaux[index] = tableaux[index].then(parts[0] if len(parts) == 1
                                                       else parts[0] + parts[1])  # fmt: skip
            circuit._append(self.barrier)
            for index, instruction in enumerate(self.layer):
                circuit._append(instruction)
                tableaux[index] = tableaux[index].then(self.native[index])
            circuit._append(self.barrier)
        for sub, tableau in zip(self.subsystems, tableaux, strict=True):
            for gate, on in _inverse(tableau, sub):
                circuit._append(CircuitInstruction(self.named[gate],
                                                   [self.register[q] for q in on]))  # fmt: skip
        return circuit


def layer_fidelity(
    spec: WorkloadSpec, rng: np.random.Generator, device: DeviceGraph
) -> list[LogicalCircuit]:
    """Per sample, per layer, per length, one random sequence (qiskit-experiments' order),
    each circuit's meta naming its layer, length, sample, subsystems, the chain and the
    device's width, so the analysis needs nothing else."""
    chain = best_chain(device, spec.qubits)
    cut = [LayerSequences(device.qubits, chain, pairs,
                          [device.native[(min(a, b), max(a, b))][0] for a, b in pairs])
           for pairs in layers(device, chain)]  # fmt: skip
    chain_text = " ".join(map(str, chain))
    circuits = []
    for sample in range(int(spec.params["samples"])):
        for index, layer in enumerate(cut):
            for length in lengths(spec):
                name = f"layer_{index}_length_{length}_sample_{sample}"
                meta: dict[str, str | int] = {
                    "layer": index, "length": length, "sample": sample,
                    "subsystems": subsystems_text(layer.subsystems), "chain": chain_text,
                    "width": device.qubits,
                }  # fmt: skip
                preparation = layer.circuit(length, rng, f"{spec.id}_{name}")
                circuits.append(LogicalCircuit(name, preparation, (), meta, physical=True))
    return circuits
