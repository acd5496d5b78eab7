"""The GHZ state fidelity estimator against exact density matrices, against look-alikes of
entanglement, and its interval's coverage over many seeds.

The exact value is ⟨GHZ|ρ|GHZ⟩ of the prepared state under the same Pauli channels the
sampler applies, computed by Aer's density-matrix method on the active qubits of the
executed preparation. The models compared have exact single-qubit gates and readout (or,
for the IBM model, its own small single-qubit errors): the estimator measures the state as
read out, so the errors of the basis change and of readout lower it (no mitigation), and a
comparison with ρ alone must leave them out. An estimate agrees when it lies within 3σ of
it, σ the half-width of its 95 % interval over 1.96 (each check fails by chance with
probability 0.3 %).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from factories import noiseless_device
from qiskit import QuantumCircuit
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit_aer import AerSimulator

from bench_common import ghz_fidelity
from bench_common.catalogue import CATALOGUE, BackendSpec, Catalogue, WorkloadSpec
from bench_common.device_models import catalogue_for
from bench_common.figures import figures
from bench_common.metrics import Analysis, Measured
from bench_workers import simulator, stim_sampler, workloads
from bench_workers.aer_runner import pauli_channel_error
from bench_workers.devices import DeviceModel, device_model
from bench_workers.executors import JobSpec
from bench_workers.noise import GateStep, IdleStep, MeasureStep, Step, gate_noise, schedule

LINE = noiseless_device(60, [[i, i + 1] for i in range(59)])
DEVICES = {
    "dephasing_line": LINE | {"name": "Dephasing only", "t2_s": 1e-9,
                              "source": "what-if: T2 far below the gate times"},
    "mild_dephasing_line": LINE | {"name": "Some dephasing", "t2_s": 5e-6,
                                   "source": "what-if: T2 of 5 µs, nothing else"},
    "depolarizing_line": LINE | {"name": "Depolarizing CX", "two_qubit_error": 0.02,
                                 "source": "what-if: two-qubit gate errors only"},
}  # fmt: skip


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("models") / "devices.json"
    path.write_text(json.dumps({"devices": DEVICES}))
    return catalogue_for(CATALOGUE, path)


def ghz(n: int) -> WorkloadSpec:
    return WorkloadSpec(f"ghz_{n}q", "GHZ_SCALING", f"GHZ state ({n} qubits)", n)


def without_readout_and_relaxation(model: DeviceModel) -> DeviceModel:
    """An IBM model's gate errors and dephasing only: a Pauli-noisy state, read out exactly."""
    qubits = tuple(dataclasses.replace(q, readout_error=0.0, t1=float("inf"),
                                       t2=min(q.t2, 2 * q.t1)) for q in model.qubits)  # fmt: skip
    return dataclasses.replace(model, qubits=qubits)


def exact_fidelity(steps: Sequence[Step], model: DeviceModel) -> float:
    """⟨GHZ|ρ|GHZ⟩ of the scheduled preparation (measurements dropped), logical qubit i
    being the physical qubit measured into clbit i."""
    active = sorted({q for s in steps if isinstance(s, GateStep) for q in s.qubits}
                    | {q for s in steps if isinstance(s, IdleStep) for q in s.channel.qubits}
                    | {s.qubit for s in steps if isinstance(s, MeasureStep)})  # fmt: skip
    index = {q: i for i, q in enumerate(active)}
    circuit = QuantumCircuit(len(active))
    named = get_standard_gate_name_mapping()
    measured: dict[int, int] = {}
    for step in steps:
        if isinstance(step, GateStep):
            gate = type(named[step.name])(*step.params) if step.params else named[step.name]
            on = [index[q] for q in step.qubits]
            circuit.append(gate, on)
            channel = gate_noise(model, step.name, step.qubits)
            if channel is not None:
                circuit.append(pauli_channel_error(channel), on)
        elif isinstance(step, IdleStep):
            circuit.append(pauli_channel_error(step.channel),
                           [index[q] for q in step.channel.qubits])  # fmt: skip
        else:
            measured[step.clbit] = index[step.qubit]
    logical = [measured[c] for c in sorted(measured)]
    circuit.save_density_matrix(qubits=logical)
    rho = np.asarray(AerSimulator(method="density_matrix").run(circuit).result()
                     .data()["density_matrix"])  # fmt: skip
    last = rho.shape[0] - 1
    return float((rho[0, 0] + rho[last, last] + 2 * rho[0, last]).real / 2)


