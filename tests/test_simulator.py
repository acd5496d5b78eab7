"""The simulated executor on real engines: ideal and noisy devices, reproducibility, evidence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit import qasm3

from bench_common import ghz_fidelity
from bench_common.catalogue import CATALOGUE
from bench_common.evidence import canonicalize
from bench_common.results import WorkloadResult
from bench_common.timeutil import parse_time
from bench_workers import workloads
from bench_workers.executors import JobSpec
from bench_workers.simulator import calibration, execute, plans_of

SEED = 2026


def simulate(workload_id: str, backend_id: str, shots: int, seed: int) -> WorkloadResult:
    return execute(JobSpec.of(workload_id, backend_id, shots, seed))


GHZ_SIZES = {"bell_state": 2, "ghz_5q": 5, "ghz_10q": 10, "ghz_50q": 50, "ghz_100q": 100}


def fidelity_of(result: WorkloadResult) -> float:
    assert result.fidelity is not None
    return result.fidelity


def assert_json_safe(result: WorkloadResult) -> None:
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    canonicalize(data)


@pytest.fixture(scope="module")
def ideal() -> dict[str, WorkloadResult]:
    return {w: simulate(w, "simulator", 2000, SEED) for w in ("depth_stress", *GHZ_SIZES)}


def test_the_noiseless_simulator_reaches_fidelity_one(ideal: dict[str, WorkloadResult]) -> None:
    assert ideal["depth_stress"].fidelity == 1.0
    assert ideal["depth_stress"].metrics == {
        "polarization": 1.0,
        "effective_polarization": 1.0,
        "layers": 10,
        "circuits": 1,
        "total_shots": 2000,
    }
    for workload, n in GHZ_SIZES.items():
        result = ideal[workload]
        assert fidelity_of(result) >= 0.98, workload
        assert result.metrics["genuinely_entangled"] is True, workload
        # Every shot on 0ⁿ or 1ⁿ, every parity its ideal sign: the coherence is the most the
        # sampled balance of 0ⁿ and 1ⁿ allows, and F the Hellinger figure, both just below 1.
        assert result.metrics["population"] == 1.0
        assert result.metrics["coherence"] == pytest.approx(
            2 * result.metrics["hellinger_fidelity"] - 1)  # fmt: skip
        assert result.metrics["coherence"] > 0.995 and result.fidelity_ci95[1] == 1.0
        circuits = ghz_fidelity.circuits(n)
        assert (result.metrics["circuits"], result.metrics["total_shots"]) == (
            circuits, circuits * 2000)  # fmt: skip


def test_logical_gate_count_and_depth(ideal: dict[str, WorkloadResult]) -> None:
    for workload, n in GHZ_SIZES.items():
        assert (ideal[workload].gate_count, ideal[workload].depth) == (n, n)
        assert ideal[workload].two_qubit_gate_count == n - 1


def test_results_are_complete_and_json_safe(ideal: dict[str, WorkloadResult]) -> None:
    for workload, result in ideal.items():
        assert result.status == "completed"
        assert sum(result.circuits[0].counts.values()) == 2000
        assert all(key.startswith("0x") for key in result.circuits[0].counts)
        assert result.timing_source == "wall_clock"
        assert result.execution_time_ms is not None and result.execution_time_ms > 0
        for circuit in result.circuits:
            assert circuit.logical_qasm3.startswith("OPENQASM 3.0")
            assert circuit.executed_qasm3.startswith("OPENQASM 3.0")
            assert sum(circuit.counts.values()) == circuit.shots == 2000
        assert result.fidelity_ci95 is not None
        low, high = result.fidelity_ci95
        assert low <= fidelity_of(result) <= high, workload
        assert_json_safe(result)


def test_same_seed_same_counts_different_seed_different_counts() -> None:
    first = simulate("ghz_5q", "ibm_brisbane", 2000, 11)
    again = simulate("ghz_5q", "ibm_brisbane", 2000, 11)
    other = simulate("ghz_5q", "ibm_brisbane", 2000, 12)
    assert again.circuits[0].counts == first.circuits[0].counts
    assert (again.fidelity, again.fidelity_ci95, again.metrics) == (
        first.fidelity,
        first.fidelity_ci95,
        first.metrics,
    )
    assert again.circuits == first.circuits
    assert other.circuits[0].counts != first.circuits[0].counts
    # The seed draws samples, not the layout: the executed programs are the same.
    assert other.circuits[0].executed_qasm3 == first.circuits[0].executed_qasm3


def test_noisy_ghz_fidelity_falls_with_size_below_the_hellinger_figure() -> None:
    results = [simulate(w, "ibm_brisbane", 4000, SEED)
               for w in ("bell_state", "ghz_5q", "ghz_10q", "ghz_50q", "ghz_100q")]  # fmt: skip
    fidelities = [fidelity_of(r) for r in results]
    assert fidelities[0] > fidelities[1] > fidelities[2] > fidelities[3] >= fidelities[4]
    assert fidelities[0] < 0.99
    for result in results:
        assert fidelity_of(result) <= result.metrics["hellinger_fidelity"], result.id


def test_the_calibration_used_is_recorded_with_its_timestamp() -> None:
    result = simulate("ghz_5q", "ibm_brisbane", 500, SEED)
    used = result.calibration
    assert used["timestamp"] == calibration(CATALOGUE.backends["ibm_brisbane"])["timestamp"]
    assert parse_time(used["timestamp"]) is not None and used["timestamp"].endswith("Z")
    assert used["noise_model"] == CATALOGUE.backends["ibm_brisbane"].noise_model
    assert "fake_provider.FakeBrisbane" in used["source"]
    assert len(used["qubits"]) == 5
    two_qubit = [on for table in used["gates"].values() for on in table if "," in on]
    assert len(two_qubit) == result.two_qubit_gate_count == 4
    assert_json_safe(result)


@pytest.mark.parametrize("backend_id", sorted(CATALOGUE.backends))
def test_every_backend_has_a_json_safe_calibration(backend_id: str) -> None:
    data = calibration(CATALOGUE.backends[backend_id])
    json.dumps(data, allow_nan=False)
    canonicalize(data)
    assert "timestamp" in data and "source" in data
    assert data["num_qubits"] >= CATALOGUE.backends[backend_id].qubits or backend_id == "simulator"


@pytest.mark.parametrize(
    "backend_id", ["ionq_aria", "rigetti_ankaa", "iqm_garnet", "quantinuum_h2", "ibm_torino"]
)
def test_published_and_ibm_devices_run_every_small_workload(backend_id: str) -> None:
    for workload in ("bell_state", "ghz_10q", "depth_stress"):
        result = simulate(workload, backend_id, 1000, SEED)
        assert 0.0 < fidelity_of(result) < 1.0, workload
        assert_json_safe(result)


def test_a_workload_wider_than_the_device_is_refused() -> None:
    with pytest.raises(ValueError, match="50-qubit workload does not fit ionq_aria"):
        simulate("ghz_50q", "ionq_aria", 100, SEED)


def test_a_hundred_qubit_run_at_full_shots_stays_json_safe() -> None:
    result = simulate("ghz_100q", "ibm_brisbane", 100_000, SEED)
    assert sum(result.circuits[0].counts.values()) == 100_000
    assert all(int(key, 16) < 2**100 for key in result.circuits[0].counts)
    assert result.transpiled_gate_count is not None and result.transpiled_gate_count > 100
    assert_json_safe(result)


@pytest.mark.parametrize("backend_id", ["ibm_brisbane", "ionq_aria", "simulator"])
def test_circuits_on_one_preparation_share_it_and_export_as_qiskit_does(backend_id: str) -> None:
    spec = CATALOGUE.workloads["ghz_5q"]
    backend = CATALOGUE.backends[backend_id]
    circuits = workloads.build(spec, CATALOGUE.type_of(spec), np.random.default_rng(4))
    plans = plans_of(backend, circuits)
    prefix = len(plans[0].executed.data)  # population: preparation, barrier, measurements
    for plan in plans:
        assert plan.qasm3 == qasm3.dumps(plan.executed)
        assert plan.executed.data[: prefix - 5] == plans[0].executed.data[: prefix - 5]


@pytest.mark.parametrize("workload", ["mirror_10q", "mirror_50q", "mirror_100q"])
def test_randomized_mirror_circuits_are_exact_noiselessly_and_target_random_bitstrings(
    workload: str,
) -> None:
    result = simulate(workload, "simulator", 500, SEED)
    spec = CATALOGUE.workloads[workload]
    assert result.fidelity == 1.0 and result.fidelity_ci95[1] == 1.0
    assert result.metrics["effective_polarization"] == 1.0
    assert result.metrics["circuits"] == spec.params["circuits"] == len(result.circuits)
    targets = [c.meta["target"] for c in result.circuits]
    assert len(set(targets)) == len(targets) and "0x0" not in targets
    assert all(c.counts == {c.meta["target"]: 500} for c in result.circuits)
    again = simulate(workload, "simulator", 500, SEED + 1)
    assert {c.meta["target"] for c in again.circuits}.isdisjoint(targets)  # drawn per run


def test_randomized_mirror_circuits_on_a_noisy_device() -> None:
    result = simulate("mirror_10q", "ibm_brisbane", 1000, SEED)
    low, high = result.fidelity_ci95
    assert 0.0 < low <= result.fidelity <= high < 1.0
    assert 0.0 < result.metrics["effective_polarization"] < 1.0
