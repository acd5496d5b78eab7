"""Layer fidelity and EPLG: the figure on a device whose only noise is a known two-qubit
depolarizing error, the analysis against qiskit-experiments' ``LayerFidelityAnalysis`` on
the very same counts, the chain and circuits on the ibm_brisbane model, and the row
recomputed from its bundle.
"""

from __future__ import annotations

import json
import math
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from factories import Run, noiseless_device
from qiskit_experiments.framework import ExperimentData
from qiskit_experiments.library.randomized_benchmarking import LayerFidelity

from bench_common import layer_fidelity
from bench_common.catalogue import CATALOGUE, Catalogue, WorkloadSpec
from bench_common.device_models import catalogue_for
from bench_common.evidence import KeyStore
from bench_common.figures import figures, recompute
from bench_common.metrics import Measured
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import CircuitRecord, WorkloadResult
from bench_workers import simulator, workloads
from bench_workers.executors import JobSpec
from bench_workers.layer_fidelity import Graph, best_chain, depth_first_chain, one_qubit_cliffords

P = 0.01
"""The two-qubit gates' average gate infidelity on the depolarizing chain."""
CHAIN = noiseless_device(10, [[q, q + 1] for q in range(9)])
DEVICES = {
    "depolarizing_chain": CHAIN | {"name": "Two-qubit depolarizing only", "two_qubit_error": P,
                                   "source": "what-if: CX error p, nothing else"},
    "noisy_chain": CHAIN | {
        "name": "Every kind of noise", "qubits": 6, "connectivity": [[q, q + 1] for q in range(5)],
        "one_qubit_error": 0.002, "two_qubit_error": 0.02, "readout_error": 0.01,
        "t1_s": 1e-4, "t2_s": 8e-5, "source": "what-if: gate, idle and readout noise",
    },
}  # fmt: skip
SMALL = WorkloadSpec("eplg_small", "LAYER_FIDELITY", "Layer fidelity on 6 qubits", 6,
                     {"lengths": "2 8 20 40", "samples": 3})  # fmt: skip
SHORT_50 = WorkloadSpec("eplg_50q_short", "LAYER_FIDELITY", "eplg_50q at three lengths", 50,
                        {"lengths": "4 10 25", "samples": 2})  # fmt: skip
"""The 50-qubit chain of ``eplg_50q`` with fewer, shorter sequences: the test is about the
chain and the evidence, and ``benchmarks/layer_fidelity.py`` runs ``eplg_100q`` in full."""
BRISBANE = CATALOGUE.extended(workloads=[SHORT_50])


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("models") / "devices.json"
    path.write_text(json.dumps({"devices": DEVICES}))
    return catalogue_for(CATALOGUE, path).extended(workloads=[SMALL])


def run(catalogue: Catalogue, workload: str, backend: str, shots: int, seed: int = 1
        ) -> WorkloadResult:  # fmt: skip
    return simulator.execute(JobSpec.of(workload, backend, shots, seed, catalogue=catalogue))


def test_the_24_single_qubit_cliffords_are_distinct_and_complete() -> None:
    tableaux = {str(tableau) for _, tableau in one_qubit_cliffords()}
    assert len(tableaux) == 24
    assert max(len(word) for word, _ in one_qubit_cliffords()) <= 3


def test_eplg_is_the_depolarizing_error_as_a_process_infidelity(catalogue: Catalogue) -> None:
    """Only the CX gates err, each with a depolarizing channel of average gate infidelity p:
    every pair's process fidelity is 1 − 5p/4 (d = 4), the lone qubits' is 1, so
    EPLG = 1 − LF^(1/9) = 5p/4 and its average-gate form 4/5·EPLG = p, each inside the
    fit's interval; p itself, the other convention's number, is outside EPLG's."""
    row = run(catalogue, "eplg_10q", "depolarizing_chain", 2000)
    metrics = row.metrics
    expected = 5 * P / 4
    low, high = metrics["eplg_ci95"]
    assert low <= expected <= high
    assert not low <= P <= high
    assert metrics["eplg_average_gate_error"] == pytest.approx(4 / 5 * metrics["eplg"])
    assert 4 / 5 * low <= P <= 4 / 5 * high
    assert metrics["two_qubit_gates"] == 9
    assert row.fidelity == metrics["layer_fidelity"]
    assert row.fidelity_ci95[0] <= (1 - expected) ** 9 <= row.fidelity_ci95[1]
    for _, _, partner, pf, stderr in metrics["process_fidelities"]:
        assert pf == pytest.approx(1.0 if partner == -1 else 1 - expected, abs=4 * stderr + 1e-6)