def estimate(backend: BackendSpec, model: DeviceModel, spec: WorkloadSpec, shots: int,
             seed: int) -> tuple[Analysis, float]:  # fmt: skip
    """The estimator on the Stim path with ``model``'s noise, and the exact fidelity."""
    kind = CATALOGUE.type_of(spec)
    circuits = workloads.build(spec, kind, np.random.default_rng(seed))
    plans = simulator.plans_of(backend, circuits)
    measured = []
    for index, (circuit, plan) in enumerate(zip(circuits, plans, strict=True)):
        steps = schedule(plan.executed, model)
        program = stim_sampler.compile_program(steps, model, plan.executed.num_clbits)
        counts = stim_sampler.sample_counts(program, shots, seed + index)
        measured.append(Measured(circuit.name, circuit.meta, shots,
                                 kind.statistics(circuit.meta, counts, spec.qubits)))  # fmt: skip
    return figures(kind, spec, measured, seed), exact_fidelity(
        schedule(plans[0].executed, model), model
    )


def agrees(analysis: Analysis, exact: float) -> bool:
    """The exact value lies in the interval, or within three of its standard errors of the
    estimate (an interval that collapses at the boundary, as a noiseless Bell pair's does,
    still has to hold the exact value)."""
    low, high = analysis.fidelity_ci95
    sigma = max((high - low) / (2 * 1.96), 1e-9)
    return low <= exact <= high or abs(analysis.fidelity - exact) <= 3 * sigma


@pytest.mark.parametrize("qubits", [2, 5, 8])
@pytest.mark.parametrize("device", ["mild_dephasing_line", "depolarizing_line", "ibm_brisbane"])
def test_the_estimate_agrees_with_the_exact_density_matrix(
    catalogue: Catalogue, device: str, qubits: int
) -> None:
    backend = catalogue.backends[device]
    model = device_model(backend.noise_model, backend.custom)
    if device == "ibm_brisbane":
        model = without_readout_and_relaxation(model)
    analysis, exact = estimate(backend, model, ghz(qubits), 4000, seed=qubits)
    # Noisy enough to tell estimators apart (a Bell pair never idles: no dephasing there).
    idle_free = device == "mild_dephasing_line" and qubits == 2
    assert exact > 0.3 and (exact < 0.999 or idle_free), exact
    assert agrees(analysis, exact), (analysis.fidelity, analysis.fidelity_ci95, exact)


def run(catalogue: Catalogue, workload: WorkloadSpec, backend: str, shots: int, seed: int) -> Any:
    job = JobSpec(f"run-{seed}", workload, catalogue.type_of(workload),
                  catalogue.backends[backend], shots, seed)  # fmt: skip
    return simulator.execute(job)


@pytest.mark.parametrize("qubits", [5, 10, 50])
def test_a_dephased_ghz_is_a_classical_mixture_scoring_one_half(
    catalogue: Catalogue, qubits: int
) -> None:
    result = run(catalogue, ghz(qubits), "dephasing_line", 1024, seed=qubits)
    assert result.metrics["hellinger_fidelity"] >= 0.97
    assert result.fidelity == pytest.approx(0.5, abs=0.06)
    assert result.metrics["coherence"] == pytest.approx(0.0, abs=0.1)
    assert result.metrics["genuinely_entangled"] is False


