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


def hamming_histogram(counts: Counts, qubits: int, target: int) -> list[int]:
    """Shots by Hamming distance (0 … n) of the outcome from ``target``."""
    values, tally = outcomes(counts, qubits)
    distances = np.fromiter(((v ^ target).bit_count() for v in values), np.int64, len(values))
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
    successes = int(histogram[0])
    fidelity = successes / shots
    interval = wilson_interval(successes, shots)
    if len(measured) > 1:  # random circuits: their spread is part of the run-to-run spread
        rates = histograms[:, 0] / histograms.sum(axis=1)
        picks = rng.integers(0, len(rates), size=(BOOTSTRAP_RESAMPLES, len(rates)))
        spread = percentile_interval(rates[picks].mean(axis=1), fidelity)
        interval = spread if spread[0] < spread[1] else interval
    uniform = 2.0**-qubits
    asp = float(np.sum(histogram / shots * (-0.5) ** np.arange(qubits + 1)))
    return Analysis(fidelity, interval, {
        "polarization": (fidelity - uniform) / (1.0 - uniform),
        "effective_polarization": (4.0**qubits * asp - 1) / (4.0**qubits - 1),
        "layers": int(params["layers"]),
    })  # fmt: skip


def mirror_statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    return {"hamming": hamming_histogram(counts, qubits, int(str(meta["target"]), 16))}
