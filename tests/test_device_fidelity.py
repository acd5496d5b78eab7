"""Our Stim path against Aer's full relaxation model of the IBM snapshots, on GHZ states.

The reference is ``NoiseModel.from_backend`` (depolarizing plus thermal relaxation on every
gate, thermal relaxation on every delay, readout errors) on the executed ISA circuit,
scheduled as late as possible with explicit delays (Qiskit's ALAP and ``PadDelay``), since
from_backend puts idle relaxation on delays only: unscheduled, the reference would not
idle at all. It runs on Aer's density matrices up to 10 qubits and matrix product states
for 50. The statistic is the GHZ population p(0ⁿ) + p(1ⁿ), which must agree within
``Z`` standard errors of the difference (binomial, both samples).

Two things keep GHZ-50 affordable and still able to fail:

- The reference runs on a copy of the device cut down to the qubits the circuit uses, in
  chain order: from_backend builds each qubit's and each pair's errors from that qubit's or
  pair's figures alone, so the errors are the same, while Aer no longer serialises ~650
  errors per run nor swaps qubits along its matrix product state.
- Aer samples without readout error, and ``basic_device_readout_errors`` (the readout
  errors from_backend adds) is applied to its samples here: the same channel, but it
  yields the population before readout as well, 4-6x larger on GHZ-50 and so about 1.5-2x
  more sensitive to the relaxation model, in standard errors, than the one after readout.

Both populations are compared, ours from the same Stim program with and without the
device's readout errors. On the twirled-only model (terminal relaxation as symmetric
flips), GHZ-50's population before readout falls 3.1σ (ibm_torino) and 2.5σ
(ibm_brisbane) below Aer's with these seeds and shots, so the test fails; with the
terminal decay it agrees. A few fast checks of the pieces follow: the terminal decay's
frame, the outcome flips, and the faulty parts left out of a device.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from qiskit import QuantumCircuit
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import PassManager, Target
from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel
from qiskit_aer.noise.device import basic_device_readout_errors
from qiskit_ibm_runtime import fake_provider

from bench_common.catalogue import CATALOGUE
from bench_workers import stim_sampler, workloads
from bench_workers.devices import (
    ANY_QUBITS,
    FAULTY_ERROR,
    DeviceModel,
    GateFigures,
    QubitFigures,
    device_model,
    target,
)
from bench_workers.noise import (
    IdleStep,
    MeasureStep,
    OutcomeFlips,
    flip_bits,
    outcome_rng,
    schedule,
)
from bench_workers.simulator import Plan, plan_of

BACKENDS = ("ibm_brisbane", "ibm_torino")
OUR_SHOTS = 200_000
AER_SHOTS = {"ghz_5q": 20_000, "ghz_10q": 20_000, "ghz_50q": 1_000}
"""Matrix product states with full relaxation take ~25 ms a shot on GHZ-50 here."""
Z = 3.0
SEEDS = {"ours": 1, "aer": 11, "readout": 12}


@dataclasses.dataclass(frozen=True)
class Sample:
    population: float
    shots: int

    @property
    def standard_error(self) -> float:
        return math.sqrt(self.population * (1 - self.population) / self.shots)


@cache
def population_plan(backend_id: str, workload_id: str) -> Plan:
    """The workload's Z-basis population circuit (its first) on the backend."""
    spec = CATALOGUE.workloads[workload_id]
    circuits = workloads.build(spec, CATALOGUE.type_of(spec), np.random.default_rng(0))
    assert circuits[0].meta.get("role") == "population"
    return plan_of(CATALOGUE.backends[backend_id], circuits[0])


def fake_backend(backend_id: str) -> Any:
    return getattr(
        fake_provider, CATALOGUE.backends[backend_id].noise_model.removeprefix("fake:")
    )()


def used_qubits(executed: QuantumCircuit) -> list[int]:
    """Physical qubits in clbit order (logical GHZ chain order), then any others touched."""
    by_clbit: dict[int, int] = {}
    touched: list[int] = []
    for instruction in executed.data:
        qubits = [executed.find_bit(q).index for q in instruction.qubits]
        if instruction.operation.name == "measure":
            by_clbit[executed.find_bit(instruction.clbits[0]).index] = qubits[0]
        elif instruction.operation.name != "barrier":
            touched += qubits
    order = [by_clbit[c] for c in sorted(by_clbit)]
    return order + sorted(set(touched) - set(order))


