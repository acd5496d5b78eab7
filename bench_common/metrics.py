"""Workload figures from measured statistics: fidelities, their 95 % intervals, extras.

Numpy only, so the API and third-party verifiers recompute a report's numbers from its
evidence without Qiskit. A workload executes one or more circuits; each circuit's counts are
first reduced to small sufficient ``statistics`` (tallies that fit in the evidence bundle
however wide the register), and a workload type's analysis turns the statistics of all its
circuits into the row's figures. Counts are keyed as in Qiskit's raw results (lowercase
hex, qubit 0 the least significant bit); registers of any width are parsed as integers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench_common.documents import Metrics
from bench_common.packed_counts import PackedCounts, Words

Counts = Mapping[str, int]
CircuitMeta = Mapping[str, str | int]
"""What an analysis must know about a circuit besides its counts (its role, its setting)."""
Statistics = dict[str, int | list[int]]

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
Z_95 = 1.959963984540054
"""The standard normal's 97.5 % quantile."""


@dataclass(frozen=True)
class Measured:
    """One executed circuit as the evidence keeps it: name, meta, shots and statistics."""

    name: str
    meta: CircuitMeta
    shots: int
    statistics: Statistics


@dataclass(frozen=True)
class Analysis:
    """What a workload's statistics say: JSON-safe (finite floats, plain ints)."""

    fidelity: float
    fidelity_ci95: list[float]
    metrics: Metrics


StatisticsOf = Callable[[CircuitMeta, Counts, int], Statistics]
Analyser = Callable[[Sequence[Measured], int, Mapping[str, Any], np.random.Generator], Analysis]


CANONICAL_KEYS = re.compile(r"(?:0x(?:0|[1-9a-f][0-9a-f]*),)*")
"""Count keys joined by commas, each as ``hex()`` writes it: one C-speed match for them all."""


def check_keys(counts: Counts) -> None:
    """Every key canonical lowercase hex, every count a non-negative integer."""
    if counts and CANONICAL_KEYS.fullmatch(",".join(counts) + ",") is None:
        bad = next(k for k in counts if CANONICAL_KEYS.fullmatch(k + ",") is None)
        raise ValueError(f"count key {bad!r} is not canonical lowercase hex")
    if counts and (set(map(type, counts.values())) != {int} or min(counts.values()) < 0):
        raise ValueError("counts must be non-negative integers")


def outcomes(counts: Counts, qubits: int) -> tuple[list[int], NDArray[np.int64]]:
    """The outcomes as integers and their counts, after checking every key: canonical
    lowercase hex (as ``hex()`` writes it) that fits in the register, counts not negative."""
    check_keys(counts)
    values = [int(key, 16) for key in counts]
    if values and max(values) >> qubits:
        raise ValueError(f"outcome {hex(max(values))} does not fit in {qubits} qubits")
    return values, np.fromiter(counts.values(), dtype=np.int64, count=len(counts))


def words_of_values(values: Sequence[int], size: int) -> Words:
    """Non-negative integers as rows of ``size`` 64-bit words, least significant first."""
    data = b"".join(value.to_bytes(8 * size, "little") for value in values)
    return np.frombuffer(data, dtype="<u8").reshape(len(values), size).astype(np.uint64)