def test_a_hundred_dephased_qubits_sit_at_one_half_without_the_bias_of_absolute_values(
    tmp_path: Path,
) -> None:
    wide = LINE | {"qubits": 110, "connectivity": [[i, i + 1] for i in range(109)],
                   "name": "Dephasing", "t2_s": 1e-9, "source": "what-if"}  # fmt: skip
    (tmp_path / "d.json").write_text(json.dumps({"devices": {"wide": wide}}))
    catalogue = catalogue_for(CATALOGUE, tmp_path / "d.json")
    estimates = [run(catalogue, ghz(100), "wide", 1024, seed).fidelity for seed in range(5)]
    assert abs(float(np.mean(estimates)) - 0.5) < 0.01, estimates


def test_the_product_state_plus_scores_far_below_the_entanglement_threshold() -> None:
    """|+⟩⁵: every outcome equally likely and ⟨X⊗⁵⟩ = 1, yet ⟨GHZ|+⁵⟩² = 1/16."""
    spec = ghz(5)
    plus = QuantumCircuit(5)
    plus.h(range(5))
    circuits = [
        dataclasses.replace(c, preparation=plus)
        for c in workloads.build(spec, CATALOGUE.type_of(spec), np.random.default_rng(1))
    ]
    backend = CATALOGUE.backends["simulator"]
    model = device_model(backend.noise_model)
    measured = []
    for index, circuit in enumerate(circuits):
        counts = simulator.sample(simulator.plan_of(backend, circuit), model, 4000, index)
        measured.append(Measured(circuit.name, circuit.meta, 4000,
                                 ghz_fidelity.statistics(circuit.meta, counts, 5)))  # fmt: skip
    analysis = figures(CATALOGUE.type_of(spec), spec, measured, seed=1)
    low, high = analysis.fidelity_ci95
    assert low <= 1 / 16 <= high < 0.15
    assert analysis.metrics["genuinely_entangled"] is False


def covered(results: Sequence[Any]) -> float:
    """The share of intervals that contain the mean of all the estimates."""
    mean = float(np.mean([r.fidelity for r in results]))
    return float(np.mean([r.fidelity_ci95[0] <= mean <= r.fidelity_ci95[1] for r in results]))


SEEDS = range(200)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workload", "shots"), [("ghz_5q", 500), ("depth_stress", 500), ("chsh", 500)]
)
def test_intervals_cover_the_mean_estimate_across_seeds(workload: str, shots: int) -> None:
    spec = CATALOGUE.workloads[workload]
    results = [run(CATALOGUE, spec, "ibm_brisbane", shots, seed) for seed in SEEDS]
    assert len({r.circuits[0].executed_qasm3 for r in results}) == 1  # one layout
    assert 0.91 <= covered(results) <= 0.99, covered(results)


def test_chsh_reaches_tsirelson_noiselessly_and_is_not_violated_by_a_dephased_pair(
    catalogue: Catalogue,
) -> None:
    ideal = run(CATALOGUE, CATALOGUE.workloads["chsh"], "simulator", 2000, seed=3).metrics
    assert ideal["s_ci95"][0] <= 2 * np.sqrt(2) <= ideal["s_ci95"][1]
    assert ideal["violation"] is True
    dephased = run(catalogue, CATALOGUE.workloads["chsh"], "dephasing_line", 2000, seed=3)
    assert dephased.metrics["violation"] is False
    assert dephased.metrics["s_value"] == pytest.approx(np.sqrt(2), abs=0.15)  # ⟨XX⟩ = 0


def test_noiseless_intervals_contain_one() -> None:
    for seed in range(20):
        for workload in ("bell_state", "ghz_10q", "depth_stress"):
            result = run(CATALOGUE, CATALOGUE.workloads[workload], "simulator", 500, seed)
            assert result.fidelity_ci95[1] == 1.0, (workload, seed, result.fidelity_ci95)
