"""Workload metrics from measured counts: fidelities, their 95 % intervals, type-specific extras.

Numpy only, so the API and third-party verifiers can recompute a report's numbers from its
evidence without Qiskit. Counts are keyed as in Qiskit's raw results (lowercase hex, qubit 0
the least significant bit); registers of any width are parsed as Python integers.

Every fidelity here is the Hellinger fidelity (Σ√(p·q))² against an ideal distribution with
few outcomes, so it depends only on the tallies of those outcomes and of "everything else".
The bootstrap resamples those tallies from one multinomial, which is exactly a full
multinomial bootstrap of the counts for this statistic, at a tiny fraction of its cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

Counts = Mapping[str, int]
MetricValue = float | int

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Analysis:
    """What a workload's counts say: JSON-safe (finite floats, plain ints)."""

    fidelity: float
    fidelity_ci95: list[float]
    metrics: dict[str, MetricValue]


Statistic = Callable[[NDArray[np.int64]], NDArray[np.float64]]
Analyser = Callable[[Counts, int, Mapping[str, Any], np.random.Generator], Analysis]


def tallies(counts: Counts, qubits: int, outcomes: tuple[int, ...]) -> NDArray[np.int64]:
    """Shots per listed outcome, then all other shots.

    Keys must be canonical (as ``hex()`` writes them) and fit in the register; that is
    checked on the strings, without parsing 100 000 wide integers.
    """
    digits = max(1, -(-qubits // 4))
    top = format((1 << (qubits - 4 * (digits - 1))) - 1, "x")
    widest = 2 + digits
    for key in counts:
        if key[:2] != "0x" or len(key) < 3 or (key[2] == "0" and len(key) > 3):
            raise ValueError(f"count key {key!r} is not canonical lowercase hex")
        if len(key) > widest or (len(key) == widest and key[2] > top):
            raise ValueError(f"outcome {key} does not fit in {qubits} qubits")
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    if (values < 0).any():
        raise ValueError("negative count")
    hits = [int(counts.get(hex(outcome), 0)) for outcome in outcomes]
    return np.array([*hits, int(values.sum()) - sum(hits)], dtype=np.int64)


def hellinger_fidelity(tally: NDArray[np.int64], ideal: NDArray[np.float64]) -> NDArray[np.float64]:
    """(Σ√(p·q))² for each row of tallies (ideal outcomes first, "everything else" last)."""
    shots = tally.sum(axis=-1, keepdims=True)
    overlap = np.sqrt(tally[..., :-1] / shots * ideal).sum(axis=-1)
    result: NDArray[np.float64] = np.clip(np.square(overlap), 0.0, 1.0)
    return result


def success_probability(tally: NDArray[np.int64]) -> NDArray[np.float64]:
    """p of the first listed outcome: the Hellinger fidelity against a single ideal outcome,
    computed without the square root so that it equals count / shots exactly."""
    result: NDArray[np.float64] = tally[..., 0] / tally.sum(axis=-1)
    return result


def fidelity_ci95(
    tally: NDArray[np.int64],
    statistic: Statistic,
    rng: np.random.Generator,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> list[float]:
    """Percentile bootstrap interval of ``statistic``, widened to contain the estimate.

    The widening matters on the boundary: a perfect GHZ sample has fidelity 1, and every
    resample that is not perfectly balanced scores below it, so the plain percentile
    interval would exclude the estimate it is meant to describe.
    """
    shots = int(tally.sum())
    resampled = rng.multinomial(shots, tally / shots, size=resamples)
    tail = (1.0 - CONFIDENCE) / 2
    low, high = np.quantile(statistic(resampled), [tail, 1.0 - tail])
    point = float(statistic(tally))
    return [min(float(low), point), max(float(high), point)]


def _estimate(
    counts: Counts,
    qubits: int,
    outcomes: tuple[int, ...],
    statistic: Statistic,
    rng: np.random.Generator,
) -> tuple[float, list[float], NDArray[np.int64]]:
    tally = tallies(counts, qubits, outcomes)
    if tally.sum() == 0:
        raise ValueError("no shots to analyse")
    return float(statistic(tally)), fidelity_ci95(tally, statistic, rng), tally


def analyse_ghz(
    counts: Counts, qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    """Bell and GHZ states: ideal {0ⁿ: ½, 1ⁿ: ½}; ``population`` = p(0ⁿ) + p(1ⁿ)."""
    outcomes = (0, (1 << qubits) - 1)
    statistic = partial(hellinger_fidelity, ideal=np.array([0.5, 0.5]))
    fidelity, interval, tally = _estimate(counts, qubits, outcomes, statistic, rng)
    population = float(tally[:-1].sum() / tally.sum())
    return Analysis(fidelity, interval, {"population": population})


def analyse_mirror(
    counts: Counts, qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    """Mirror circuits: ideal 0ⁿ, so the fidelity is the success probability S = p(0ⁿ).

    ``polarization`` rescales S so that a fully depolarized device scores 0.
    """
    fidelity, interval, _ = _estimate(counts, qubits, (0,), success_probability, rng)
    uniform = 2.0**-qubits
    polarization = (fidelity - uniform) / (1.0 - uniform)
    return Analysis(
        fidelity, interval, {"polarization": polarization, "layers": int(params["layers"])}
    )