def cut_down(backend: Any, order: list[int]) -> types.SimpleNamespace:
    """A BackendV2 stand-in whose target is ``backend``'s on qubits ``order``, renamed
    0, 1, …: what ``NoiseModel.from_backend`` reads (target, operation names, dt)."""
    full: Target = backend.target
    index = {q: i for i, q in enumerate(order)}
    cut = Target(
        num_qubits=len(order),
        dt=full.dt,
        qubit_properties=[full.qubit_properties[q] for q in order],
    )
    for name in full.operation_names:
        table = full[name]
        if table is None or None in table:
            continue
        kept = {
            tuple(index[q] for q in qargs): props
            for qargs, props in table.items()
            if set(qargs) <= index.keys()
        }
        if kept:
            cut.add_instruction(full.operation_from_name(name), kept, name=name)
    return types.SimpleNamespace(
        version=2, target=cut, operation_names=list(cut.operation_names), dt=full.dt
    )


def renamed(executed: QuantumCircuit, order: list[int]) -> QuantumCircuit:
    index = {q: i for i, q in enumerate(order)}
    circuit = QuantumCircuit(len(order), executed.num_clbits)
    for instruction in executed.data:
        qubits = [index[executed.find_bit(q).index] for q in instruction.qubits]
        clbits = [executed.find_bit(c).index for c in instruction.clbits]
        circuit.append(instruction.operation, qubits, clbits)
    return circuit


def bits_of(counts: dict[str, int], width: int) -> NDArray[np.bool_]:
    """Shots × clbits (clbit 0 first) of counts keyed by Qiskit's bit strings."""
    keys = list(counts)
    rows = np.array([[c == "1" for c in reversed(k.replace(" ", ""))] for k in keys], dtype=bool)
    return np.repeat(rows.reshape(len(keys), width), [counts[k] for k in keys], axis=0)


def population(bits: NDArray[np.bool_]) -> Sample:
    return Sample(float(np.mean(bits.all(axis=1) | ~bits.any(axis=1))), len(bits))


def aer_reference(backend_id: str, workload_id: str) -> tuple[Sample, Sample]:
    """Aer's population before and after from_backend's readout errors."""
    executed = population_plan(backend_id, workload_id).executed
    order = used_qubits(executed)
    device = cut_down(fake_backend(backend_id), order)
    scheduled = PassManager(
        [ALAPScheduleAnalysis(target=device.target), PadDelay(target=device.target)]
    ).run(renamed(executed, order))
    method = "density_matrix" if len(order) <= 10 else "matrix_product_state"
    simulator = AerSimulator(
        method=method,
        noise_model=NoiseModel.from_backend(device, readout_error=False),
        seed_simulator=SEEDS["aer"],
    )
    shots = AER_SHOTS[workload_id]
    counts = simulator.run(scheduled, shots=shots).result().get_counts()
    before = bits_of(counts, executed.num_clbits)
    readout = {q[0]: e.probabilities for q, e in basic_device_readout_errors(target=device.target)}
    rng = np.random.default_rng(SEEDS["readout"])
    after = before.copy()
    for clbit in range(executed.num_clbits):  # measurement i reads renamed qubit i
        flip_if_zero, flip_if_one = readout[clbit][0][1], readout[clbit][1][0]
        chance = np.where(before[:, clbit], flip_if_one, flip_if_zero)
        after[:, clbit] ^= rng.random(shots) < chance
    return population(before), population(after)


def ours(backend_id: str, workload_id: str) -> tuple[Sample, Sample]:
    """Our population without and with the device's readout errors, from one schedule."""
    plan = population_plan(backend_id, workload_id)
    model = device_model(CATALOGUE.backends[backend_id].noise_model)
    perfect = tuple(dataclasses.replace(q, readout_error=0.0) for q in model.qubits)
    without = stim_sampler.compile_program(
        plan.steps, dataclasses.replace(model, qubits=perfect), plan.executed.num_clbits
    )
    assert plan.stim is not None
    ones = hex(2**plan.executed.num_clbits - 1)

    def sample(program: stim_sampler.StimProgram) -> Sample:
        counts = stim_sampler.sample_counts(program, OUR_SHOTS, SEEDS["ours"])
        return Sample((counts.get("0x0", 0) + counts.get(ones, 0)) / OUR_SHOTS, OUR_SHOTS)

    return sample(without), sample(plan.stim)


def z_score(first: Sample, second: Sample) -> tuple[float, float, float]:
    """Both populations and their difference in binomial standard errors."""
    sigma = math.hypot(first.standard_error, second.standard_error)
    difference = first.population - second.population
    return first.population, second.population, difference / sigma if sigma > 0 else 0.0


