"""OpenQASM 3 text of a circuit, exactly as Qiskit's exporter writes it, at a fraction of its
cost for the circuits the platform makes (gates and barriers on one register, or on the
device's physical qubits).

Qiskit's exporter builds a syntax tree and checks every angle for a fraction of π with
``pi_check``, which costs tens of microseconds per angle: most of the time of a workload of
random circuits (quantum volume: thousands of arbitrary angles per circuit). Here the
exporter writes, once per gate set and register layout, a *skeleton* of the circuit (the
same registers and layout, the first instance of each gate in order of first use, so the
same gate definitions in the same order); its text minus one line per instruction is the
header, and its last lines are checked against the lines written here, so anything this
writer does not write exactly as the exporter does (another register, a gate it defines
per instance) falls back to the exporter. Angles go through ``pi_check`` only when they lie
near a fraction n/d of π or of 1/π with d ≤ 99 (the only ones it writes with ``pi``);
the others are written as it writes them, ``f"{x:#}"``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from qiskit import QuantumCircuit, qasm3
from qiskit.circuit import Barrier, Gate, ParameterExpression
from qiskit.circuit.tools import pi_check

EPS = 1e-9
"""``pi_check``'s tolerance: closer to zero than this is written ``0``."""
DENOMINATORS = np.arange(1, 100, dtype=np.float64)
"""``pi_check`` matches fractions with denominators up to 99 (``MAX_FRAC``)."""
NEAR = 1e-6
"""How close (times the denominator) a multiple of an angle must come to an integer for
``pi_check`` to be asked: far wider than its own 1e-9, so no fraction it finds is missed."""
NAMES = {"u": "U"}
"""Qiskit gate names the exporter writes otherwise."""


@lru_cache(maxsize=4096)
def _near_pi(value: float) -> str:
    text: str = pi_check(value, output="qasm")
    return text


def _angles(values: list[float]) -> list[str]:
    """Each value as ``pi_check(value, output="qasm")`` writes it."""
    x = np.abs(np.asarray(values, dtype=np.float64))
    scaled = np.concatenate([x / math.pi, x * math.pi])[:, None] * DENOMINATORS
    hits: NDArray[np.bool_] = np.abs(scaled - np.round(scaled)) < NEAR * DENOMINATORS
    near = np.asarray(hits.reshape(2, len(values), -1).any(axis=(0, 2)), dtype=np.bool_)
    return [
        "0" if abs(value) < EPS else _near_pi(value) if close else f"{value:#}"
        for value, close in zip(values, near.tolist(), strict=True)
    ]


Instruction = tuple[str, tuple[float, ...], tuple[int, ...]]
"""A gate or barrier as written: name, parameters, qubit indices."""


def _instructions(circuit: QuantumCircuit) -> list[Instruction] | None:
    """The circuit's gates and barriers, or None unless it holds only those, with numeric
    parameters, on one register (or on physical qubits): what this writer writes."""
    if circuit.layout is None and len(circuit.qregs) != 1:
        return None
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    written = []
    for instruction in circuit.data:
        operation = instruction.operation
        params = operation.params
        if instruction.clbits or not isinstance(operation, Gate | Barrier):
            return None
        if any(isinstance(p, ParameterExpression) or not isinstance(p, int | float)
               for p in params):  # fmt: skip
            return None
        written.append((operation.name, tuple(float(p) for p in params),
                        tuple(index[q] for q in instruction.qubits)))  # fmt: skip
    return written


def _lines(circuit: QuantumCircuit, instructions: list[Instruction]) -> list[str]:
    register = None if circuit.layout is not None else circuit.qregs[0].name
    names = [f"${i}" if register is None else f"{register}[{i}]" for i in range(circuit.num_qubits)]
    values = [p for _, params, _ in instructions for p in params]
    angles = iter(_angles(values) if values else ())
    lines = []
    for name, params, qubits in instructions:
        text = ", ".join(next(angles) for _ in params)
        on = ", ".join(names[q] for q in qubits)
        lines.append(f"{NAMES.get(name, name)}{f'({text})' if text else ''} {on};")
    return lines


_HEADERS: dict[tuple[object, ...], str | None] = {}
"""The exporter's header per gate set and register layout (None: fall back to it)."""


def _header(circuit: QuantumCircuit, instructions: list[Instruction]) -> str | None:
    """The exporter's text of the skeleton before its instructions, or None if its
    instruction lines are not the ones written here."""
    first: dict[str, int] = {}
    for position, (name, _, _) in enumerate(instructions):
        first.setdefault(name, position)
    key = (
        tuple(first),
        tuple((r.name, r.size) for r in circuit.qregs),
        tuple((r.name, r.size) for r in circuit.cregs),
        circuit.layout is not None,
    )
    if key not in _HEADERS:
        skeleton = QuantumCircuit(*circuit.qregs, *circuit.cregs)
        skeleton._layout = circuit.layout
        for position in first.values():
            skeleton.append(circuit.data[position])
        taken = [instructions[position] for position in first.values()]
        written = qasm3.dumps(skeleton).splitlines()
        header, body = written[: len(written) - len(taken)], written[len(written) - len(taken) :]
        same = len(written) >= len(taken) and body == _lines(circuit, taken)
        _HEADERS[key] = "".join(line + "\n" for line in header) if same else None
    return _HEADERS[key]


def dumps(circuit: QuantumCircuit) -> str:
    """``qiskit.qasm3.dumps(circuit)``, the same text."""
    instructions = _instructions(circuit)
    header = None if instructions is None else _header(circuit, instructions)
    if instructions is None or header is None:
        text: str = qasm3.dumps(circuit)
        return text
    return header + "".join(line + "\n" for line in _lines(circuit, instructions))
