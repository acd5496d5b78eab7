"""Circuits that fall apart into independent pieces, each piece sampled on its own.

A circuit whose qubits split into groups that no multi-qubit gate joins (BSEQ's parallel
Bell pairs, the idle qubits beside them) prepares a product state, and the device model's
noise is local: a gate's error acts on the gate's qubits, idle noise on one qubit,
relaxation and readout on one outcome (``bench_workers.noise``). So the outcomes of the
groups are independent, and sampling each group by itself, then putting the bits side by
side, shot by shot in an independent random order, gives exactly the distribution of the
whole circuit, with density matrices of two qubits where the whole would need 127.

- Qubits nothing touches read 0: their measurements are not simulated.
- Pieces of up to ``EXACT_QUBITS`` qubits whose measurements end them are sampled from
  their exact density matrix, evolved here through the same gates and Pauli channels
  (``gate_noise`` after each gate, the schedule's idle channels) that Aer would apply:
  Aer's cost per experiment is far above such a simulation, and a 127-qubit BSEQ circuit
  is about 50 of them.
- Wider pieces go to ``aer_runner.run_many`` as circuits of their own, on the device's
  qubit numbers (so its gate noise applies as it stands), their clbits renumbered from 0.

The decay and readout flips of every outcome are drawn by ``noise.flip_bits``, as for the
whole circuit. A circuit that does not split is passed to ``aer_runner`` whole, so a
workload none of whose circuits split is sampled exactly as without this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from bench_workers import aer_runner
from bench_workers.devices import DeviceModel
from bench_workers.noise import (
    GateStep,
    IdleStep,
    MeasureStep,
    PauliChannel,
    Step,
    flip_bits,
    gate_matrix,
    gate_noise,
    outcome_flips,
    outcome_rng,
)
from bench_workers.stim_sampler import counts_from_packed

EXACT_QUBITS = 4
"""Widest piece sampled from its exact density matrix (16 × 16 at 4 qubits)."""
NON_UNITARY = frozenset({"reset"})
PIECES_STREAM = 0x91ECE
"""Spawn key of the generator of a circuit's pieces (their Aer seeds, exact samples and
shot orders), apart from the engine's and the outcome flips' use of the seed."""
PAULIS = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.diag([1, -1]).astype(complex),
}


def _qubits(step: Step) -> tuple[int, ...]:
    if isinstance(step, GateStep):
        return step.qubits
    if isinstance(step, IdleStep):
        return step.channel.qubits
    return (step.qubit,)


def groups(steps: tuple[Step, ...]) -> list[tuple[Step, ...]]:
    """The steps of each group of qubits that multi-qubit steps (or measurements into one
    clbit) join, in circuit order; groups in the order of their first step."""
    parent: dict[int, int] = {}

    def root(qubit: int) -> int:
        parent.setdefault(qubit, qubit)
        while parent[qubit] != qubit:
            parent[qubit] = parent[parent[qubit]]
            qubit = parent[qubit]
        return qubit

    writers: dict[int, int] = {}
    for step in steps:
        qubits = _qubits(step)
        if isinstance(step, MeasureStep):
            qubits = (writers.setdefault(step.clbit, step.qubit), step.qubit)
        for qubit in qubits[1:]:
            parent[root(qubit)] = root(qubits[0])
    members: dict[int, list[Step]] = {}
    for step in steps:
        members.setdefault(root(_qubits(step)[0]), []).append(step)
    return [tuple(group) for group in members.values()]


def _read_only(group: tuple[Step, ...]) -> bool:
    return all(isinstance(s, MeasureStep) for s in group)


def _exact(group: tuple[Step, ...]) -> bool:
    """Small enough, unitary gates only, and no step on a qubit after its measurement."""
    measured: set[int] = set()
    for step in group:
        if isinstance(step, MeasureStep):
            measured.add(step.qubit)
        elif measured.intersection(_qubits(step)) or (
            isinstance(step, GateStep) and step.name in NON_UNITARY
        ):
            return False
    return len({q for s in group for q in _qubits(s)}) <= EXACT_QUBITS


def _embed(operator: NDArray[np.complex128], positions: tuple[int, ...],
           width: int) -> NDArray[np.complex128]:  # fmt: skip
    """An operator on the qubits at ``positions`` (its first qubit least significant, as
    Qiskit orders matrices) as an operator on all ``width`` qubits."""
    size = len(positions)
    axes = [width - 1 - q for q in reversed(positions)]
    identity = np.eye(2**width, dtype=complex).reshape((2,) * width + (2**width,))
    applied = np.tensordot(operator.reshape((2,) * 2 * size), identity,
                           axes=(list(range(size, 2 * size)), axes))  # fmt: skip
    return np.moveaxis(applied, list(range(size)), axes).reshape(2**width, 2**width)


@lru_cache(maxsize=4096)
def _gate(name: str, params: tuple[float, ...], positions: tuple[int, ...],
          width: int) -> NDArray[np.complex128]:  # fmt: skip
    return _embed(gate_matrix(name, params), positions, width)


@cache
def _paulis(labels: tuple[str, ...], positions: tuple[int, ...],
            width: int) -> NDArray[np.complex128]:  # fmt: skip
    """The channel's Pauli terms as operators on the piece, stacked (a label's first
    letter acts on the channel's first qubit)."""
    operators = []
    for label in labels:
        operator = np.eye(1, dtype=complex)
        for letter in label:
            operator = np.kron(PAULIS[letter], operator)
        operators.append(_embed(operator, positions, width))
    return np.array(operators)


