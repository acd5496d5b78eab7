"""Quantum volume against independent references: ideal distributions from Aer, the
analysis of qiskit-experiments (``QuantumVolumeAnalysis``, its own code on our numbers), and
its ``QuantumVolume`` experiment on Aer with the same calibration.

Noiselessly a model circuit's heavy outputs carry its ideal heavy probability hᵢ, so h̄ has
expectation E = mean hᵢ over the run's circuits and, given them, only shot noise:
σ_E = √(Σ hᵢ(1 − hᵢ)/shots)/N. hᵢ is computed here from Aer's exact probabilities of the
logical circuit the evidence records, with a median of its own. Over many circuits E tends
to (1 + ln 2)/2 ≈ 0.847 (Aaronson and Chen, CCC 2017); at two qubits it is ≈ 0.78.
"""

from __future__ import annotations

import copy
import json
import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import responses
from braket.devices import LocalSimulator
from factories import Run, noiseless_device
from numpy.typing import NDArray
from played_ibm import CREDENTIALS as IBM_CREDENTIALS
from played_ibm import PlayedIBM
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_experiments.library.quantum_volume import QuantumVolumeAnalysis
from qiskit_ibm_runtime.fake_provider import FakeBrisbane

from bench_common import quantum_volume
from bench_common.catalogue import CATALOGUE, Catalogue, WorkloadSpec
from bench_common.device_models import catalogue_for
from bench_common.documents import Bundle, Report
from bench_common.evidence import KeyStore
from bench_common.figures import check_counts, figures, recompute
from bench_common.metrics import Measured
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import WorkloadResult
from bench_common.seeds import derive_seeds
from bench_workers import simulator, workloads
from bench_workers.devices import device_model
from bench_workers.executors import JobSpec
from bench_workers.executors.braket import BraketExecutor
from bench_workers.executors.ibm import IBMExecutor
from benchmarks.quantum_volume import mean_hop, reference_run

SEED = 2026
SHOTS = 1024
IDEAL_WIDTHS = (2, 3, 4, 5, 6)
LARGE_M_LIMIT = (1 + math.log(2)) / 2
DEPOLARIZING = noiseless_device(4, "all_to_all") | {
    "name": "Strongly depolarizing",
    "one_qubit_error": 0.01,
    "two_qubit_error": 0.15,
    "readout_error": 0.03,
    "source": "what-if: every CX a 15 % depolarizing channel",
}


def run(
    catalogue: Catalogue, workload_id: str, backend_id: str, seed: int = SEED
) -> WorkloadResult:
    return simulator.execute(JobSpec.of(workload_id, backend_id, SHOTS, seed, catalogue=catalogue))


def signed(
    tmp_path: Path, results: Sequence[WorkloadResult], backend_id: str
) -> tuple[Report, Bundle]:
    """The run's report and bundle as the finalizer makes them."""
    keys = KeyStore.open(tmp_path / "keys", "test-key-2026")
    run_record = Run(backend_id=backend_id, provider="simulator", seed=SEED)
    return assemble_report(run_record, results, environment_info(), "2026-12-01T00:00:00Z",
                           keys.signer)  # fmt: skip


def rebuilt(
    result: WorkloadResult, backend_id: str, seed: int = SEED
) -> list[workloads.LogicalCircuit]:
    """The run's circuits again, from its seed; their heavy masks are the evidence's."""
    spec = CATALOGUE.workloads[result.id]
    rng = np.random.default_rng(derive_seeds(seed, spec.id).circuits)
    circuits = workloads.build(spec, CATALOGUE.type_of(spec), rng, CATALOGUE.backends[backend_id])
    assert [c.meta for c in circuits] == [c.meta for c in result.circuits]
    return circuits


def ideal_probabilities(circuits: Sequence[workloads.LogicalCircuit]) -> list[NDArray[np.float64]]:
    """Aer's exact probabilities of each logical circuit (index bit i = qubit i)."""
    programs = []
    for circuit in circuits:
        program = circuit.preparation.copy()
        program.save_probabilities()
        programs.append(program)
    result = AerSimulator(method="statevector").run(programs).result()
    return [np.asarray(result.data(i)["probabilities"]) for i in range(len(programs))]


def heavy_probability(probabilities: NDArray[np.float64]) -> float:
    return float(probabilities[probabilities > np.median(probabilities)].sum())


def mask_of(probabilities: NDArray[np.float64]) -> str:
    return hex(sum(1 << int(x) for x in np.flatnonzero(probabilities > np.median(probabilities))))


@pytest.fixture(scope="module")
def ideal(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[WorkloadResult], Report, Bundle]:
    results = [run(CATALOGUE, f"qv_{m}q", "simulator") for m in IDEAL_WIDTHS]
    report, bundle = signed(tmp_path_factory.mktemp("ideal"), results, "simulator")
    return results, report, bundle


