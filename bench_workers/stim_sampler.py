"""Noisy Clifford circuits on Stim: a scheduled ISA circuit in, hex-keyed counts out
(``PackedCounts``: columns of bit-packed outcomes, never a Python object per outcome).

Rotation angles must be multiples of π/2 (to within ``ANGLE_TOLERANCE``, then snapped
exactly), else the circuit is not Clifford and ``NotCliffordError`` sends it to Aer. A gate
maps to the single Stim gate with the same tableau when Stim has one (found by comparing
tableaux, so no hand-written table can drift from Qiskit's definitions), else to Stim's
decomposition of its tableau (ECR, for instance). Global phases do not affect sampling.

Measurements are noiseless in the Stim circuit; the terminal relaxation and readout flip of
each clbit (``noise.flip_bits``) are applied to Stim's bit-packed samples afterwards, drawn
sparsely from a generator seeded by the sampling seed, so a seed still fixes the counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import stim
from numpy.typing import NDArray
from qiskit.circuit.library import get_standard_gate_name_mapping

from bench_common.packed_counts import PackedCounts
from bench_workers.allocator import keep_freed_memory
from bench_workers.devices import DeviceModel
from bench_workers.noise import (
    GateStep,
    IdleStep,
    MeasureStep,
    OutcomeFlips,
    PauliChannel,
    Step,
    flip_bits,
    gate_noise,
    outcome_flips,
    outcome_rng,
)

ANGLE_TOLERANCE = 1e-8
QUARTER_TURN = math.pi / 2
CHANNELS = {1: "PAULI_CHANNEL_1", 2: "PAULI_CHANNEL_2"}
LINE_CACHE = 1 << 16
"""Stim lines of gates and channels kept per process (a few MB at most)."""

StimOps = tuple[tuple[str, tuple[int, ...]], ...]


class NotCliffordError(ValueError):
    """The circuit has a gate Stim cannot simulate."""


@dataclass(frozen=True)
class StimProgram:
    circuit: stim.Circuit
    record_of_clbit: tuple[int, ...]
    """Index in Stim's measurement record of the last measurement written to each clbit."""
    decay: tuple[float, ...] = ()
    """Per clbit, ``MeasureStep.decay`` of its last measurement (() for none)."""
    rise: tuple[float, ...] = ()
    """Per clbit, ``MeasureStep.rise`` of its last measurement (() for none)."""
    readout: tuple[float, ...] = ()
    """Per clbit, the readout flip probability, applied after those (() for none)."""

    def flips(self) -> OutcomeFlips:
        zeros = (0.0,) * len(self.record_of_clbit)
        return OutcomeFlips(
            *(
                np.asarray(p or zeros, dtype=np.float64)
                for p in (self.decay, self.rise, self.readout)
            )
        )


def snap(angle: float) -> float:
    """``angle`` as an exact multiple of π/2, or ``NotCliffordError``."""
    turns = angle / QUARTER_TURN
    if abs(turns - round(turns)) > ANGLE_TOLERANCE:
        raise NotCliffordError(f"angle {angle} is not a multiple of pi/2")
    return round(turns) % 4 * QUARTER_TURN


@cache
def _named_tableaux() -> dict[str, str]:
    """Stim's unitary one- and two-qubit gates, keyed by their tableau's text."""
    named: dict[str, str] = {}
    for name, data in stim.gate_data().items():
        if data.is_unitary and (data.is_single_qubit_gate or data.is_two_qubit_gate):
            named.setdefault(str(data.tableau), name)
    return named


@cache
def stim_ops(name: str, params: tuple[float, ...]) -> StimOps:
    """Stim gates (targets relative to the gate's qubits) equal to a Qiskit gate."""
    gate = get_standard_gate_name_mapping()[name]
    if params:
        gate = type(gate)(*params)
    try:
        tableau = stim.Tableau.from_unitary_matrix(gate.to_matrix(), endian="little")
    except ValueError as error:
        raise NotCliffordError(f"{name}{params} is not a Clifford gate") from error
    named = _named_tableaux().get(str(tableau))
    if named is not None:
        return ((named, tuple(range(len(tableau)))),)
    decomposition = tableau.to_circuit(method="elimination")
    return tuple(
        (op.name, tuple(t.value for t in op.targets_copy()))
        for op in decomposition
        if isinstance(op, stim.CircuitInstruction)
    )


@lru_cache(maxsize=LINE_CACHE)
def _channel_line(channel: PauliChannel) -> str:
    probabilities = ",".join(repr(p) for _, p in channel.terms)
    return f"{CHANNELS[len(channel.qubits)]}({probabilities}) {' '.join(map(str, channel.qubits))}"


@lru_cache(maxsize=LINE_CACHE)
def _gate_lines(step: GateStep) -> tuple[str, ...]:
    """The Stim lines of a gate on its qubits (``NotCliffordError`` if it has none)."""
    ops = stim_ops(step.name, tuple(map(snap, step.params)))
    return tuple(f"{op} {' '.join(str(step.qubits[t]) for t in targets)}" for op, targets in ops)


def compile_program(steps: tuple[Step, ...], model: DeviceModel, num_clbits: int) -> StimProgram:
    """The Stim circuit of a scheduled ISA circuit, with the device's noise inline. Written
    as Stim's text and parsed once: appending instructions one by one costs ~60 µs each.
    The text of each gate and channel is kept per process: the circuits of a workload share
    most of their steps (a new setting changes only the last layer)."""
    lines: list[str] = []
    records: dict[int, int] = {}
    measured = 0
    for step in steps:
        if isinstance(step, GateStep):
            lines += _gate_lines(step)
            channel = gate_noise(model, step.name, step.qubits)
            if channel is not None:
                lines.append(_channel_line(channel))
        elif isinstance(step, IdleStep):
            lines.append(_channel_line(step.channel))
        elif isinstance(step, MeasureStep):
            lines.append(f"M {step.qubit}")
            records[step.clbit] = measured
            measured += 1
    circuit = stim.Circuit("\n".join(lines))
    if sorted(records) != list(range(num_clbits)):
        raise ValueError("every classical bit must be measured")
    flips = outcome_flips(steps, model, num_clbits)
    return StimProgram(
        circuit,
        tuple(records[c] for c in range(num_clbits)),
        tuple(flips.decay.tolist()),
        tuple(flips.rise.tolist()),
        tuple(flips.readout.tolist()),
    )


def counts_from_packed(packed: NDArray[np.uint8]) -> dict[str, int]:
    """Hex-keyed counts of shots × bytes rows, bits packed little-endian (clbit 0 first)."""
    return PackedCounts.of_shots(packed).to_dict()


def sample_counts(program: StimProgram, shots: int, seed: int) -> PackedCounts:
    """``shots`` samples, reproducible for a seed on the same Stim and NumPy versions and
    machine: Stim's noiseless measurements, then each clbit's decay and readout flip; kept
    as columns, since a wide noisy register has about as many distinct outcomes as shots."""
    keep_freed_memory()
    sampler = program.circuit.compile_sampler(seed=seed)
    if program.record_of_clbit == tuple(range(program.circuit.num_measurements)):
        packed = sampler.sample(shots, bit_packed=True)
    else:
        bits = sampler.sample(shots)[:, list(program.record_of_clbit)]
        packed = np.packbits(bits, axis=1, bitorder="little")
    flip_bits(packed, program.flips(), outcome_rng(seed))
    return PackedCounts.of_shots(packed)
