"""BSEQ, Bell-state effective qubits as metriq-gym defines it: the colouring of the couplers
into layers, the figure on devices whose answer is known, the figure on the ibm_brisbane
model against an independent recomputation and the bundle, the product sampler against
Aer's simulation of the whole circuit, and the hardware paths keeping the device's qubits.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rustworkx as rx
from botocore.stub import Stubber
from braket.devices import LocalSimulator
from factories import Run, noiseless_device
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.fake_provider import FakeBrisbane
from scipy.stats import chi2_contingency

from bench_common import bseq
from bench_common.bell_tests import TSIRELSON
from bench_common.catalogue import CATALOGUE, Catalogue
from bench_common.device_models import catalogue_for
from bench_common.evidence import KeyStore
from bench_common.figures import figures, recompute
from bench_common.metrics import Measured
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import WorkloadResult
from bench_workers import aer_runner, product_sampler, simulator, workloads
from bench_workers.bseq import layers
from bench_workers.devices import device_model
from bench_workers.executors import JobSpec
from bench_workers.executors.braket import AwsTasks, BraketExecutor, client_token
from bench_workers.hardware import device_circuits
from bench_workers.noise import MeasureStep

PAIRS = noiseless_device(7, [[0, 1], [1, 2], [2, 3], [4, 5]])
"""A chain of four qubits, a separate pair, and a qubit without couplers: BSEQ 4 at best."""
DEVICES = {
    "noiseless_pairs": PAIRS | {"name": "Noiseless", "source": "what-if: no noise at all"},
    "dephased_pairs": PAIRS | {"name": "Dephasing only", "t2_s": 1e-9,
                               "source": "what-if: T2 far below the gate times"},
    "noisy_pairs": PAIRS | {
        "name": "Every kind of noise", "qubits": 6, "connectivity": [[0, 1], [2, 3], [4, 5]],
        "one_qubit_error": 0.004, "two_qubit_error": 0.03, "readout_error": 0.03,
        "two_qubit_duration_s": 4e-7, "t1_s": 3e-6, "t2_s": 2e-6,
        "source": "what-if: gate, idle and readout noise on three separate pairs",
    },
}  # fmt: skip
RUN_ID = "5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f"
FORTE = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
AGREEMENT = 1e-3
"""Smallest p-value of a chi-square test of two samplers' counts that counts as agreement
(each comparison fails by chance with this probability)."""


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("models") / "devices.json"
    path.write_text(json.dumps({"devices": DEVICES}))
    return catalogue_for(CATALOGUE, path)


def run(catalogue: Catalogue, backend: str, shots: int = 1024, seed: int = 1) -> WorkloadResult:
    return simulator.execute(JobSpec.of("bseq", backend, shots, seed, catalogue=catalogue))


def largest_violating_set(edges: list[list[float]], qubits: int) -> int:
    """BSEQ from the row's own edge list, by rustworkx's connected components."""
    graph = rx.PyGraph()
    graph.add_nodes_from(range(qubits))
    graph.add_edges_from_no_data([(int(a), int(b)) for a, b, s in edges if s > 2])
    return max(len(component) for component in rx.connected_components(graph))


@pytest.mark.parametrize(("backend", "expected"), [
    ("ibm_brisbane", 3), ("ibm_fez", 3), ("iqm_garnet", 4), ("rigetti_ankaa", 4),
    ("ionq_forte", 36),
])  # fmt: skip
def test_the_layers_cover_every_coupler_once_with_disjoint_pairs(
    backend: str, expected: int
) -> None:
    """Heavy-hex devices take three layers; bipartite graphs (heavy-hex, square lattices)
    need only their highest degree (König), others at most one more (Vizing's bound, which
    Misra and Gries reach)."""
    device = workloads.device_graph(CATALOGUE.backends[backend])
    found = layers(device)
    tested = [pair for layer in found for pair in layer]
    assert sorted(tested) == sorted(device.couplers)
    for layer in found:
        qubits = [q for pair in layer for q in pair]
        assert len(qubits) == len(set(qubits))
    degree = int(max(np.bincount(np.array(tested).ravel())))
    assert len(found) == expected and degree <= len(found) <= degree + 1


def test_a_noiseless_device_violates_on_every_coupler(catalogue: Catalogue) -> None:
    result = run(catalogue, "noiseless_pairs")
    metrics = result.metrics
    assert (metrics["bseq"], metrics["edges_tested"], metrics["edges_violating"]) == (4, 4, 4)
    assert [edge[:2] for edge in metrics["edges"]] == [[0, 1], [1, 2], [2, 3], [4, 5]]
    # 2√2 within five standard errors of four settings of 1024 shots each (σ ≈ 0.044)
    assert all(abs(s - TSIRELSON) < 0.25 for _, _, s in metrics["edges"])
    assert result.qubits == 7 and result.fidelity == 4 / 7
    assert result.fidelity_ci95 == [4 / 7, 4 / 7]
    assert metrics["circuits"] == 4 * metrics["layers"] == 8


def test_a_dephased_device_violates_nowhere_and_scores_one_qubit(catalogue: Catalogue) -> None:
    """Dephasing takes the X part of the correlations: S falls to √2, and the largest set
    of qubits joined by violating couplers is a single qubit (metriq-gym's graph holds
    every qubit, so its largest component is never empty)."""
    result = run(catalogue, "dephased_pairs")
    assert (result.metrics["bseq"], result.metrics["edges_violating"]) == (1, 0)
    assert all(abs(s - 2**0.5) < 0.25 for _, _, s in result.metrics["edges"])
    assert result.fidelity == 1 / 7


@pytest.fixture(scope="module")
def brisbane() -> WorkloadResult:
    return run(CATALOGUE, "ibm_brisbane", shots=1024, seed=7)


def test_on_the_brisbane_model_bseq_is_a_whole_number_from_its_edges(
    brisbane: WorkloadResult,
) -> None:
    metrics = brisbane.metrics
    bseq_value = metrics["bseq"]
    assert isinstance(bseq_value, int) and 1 <= bseq_value <= 127
    assert brisbane.qubits == 127 and brisbane.fidelity == bseq_value / 127
    edges = metrics["edges"]
    assert isinstance(edges, list)
    couplers = workloads.device_graph(CATALOGUE.backends["ibm_brisbane"]).couplers
    assert [(a, b) for a, b, _ in edges] == sorted(couplers)
    assert metrics["edges_tested"] == len(couplers) == 143
    violating = sum(s > 2 for _, _, s in edges)
    # A noisy device: some couplers fail, most pass, and the figure says which.
    assert metrics["edges_violating"] == violating and 0 < violating < len(edges)
    assert bseq_value == largest_violating_set(edges, 127)
    low, high = metrics["bseq_ci95"]
    assert low <= bseq_value <= high and brisbane.fidelity_ci95 == [low / 127, high / 127]


def test_each_edge_s_comes_from_its_two_bits_of_the_counts(brisbane: WorkloadResult) -> None:
    """S of every coupler, recomputed from the raw counts of its layer's four circuits."""
    found: dict[tuple[int, int], float] = {}
    for circuit in brisbane.circuits:
        _, pairs = bseq.parse_pairs(circuit.meta)
        sign = bseq.SIGNS[int(circuit.meta["setting"])]
        for low, high in pairs:
            agree = sum(n for key, n in circuit.counts.items()
                        if (int(key, 16) >> low & 1) == (int(key, 16) >> high & 1))  # fmt: skip
            found[low, high] = found.get((low, high), 0.0) + sign * (2 * agree / circuit.shots - 1)
    assert brisbane.metrics["edges"] == [
        [a, b, pytest.approx(s)] for (a, b), s in sorted(found.items())
    ]


