"""BSEQ circuits: a Bell pair on every coupler of the device, measured at the CHSH settings.

As metriq-gym's ``metriq_gym/benchmarks/bseq.py`` does it: the couplers are coloured so that
no two couplers of a colour share a qubit (rustworkx's bipartite edge colouring, which needs
only as many colours as the highest degree, three on a heavy-hex lattice; Misra and Gries'
at most one more where the graph is not bipartite), and each colour is one layer of
parallel Bell pairs. Each layer is prepared once and measured at the four CHSH settings of
``bench_common.bell_tests``, so a 127-qubit heavy-hex device takes 12 circuits, not 4 per
coupler. The analysis is ``bench_common.bseq``.
"""

from __future__ import annotations

import numpy as np
import rustworkx as rx
from qiskit import QuantumCircuit

from bench_common import bell_tests
from bench_common.bseq import Pair, pairs_text
from bench_common.catalogue import WorkloadSpec
from bench_workers.workloads import BasisGate, DeviceGraph, LogicalCircuit


def layers(device: DeviceGraph) -> list[list[Pair]]:
    """The couplers in as few layers of disjoint pairs as the colouring finds, each layer
    and the pairs in it in a fixed order (so hardware rebuilds the same circuits)."""
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(device.qubits))
    couplers = sorted(device.couplers)
    graph.add_edges_from_no_data(couplers)
    try:
        colours = rx.graph_bipartite_edge_color(graph)
    except rx.GraphNotBipartite:
        colours = rx.graph_misra_gries_edge_color(graph)
    by_colour: dict[int, list[Pair]] = {}
    for index, colour in sorted(colours.items()):
        by_colour.setdefault(colour, []).append(couplers[index])
    return sorted((sorted(pairs) for pairs in by_colour.values()), key=lambda pairs: pairs[0])


def bell_pairs(width: int, pairs: list[Pair], name: str) -> QuantumCircuit:
    """Φ⁺ on each pair (H on the lower qubit, then CX to the higher one), written on the
    device's qubits; translation turns the CX the way the coupler runs."""
    circuit = QuantumCircuit(width, name=name)
    for low, high in pairs:
        circuit.h(low)
        circuit.cx(low, high)
    return circuit


def bseq(spec: WorkloadSpec, rng: np.random.Generator, device: DeviceGraph) -> list[LogicalCircuit]:
    """Per layer, one preparation and its four CHSH circuits: the lower qubit of each pair
    measures Alice's axis, the higher one Bob's (R_y(−θ) turns cos θ·Z + sin θ·X into Z, as
    in the ``chsh`` workload). The meta names the layer's pairs and the device's width."""
    if not device.couplers:
        raise ValueError(f"{spec.id}: the device has no coupler to test")
    circuits = []
    for layer, pairs in enumerate(layers(device)):
        preparation = bell_pairs(device.qubits, pairs, f"{spec.id}_layer_{layer}")
        meta: dict[str, str | int] = {"layer": layer, "pairs": pairs_text(pairs),
                                      "width": device.qubits}  # fmt: skip
        for setting, (alice, bob, _) in enumerate(bell_tests.SETTINGS):
            basis = tuple(
                gate
                for low, high in pairs
                for gate in (BasisGate("ry", low, -alice), BasisGate("ry", high, -bob))
            )
            name = f"layer_{layer}_chsh_{setting}"
            circuit_meta: dict[str, str | int] = {**meta, "setting": setting}
            circuits.append(LogicalCircuit(name, preparation, basis, circuit_meta, physical=True))
    return circuits
