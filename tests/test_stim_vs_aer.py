"""The Stim path against Aer's density-matrix method under the same Pauli channels.

Both engines sample N shots of the same scheduled ISA circuit, and their empirical
distributions must agree in total variation distance within a bound that a correct pair
of samplers exceeds with probability at most δ = 0.001 (stated before looking at data):

- Expectation. For two independent N-shot samples of one distribution p over k outcomes,
  E|p̂ᵢ − q̂ᵢ| ≤ √Var(p̂ᵢ − q̂ᵢ) = √(2pᵢ(1 − pᵢ)/N), and by Cauchy–Schwarz
  Σᵢ √(pᵢ(1 − pᵢ)) ≤ √(k · Σᵢ pᵢ(1 − pᵢ)) ≤ √(k − 1), so E[TV] ≤ ½ √(2(k − 1)/N).
- Concentration. TV is a function of 2N independent shots, each of which moves it by at
  most 1/N, so McDiarmid's inequality gives P(TV ≥ E[TV] + t) ≤ exp(−2t² / (2N/N²)) =
  exp(−N t²), which is δ at t = √(ln(1/δ)/N).

k is the number of possible outcomes, 2ⁿ, whatever the samples happen to contain.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import stim
from qiskit import QuantumCircuit
from qiskit.circuit.library import get_standard_gate_name_mapping

from bench_common.catalogue import CATALOGUE, WorkloadSpec
from bench_workers import aer_runner, stim_sampler, workloads
from bench_workers.devices import device_model
from bench_workers.noise import GateStep, MeasureStep, schedule
from bench_workers.simulator import pass_manager, plan_of

SHOTS = 200_000
DELTA = 1e-3
DEVICES = ("ibm_brisbane", "ibm_torino", "ionq_aria")
CIRCUITS = {  # a workload and which of its circuits
    "bell": (CATALOGUE.workloads["bell_state"], 0),
    "bell_yy": (CATALOGUE.workloads["bell_state"], 2),
    "ghz_5": (CATALOGUE.workloads["ghz_5q"], 0),
    "ghz_5_xy": (CATALOGUE.workloads["ghz_5q"], 7),
    "mirror_6": (WorkloadSpec(
        "mirror_6q", "DEPTH_STRESS", "6-qubit mirror circuit", 6, {"layers": 4, "circuit_seed": 7}
    ), 0),
}  # fmt: skip


def tv_bound(outcomes: int, shots: int, delta: float) -> float:
    """The two-sample total-variation bound of the module docstring."""
    return 0.5 * math.sqrt(2 * (outcomes - 1) / shots) + math.sqrt(math.log(1 / delta) / shots)


def total_variation(first: dict[str, int], second: dict[str, int], shots: int) -> float:
    keys = first.keys() | second.keys()
    return 0.5 * sum(abs(first.get(k, 0) - second.get(k, 0)) for k in keys) / shots


@pytest.mark.parametrize("backend_id", DEVICES)
@pytest.mark.parametrize("circuit", sorted(CIRCUITS))
def test_stim_agrees_with_aer_density_matrix(backend_id: str, circuit: str) -> None:
    spec, index = CIRCUITS[circuit]
    backend = CATALOGUE.backends[backend_id]
    model = device_model(backend.noise_model)
    chosen = workloads.build(spec, CATALOGUE.type_of(spec), np.random.default_rng(0))[index]
    plan = plan_of(backend, chosen)
    assert plan.stim is not None
    from_stim = stim_sampler.sample_counts(plan.stim, SHOTS, seed=1)
    from_aer = aer_runner.run_counts(
        plan.steps, model, plan.executed.num_clbits, SHOTS, seed=2, method="density_matrix"
    )
    distance = total_variation(from_stim, from_aer, SHOTS)
    assert distance <= tv_bound(2**spec.qubits, SHOTS, DELTA), (distance, from_stim["0x0"])


CLIFFORD_GATES = [
    ("h", ()),
    ("s", ()),
    ("sdg", ()),
    ("sx", ()),
    ("sxdg", ()),
    ("x", ()),
    ("y", ()),
    ("z", ()),
    ("id", ()),
    ("cx", ()),
    ("cy", ()),
    ("cz", ()),
    ("swap", ()),
    ("iswap", ()),
    ("ecr", ()),
    ("dcx", ()),
    *[("rz", (k * math.pi / 2,)) for k in range(4)],
    ("rx", (math.pi / 2,)),
    ("ry", (-math.pi / 2,)),
    ("rzz", (math.pi / 2,)),
    ("rxx", (3 * math.pi / 2,)),
    ("ryy", (math.pi,)),
]


@pytest.mark.parametrize(("name", "params"), CLIFFORD_GATES)
def test_stim_gates_equal_the_qiskit_unitary(name: str, params: tuple[float, ...]) -> None:
    gate = get_standard_gate_name_mapping()[name]
    gate = type(gate)(*params) if params else gate
    circuit = stim.Circuit()
    circuit.append("I", range(gate.num_qubits))
    for op, targets in stim_sampler.stim_ops(name, params):
        circuit.append(op, targets)
    expected = stim.Tableau.from_unitary_matrix(gate.to_matrix(), endian="little")
    assert stim.Tableau.from_circuit(circuit) == expected


def test_angles_snap_to_quarter_turns_or_are_refused() -> None:
    assert stim_sampler.snap(math.pi / 2 + 1e-12) == math.pi / 2
    assert stim_sampler.snap(-math.pi / 2) == 3 * math.pi / 2
    with pytest.raises(stim_sampler.NotCliffordError):
        stim_sampler.snap(0.3)


def test_non_clifford_circuits_go_to_aer() -> None:
    theta = 0.8
    logical = QuantumCircuit(1)
    logical.h(0)
    logical.rz(theta, 0)
    logical.h(0)
    logical.measure_all()
    noise_model = CATALOGUE.backends["ionq_aria"].noise_model
    model = device_model(noise_model)
    executed = pass_manager(noise_model).run(logical)
    steps = schedule(executed, model)
    with pytest.raises(stim_sampler.NotCliffordError):
        stim_sampler.compile_program(steps, model, executed.num_clbits)
    counts = aer_runner.run_counts(steps, model, executed.num_clbits, 20_000, seed=4)
    assert counts.get("0x1", 0) / 20_000 == pytest.approx(np.sin(theta / 2) ** 2, abs=0.02)


def test_aer_method_follows_the_active_width() -> None:
    assert aer_runner.method_for(6) == "density_matrix"
    assert aer_runner.method_for(20) == "statevector"
    assert aer_runner.method_for(100) == "matrix_product_state"


def test_count_keys_put_clbit_zero_lowest_at_any_width() -> None:
    bits = np.zeros((3, 70), dtype=bool)
    bits[0, 0] = True
    bits[1, 69] = True
    bits[2, [0, 69]] = True
    packed = np.packbits(bits, axis=1, bitorder="little")
    counts = stim_sampler.counts_from_packed(np.concatenate([packed, packed[:1]]))
    assert counts == {"0x1": 2, hex(1 << 69): 1, hex((1 << 69) + 1): 1}


def test_measurements_land_in_their_classical_bits() -> None:
    model = device_model("ideal")
    steps = (GateStep("x", (), (0,)), MeasureStep(1, 0), MeasureStep(0, 1))
    program = stim_sampler.compile_program(steps, model, num_clbits=2)
    assert stim_sampler.sample_counts(program, 100, seed=1) == {"0x2": 100}