@pytest.mark.slow
@pytest.mark.parametrize("workload_id", sorted(AER_SHOTS))
@pytest.mark.parametrize("backend_id", BACKENDS)
def test_ghz_population_agrees_with_aer_thermal_relaxation(
    backend_id: str, workload_id: str
) -> None:
    ours_before, ours_after = ours(backend_id, workload_id)
    aer_before, aer_after = aer_reference(backend_id, workload_id)
    before = z_score(ours_before, aer_before)
    after = z_score(ours_after, aer_after)
    assert abs(before[2]) <= Z and abs(after[2]) <= Z, {
        "before readout (ours, Aer, z)": before,
        "after readout (ours, Aer, z)": after,
    }


def two_qubit_model(t1: float) -> DeviceModel:
    gate = GateFigures(0.0, 1e-6)
    return DeviceModel(
        name="test", source="test", timestamp=None,
        qubits=(QubitFigures(t1, t1, 0.0),) * 2,
        gates=types.MappingProxyType({name: {ANY_QUBITS: gate} for name in ("cx", "h", "sx", "x")}),
        coupling_map=None,
    )  # fmt: skip


@pytest.mark.parametrize(("tail", "rise"), [("x", True), ("sx", False)])
def test_a_terminal_wait_decays_through_the_gates_after_it(tail: str, rise: bool) -> None:
    """Qubit 0 waits 3 µs for qubit 1's gates, then takes its last gate (ALAP) and is
    measured: through an X the decay reads as 0→1; through √X it measures Y, where the
    twirl is exact and stays."""
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    for _ in range(4):
        circuit.sx(1)
    circuit.append(get_standard_gate_name_mapping()[tail], [0])
    circuit.measure([0, 1], [0, 1])
    steps = schedule(circuit, two_qubit_model(t1=1e-4))
    measured = {s.qubit: s for s in steps if isinstance(s, MeasureStep)}
    gamma = -math.expm1(-3e-6 / 1e-4)
    assert measured[0].rise == (pytest.approx(gamma) if rise else 0.0)
    assert measured[0].decay == 0.0 and measured[1].rise == measured[1].decay == 0.0
    twirled = [s for s in steps if isinstance(s, IdleStep) and s.channel.terms[0][1] > 0]
    assert [s.channel.qubits for s in twirled] == ([] if rise else [(0,)])


def test_outcome_flips_follow_their_probabilities_and_the_seed() -> None:
    shots = 400_000
    bits = np.zeros((shots, 3), dtype=bool)
    bits[:, 0] = True  # clbit 0 reads 1, clbit 1 reads 0, clbit 2 is half and half
    bits[: shots // 2, 2] = True
    packed = np.packbits(bits, axis=1, bitorder="little")
    flips = OutcomeFlips(
        decay=np.array([0.3, 0.3, 0.0]),
        rise=np.array([0.2, 0.2, 0.0]),
        readout=np.array([0.1, 0.1, 0.05]),
    )
    again = packed.copy()
    flip_bits(packed, flips, outcome_rng(5))
    flip_bits(again, flips, outcome_rng(5))
    assert np.array_equal(packed, again)
    ones = np.unpackbits(packed, axis=1, count=3, bitorder="little").mean(axis=0)
    expected = [0.7 * 0.9 + 0.3 * 0.1, 0.2 * 0.9 + 0.8 * 0.1, 0.5]
    assert ones == pytest.approx(expected, abs=5 * 0.5 / math.sqrt(shots))


def test_faulty_couplers_and_qubits_are_left_out_and_recorded() -> None:
    """FakeTorino reports 22 dead couplers (error 1.0) and qubit 86 with a readout error
    of 0.57 and T1 of 4 µs; IBM's own target would leave them out, and so do we."""
    noise_model = CATALOGUE.backends["ibm_torino"].noise_model
    device, snapshot = target(noise_model), device_model(noise_model).snapshot()
    reported = fake_backend("ibm_torino").target
    dead = {q for q, props in reported["cz"].items() if not props.error < FAULTY_ERROR}
    assert len(dead) == 22 and dead.isdisjoint(device["cz"])
    assert all(props.error < FAULTY_ERROR for props in device["cz"].values())
    assert not any(86 in qargs for name in device.operation_names for qargs in device[name])
    assert snapshot["dropped"]["qubits"].keys() == {"86"}
    assert {tuple(map(int, k.split(","))) for k in snapshot["dropped"]["gates"]["cz"]} == dead
    assert snapshot["num_qubits"] == 133
    json.dumps(snapshot, allow_nan=False)
