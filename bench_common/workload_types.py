"""One record per workload type: how its circuits are built, how many there are, how its
counts are analysed.

A new type of benchmark is one ``WorkloadType`` here (plus its builder module and its
analysis), and then as many catalogue entries of that type as it has sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench_common import metrics

if TYPE_CHECKING:
    from bench_common.catalogue import WorkloadSpec


def one_circuit(spec: WorkloadSpec) -> int:
    return 1


@dataclass(frozen=True)
class WorkloadType:
    """``build`` is ``module:function`` of the circuit builder, the module relative to
    ``bench_workers`` when it starts with a dot (only workers resolve it, so listing and
    validating workloads loads no Qiskit); ``circuits`` gives how many circuits a workload of
    this type executes, each with the request's ``shots``; ``analyse`` turns counts into the
    figures of the report row (numpy only, so auditors can recompute them)."""

    name: str
    build: str
    analyse: metrics.Analyser
    circuits: Callable[[WorkloadSpec], int] = one_circuit


WORKLOAD_TYPES: tuple[WorkloadType, ...] = (
    WorkloadType("BELL_STATE", ".workloads:ghz_chain", metrics.analyse_ghz),
    WorkloadType("GHZ_SCALING", ".workloads:ghz_chain", metrics.analyse_ghz),
    WorkloadType("DEPTH_STRESS", ".workloads:mirror_circuit", metrics.analyse_mirror),
)