def test_heavy_outputs_use_the_bit_order_of_the_counts() -> None:
    """X on qubit 0 and H on qubit 2 of three: outcomes 0b001 and 0b101, keys 0x1 and 0x5
    (the reversed order would give 0x4 and 0x5)."""
    preparation = QuantumCircuit(3)
    preparation.x(0)
    preparation.h(2)
    mask = quantum_volume.heavy_mask(
        ideal_probabilities([workloads.LogicalCircuit("c", preparation)])[0]
    )
    assert mask == (1 << 0x1) | (1 << 0x5)
    circuit = workloads.LogicalCircuit("c", preparation, meta={"heavy": hex(mask)})
    backend = CATALOGUE.backends["simulator"]
    counts = simulator.sample(simulator.plan_of(backend, circuit), device_model("ideal"), 500, 1)
    assert set(counts) == {"0x1", "0x5"}
    assert quantum_volume.statistics(circuit.meta, counts, 3) == {"heavy": 500}
    assert quantum_volume.statistics({"heavy": hex(1 << 0x4)}, counts, 3) == {"heavy": 0}


def test_noiseless_widths_pass_at_their_exact_heavy_output_probability(
    ideal: tuple[list[WorkloadResult], Report, Bundle],
) -> None:
    results, report, _ = ideal
    for m, result in zip(IDEAL_WIDTHS, results, strict=True):
        circuits = rebuilt(result, "simulator")
        probabilities = ideal_probabilities(circuits)
        assert [mask_of(p) for p in probabilities] == [c.meta["heavy"] for c in circuits]
        heavy = np.array([heavy_probability(p) for p in probabilities])
        expected = float(heavy.mean())
        sigma = math.sqrt(float(np.sum(heavy * (1 - heavy))) / SHOTS) / len(heavy)
        metrics = result.metrics
        assert metrics["passed"] is True and metrics["trials"] == 100, m
        assert result.fidelity == metrics["heavy_output_probability"]
        assert abs(metrics["heavy_output_probability"] - expected) < 4 * sigma, (m, expected)
        low, high = result.fidelity_ci95
        assert low <= expected <= high, (m, expected, result.fidelity_ci95)
        if m == 2:
            assert 0.75 < expected < 0.82, expected
        else:
            assert abs(expected - LARGE_M_LIMIT) < 0.03, (m, expected)
        assert metrics["estimator"] == quantum_volume.ESTIMATOR
        assert {c.qubits for c in circuits} == {tuple(range(m))}  # lowest errors: all equal
    assert report["summary"]["quantum_volume"] == 2 ** IDEAL_WIDTHS[-1] == 64


def test_every_row_is_recomputed_from_the_bundle_alone(
    ideal: tuple[list[WorkloadResult], Report, Bundle],
) -> None:
    _, report, bundle = ideal
    for row in report["workloads"]:
        again = recompute(bundle, row["id"])
        assert (again.fidelity, again.fidelity_ci95, again.metrics) == (
            row["fidelity"], row["fidelity_ci95"], row["metrics"])  # fmt: skip
    forged = copy.deepcopy(bundle)
    item = next(i for i in forged["items"] if i["name"] == "execution_result/qv_3q")
    first = item["content"]["circuits"][0]
    first["meta"]["heavy"] = hex(int(first["meta"]["heavy"], 16) ^ 0xFF)  # the complement
    with pytest.raises(ValueError, match="statistics differ"):
        check_counts(CATALOGUE, CATALOGUE.workloads["qv_3q"], first, first["counts"])


def test_a_strongly_depolarizing_device_fails_and_has_no_quantum_volume(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps({"devices": {"depolarizing": DEPOLARIZING}}))
    catalogue = catalogue_for(CATALOGUE, tmp_path / "m.json")
    results = [run(catalogue, w, "depolarizing") for w in ("qv_2q", "qv_3q")]
    for result in results:
        h, sigma = result.metrics["heavy_output_probability"], result.metrics["heavy_output_sigma"]
        assert result.metrics["passed"] is False, result.id
        assert 0.5 - 0.02 < h < 2 / 3 + 2 * sigma, (result.id, h)
        assert result.fidelity_ci95[1] < 0.7
    report, _ = signed(tmp_path, results, "depolarizing")
    assert report["summary"]["quantum_volume"] is None


@pytest.mark.parametrize(
    ("widths", "volume"),
    [
        ([(2, True), (3, True), (4, True)], 16),
        ([(2, True), (3, True), (5, False)], 8),
        ([(2, True), (4, True)], 16),  # only the requested widths count
        ([(2, False), (3, True)], None),  # a wider pass does not skip a failed width
        ([(3, True), (3, False)], None),
        ([], None),
    ],
)
def test_the_summary_takes_the_widest_width_whose_narrower_ones_pass(
    widths: list[tuple[int, bool]], volume: int | None
) -> None:
    assert quantum_volume.quantum_volume(widths) == volume