def test_the_row_is_recomputed_from_the_bundle(brisbane: WorkloadResult, tmp_path: Path) -> None:
    keys = KeyStore.open(tmp_path / "keys", "test-key-2026")
    report, bundle = assemble_report(Run(seed=7), [brisbane], environment_info(),
                                     "2026-12-01T00:00:00Z", keys.signer)  # fmt: skip
    again = recompute(json.loads(json.dumps(bundle)), "bseq")
    [row] = report["workloads"]
    assert (again.fidelity, again.fidelity_ci95, again.metrics) == (
        row["fidelity"], row["fidelity_ci95"], row["metrics"])  # fmt: skip


def test_the_analysis_refuses_evidence_that_misses_a_setting(brisbane: WorkloadResult) -> None:
    spec, kind = CATALOGUE.workloads["bseq"], CATALOGUE.type_of(CATALOGUE.workloads["bseq"])
    measured = [Measured(c.name, c.meta, c.shots, c.statistics) for c in brisbane.circuits]
    with pytest.raises(ValueError, match="each CHSH setting once"):
        figures(kind, spec, measured[1:], seed=7)
    with pytest.raises(ValueError, match="again or unknown"):
        figures(kind, spec, [*measured, measured[0]], seed=7)
    outside = dict(measured[0].meta, pairs="0-1 1-2")
    with pytest.raises(ValueError, match="not disjoint pairs"):
        figures(kind, spec, [dataclasses.replace(measured[0], meta=outside), *measured[1:]], 7)


