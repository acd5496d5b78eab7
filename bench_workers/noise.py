"""A device model as Pauli channels and classical flips, placed on an ISA circuit by a schedule.

Both engines (Stim and Aer) take their noise from here, so they simulate the same channels:

- after each gate, a depolarizing channel whose average infidelity is the gate's error
  (a d-dimensional Pauli channel of total weight p has infidelity p·d/(d+1));
- on each qubit that waits for a partner, the Pauli twirl of amplitude damping (T1) and
  dephasing (T2) over the wait (T2 clamped to 2·T1, the physical bound, since published
  calibration data sometimes exceeds it);
- on a qubit's terminal waits (only single-qubit gates between the wait and the qubit's
  final measurement; under ALAP those gates sit at the very end, so this is where the
  early-finishing qubits of a GHZ chain wait longest), relaxation is kept exact, since the
  twirl flips 0→1 as often as 1→0 and loses the drift devices show. If those gates keep Z
  up to sign (a diagonal or anti-diagonal product: rz, x, …), amplitude damping is exactly
  a classical flip of the outcome, 1→0 with γ = 1 − exp(−t/T1), or 0→1 through an odd
  number of bit flips, entangled or not (``MeasureStep.decay`` and ``rise``). Damping keeps
  √(1 − γ) = exp(−t/(2·T1)) of the coherence and a Z channel 1 − 2·p_z, so the rest of T2
  is p_z = (1 − exp(−t/T2 + t/(2·T1)))/2, for exp(−t/T2) in all. If they turn Z into X or
  Y, the twirl is kept, and is exact there: damping and its twirl both shrink X and Y by
  √(1 − γ), and such a measurement sees nothing else;
- after each measurement, per shot, the decay or rise, then a symmetric bit flip with the
  readout error, which both engines apply to the sampled bits (``flip_bits``: Stim has no
  amplitude damping, and one code path keeps the engines alike).

The schedule is as-late-as-possible in gate durations (Qiskit's ALAP): a qubit stays in
|0⟩ until it is needed, where relaxation does nothing (a twirled channel would wrongly flip
it), and idles from its first gate on. Barriers align their qubits and
measurements end the circuit, so early-finishing qubits of a GHZ chain decohere until
readout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from qiskit import QuantumCircuit
from qiskit.circuit.library import get_standard_gate_name_mapping

from bench_common.compiled import compiled
from bench_workers.devices import DeviceModel, Qubits

UNTIMED = frozenset({"barrier", "measure"})
MIN_IDLE = 1e-12
"""Seconds; shorter waits are floating-point residue of the schedule, not idling."""
FRAME_TOLERANCE = 1e-9
"""How far from zero a matrix entry may be for the gates after a wait to count as keeping
Z (diagonal) or flipping it (anti-diagonal)."""
MAX_FLIP = 1 - 1e-12
"""Flip probabilities are capped below 1, where the Poisson rate of ``_hits`` is infinite."""
OUTCOME_STREAM = 0x0D1CE
"""Spawn key of the outcome flips' generator, apart from the engine's own use of the seed."""
CHANNEL_CACHE = 4096
"""Gate channels kept per process (a device has a few hundred gate uses)."""
STEP_CACHE = 1 << 16
"""Distinct steps kept per process for sharing (``_shared``)."""


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
    decay: float = 0.0
    """Probability that the outcome reads 0 where it would read 1: relaxation during the
    qubit's terminal waits, applied to the outcome before the readout flip."""
    rise: float = 0.0
    """Probability that it reads 1 where it would read 0: relaxation during a terminal wait
    that an odd number of bit flips (X, Y, …) separates from the measurement."""


Step = GateStep | IdleStep | MeasureStep


@dataclass(frozen=True)
class OutcomeFlips:
    """Per clbit, the classical channels the sampled bits go through: decay and rise
    together (one binary channel, P(1→0) and P(0→1)), then the readout flip."""

    decay: NDArray[np.float64]
    rise: NDArray[np.float64]
    readout: NDArray[np.float64]


@cache
def _labels(width: int) -> tuple[str, ...]:
    return tuple("".join(p) for p in product("IXYZ", repeat=width) if set(p) != {"I"})


@lru_cache(maxsize=CHANNEL_CACHE)
def depolarizing(qubits: Qubits, error: float) -> PauliChannel | None:
    """The uniform Pauli channel with average gate infidelity ``error`` (None if zero);
    kept per gate use, since every circuit on a device asks for the same ones."""
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