def their_experiment_data(records: list[CircuitRecord]) -> tuple[LayerFidelity, ExperimentData]:
    """qiskit-experiments' experiment for our chain, layers, lengths and samples, with our
    counts in place of its own circuits' results: each circuit's metadata is the one
    ``LayerFidelity.circuits`` writes for that layer, length and sample, and each count key
    is rewritten to its clbits (a pair's two bits, a lone qubit's one)."""
    chain = [int(q) for q in str(records[0].meta["chain"]).split()]
    layers: dict[int, list[tuple[int, ...]]] = {}
    for record in records:
        _, subsystems = layer_fidelity.parse_subsystems(record.meta)
        layers[int(record.meta["layer"])] = [sub for sub in subsystems if len(sub) == 2]
    lengths = sorted({int(record.meta["length"]) for record in records})
    samples = 1 + max(int(record.meta["sample"]) for record in records)
    experiment = LayerFidelity(chain, [layers[k] for k in sorted(layers)], lengths,
                               num_samples=samples, two_qubit_gate="cx",
                               one_qubit_basis_gates=["rz", "sx", "x"])  # fmt: skip
    metadata = {}
    for circuit in experiment.circuits():
        inner = circuit.metadata["composite_metadata"][0]
        first = inner["composite_metadata"][0]
        metadata[circuit.metadata["composite_index"][0], first["xval"], first["sample"]] = (
            circuit.metadata)  # fmt: skip
    data = []
    for record in records:
        meta = metadata[int(record.meta["layer"]), int(record.meta["length"]),
                        int(record.meta["sample"])]  # fmt: skip
        inner = meta["composite_metadata"][0]
        pieces = zip(inner["composite_qubits"], inner["composite_clbits"], strict=True)
        clbit = {q: c for qubits, clbits in pieces for q, c in zip(qubits, clbits, strict=True)}
        counts: dict[str, int] = {}
        assert record.counts is not None
        for key, shots in record.counts.items():
            value = int(key, 16)
            bits = ["0"] * len(chain)
            for qubit, index in clbit.items():
                bits[len(chain) - 1 - index] = str(value >> qubit & 1)
            text = "".join(bits)
            counts[text] = counts.get(text, 0) + shots
        data.append({"counts": counts, "metadata": meta, "shots": record.shots})
    expdata = ExperimentData(experiment=experiment)
    expdata.add_data(data)
    return experiment, expdata


def test_the_analysis_is_qiskit_experiments_on_the_same_counts(catalogue: Catalogue) -> None:
    """Every process fidelity and LF agree with ``LayerFidelityAnalysis`` run on our
    circuits' counts, to well within their uncertainty. The uncertainties differ by our two
    changes, each of which can only widen them (a point's σ floored at its shot noise, α's
    variance scaled by a reduced χ² above 1): ours are at least theirs, and of their
    order."""
    row = run(catalogue, "eplg_small", "noisy_chain", 1000, seed=3)
    experiment, expdata = their_experiment_data(row.circuits)
    experiment.analysis.run(expdata, replace_results=True).block_for_results()
    results = expdata.analysis_results(dataframe=True)
    lf = results[results.name == "LF"].iloc[0].value
    eplg = results[results.name == "EPLG"].iloc[0].value
    assert row.fidelity == pytest.approx(lf.n, abs=lf.s / 2)
    assert row.metrics["eplg"] == pytest.approx(eplg.n, abs=eplg.s / 2)
    width = row.fidelity_ci95[1] - row.fidelity_ci95[0]
    assert 0.95 * 2 * 1.96 * lf.s <= width <= 4 * 2 * 1.96 * lf.s
    theirs = {tuple(r.qubits): r.value for r in results[results.name == "ProcessFidelity"]
              .itertuples()}  # fmt: skip
    ours = row.metrics["process_fidelities"]
    assert len(ours) == len(theirs) == 7
    for _, qubit, partner, pf, stderr in ours:
        value = theirs[(qubit,) if partner == -1 else (qubit, partner)]
        assert pf == pytest.approx(value.n, abs=value.s / 2)
        assert 0.95 * value.s <= stderr <= 4 * value.s