def _channel(rho: NDArray[np.complex128], noise: LocalNoise, width: int) -> NDArray[np.complex128]:
    """ρ ↦ (1 − Σp)·ρ + Σ p·PρP over the channel's Pauli terms."""
    weights = np.array([p for _, p in noise.terms])
    paulis = _paulis(tuple(label for label, _ in noise.terms), noise.positions, width)
    terms = (paulis @ rho @ paulis).reshape(len(weights), -1)
    mixed: NDArray[np.complex128] = (1 - weights.sum()) * rho + (weights @ terms).reshape(rho.shape)
    return mixed


class LocalGate(NamedTuple):
    name: str
    params: tuple[float, ...]
    positions: tuple[int, ...]


class LocalNoise(NamedTuple):
    terms: tuple[tuple[str, float], ...]
    positions: tuple[int, ...]


Program = tuple[LocalGate | LocalNoise, ...]
"""A piece's gates and Pauli channels on its own qubits 0, 1, …: pieces that differ only
in where they sit on the device (the pairs of a uniform device) are one program."""
Noises = dict[tuple[str, tuple[int, ...]], PauliChannel | None]
"""Gate noise by gate use, looked up once per call of ``run_many``."""


def program_of(
    group: tuple[Step, ...], model: DeviceModel, noises: Noises
) -> tuple[list[int], Program]:
    """The piece's qubits (lowest first: bit i of its outcomes is the i-th) and its program:
    each gate followed by its ``gate_noise``, and the schedule's idle channels."""
    qubits = sorted({q for s in group for q in _qubits(s)})
    index = {q: i for i, q in enumerate(qubits)}
    program: list[LocalGate | LocalNoise] = []
    for step in group:
        channel = None
        if isinstance(step, GateStep):
            program.append(LocalGate(step.name, step.params, tuple(index[q] for q in step.qubits)))
            use = (step.name, step.qubits)
            if use not in noises:
                noises[use] = gate_noise(model, *use)
            channel = noises[use]
        elif isinstance(step, IdleStep):
            channel = step.channel
        if channel is not None:
            program.append(LocalNoise(channel.terms, tuple(index[q] for q in channel.qubits)))
    return qubits, tuple(program)


@lru_cache(maxsize=1024)
def probabilities(program: Program, width: int) -> NDArray[np.float64]:
    """The exact probability of each outcome of the piece's ``width`` qubits before readout
    (read only: the array is shared)."""
    rho = np.zeros((2**width, 2**width), dtype=complex)
    rho[0, 0] = 1
    for operation in program:
        if isinstance(operation, LocalGate):
            unitary = _gate(operation.name, operation.params, operation.positions, width)
            rho = unitary @ rho @ unitary.conj().T
        else:
            rho = _channel(rho, operation, width)
    diagonal = np.clip(rho.diagonal().real, 0, None)
    weights: NDArray[np.float64] = diagonal / diagonal.sum()
    return weights


