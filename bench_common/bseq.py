"""Bell-state effective qubits (BSEQ), as metriq-gym defines it (``metriq_gym/benchmarks/
bseq.py``, after Paul Nation's code for IBM devices): CHSH on every coupler of the device,
then the size of the largest connected set of qubits joined by couplers that violate CHSH.

Each coupler (a, b) holds Φ⁺ and is measured at the four settings of ``bench_common.
bell_tests`` (a is the lower qubit, Alice), giving one S per coupler. A coupler violates
when its S exceeds 2, the point value, as metriq-gym decides, so the figure is metriq-gym's.
A qubit joined to no violating coupler is a set of one, so BSEQ is at least 1, as in
metriq-gym, whose graph holds every qubit of the device. ``fidelity`` = BSEQ / device qubits.

The interval bounds the BSEQ of the couplers' exact S (infinitely many shots): every
coupler gets a band Ŝ ± z·σ̂ with z at 1 − 0.05/(2E) for E couplers (σ̂² = Σ 4·p̃(1 − p̃)/N
over the settings, p̃ = (N_same + 2)/(N + 4), so it never vanishes), and all E bands hold
at once with probability at least 95 % (the union bound). When they do, the couplers whose
band lies above 2 violate, the ones whose band reaches above 2 include every coupler that
violates, and since the largest component only grows with the couplers kept, the exact
BSEQ lies between the largest components of the two. A percentile bootstrap of the
largest component does not: near the bound the estimate jumps, and the resampling around
one jumped value covers the exact BSEQ far less often than it claims.

Numpy only: the device's width and each circuit's pairs come from the circuits' meta
(``pairs`` as ``"a-b a-b …"``, ``width``, ``setting``), so an evidence bundle is enough.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench_common.bell_tests import CLASSICAL_BOUND, SETTINGS, SIGNS, s_values
from bench_common.metrics import (
    CONFIDENCE,
    Analysis,
    CircuitMeta,
    Counts,
    Measured,
    Statistics,
    bit_columns,
)

ESTIMATOR = "bseq-metriq-gym-point-v1"
"""The point rule; the interval is the simultaneous one described above."""
Pair = tuple[int, int]


def pairs_text(pairs: Sequence[Pair]) -> str:
    return " ".join(f"{low}-{high}" for low, high in pairs)


def parse_pairs(meta: CircuitMeta) -> tuple[int, list[Pair]]:
    """The device's width and the circuit's pairs: distinct qubits, all within the width."""
    width = int(meta["width"])
    pairs = [(int(low), int(high)) for low, high in
             (item.split("-") for item in str(meta["pairs"]).split())]  # fmt: skip
    qubits = [q for pair in pairs for q in pair]
    if not pairs or len(set(qubits)) != len(qubits) or not all(0 <= q < width for q in qubits):
        raise ValueError(f"pairs {meta['pairs']!r} are not disjoint pairs of {width} qubits")
    return width, pairs


def statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    """Per pair of the circuit (in its meta's order), the shots where its two bits agree;
    ``qubits`` is the workload's nominal width, the register is the device's."""
    width, pairs = parse_pairs(meta)
    bits, tally = bit_columns(counts, width)
    low, high = np.array(pairs).T
    same: list[int] = (tally @ (bits[:, low] == bits[:, high])).astype(int).tolist()
    return {"same": same}


def largest_components(
    width: int, edges: NDArray[np.int64], used: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Per row of ``used`` (which ``edges`` are kept), the size of the largest connected
    component of the ``width`` qubits, every row at once: a forest of labels (each qubit
    points to a lower one or to itself, a root), where each round hooks the higher root of
    every kept edge whose ends still differ under the lower one, then points every qubit
    straight at its root; when no kept edge joins two roots, the roots name the components."""
    rows = np.arange(used.shape[0])[:, None]
    labels = np.tile(np.arange(width), (used.shape[0], 1))
    low, high = np.broadcast_arrays(edges[:, 0], edges[:, 1], used)[:2]
    row_of = np.broadcast_to(rows, used.shape)
    while True:
        ends = labels[row_of, low], labels[row_of, high]
        apart = used & (ends[0] != ends[1])
        if not apart.any():
            break
        upper, lower = np.maximum(*ends)[apart], np.minimum(*ends)[apart]
        np.minimum.at(labels, (row_of[apart], upper), lower)
        while not np.array_equal(pointed := labels[rows, labels], labels):
            labels = pointed
    sizes = np.bincount((labels + rows * width).ravel(), minlength=labels.size)
    largest: NDArray[np.int64] = sizes.reshape(labels.shape).max(axis=1)
    return largest


def tallies(measured: Sequence[Measured]) -> tuple[int, list[Pair], NDArray[np.int64],
                                                     NDArray[np.int64], int]:  # fmt: skip
    """The device's width, the tested couplers (sorted), their agreeing shots and shots
    per setting (couplers × settings), and the number of layers; every coupler must be
    measured exactly once at each setting, by circuits of one width."""
    widths, layers = set(), set()
    found: dict[Pair, dict[int, tuple[int, int]]] = {}
    for circuit in measured:
        width, pairs = parse_pairs(circuit.meta)
        widths.add(width)
        layers.add(int(circuit.meta["layer"]))
        setting, same = int(circuit.meta["setting"]), circuit.statistics["same"]
        if (not isinstance(same, list) or len(same) != len(pairs)
                or not all(0 <= agreeing <= circuit.shots for agreeing in same)
                or circuit.shots <= 0):  # fmt: skip
            raise ValueError(f"{circuit.name}: statistics do not match its pairs and shots")
        for pair, agreeing in zip(pairs, same, strict=True):
            settings = found.setdefault(pair, {})
            if setting in settings or not 0 <= setting < len(SETTINGS):
                raise ValueError(f"{circuit.name}: setting {setting} of {pair} again or unknown")
            settings[setting] = (agreeing, circuit.shots)
    if len(widths) != 1 or any(len(s) != len(SETTINGS) for s in found.values()):
        raise ValueError("every coupler needs each CHSH setting once, on one device width")
    edges = sorted(found)
    table = np.array([[found[e][s] for s in range(len(SETTINGS))] for e in edges], np.int64)
    return widths.pop(), edges, table[..., 0], table[..., 1], len(layers)


def bands(same: NDArray[np.int64], shots: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per coupler (rows of settings), the half-width z·σ̂ of a band around Ŝ that holds for
    all couplers at once with probability at least ``CONFIDENCE``."""
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / (2 * len(same)))
    tilde = (same + 2) / (shots + 4)
    half: NDArray[np.float64] = z * np.sqrt((4 * tilde * (1 - tilde) / shots).sum(axis=-1))
    return half


def analyse(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    """BSEQ from the point values, and the largest components of the couplers whose band
    lies above 2 and of those whose band reaches above it as the interval."""
    width, edges, same, shots, layers = tallies(measured)
    s = s_values(same, shots, SIGNS)
    half = bands(same, shots)
    kept = np.array([s - half, s, s + half]) > CLASSICAL_BOUND
    low, bseq, high = largest_components(width, np.array(edges, dtype=np.int64), kept).tolist()
    interval = [float(low), float(high)]
    return Analysis(bseq / width, [end / width for end in interval], {
        "bseq": bseq,
        "bseq_ci95": interval,
        "edges_tested": len(edges),
        "edges_violating": int(kept[1].sum()),
        "edges_uncertain": int((kept[2] & ~kept[0]).sum()),
        "edges": [[a, b, float(value)] for (a, b), value in zip(edges, s, strict=True)],
        "layers": layers,
        "estimator": ESTIMATOR,
    })  # fmt: skip