def terminal_noise(
    model: DeviceModel, qubit: int, duration: float
) -> tuple[float, PauliChannel | None]:
    """Relaxation over a terminal wait of ``duration`` seconds: the probability
    γ = 1 − exp(−t/T1) that a 1 decays to 0, and the rest of the dephasing as a Z channel
    with p_z = (1 − exp(−t/T2 + t/(2·T1)))/2 (None if zero), T2 clamped to 2·T1."""
    if duration < MIN_IDLE:
        return 0.0, None
    figures = model.qubits[qubit]
    t2 = min(figures.t2, 2 * figures.t1)
    decay = -math.expm1(-duration / figures.t1)
    phase = -math.expm1(-duration * (1 / t2 - 1 / (2 * figures.t1))) / 2
    if phase <= 0:
        return decay, None
    return decay, PauliChannel((qubit,), (("X", 0.0), ("Y", 0.0), ("Z", phase)))


def readout_error(model: DeviceModel, qubit: int) -> float:
    return model.qubits[qubit].readout_error


def outcome_flips(steps: tuple[Step, ...], model: DeviceModel, num_clbits: int) -> OutcomeFlips:
    """Per clbit, the channels of the last measurement that writes it (earlier ones are
    overwritten)."""
    flips = OutcomeFlips(np.zeros(num_clbits), np.zeros(num_clbits), np.zeros(num_clbits))
    for step in steps:
        if isinstance(step, MeasureStep):
            flips.decay[step.clbit] = step.decay
            flips.rise[step.clbit] = step.rise
            flips.readout[step.clbit] = readout_error(model, step.qubit)
    return flips


def outcome_rng(seed: int) -> np.random.Generator:
    """The generator of the outcome flips for a sampling seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(OUTCOME_STREAM,)))


def _hits(
    rng: np.random.Generator, shots: int, probabilities: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per clbit, shots (with repeats) such that each shot is among them, independently,
    with the clbit's probability p: Poisson(shots·μ) uniform draws hit each shot
    Poisson(μ) times, independently, which is at least once with 1 − exp(−μ) = p at
    μ = −ln(1 − p). Drawing the hits alone costs in proportion to the flips. The shots of
    all clbits in one array, clbit after clbit, with where each clbit's start (and an end)."""
    rates = -np.log1p(-np.minimum(probabilities, MAX_FLIP)) * shots
    counts = rng.poisson(rates)
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return rng.integers(0, shots, int(starts[-1])), starts


@compiled
def _apply(packed: NDArray[np.uint8], sets: NDArray[np.int64], set_starts: NDArray[np.int64],
           clears: NDArray[np.int64], clear_starts: NDArray[np.int64],
           flips: NDArray[np.int64], flip_starts: NDArray[np.int64]) -> None:  # fmt: skip
    """Per clbit, set the bit of its ``sets``, clear that of its ``clears``, then flip that
    of its ``flips`` (once per shot however often it was drawn)."""
    flipped_at = np.full(packed.shape[0], -1, dtype=np.int64)  # the last clbit flipped
    for clbit in range(len(set_starts) - 1):
        byte, bit = clbit >> 3, np.uint8(1 << (clbit & 7))
        for shot in sets[set_starts[clbit] : set_starts[clbit + 1]]:
            packed[shot, byte] |= bit
        for shot in clears[clear_starts[clbit] : clear_starts[clbit + 1]]:
            packed[shot, byte] &= np.uint8(255) ^ bit
        for shot in flips[flip_starts[clbit] : flip_starts[clbit + 1]]:
            if flipped_at[shot] != clbit:
                flipped_at[shot] = clbit
                packed[shot, byte] ^= bit


def flip_bits(packed: NDArray[np.uint8], flips: OutcomeFlips, rng: np.random.Generator) -> None:
    """Put shots × bytes rows of clbits packed little-endian (clbit 0 first) through each
    clbit's rise and decay, then its readout flip, in place.

    Sparse: only the drawn shots are written. A rise a and decay b at once (a + b ≤ 1, true
    of any chain of decays) are a set with a/(1 − b), which leaves ones alone, then a clear
    with b, which leaves zeros alone. Setting and clearing are idempotent and a flip is
    applied once per drawn shot, which is what makes the repeats of ``_hits`` harmless.
    """
    shots = packed.shape[0]
    sets = _hits(rng, shots, flips.rise / np.maximum(1 - flips.decay, 1 - MAX_FLIP))
    clears = _hits(rng, shots, flips.decay)
    readout = _hits(rng, shots, flips.readout)
    _apply(packed, *sets, *clears, *readout)


class _Instruction(NamedTuple):
    name: str
    params: tuple[float, ...]
    qubits: Qubits
    clbits: tuple[int, ...]