def test_the_largest_component_agrees_with_rustworkx() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        qubits = int(rng.integers(2, 40))
        edges = np.unique(np.sort(rng.integers(0, qubits, (2 * qubits, 2)), axis=1), axis=0)
        edges = edges[edges[:, 0] != edges[:, 1]]
        used = rng.random((30, len(edges))) < rng.random()
        sizes = bseq.largest_components(qubits, edges, used)
        for row, size in zip(used, sizes, strict=True):
            kept = [[a, b, 3.0] for (a, b), keep in zip(edges.tolist(), row, strict=True) if keep]
            assert size == largest_violating_set(kept, qubits)


def plans_of(catalogue: Catalogue, backend: str) -> list[simulator.Plan]:
    job = JobSpec.of("bseq", backend, 1, 1, catalogue=catalogue)
    circuits = workloads.build(job.workload, job.kind, np.random.default_rng(1), job.backend)
    return simulator.plans_of(job.backend, circuits)


def agree(first: dict[str, int], second: dict[str, int]) -> float:
    """The p-value of a chi-square test that two samples come from one distribution."""
    keys = sorted(set(first) | set(second))
    return float(chi2_contingency([[first.get(k, 0) for k in keys],
                                   [second.get(k, 0) for k in keys]]).pvalue)  # fmt: skip


@pytest.mark.parametrize("exact_qubits", [product_sampler.EXACT_QUBITS, 0])
def test_pieces_sampled_apart_match_aer_on_the_whole_circuit(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch, exact_qubits: int
) -> None:
    """Three noisy pairs at once: the joint distribution of all six bits, each pair sampled
    on its own (from its exact density matrix, or by Aer piece by piece), against Aer's
    density matrix of the whole circuit."""
    monkeypatch.setattr(product_sampler, "EXACT_QUBITS", exact_qubits)
    backend = catalogue.backends["noisy_pairs"]
    model = device_model(backend.noise_model, backend.custom)
    batch = [(p.steps, p.executed.num_clbits) for p in plans_of(catalogue, "noisy_pairs")]
    assert [len(product_sampler.groups(steps)) for steps, _ in batch] == [3] * 4
    shots = 40_000
    split = product_sampler.run_many(batch, model, shots, [1, 2, 3, 4])
    whole = aer_runner.run_many(batch, model, shots, [5, 6, 7, 8], method="density_matrix")
    for ours, theirs in zip(split, whole, strict=True):
        assert len(ours) == 64 and agree(ours, theirs) > AGREEMENT
    # The noise is there: no pair's S is near 2√2.
    metas = [{"layer": 0, "pairs": "0-1 2-3 4-5", "width": 6, "setting": i} for i in range(4)]
    measured = [Measured(f"c{i}", meta, shots, bseq.statistics(meta, counts, 2))
                for i, (meta, counts) in enumerate(zip(metas, split, strict=True))]  # fmt: skip
    _, _, same, total, _ = bseq.tallies(measured)
    assert all(2 < s < 2.6 for s in bseq.s_values(same, total, bseq.SIGNS))