@pytest.fixture(scope="module")
def brisbane() -> WorkloadResult:
    return simulator.execute(JobSpec.of(SHORT_50.id, "ibm_brisbane", 300, 5, catalogue=BRISBANE))


def test_the_chain_runs_on_couplers_and_every_circuit_records_it(brisbane: WorkloadResult) -> None:
    """50 distinct qubits joined by couplers of the device, the same chain in the metrics
    and in every circuit's meta, the two layers its even and odd bonds, and each layer's
    pairs and lone qubits with a process fidelity in the row."""
    device = workloads.device_graph(CATALOGUE.backends["ibm_brisbane"])
    chain = brisbane.metrics["chain"]
    assert isinstance(chain, list) and len(set(chain)) == 50
    assert all((min(a, b), max(a, b)) in device.couplers for a, b in pairwise(chain))
    assert tuple(chain) == best_chain(device, 50)
    assert {str(c.meta["chain"]) for c in brisbane.circuits} == {" ".join(map(str, chain))}
    bonds = [tuple(sorted(bond)) for bond in pairwise(chain)]
    rows = brisbane.metrics["process_fidelities"]
    assert isinstance(rows, list)
    for layer in (0, 1):
        pairs = {tuple(sorted((int(r[1]), int(r[2])))) for r in rows if r[0] == layer and r[2] >= 0}
        lone = {int(r[1]) for r in rows if r[0] == layer and r[2] == -1}
        assert pairs == set(bonds[layer::2])
        assert lone == set(chain) - {q for pair in pairs for q in pair}
        assert all(0.25 < r[3] <= 1 for r in rows if r[0] == layer)
    assert brisbane.metrics["two_qubit_gates"] == 49
    lf = math.prod(r[3] for r in rows)
    assert brisbane.fidelity == pytest.approx(lf)
    assert brisbane.metrics["eplg"] == pytest.approx(1 - lf ** (1 / 49))
    assert len(brisbane.circuits) == layer_fidelity.circuits(SHORT_50) == 12


def test_the_chain_beats_chains_chosen_without_the_errors(brisbane: WorkloadResult) -> None:
    """The chain's predicted layer fidelity (its couplers' 1 − 5/4·e₂ and its qubits'
    1 − 3/2·e₁, twice) beats that of every 50-qubit stretch of a 100-qubit chain found
    without looking at the errors (a Warnsdorff depth-first search)."""
    device = workloads.device_graph(CATALOGUE.backends["ibm_brisbane"])
    graph = Graph.of(device)
    chain = brisbane.metrics["chain"]
    assert isinstance(chain, list)
    predicted = math.prod(1 - 5 / 4 * device.couplers[(min(a, b), max(a, b))]
                          for a, b in pairwise(chain)) * math.prod(
        (1 - 3 / 2 * device.one_qubit[q]) ** 2 for q in chain)  # fmt: skip
    assert graph.cost(chain) == pytest.approx(-math.log(predicted))
    long = next(c for q in sorted(graph.qubits) if (c := depth_first_chain(graph, 100, q, 20_000)))
    stretches = [long[start : start + 50] for start in range(51)]
    assert graph.cost(chain) < min(graph.cost(stretch) for stretch in stretches)