def _set_clbit(packed: NDArray[np.uint8], bits: NDArray[np.uint8], clbit: int) -> None:
    """Clbit ``clbit`` (0 until now) of every shot from ``bits``, one 0 or 1 per shot."""
    packed[:, clbit // 8] |= bits << np.uint8(clbit % 8)


def _sample_exact(packed: NDArray[np.uint8], group: tuple[Step, ...], model: DeviceModel,
                  noises: Noises, rng: np.random.Generator) -> None:  # fmt: skip
    qubits, program = program_of(group, model, noises)
    weights = probabilities(program, len(qubits))
    values = np.asarray(rng.choice(len(weights), size=packed.shape[0], p=weights))
    last = {s.clbit: qubits.index(s.qubit) for s in group if isinstance(s, MeasureStep)}
    for clbit, bit in last.items():
        _set_clbit(packed, ((values >> bit) & 1).astype(np.uint8), clbit)


def _place(packed: NDArray[np.uint8], counts: dict[str, int], clbits: list[int],
           rng: np.random.Generator) -> None:  # fmt: skip
    """A piece's counts as the circuit's ``clbits``, its shots in a random order (its
    counts say nothing of the order, so the pieces' shots are paired independently)."""
    rows = rng.permutation(aer_runner.packed_from_counts(counts, len(clbits)))
    bits = np.unpackbits(rows, axis=1, count=len(clbits), bitorder="little")
    for index, clbit in enumerate(clbits):
        _set_clbit(packed, bits[:, index], clbit)


@dataclass
class Split:
    """A circuit made of pieces: the batch entries of its Aer pieces, each with the
    circuit's clbits of its own; its exact pieces; the measurements whose outcome flips are
    drawn here (those of the read-only and exact pieces)."""

    on_aer: list[tuple[int, list[int]]] = field(default_factory=list)
    exact: list[tuple[Step, ...]] = field(default_factory=list)
    flipped_here: list[MeasureStep] = field(default_factory=list)


def _renumbered(group: tuple[Step, ...]) -> tuple[tuple[Step, ...], list[int]]:
    clbits = sorted({s.clbit for s in group if isinstance(s, MeasureStep)})
    local = {clbit: index for index, clbit in enumerate(clbits)}
    steps = tuple(dataclasses.replace(s, clbit=local[s.clbit]) if isinstance(s, MeasureStep)
                  else s for s in group)  # fmt: skip
    return steps, clbits


def _streams(seed: int) -> tuple[np.random.SeedSequence, np.random.Generator]:
    """The seeds of a circuit's Aer pieces, and the generator of its exact samples and
    shot orders."""
    pieces = np.random.SeedSequence(seed, spawn_key=(PIECES_STREAM, 0))
    return pieces, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PIECES_STREAM, 1)))


def run_many(
    circuits: Sequence[tuple[tuple[Step, ...], int]],
    model: DeviceModel,
    shots: int,
    seeds: Sequence[int],
) -> list[dict[str, int]]:
    """Hex-keyed counts of scheduled circuits, given as (steps, clbits), each seeded by its
    seed, as ``aer_runner.run_many`` gives them, each circuit's independent pieces apart."""
    batch: list[tuple[tuple[Step, ...], int]] = []
    batch_seeds: list[int] = []
    plans: list[int | Split] = []
    for (steps, num_clbits), seed in zip(circuits, seeds, strict=True):
        pieces = groups(steps)
        if len(pieces) <= 1:
            plans.append(len(batch))
            batch.append((steps, num_clbits))
            batch_seeds.append(seed)
            continue
        split = Split()
        for piece in pieces:
            if not _read_only(piece) and not _exact(piece):
                local, clbits = _renumbered(piece)
                split.on_aer.append((len(batch), clbits))
                batch.append((local, len(clbits)))
                continue
            if not _read_only(piece):
                split.exact.append(piece)
            split.flipped_here.extend(s for s in piece if isinstance(s, MeasureStep))
        aer_seeds = _streams(seed)[0].generate_state(len(split.on_aer))
        batch_seeds.extend(int(s) for s in aer_seeds)
        plans.append(split)
    sampled = aer_runner.run_many(batch, model, shots, batch_seeds) if batch else []
    results = []
    noises: Noises = {}
    for (_, num_clbits), seed, plan in zip(circuits, seeds, plans, strict=True):
        if isinstance(plan, int):
            results.append(sampled[plan])
            continue
        rng = _streams(seed)[1]
        packed = np.zeros((shots, max((num_clbits + 7) // 8, 1)), dtype=np.uint8)
        for piece in plan.exact:
            _sample_exact(packed, piece, model, noises, rng)
        for index, clbits in plan.on_aer:
            _place(packed, sampled[index], clbits, rng)
        flips = outcome_flips(tuple(plan.flipped_here), model, num_clbits)
        flip_bits(packed, flips, outcome_rng(seed))
        results.append(counts_from_packed(packed))
    return results