def test_a_circuit_that_does_not_split_runs_whole(catalogue: Catalogue) -> None:
    backend = catalogue.backends["noisy_pairs"]
    model = device_model(backend.noise_model, backend.custom)
    steps = plans_of(catalogue, "noisy_pairs")[0].steps
    [first, *_] = product_sampler.groups(steps)
    one = tuple(s for s in first if not isinstance(s, MeasureStep)) + tuple(
        dataclasses.replace(s, clbit=i) for i, s in enumerate(
            s for s in first if isinstance(s, MeasureStep)))  # fmt: skip
    assert product_sampler.run_many([(one, 2)], model, 500, [9]) == aer_runner.run_many(
        [(one, 2)], model, 500, [9])  # fmt: skip


def test_the_brisbane_circuits_split_into_their_pairs_and_idle_qubits() -> None:
    plans = plans_of(CATALOGUE, "ibm_brisbane")
    job = JobSpec.of("bseq", "ibm_brisbane", 1, 1)
    circuits = workloads.build(job.workload, job.kind, np.random.default_rng(1), job.backend)
    for plan, circuit in zip(plans, circuits, strict=True):
        _, pairs = bseq.parse_pairs(circuit.meta)
        qubit_sets = [{q for s in group for q in product_sampler._qubits(s)}
                      for group in product_sampler.groups(plan.steps)]  # fmt: skip
        paired = sorted(sorted(q) for q in qubit_sets if len(q) > 1)
        assert paired == sorted(list(pair) for pair in pairs)
        assert sum(len(q) == 1 for q in qubit_sets) == 127 - 2 * len(pairs)


def test_ibm_transpilation_keeps_every_pair_on_its_coupler() -> None:
    """The hardware path (``transpile_all`` for the provider's target): each layer's
    two-qubit gates on exactly its pairs, qubit i measured into clbit i."""
    job = JobSpec.of("bseq", "ibm_brisbane", 100, 1)
    device = FakeBrisbane()
    manager = generate_preset_pass_manager(1, backend=device, seed_transpiler=1)
    executed = device_circuits(job, manager, device.target)
    circuits = workloads.build(job.workload, job.kind, np.random.default_rng(1), job.backend)
    for circuit, sent in zip(circuits, executed, strict=True):
        _, pairs = bseq.parse_pairs(circuit.meta)
        index = {bit: i for i, bit in enumerate(sent.qubits)}
        two = {tuple(sorted(index[q] for q in i.qubits)) for i in sent.data
               if len(i.qubits) == 2 and i.operation.name != "barrier"}  # fmt: skip
        measured = {index[i.qubits[0]]: sent.find_bit(i.clbits[0]).index for i in sent.data
                    if i.operation.name == "measure"}  # fmt: skip
        assert two == set(pairs) and measured == {q: q for q in range(127)}


def braket_job(catalogue: Catalogue) -> JobSpec:
    """BSEQ on the noiseless pairs as if they were a Braket device."""
    backend = dataclasses.replace(catalogue.backends["noiseless_pairs"], provider="braket",
                                  device=FORTE)  # fmt: skip
    spec = catalogue.workloads["bseq"]
    return JobSpec(RUN_ID, spec, catalogue.type_of(spec), backend, 500, 3)


def test_the_braket_local_simulator_runs_bseq_through_the_same_path(
    catalogue: Catalogue,
) -> None:
    """Counts come back in Braket's order and are read into each pair's bits correctly."""
    job = braket_job(catalogue)
    executor = BraketExecutor({}, local_device=LocalSimulator())
    result = executor.result(job, executor.submit(job))
    assert result.status == "completed", result.error
    assert (result.metrics["bseq"], result.metrics["edges_violating"]) == (4, 4)
    assert all(abs(s - TSIRELSON) < 0.35 for _, _, s in result.metrics["edges"])


class Parsed:
    """Equal to a JSON document that parses to ``expected`` (or, for an OpenQASM program,
    whose source names physical qubits only)."""

    def __init__(self, expected: dict[str, Any] | None = None) -> None:
        self.expected = expected

    def __eq__(self, text: object) -> bool:
        document = json.loads(str(text))
        if self.expected is not None:
            return bool(document == self.expected)
        return "$0" in document["source"] and "q[" not in document["source"]

    __hash__ = None  # type: ignore[assignment]  # equality is a predicate, not identity