def outcome_words(counts: Counts, qubits: int) -> tuple[Words, NDArray[np.int64]]:
    """The outcomes as rows of ⌈n/64⌉ 64-bit words (word j holds qubits 64·j to 64·j + 63,
    qubit 64·j as its bit 0) and their counts, checked as ``outcomes`` checks them: taken
    as they are from ``PackedCounts`` (canonical by construction), parsed otherwise."""
    size = max(1, -(-qubits // 64))
    if not isinstance(counts, PackedCounts):
        values, tally = outcomes(counts, qubits)
        return words_of_values(values, size), tally
    words = counts.words
    if words.shape[1] < size:
        words = np.pad(words, ((0, 0), (0, size - words.shape[1])))
    spill = (words[:, size - 1] >> np.uint64(qubits - 64 * (size - 1))) != 0  # >> 64 is 0
    for extra in range(size, words.shape[1]):
        spill |= words[:, extra] != 0
    if spill.any():
        row = words[int(np.flatnonzero(spill)[0])]
        value = sum(int(word) << (64 * j) for j, word in enumerate(row))
        raise ValueError(f"outcome {hex(value)} does not fit in {qubits} qubits")
    return words[:, :size], counts.tally


def bit_columns(counts: Counts, width: int) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Each distinct outcome as a row of its ``width`` bits (qubit i in column i), and the
    shots of each, unpacked from ``outcome_words`` (columnar counts are read as they are)."""
    words, tally = outcome_words(counts, width)
    octets = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)
    bits = np.unpackbits(octets, axis=1, bitorder="little")
    return bits[:, :width], tally


def hamming_weights(words: Words) -> NDArray[np.int64]:
    """How many bits each row of ``outcome_words`` has set."""
    weights = np.zeros(len(words), dtype=np.int64)
    for column in words.T:
        weights += np.bitwise_count(column)
    return weights


def hamming_histogram(counts: Counts, qubits: int, target: int) -> list[int]:
    """Shots by Hamming distance (0 … n) of the outcome from ``target``."""
    words, tally = outcome_words(counts, qubits)
    distances = hamming_weights(words ^ words_of_values([target], words.shape[1]))
    histogram: list[int] = (
        np.bincount(distances, weights=tally, minlength=qubits + 1).astype(int).tolist()
    )
    return histogram


def wilson_interval(successes: int, trials: int) -> list[float]:
    """The Wilson score interval of a binomial proportion: it never degenerates at 0 or 1
    (zero successes in 20 000 shots give [0, 1.9·10⁻⁴], not [0, 0])."""
    if trials <= 0:
        raise ValueError("no shots to analyse")
    p = successes / trials
    z2 = Z_95 * Z_95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2))
    return [max(0.0, centre - half) if successes else 0.0,
            min(1.0, centre + half) if successes < trials else 1.0]  # fmt: skip


def percentile_interval(resampled: NDArray[np.float64], estimate: float) -> list[float]:
    """The bootstrap's central 95 %, widened to contain the estimate (on a boundary every
    resample may lie on one side of it)."""
    tail = (1.0 - CONFIDENCE) / 2
    low, high = np.quantile(resampled, [tail, 1.0 - tail])
    return [min(float(low), estimate), max(float(high), estimate)]


def circuits_interval(
    successes: NDArray[np.int64], shots: NDArray[np.int64], estimate: float,
    rng: np.random.Generator,
) -> list[float]:  # fmt: skip
    """The 95 % interval of a success rate over several circuits: for random circuits a
    percentile bootstrap over the circuits (their spread is part of the run-to-run spread),
    Wilson's of the pooled shots for one fixed circuit or where the bootstrap degenerates."""
    interval = wilson_interval(int(successes.sum()), int(shots.sum()))
    if len(successes) > 1:
        rates = successes / shots
        picks = rng.integers(0, len(rates), size=(BOOTSTRAP_RESAMPLES, len(rates)))
        spread = percentile_interval(rates[picks].mean(axis=1), estimate)
        interval = spread if spread[0] < spread[1] else interval
    return interval


def analyse_mirror(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    """Mirror circuits, each with a known ideal outcome: the success probability S (shots on
    it, over all circuits), its interval (Wilson's for one fixed circuit; for random ones a
    bootstrap over the circuits, Wilson's where that degenerates), polarization
    (S − 2⁻ⁿ)/(1 − 2⁻ⁿ) and the effective polarization (4ⁿ·ASP − 1)/(4ⁿ − 1) of the
    Hamming-weight-adjusted success probability ASP = Σₕ (−½)ʰ P(h) (Proctor et al., Nature
    Physics 18, 75 (2022); pyGSTi)."""
    histograms = np.array([m.statistics["hamming"] for m in measured], dtype=np.int64)
    histogram = histograms.sum(axis=0)
    shots = int(histogram.sum())
    fidelity = int(histogram[0]) / shots
    interval = circuits_interval(histograms[:, 0], histograms.sum(axis=1), fidelity, rng)
    uniform = 2.0**-qubits
    asp = float(np.sum(histogram / shots * (-0.5) ** np.arange(qubits + 1)))
    return Analysis(fidelity, interval, {
        "polarization": (fidelity - uniform) / (1.0 - uniform),
        "effective_polarization": (4.0**qubits * asp - 1) / (4.0**qubits - 1),
        "layers": int(params["layers"]),
    })  # fmt: skip


def mirror_statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    return {"hamming": hamming_histogram(counts, qubits, int(str(meta["target"]), 16))}
