"""Circuits Stim cannot take (non-Clifford angles) on Aer, with the same Pauli channels.

Gate errors go into an Aer ``NoiseModel`` keyed by gate and qubits, built from
``noise.gate_noise``; idle noise depends on where a gate sits in the schedule, which a
gate-keyed model cannot express, so it goes into the circuit as Pauli error instructions.
Measurements are noiseless in Aer: the terminal decay and readout flip of each clbit are
applied to the counts afterwards by ``noise.flip_bits``, the code Stim's samples go
through, so both engines treat outcomes identically. The method follows the width: exact
density matrices while they fit, state-vector trajectories beyond, matrix product states
for wide circuits; a noiseless circuit stays pure, so one state vector gives all its shots.

Aer is not fork-safe once used, so simulators are built per call, never at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.circuit.library import Measure, UnitaryGate, get_standard_gate_name_mapping
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, QuantumError, pauli_error

from bench_workers.devices import DeviceModel
from bench_workers.noise import (
    GateStep,
    IdleStep,
    MeasureStep,
    PauliChannel,
    Step,
    flip_bits,
    gate_noise,
    outcome_flips,
    outcome_rng,
)
from bench_workers.stim_sampler import counts_from_packed

METHODS = ((10, "density_matrix"), (24, "statevector"))
"""Largest active width for each method, in order; wider circuits use MPS."""
WIDE_METHOD = "matrix_product_state"


def method_for(active_qubits: int, noisy: bool = True) -> str:
    """A noiseless circuit's state stays pure, so no width needs a density matrix."""
    return next((method for width, method in METHODS
                 if active_qubits <= width and (noisy or method != "density_matrix")),
                WIDE_METHOD)  # fmt: skip


def pauli_channel_error(channel: PauliChannel) -> QuantumError:
    """Qiskit labels put the first qubit rightmost, hence the reversed letters."""
    identity = 1.0 - sum(p for _, p in channel.terms)
    terms = [(label[::-1], p) for label, p in channel.terms if p > 0]
    return pauli_error([*terms, ("I" * len(channel.qubits), identity)])


def noise_model(steps: tuple[Step, ...], model: DeviceModel) -> NoiseModel:
    """Gate errors for each gate use in ``steps`` (readout noise is applied to the counts)."""
    noise = NoiseModel()
    for name, qubits in sorted({(s.name, s.qubits) for s in steps if isinstance(s, GateStep)}):
        channel = gate_noise(model, name, qubits)
        if channel is not None:
            noise.add_quantum_error(pauli_channel_error(channel), name, list(qubits))
    return noise


def packed_from_counts(counts: dict[str, int], num_clbits: int) -> NDArray[np.uint8]:
    """Shots × bytes rows (clbits packed little-endian, clbit 0 first) of hex-keyed counts,
    in key order: the inverse of ``stim_sampler.counts_from_packed``."""
    width = max((num_clbits + 7) // 8, 1)
    keys = sorted(counts, key=lambda key: int(key, 16))
    distinct = np.frombuffer(
        b"".join(int(key, 16).to_bytes(width, "little") for key in keys), dtype=np.uint8
    ).reshape(len(keys), width)
    return np.repeat(distinct, [counts[key] for key in keys], axis=0)


@cache
def _standard_gates() -> dict[str, Gate]:
    """Qiskit builds this mapping afresh on every call, which costs more than simulating."""
    gates: dict[str, Gate] = get_standard_gate_name_mapping()
    return gates


def _gate(name: str, params: tuple[float, ...], supported: frozenset[str]) -> Gate:
    """The Qiskit gate; as a unitary labelled with its name when Aer lacks it (``iswap``),
    which the noise model still matches by that label."""
    gate = _standard_gates()[name]
    if params:
        gate = type(gate)(*params)
    return gate if name in supported else UnitaryGate(gate.to_matrix(), label=name)


def noisy_circuit(
    steps: tuple[Step, ...], num_qubits: int, num_clbits: int, supported: frozenset[str]
) -> QuantumCircuit:
    """The scheduled circuit with idle noise as Pauli error instructions."""
    circuit = QuantumCircuit(num_qubits, num_clbits)
    for step in steps:
        if isinstance(step, GateStep):
            circuit.append(_gate(step.name, step.params, supported), step.qubits)
        elif isinstance(step, IdleStep):
            circuit.append(pauli_channel_error(step.channel), step.channel.qubits)
        elif isinstance(step, MeasureStep):
            circuit.append(Measure(), [step.qubit], [step.clbit])
    return circuit


def _method(steps: tuple[Step, ...], model: DeviceModel) -> str:
    """``method_for`` the qubits the steps touch (Aer drops the device's idle qubits itself)
    and whether any of them is noisy."""
    active = {q for s in steps if isinstance(s, GateStep) for q in s.qubits}
    active |= {s.qubit for s in steps if isinstance(s, MeasureStep)}
    noisy = any(isinstance(s, IdleStep) or (isinstance(s, GateStep)
                                            and gate_noise(model, s.name, s.qubits) is not None)
                for s in steps)  # fmt: skip
    return method_for(len(active), noisy)


def run_many(
    circuits: Sequence[tuple[tuple[Step, ...], int]],
    model: DeviceModel,
    shots: int,
    seeds: Sequence[int],
    method: str | None = None,
) -> list[dict[str, int]]:
    """Hex-keyed counts of scheduled circuits, given as (steps, clbits), each seeded by its
    seed; the method defaults to each circuit's own (``_method``). Circuits of one method go
    to Aer in one call, on one noise model, which Aer spreads over its threads
    (``max_parallel_experiments``): the first is simulated with its own seed and Aer derives
    the others' from it, deterministically; each circuit's outcome flips come from its own
    seed."""
    groups: dict[str, list[int]] = {}
    for index, (steps, _) in enumerate(circuits):
        groups.setdefault(method or _method(steps, model), []).append(index)
    counts: list[dict[str, int]] = [{} for _ in circuits]
    for chosen, indices in groups.items():
        every_step = tuple(step for i in indices for step in circuits[i][0])
        simulator = AerSimulator(method=chosen, noise_model=noise_model(every_step, model),
                                 seed_simulator=seeds[indices[0]],
                                 max_parallel_experiments=0)  # fmt: skip
        supported = frozenset(simulator.target.operation_names)
        batch = [noisy_circuit(circuits[i][0], model.num_qubits, circuits[i][1], supported)
                 for i in indices]  # fmt: skip
        for i, experiment in zip(indices, simulator.run(batch, shots=shots).result().results,
                                 strict=True):  # fmt: skip
            steps, num_clbits = circuits[i]
            raw: dict[str, int] = experiment.data.counts
            packed = packed_from_counts({k: int(v) for k, v in raw.items()}, num_clbits)
            flip_bits(packed, outcome_flips(steps, model, num_clbits), outcome_rng(seeds[i]))
            counts[i] = counts_from_packed(packed)
    return counts


def run_counts(
    steps: tuple[Step, ...],
    model: DeviceModel,
    num_clbits: int,
    shots: int,
    seed: int,
    method: str | None = None,
) -> dict[str, int]:
    """Hex-keyed counts of one scheduled circuit (``run_many``)."""
    return run_many([(steps, num_clbits)], model, shots, [seed], method)[0]