def test_braket_tasks_keep_the_device_s_qubits(catalogue: Catalogue) -> None:
    job = braket_job(catalogue)
    credentials = {
        "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "x",
        "BENCH_BRAKET_S3_BUCKET": "bucket", "BENCH_BRAKET_S3_PREFIX": "bench",
    }  # fmt: skip
    executor = BraketExecutor(credentials)
    assert isinstance(executor.tasks, AwsTasks)
    pinned = {
        "braketSchemaHeader": {"name": "braket.device_schema.ionq.ionq_device_parameters",
                               "version": "1"},
        "paradigmParameters": {"braketSchemaHeader": {
            "name": "braket.device_schema.gate_model_parameters", "version": "1"},
            "qubitCount": 7, "disableQubitRewiring": True},
    }  # fmt: skip
    with Stubber(executor.tasks.braket_client("us-east-1")) as stub:
        for index in range(8):
            stub.add_response("create_quantum_task", {"quantumTaskArn": f"{FORTE}/t{index}"}, {
                "clientToken": client_token(job, index), "deviceArn": FORTE, "shots": 500,
                "outputS3Bucket": "bucket", "outputS3KeyPrefix": f"bench/{RUN_ID}",
                "action": Parsed(), "deviceParameters": Parsed(pinned),
            })  # fmt: skip
        executor.submit(job)
        stub.assert_no_pending_responses()


def test_the_interval_covers_the_bseq_of_the_exact_s_values() -> None:
    """A 4 × 5 grid whose couplers have known S, several within a standard error (≈ 0.05 at
    1 024 shots) of the bound: each run draws every setting's agreeing shots binomially (at
    E = sign·S/4 per setting), and its 95 % interval must cover the BSEQ of the exact S in
    at least 95 % of 200 runs, while the estimate itself jumps (the point rule, by design;
    a percentile bootstrap of it covers the exact value in about half of these runs)."""
    columns = 5
    couplers = {(r * columns + c, r * columns + c + 1): 0.0 for r in range(4) for c in range(4)}
    couplers |= {(r * columns + c, (r + 1) * columns + c): 0.0 for r in range(3) for c in range(5)}
    grid = workloads.DeviceGraph(20, couplers, {})
    exact_s = dict(zip(sorted(couplers), np.random.default_rng(11).choice(
        [1.6, 1.97, 2.03, 2.06, 2.5], size=len(couplers)), strict=True))  # fmt: skip
    exact = largest_violating_set([[a, b, s] for (a, b), s in exact_s.items()], 20)
    shots, estimates, covered = 1024, set(), 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        measured = []
        for layer, pairs in enumerate(layers(grid)):
            values = np.array([exact_s[pair] for pair in pairs])
            for setting, sign in enumerate(bseq.SIGNS):
                meta = {"layer": layer, "pairs": bseq.pairs_text(pairs), "width": 20,
                        "setting": setting}  # fmt: skip
                same = rng.binomial(shots, (1 + sign * values / 4) / 2).tolist()
                measured.append(Measured(f"{layer}_{setting}", meta, shots, {"same": same}))
        analysis = bseq.analyse(measured, 2, {}, rng)
        low, high = analysis.metrics["bseq_ci95"]
        estimates.add(analysis.metrics["bseq"])
        covered += low <= exact <= high
    assert len(estimates) > 1 and covered >= 0.95 * 200, (estimates, covered)


def test_a_failed_bseq_row_is_as_wide_as_the_device() -> None:
    """A device-wide workload's failed row says the device's width, as its completed row
    does, rather than the catalogue's two qubits of one Bell pair."""
    failed = JobSpec.of("bseq", "ibm_brisbane", 1024, 1).failure("RuntimeError: lost")
    assert (failed.status, failed.qubits, failed.error) == ("failed", 127, "RuntimeError: lost")
    assert JobSpec.of("ghz_5q", "ibm_brisbane", 1024, 1).failure("x").qubits == 5