def test_the_row_is_recomputed_from_the_bundle(brisbane: WorkloadResult, tmp_path: Path) -> None:
    keys = KeyStore.open(tmp_path / "keys", "test-key-2026")
    report, bundle = assemble_report(Run(seed=5), [brisbane], environment_info(),
                                     "2026-12-01T00:00:00Z", keys.signer)  # fmt: skip
    again = recompute(json.loads(json.dumps(bundle)), SHORT_50.id, BRISBANE)
    [row] = report["workloads"]
    assert (again.fidelity, again.fidelity_ci95, again.metrics) == (
        row["fidelity"], row["fidelity_ci95"], row["metrics"])  # fmt: skip


def test_the_analysis_refuses_inconsistent_evidence(brisbane: WorkloadResult) -> None:
    spec, kind = SHORT_50, BRISBANE.type_of(SHORT_50)
    measured = [Measured(c.name, c.meta, c.shots, c.statistics) for c in brisbane.circuits]
    other_chain = Measured(measured[0].name, dict(measured[0].meta, chain="1 2 3"),
                           measured[0].shots, measured[0].statistics)  # fmt: skip
    with pytest.raises(ValueError, match="one chain"):
        figures(kind, spec, [other_chain, *measured[1:]], seed=5)
    overlapping = dict(measured[0].meta, subsystems="1-2 2-3")
    with pytest.raises(ValueError, match="not disjoint"):
        figures(kind, spec, [Measured("x", overlapping, 10, {"survived": [1, 1]})], seed=5)
    too_many = Measured(measured[0].name, measured[0].meta, measured[0].shots,
                        {"survived": [measured[0].shots + 1] * 50})  # fmt: skip
    with pytest.raises(ValueError, match="do not match"):
        figures(kind, spec, [too_many, *measured[1:]], seed=5)


def test_statistics_count_the_all_zero_shots_of_each_subsystem() -> None:
    meta = {"subsystems": "3-1 0", "width": 5}
    counts = {"0x0": 5, "0x2": 7, "0x1": 11, "0x8": 13, "0xa": 17, "0x10": 19}
    assert layer_fidelity.statistics(meta, counts, 3) == {
        "survived": [5 + 11 + 19, 5 + 7 + 13 + 17 + 19]}  # fmt: skip


def test_a_clean_decay_is_fitted_exactly() -> None:
    """Noiseless points of 0.7·0.97ᵐ + 0.26 give back the parameters; the process fidelity
    is (1 + 15α)/16 for a pair."""
    x = np.array([1.0, 5, 10, 20, 40, 80])
    y = 0.7 * 0.97**x + 0.26
    decay = layer_fidelity.fit_decay(x, y, np.full_like(x, 1e-3), 2)
    assert (decay.a, decay.alpha, decay.b) == pytest.approx((0.7, 0.97, 0.26), abs=1e-7)
    fit = layer_fidelity.SubsystemFit(0, (0, 1), decay)
    assert fit.process_fidelity == pytest.approx((1 + 15 * 0.97) / 16)


def test_a_qubit_that_barely_decays_is_not_read_as_a_fast_decay() -> None:
    """A perfect lone qubit behind 2 % readout error: its survival stays at 0.98 within
    the shot noise (these points are from a simulated run). Free of the domain's bounds on
    B and A + B, the fit (qiskit-experiments' too) takes the bump at two layers for a decay
    with α ≈ 0.05, a process fidelity of 0.3; kept to them, the fit finds no decay."""
    x = np.array([2.0, 6, 15, 35, 70, 110])
    y = np.array([0.9836, 0.9791, 0.9818, 0.9799, 0.9799, 0.9819])
    sigma = np.array([0.0016, 0.0018, 0.0017, 0.0018, 0.0018, 0.0017])
    decay = layer_fidelity.fit_decay(x, y, sigma, 1)
    fit = layer_fidelity.SubsystemFit(1, (0,), decay)
    assert fit.process_fidelity > 0.999
    assert decay.a + decay.b <= 1 and abs(decay.b - 0.5) <= layer_fidelity.TAIL