def test_a_failed_workload_is_a_width_that_did_not_pass(tmp_path: Path) -> None:
    passed = WorkloadResult(id="qv_2q", type="QUANTUM_VOLUME", qubits=2, fidelity=0.8,
                            fidelity_ci95=[0.78, 0.82], metrics={"passed": True})  # fmt: skip
    failed = WorkloadResult.failure("qv_3q", "QUANTUM_VOLUME", 3, "provider error")
    wide = WorkloadResult(id="qv_4q", type="QUANTUM_VOLUME", qubits=4, fidelity=0.8,
                          fidelity_ci95=[0.78, 0.82], metrics={"passed": True})  # fmt: skip
    report, _ = signed(tmp_path, [passed, failed, wide], "simulator")
    assert report["summary"]["quantum_volume"] == 4


def measured_from(hops: Sequence[float], shots: int = 1000) -> list[Measured]:
    return [Measured(f"trial_{i:03d}", {"heavy": "0x0"}, shots, {"heavy": round(h * shots)})
            for i, h in enumerate(hops)]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "hops"),
    [
        ("typical pass", list(np.random.default_rng(1).uniform(0.6, 0.95, 100))),
        ("typical fail", list(np.random.default_rng(2).uniform(0.45, 0.85, 100))),
        ("every shot heavy: sigma 0", [1.0] * 100),
        ("no shot heavy: sigma 0", [0.0] * 100),
        ("too few trials", list(np.random.default_rng(3).uniform(0.85, 0.95, 99))),
        ("just below two sigma", [0.75] * 100),
    ],
)
def test_the_figures_are_qiskit_experiments_own(case: str, hops: list[float]) -> None:
    """qiskit-experiments' ``_calc_quantum_volume`` on the same heavy-output probabilities:
    mean, σ, confidence and success agree exactly, σ = 0 and too few trials included."""
    measured = measured_from(hops)
    ours = quantum_volume.analyse(measured, 4, {}, np.random.default_rng(0)).metrics
    exact = [m.statistics["heavy"] / m.shots for m in measured]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # σ = 0, fewer than 100 trials
        hop, volume = QuantumVolumeAnalysis()._calc_quantum_volume(exact, 4, len(exact))
    assert ours["heavy_output_probability"] == hop.value.nominal_value
    assert ours["heavy_output_sigma"] == hop.value.std_dev
    assert ours["confidence"] == volume.extra["confidence"]
    assert ours["passed"] is volume.extra["success"] is (volume.value == 16)
    assert ours["trials"] == len(hops)


def test_the_interval_covers_the_expected_heavy_output_probability() -> None:
    """400 runs of 100 circuits drawn from a pool of real 3-qubit model circuits, each
    read through a depolarizing channel of strength λ (h = λ·hᵢ + (1 − λ)/2) at 200 shots:
    the 95 % interval covers the pool's mean in 91–99 % of runs."""
    spec = CATALOGUE.workloads["qv_3q"]
    pool_spec = WorkloadSpec("qv_3q", spec.type, spec.description, 3, {"trials": 400})
    pool = workloads.build(pool_spec, CATALOGUE.type_of(spec), np.random.default_rng(5),
                           CATALOGUE.backends["simulator"])  # fmt: skip
    strength = 0.6
    heavy = strength * np.array([heavy_probability(p) for p in ideal_probabilities(pool)])
    heavy += (1 - strength) / 2
    rng = np.random.default_rng(6)
    covered = []
    for run_seed in range(400):
        picks = rng.integers(0, len(heavy), 100)
        measured = [Measured(f"trial_{i:03d}", {"heavy": "0x0"}, 200, {"heavy": int(k)})
                    for i, k in enumerate(rng.binomial(200, heavy[picks]))]  # fmt: skip
        analysis = figures(CATALOGUE.type_of(spec), spec, measured, run_seed)
        low, high = analysis.fidelity_ci95
        covered.append(low <= heavy.mean() <= high)
    assert 0.91 <= np.mean(covered) <= 0.99, np.mean(covered)


def measured_qubits(executed_qasm3: str) -> tuple[int, ...]:
    """The physical qubit read into each clbit, in clbit order."""
    reads = re.findall(r"meas\[(\d+)\] = measure \$(\d+);", executed_qasm3)
    return tuple(int(q) for _, q in sorted(reads, key=lambda read: int(read[0])))


@pytest.fixture(scope="module")
def brisbane() -> AerSimulator:
    """Aer with FakeBrisbane's own noise model (``NoiseModel.from_backend``) and target."""
    return AerSimulator.from_backend(FakeBrisbane())


