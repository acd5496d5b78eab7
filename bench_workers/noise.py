"""A device model as Pauli channels, placed on an ISA circuit by a simple schedule.

Both engines (Stim and Aer) take their noise from here, so they simulate the same channels:

- after each gate, a depolarizing channel whose average infidelity is the gate's error
  (a d-dimensional Pauli channel of total weight p has infidelity p·d/(d+1));
- on each qubit that waits for a partner, the Pauli twirl of amplitude damping (T1) and
  dephasing (T2) over the wait (T2 clamped to 2·T1, the physical bound, since published
  calibration data sometimes exceeds it);
- before each measurement, a bit flip with the readout error.

The schedule is as-late-as-possible in gate durations (Qiskit's ALAP): a qubit stays in
|0⟩ until it is needed, where relaxation does nothing (a twirled channel would wrongly flip
it), and idles from its first gate on. Barriers align their qubits and
measurements end the circuit, so early-finishing qubits of a GHZ chain decohere until
readout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

from qiskit import QuantumCircuit

from bench_workers.devices import DeviceModel, Qubits

UNTIMED = frozenset({"barrier", "measure"})
MIN_IDLE = 1e-12
"""Seconds; shorter waits are floating-point residue of the schedule, not idling."""


@dataclass(frozen=True)
class PauliChannel:
    """Non-identity Pauli errors on ``qubits`` (identity takes the remaining weight).

    A label has one letter per qubit, in the order of ``qubits``: ``"XZ"`` is X on
    ``qubits[0]`` and Z on ``qubits[1]``. Stim's ``PAULI_CHANNEL_2`` argument order.
    """

    qubits: Qubits
    terms: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class GateStep:
    name: str
    params: tuple[float, ...]
    qubits: Qubits


@dataclass(frozen=True)
class IdleStep:
    channel: PauliChannel


@dataclass(frozen=True)
class MeasureStep:
    qubit: int
    clbit: int


Step = GateStep | IdleStep | MeasureStep


def _labels(width: int) -> list[str]:
    return ["".join(p) for p in product("IXYZ", repeat=width) if set(p) != {"I"}]


def depolarizing(qubits: Qubits, error: float) -> PauliChannel | None:
    """The uniform Pauli channel with average gate infidelity ``error`` (None if zero)."""
    if error <= 0:
        return None
    dim = 2 ** len(qubits)
    labels = _labels(len(qubits))
    total = min(error * (dim + 1) / dim, 1 - 1 / dim**2)
    return PauliChannel(qubits, tuple((label, total / len(labels)) for label in labels))


def gate_noise(model: DeviceModel, name: str, qubits: Qubits) -> PauliChannel | None:
    return depolarizing(qubits, model.gate(name, qubits).error)


def idle_noise(model: DeviceModel, qubit: int, duration: float) -> PauliChannel | None:
    """Pauli-twirled relaxation and dephasing over ``duration`` seconds (None if nothing)."""
    if duration < MIN_IDLE:
        return None
    figures = model.qubits[qubit]
    t2 = min(figures.t2, 2 * figures.t1)
    relax = -math.expm1(-duration / figures.t1)
    dephase = -math.expm1(-duration / t2)
    flip = relax / 4
    phase = max(dephase / 2 - flip, 0.0)
    if flip == 0 and phase == 0:
        return None
    return PauliChannel((qubit,), (("X", flip), ("Y", flip), ("Z", phase)))


def readout_error(model: DeviceModel, qubit: int) -> float:
    return model.qubits[qubit].readout_error


def _durations(circuit: QuantumCircuit, model: DeviceModel) -> list[tuple[Qubits, float]]:
    """Each instruction's qubits and duration (barriers and measurements take no time)."""
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    timed = []
    for instruction in circuit.data:
        qubits = tuple(index[bit] for bit in instruction.qubits)
        name = instruction.operation.name
        timed.append((qubits, 0.0 if name in UNTIMED else model.gate(name, qubits).duration))
    return timed


def _alap_starts(timed: list[tuple[Qubits, float]]) -> list[float]:
    """Start times as late as possible: an as-soon-as-possible pass over the reversed circuit."""
    before_end: dict[int, float] = {}
    starts_before_end = []
    for qubits, duration in reversed(timed):
        start = max((before_end.get(q, 0.0) for q in qubits), default=0.0) + duration
        for qubit in qubits:
            before_end[qubit] = start
        starts_before_end.append(start)
    total = max(before_end.values(), default=0.0)
    return [total - start for start in reversed(starts_before_end)]


def schedule(circuit: QuantumCircuit, model: DeviceModel) -> tuple[Step, ...]:
    """The ISA circuit's gates and measurements in order, with idle noise between them.

    Gate and readout noise are not in the list: each engine attaches ``gate_noise`` and
    ``readout_error`` in its own way (Stim inline, Aer through its noise model).
    """
    timed = _durations(circuit, model)
    clbit_index = {bit: i for i, bit in enumerate(circuit.clbits)}
    free_at: dict[int, float] = {}
    steps: list[Step] = []
    for instruction, (qubits, duration), start in zip(
        circuit.data, timed, _alap_starts(timed), strict=True
    ):
        name = instruction.operation.name
        if name == "barrier":
            continue
        for qubit in qubits:
            channel = idle_noise(model, qubit, start - free_at.get(qubit, start))
            if channel is not None:
                steps.append(IdleStep(channel))
            free_at[qubit] = start + duration
        if name == "measure":
            steps.append(MeasureStep(qubits[0], clbit_index[instruction.clbits[0]]))
        else:
            params = tuple(map(float, instruction.operation.params))
            steps.append(GateStep(name, params, qubits))
    return tuple(steps)
