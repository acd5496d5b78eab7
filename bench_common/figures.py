"""A report row's figures from its circuits' statistics: the one function the executors use
to make them and anyone uses to recompute them from an evidence bundle, with numpy alone.

The bundle's ``execution_result/<workload>`` item lists every circuit with its meta, shots
and statistics (and its counts, or their SHA-256 when they are too large to carry), and
``circuit_submission/<workload>`` the run's seed, from which the interval's bootstrap is
seeded exactly as the run seeded it; so ``recompute`` gives back the row, number for number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bench_common.catalogue import CATALOGUE, Catalogue, WorkloadSpec
from bench_common.metrics import Analysis, Counts, Measured
from bench_common.results import counts_hash
from bench_common.seeds import derive_seeds
from bench_common.workload_types import WorkloadType


def figures(kind: WorkloadType, spec: WorkloadSpec, measured: Sequence[Measured],
            seed: int) -> Analysis:  # fmt: skip
    """The row's ``fidelity``, ``fidelity_ci95`` and ``metrics`` (with ``circuits`` and
    ``total_shots``) of a workload whose circuits measured ``measured`` in a run of ``seed``."""
    rng = np.random.default_rng(derive_seeds(seed, spec.id).bootstrap)
    analysis = kind.analyse(measured, spec.qubits, spec.params, rng)
    return Analysis(analysis.fidelity, analysis.fidelity_ci95, {
        **analysis.metrics,
        "circuits": len(measured),
        "total_shots": sum(m.shots for m in measured),
    })  # fmt: skip


def _item(bundle: Mapping[str, Any], name: str) -> Any:
    for item in bundle["items"]:
        if item["name"] == name:
            return item["content"]
    raise KeyError(f"the bundle has no item {name!r}")


def recompute(
    bundle: Mapping[str, Any], workload_id: str, catalogue: Catalogue = CATALOGUE
) -> Analysis:
    """The figures of one workload's report row, from the bundle alone. Counts the bundle
    carries are checked against their statistics and hash on the way (``ValueError``)."""
    spec = catalogue.workloads[workload_id]
    seed = int(_item(bundle, f"circuit_submission/{workload_id}")["seed"])
    measured = []
    for circuit in _item(bundle, f"execution_result/{workload_id}")["circuits"]:
        counts: Counts | None = circuit["counts"]
        if counts is not None:
            check_counts(catalogue, spec, circuit, counts)
        measured.append(Measured(circuit["name"], circuit["meta"], int(circuit["shots"]),
                                 circuit["statistics"]))  # fmt: skip
    return figures(catalogue.type_of(spec), spec, measured, seed)


def check_counts(
    catalogue: Catalogue, spec: WorkloadSpec, circuit: Mapping[str, Any], counts: Counts
) -> None:
    """Counts (carried, or downloaded) are the ones the bundle committed to, and give its
    statistics."""
    if counts_hash(dict(counts)) != circuit["counts_sha256"]:
        raise ValueError(f"{spec.id}/{circuit['name']}: counts do not match their hash")
    if sum(counts.values()) != circuit["shots"]:
        raise ValueError(f"{spec.id}/{circuit['name']}: counts do not add up to the shots")
    statistics = catalogue.type_of(spec).statistics(circuit["meta"], counts, spec.qubits)
    if statistics != circuit["statistics"]:
        raise ValueError(f"{spec.id}/{circuit['name']}: statistics differ from the counts'")
