"""Noisy Clifford circuits on Stim: a scheduled ISA circuit in, hex-keyed counts out.

Rotation angles must be multiples of π/2 (to within ``ANGLE_TOLERANCE``, then snapped
exactly), else the circuit is not Clifford and ``NotCliffordError`` sends it to Aer. A gate
maps to the single Stim gate with the same tableau when Stim has one (found by comparing
tableaux, so no hand-written table can drift from Qiskit's definitions), else to Stim's
decomposition of its tableau (ECR, for instance). Global phases do not affect sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import stim
from numpy.typing import NDArray
from qiskit.circuit.library import get_standard_gate_name_mapping

from bench_workers.devices import DeviceModel
from bench_workers.noise import (
    GateStep,
    IdleStep,
    MeasureStep,
    PauliChannel,
    Step,
    gate_noise,
    readout_error,
)

ANGLE_TOLERANCE = 1e-8
QUARTER_TURN = math.pi / 2
CHANNELS = {1: "PAULI_CHANNEL_1", 2: "PAULI_CHANNEL_2"}

StimOps = tuple[tuple[str, tuple[int, ...]], ...]


class NotCliffordError(ValueError):
    """The circuit has a gate Stim cannot simulate."""


@dataclass(frozen=True)
class StimProgram:
    circuit: stim.Circuit
    record_of_clbit: tuple[int, ...]
    """Index in Stim's measurement record of the last measurement written to each clbit."""


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


def _append_channel(circuit: stim.Circuit, channel: PauliChannel) -> None:
    circuit.append(CHANNELS[len(channel.qubits)], channel.qubits, [p for _, p in channel.terms])


def compile_program(steps: tuple[Step, ...], model: DeviceModel, num_clbits: int) -> StimProgram:
    """The Stim circuit of a scheduled ISA circuit, with the device's noise inline."""
    circuit = stim.Circuit()
    records: dict[int, int] = {}
    measured = 0
    for step in steps:
        if isinstance(step, GateStep):
            params = tuple(map(snap, step.params))
            for op, targets in stim_ops(step.name, params):
                circuit.append(op, [step.qubits[t] for t in targets])
            channel = gate_noise(model, step.name, step.qubits)
            if channel is not None:
                _append_channel(circuit, channel)
        elif isinstance(step, IdleStep):
            _append_channel(circuit, step.channel)
        elif isinstance(step, MeasureStep):
            circuit.append("M", [step.qubit], [readout_error(model, step.qubit)])
            records[step.clbit] = measured
            measured += 1
    if sorted(records) != list(range(num_clbits)):
        raise ValueError("every classical bit must be measured")
    return StimProgram(circuit, tuple(records[c] for c in range(num_clbits)))


def counts_from_packed(packed: NDArray[np.uint8]) -> dict[str, int]:
    """Hex-keyed counts of shots × bytes rows, bits packed little-endian (clbit 0 first).

    Byte-reversed, each row is its outcome in big-endian order, so grouping the rows as
    opaque byte strings sorts them numerically, and writing the distinct rows out as one
    hex string and slicing it is the cheapest way to make a key per outcome.
    """
    width = packed.shape[1]
    rows = np.ascontiguousarray(packed[:, ::-1]).view(np.dtype((np.void, width))).ravel()
    distinct, counts = np.unique(rows, return_counts=True)
    text = distinct.tobytes().hex()
    step = 2 * width
    keys = ["0x" + (text[i : i + step].lstrip("0") or "0") for i in range(0, len(text), step)]
    return dict(zip(keys, counts.tolist(), strict=True))


def sample_counts(program: StimProgram, shots: int, seed: int) -> dict[str, int]:
    """``shots`` samples, reproducible for a seed on the same Stim version and machine."""
    sampler = program.circuit.compile_sampler(seed=seed)
    if program.record_of_clbit == tuple(range(program.circuit.num_measurements)):
        return counts_from_packed(sampler.sample(shots, bit_packed=True))
    bits = sampler.sample(shots)[:, list(program.record_of_clbit)]
    return counts_from_packed(np.packbits(bits, axis=1, bitorder="little"))
