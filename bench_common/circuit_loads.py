"""What a workload sends to a device, worked out before it runs and without building a
circuit: how many circuits, and their gates as the logical circuits have them.

The API prices a run from these (``bench_common.pricing``) and may not load Qiskit, so each
workload type states its load as arithmetic on its spec, mirroring its builder in
``bench_workers.workloads`` (``tests/test_cost.py`` holds the two to the same counts).
Counting follows the report's gate counts: measurements and barriers are not gates, and
every qubit of a circuit is measured once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench_common import bell_tests, ghz_fidelity

if TYPE_CHECKING:
    from bench_common.catalogue import BackendSpec, WorkloadSpec
    from bench_common.workload_types import WorkloadType


@dataclass(frozen=True)
class GateCounts:
    """Gates over all of a workload's logical circuits, before any transpilation, and the
    qubits they measure. ``mean`` when the circuits are drawn from the run's seed, so the
    counts are their expectation over the draw rather than exact."""

    one_qubit: float
    two_qubit: float
    measurements: int
    mean: bool = False


@dataclass(frozen=True)
class CircuitLoad:
    """A workload's circuits (each run with the request's shots) and their gates.
    ``upper_bound`` when the device decides how many circuits there are and ``circuits`` is
    the most there can be on it; ``gates`` is None for a type that does not state them."""

    circuits: int
    gates: GateCounts | None = None
    upper_bound: bool = False


def ghz_load(spec: WorkloadSpec, backend: BackendSpec) -> CircuitLoad:
    """H and a CX chain in every circuit; each coherence setting then changes every qubit's
    basis, X by H and Y by S†·H. Settings have an even number of Y; over all of them, and
    in expectation over drawn ones, half the letters are Y: 1.5·n basis gates a setting."""
    n = spec.qubits
    circuits = ghz_fidelity.circuits(n)
    settings = circuits - 1
    exhaustive = settings == 1 << (n - 1)
    gates = GateCounts(one_qubit=circuits + settings * 1.5 * n, two_qubit=circuits * (n - 1),
                       measurements=circuits * n, mean=not exhaustive)  # fmt: skip
    return CircuitLoad(circuits, gates)


def chsh_load(spec: WorkloadSpec, backend: BackendSpec) -> CircuitLoad:
    """Φ⁺ (H, CX), then one R_y per qubit, at each of the four settings."""
    circuits = len(bell_tests.SETTINGS)
    return CircuitLoad(circuits, GateCounts(3 * circuits, circuits, 2 * circuits))


def mirror_load(spec: WorkloadSpec, backend: BackendSpec) -> CircuitLoad:
    """Layers of a Clifford on every qubit and CX on a perfect matching, then their inverse
    (each inverse gate one gate): fixed by the workload's own seed, so exact."""
    n, layers = spec.qubits, int(spec.params["layers"])
    return CircuitLoad(1, GateCounts(2 * layers * n, 2 * layers * (n // 2), n))


def randomized_mirror_load(spec: WorkloadSpec, backend: BackendSpec) -> CircuitLoad:
    """Per circuit: layers of a Clifford on every qubit and CX on each bond of alternately
    the even and the odd bonds with probability ½, a random Pauli (identity with
    probability ¼) on every qubit, then the layers' inverse; in expectation over the draw."""
    n, layers = spec.qubits, int(spec.params["layers"])
    circuits = int(spec.params["circuits"])
    bonds = sum(len(range(layer % 2, n - 1, 2)) for layer in range(layers))
    one_qubit = 2 * layers * n + 0.75 * n
    return CircuitLoad(circuits, GateCounts(circuits * one_qubit, circuits * bonds,
                                            circuits * n, mean=True))  # fmt: skip


def quantum_volume_load(spec: WorkloadSpec, backend: BackendSpec) -> CircuitLoad:
    """Per model circuit: m layers of ⌊m/2⌋ SU(4) blocks, each written as its KAK form of
    3 CX and 8 single-qubit U gates (a Haar-random SU(4) needs all three CX)."""
    m, trials = spec.qubits, int(spec.params["trials"])
    blocks = m * (m // 2)
    return CircuitLoad(trials, GateCounts(trials * 8 * blocks, trials * 3 * blocks, trials * m))


def load_of(kind: WorkloadType, spec: WorkloadSpec, backend: BackendSpec) -> CircuitLoad | None:
    """The type's own load, else its circuit count alone; None when neither is known before
    the run (the device decides the count and the type states no bound)."""
    if kind.load is not None:
        return kind.load(spec, backend)
    circuits = kind.circuits(spec)
    return None if circuits is None else CircuitLoad(circuits)
