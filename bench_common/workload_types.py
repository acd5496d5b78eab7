"""One record per workload type: how its circuits are built, how many there are, how their
counts become the row's figures.

A new type of benchmark is one ``WorkloadType`` here (plus its builder and its analysis),
and then as many catalogue entries of that type as it has sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench_common import (
    bell_tests,
    bseq,
    circuit_loads,
    ghz_fidelity,
    layer_fidelity,
    metrics,
    quantum_volume,
)
from bench_common.circuit_loads import CircuitLoad

if TYPE_CHECKING:
    from bench_common.catalogue import BackendSpec, WorkloadSpec


def one_circuit(spec: WorkloadSpec) -> int:
    return 1


def ghz_circuits(spec: WorkloadSpec) -> int:
    return ghz_fidelity.circuits(spec.qubits)


@dataclass(frozen=True)
class WorkloadType:
    """``build`` is ``module:function`` of the circuit builder, the module relative to
    ``bench_workers`` when it starts with a dot (only workers resolve it, so listing and
    validating workloads loads no Qiskit); ``circuits`` gives how many circuits a workload of
    this type executes, each with the request's ``shots``; ``statistics`` reduces one
    circuit's counts to what the evidence keeps, and ``analyse`` turns the statistics of
    all of them into the report row's figures (numpy only, so auditors can recompute them).

    ``on_device`` types (BSEQ, layer fidelity) are drawn on the device's own couplers: their
    builder also gets the backend's coupling graph, and ``circuits`` may answer None when
    the device decides how many there are. ``device_wide`` rows report the backend's width
    as their ``qubits``.

    ``load`` prices a workload before it runs: what it sends to a backend, as arithmetic on
    its spec (no Qiskit, no numpy; the API calls it), its circuit count and the gate counts
    of its logical circuits, which gate-priced providers (Quantinuum's HQC) need. A type
    whose ``circuits`` the device decides gives there the most it can be on the backend,
    flagged ``upper_bound``. Without ``load`` a workload is priced by ``circuits`` alone, and
    not at all where that is None or the provider prices gates."""

    name: str
    build: str
    statistics: metrics.StatisticsOf
    analyse: metrics.Analyser
    circuits: Callable[[WorkloadSpec], int | None] = one_circuit
    on_device: bool = False
    device_wide: bool = False
    load: Callable[[WorkloadSpec, BackendSpec], CircuitLoad] | None = None


WORKLOAD_TYPES: tuple[WorkloadType, ...] = (
    WorkloadType("BELL_STATE", ".workloads:ghz_chain", ghz_fidelity.statistics,
                 ghz_fidelity.analyse, ghz_circuits, load=circuit_loads.ghz_load),
    WorkloadType("GHZ_SCALING", ".workloads:ghz_chain", ghz_fidelity.statistics,
                 ghz_fidelity.analyse, ghz_circuits, load=circuit_loads.ghz_load),
    WorkloadType("DEPTH_STRESS", ".workloads:mirror_circuit", metrics.mirror_statistics,
                 metrics.analyse_mirror, load=circuit_loads.mirror_load),
    WorkloadType("MIRROR", ".workloads:randomized_mirror", metrics.mirror_statistics,
                 metrics.analyse_mirror, lambda spec: int(spec.params["circuits"]),
                 load=circuit_loads.randomized_mirror_load),
    WorkloadType("CHSH", ".workloads:chsh", bell_tests.statistics, bell_tests.analyse,
                 lambda spec: len(bell_tests.SETTINGS), load=circuit_loads.chsh_load),
    WorkloadType("BSEQ", ".bseq:bseq", bseq.statistics, bseq.analyse, lambda spec: None,
                 on_device=True, device_wide=True),
    WorkloadType(quantum_volume.WORKLOAD_TYPE, ".quantum_volume:model_circuits",
                 quantum_volume.statistics, quantum_volume.analyse,
                 lambda spec: int(spec.params["trials"]), on_device=True,
                 load=circuit_loads.quantum_volume_load),
    WorkloadType("LAYER_FIDELITY", ".layer_fidelity:layer_fidelity", layer_fidelity.statistics,
                 layer_fidelity.analyse, layer_fidelity.circuits, on_device=True),
)  # fmt: skip