@pytest.mark.slow
@pytest.mark.parametrize("workload_id", ["qv_3q", "qv_4q"])
def test_the_ibm_brisbane_model_agrees_with_qiskit_experiments_on_aer(
    brisbane: AerSimulator, workload_id: str
) -> None:
    """The same model circuits (same seed), on the same physical qubits: ours through the
    platform's device model, theirs through ``QuantumVolume`` on Aer with the calibration's
    own noise model. The heavy sets are identical. qiskit-experiments 0.14 measures only the
    qubits a circuit touches (``measure_active``): a model circuit that leaves one qubit
    idle in every layer (odd widths only: 1/9 of the circuits at m = 3) is read on m − 1
    bits, never matches an m-bit heavy string and scores 0. The heavy-output probabilities
    are compared on the circuits both read in full, within 2σ of their difference."""
    ours = run(CATALOGUE, workload_id, "ibm_brisbane")
    m = ours.qubits
    qubits = {measured_qubits(c.executed_qasm3) for c in ours.circuits}
    assert len({frozenset(q) for q in qubits}) == 1  # every trial on one placement
    data = reference_run(brisbane, list(next(iter(qubits))), workload_id, SEED, SHOTS, 100)
    trials = data.data()
    ideal = [t["metadata"]["ideal_probabilities"] for t in trials]
    heavy_sets = [QuantumVolumeAnalysis._calc_ideal_heavy_output(p, m) for p in ideal]
    assert [c.meta["heavy"] for c in ours.circuits] == [
        hex(sum(1 << int(bits, 2) for bits in heavy)) for heavy in heavy_sets]  # fmt: skip
    read_in_full = np.array([len(next(iter(t["counts"]))) == m for t in trials])
    assert read_in_full.all() if m % 2 == 0 else 1 <= (~read_in_full).sum() <= 20
    theirs = np.array(mean_hop(data).extra["HOPs"])
    assert (theirs[~read_in_full] == 0).all()
    mine = np.array([c.statistics["heavy"] / c.shots for c in ours.circuits])
    both = [hops[read_in_full] for hops in (mine, theirs)]
    sigma = math.sqrt(sum(h.mean() * (1 - h.mean()) / len(h) for h in both))
    assert abs(both[0].mean() - both[1].mean()) < 2 * sigma, [h.mean() for h in both]


def test_every_trial_stays_on_its_placement_so_ten_qubits_simulate_as_ten() -> None:
    """Routing through other qubits would widen a width-10 circuit beyond what a density
    matrix holds (about one in three circuits would at the device's default layout)."""
    spec = CATALOGUE.workloads["qv_10q"]
    backend = CATALOGUE.backends["ibm_brisbane"]
    few = WorkloadSpec(spec.id, spec.type, spec.description, 10, {"trials": 8})
    circuits = workloads.build(few, CATALOGUE.type_of(spec), np.random.default_rng(4), backend)
    placement = circuits[0].qubits
    assert placement is not None and len(set(placement)) == 10
    for circuit in circuits:
        executed = simulator.plan_of(backend, circuit).executed
        touched = {executed.find_bit(q).index for i in executed.data for q in i.qubits}
        assert touched == set(placement)
    couplers = workloads.device_graph(backend).couplers
    inside = [pair for pair in couplers if set(pair) <= set(placement)]
    assert len(inside) == 9  # connected: a tree of 10 on the heavy-hex lattice


@pytest.mark.slow
def test_hardware_executors_send_the_trials_on_the_placement() -> None:
    """IBM's played service (one job of 100 circuits, sampled noiselessly) and Braket's
    local simulator (one task per circuit): both complete and pass, every circuit on the
    placement the simulator uses."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        played = PlayedIBM()
        played.play(mock)
        ibm = IBMExecutor(IBM_CREDENTIALS)
        job = JobSpec.of("qv_3q", "ibm_brisbane", 500, 5, run_id="played-qv")
        job_id = ibm.submit(job)
        played.jobs[job_id].status = "Completed"
        result = ibm.result(job, job_id)
        sent = played.jobs[job_id].circuits()
    placement = set(rebuilt(result, "ibm_brisbane", seed=5)[0].qubits or ())
    assert len(sent) == 100 and result.metrics["passed"] is True
    assert all({c.find_bit(q).index for i in c.data for q in i.qubits} == placement for c in sent)
    braket = BraketExecutor({}, local_device=LocalSimulator())
    job = JobSpec.of("qv_2q", "ionq_forte", 500, 3, run_id="braket-qv")
    tasks = braket.submit(job)
    assert braket.poll(tasks) == "done"
    result = braket.result(job, tasks)
    assert result.status == "completed" and result.metrics["passed"] is True