def _instructions(circuit: QuantumCircuit) -> list[_Instruction]:
    """The circuit's instructions as plain data, read once and by name and parameters,
    never through ``operation``: each read of it builds a new gate object."""
    qubit_index = {bit: i for i, bit in enumerate(circuit.qubits)}.__getitem__
    clbit_index = {bit: i for i, bit in enumerate(circuit.clbits)}.__getitem__
    return [
        _Instruction(instruction.name, tuple(map(float, instruction.params)),
                     tuple(map(qubit_index, instruction.qubits)),
                     tuple(map(clbit_index, instruction.clbits)))
        for instruction in circuit.data
    ]  # fmt: skip


def _durations(instructions: list[_Instruction], model: DeviceModel) -> list[tuple[Qubits, float]]:
    """Each instruction's qubits and duration (barriers and measurements take no time)."""
    return [(i.qubits, 0.0 if i.name in UNTIMED else model.gate(i.name, i.qubits).duration)
            for i in instructions]  # fmt: skip


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


@cache
def gate_matrix(name: str, params: tuple[float, ...]) -> NDArray[np.complex128]:
    """A standard gate's matrix, in Qiskit's order (the gate's first qubit least significant)."""
    gate = get_standard_gate_name_mapping()[name]
    return np.asarray((type(gate)(*params) if params else gate).to_matrix(), dtype=complex)


def _terminal_frames(instructions: list[_Instruction]) -> dict[tuple[int, int], bool]:
    """For each (instruction, qubit) whose wait before it is terminal (only single-qubit
    gates from there to a measurement that is the qubit's last instruction), whether those
    gates flip Z (an anti-diagonal product) or keep it (diagonal); absent if they do
    neither, or if the wait is not terminal."""
    after: dict[int, NDArray[np.complex128] | None] = {}
    frames: dict[tuple[int, int], bool] = {}
    for position in reversed(range(len(instructions))):
        name, params, qubits, _ = instructions[position]
        if name == "barrier":
            continue
        for qubit in qubits:
            if qubit not in after:
                after[qubit] = np.eye(2, dtype=complex) if name == "measure" else None
            elif name == "measure" or len(qubits) > 1:
                after[qubit] = None
            elif (product := after[qubit]) is not None:
                after[qubit] = product @ gate_matrix(name, params)
            product = after[qubit]
            if product is None:
                continue
            if abs(product[0, 1]) < FRAME_TOLERANCE:
                frames[position, qubit] = False
            elif abs(product[0, 0]) < FRAME_TOLERANCE:
                frames[position, qubit] = True
            else:
                after[qubit] = None
    return frames


def _then(channel: tuple[float, float], decay: float, flipped: bool) -> tuple[float, float]:
    """A binary channel (P(0→1), P(1→0)) on the outcome followed by a decay seen through
    ``flipped`` (0→1 on the outcome if so, 1→0 if not)."""
    rise, fall = channel
    if flipped:
        return rise + (1 - rise) * decay, fall * (1 - decay)
    return rise * (1 - decay), fall + (1 - fall) * decay


@lru_cache(maxsize=STEP_CACHE)
def _shared(step: Step) -> Step:
    """One object for equal steps: the circuits of a workload (and its runs with other
    seeds) repeat most of each other's steps, and a cached plan's steps live as long as
    it, so sharing them spares the memory and the garbage collector's full passes."""
    return step


def schedule(circuit: QuantumCircuit, model: DeviceModel) -> tuple[Step, ...]:
    """The ISA circuit's gates and measurements in order, with idle noise between them.

    A terminal wait (``_terminal_frames``) carries ``terminal_noise``: its Z part as an
    idle step in place, its decay, seen through the gates after it, on the final
    ``MeasureStep``; other waits carry the twirled ``idle_noise``. Gate and readout
    noise are not in the list: each engine attaches ``gate_noise`` and ``readout_error``.
    """
    instructions = _instructions(circuit)
    timed = _durations(instructions, model)
    frames = _terminal_frames(instructions)
    free_at: dict[int, float] = {}
    outcome: dict[int, tuple[float, float]] = {}
    steps: list[Step] = []
    for position, ((name, params, qubits, clbits), (_, duration), start) in enumerate(
        zip(instructions, timed, _alap_starts(timed), strict=True)
    ):
        if name == "barrier":
            continue
        for qubit in qubits:
            wait = start - free_at.get(qubit, start)
            free_at[qubit] = start + duration
            flipped = frames.get((position, qubit))
            if flipped is None:
                channel = idle_noise(model, qubit, wait)
            else:
                decay, channel = terminal_noise(model, qubit, wait)
                outcome[qubit] = _then(outcome.get(qubit, (0.0, 0.0)), decay, flipped)
            if channel is not None:
                steps.append(_shared(IdleStep(channel)))
        if name == "measure":
            rise, decay = outcome.pop(qubits[0], (0.0, 0.0))
            steps.append(_shared(MeasureStep(qubits[0], clbits[0], decay, rise)))
        else:
            steps.append(_shared(GateStep(name, params, qubits)))
    return tuple(steps)
