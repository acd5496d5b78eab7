"""Quantum volume (Cross et al., "Validating quantum computers using randomized model
circuits", PRA 100, 032328 (2019)), analysed exactly as qiskit-experiments 0.14's
``QuantumVolumeAnalysis`` does (``library/quantum_volume/qv_analysis.py``).

A width-m workload runs ``trials`` random model circuits (m qubits, m layers of Haar-random
SU(4) on a random pairing). A circuit's heavy outputs are the m-bit outcomes whose ideal
probability exceeds the median of its 2ᵐ ideal probabilities; the evidence carries them as
a hex mask (bit x set: outcome x, qubit i = bit i, is heavy) in the circuit's ``meta``, so
each circuit's heavy count is recomputed from its counts alone. With hᵢ the share of heavy
shots of circuit i and N the trials,

    h̄ = (1/N) Σᵢ hᵢ,   σ = √(h̄(1 − h̄)/N),   z = (h̄ − 2/3)/σ,
    passed = h̄ − 2σ > 2/3 and N ≥ 100,   confidence = ½(1 + erf(z/√2)).

σ is the protocol's: the binomial bound on the spread of a mean of N outcomes in [0, 1],
which ignores how little the hᵢ actually scatter, so it is conservative by design and
``fidelity_ci95`` does not use it: that interval is a percentile bootstrap over the
circuits, which describes how h̄ varies from run to run (new circuits, new shots).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench_common.metrics import (
    Analysis,
    CircuitMeta,
    Counts,
    Measured,
    Statistics,
    circuits_interval,
    outcomes,
)

WORKLOAD_TYPE = "QUANTUM_VOLUME"
ESTIMATOR = "qv-cross2019-binomial-v1"
"""Cross et al.'s protocol with qiskit-experiments' binomial σ and z = 2 criterion."""
THRESHOLD = 2 / 3
Z_PASS = 2
MIN_TRIALS = 100
SIGMA_FLOOR = 1e-10
"""qiskit-experiments' stand-in for σ = 0 (h̄ of exactly 0 or 1) in z, and only in z."""


def heavy_mask(probabilities: NDArray[np.float64]) -> int:
    """The outcomes (index x, qubit i = bit i) whose probability is strictly above the
    median of all 2ᵐ, as the bits of one integer."""
    median = float(np.median(probabilities))
    heavy = np.flatnonzero(probabilities > median)
    return sum(1 << int(x) for x in heavy)


def statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    """The circuit's heavy shots: those whose outcome is in ``meta["heavy"]``."""
    mask = int(str(meta["heavy"]), 16)
    if mask >> (1 << qubits):
        raise ValueError(f"heavy mask {meta['heavy']} names outcomes beyond {qubits} qubits")
    values, tally = outcomes(counts, qubits)
    heavy = np.fromiter(((mask >> v) & 1 for v in values), np.int64, len(values))
    return {"heavy": int(tally @ heavy)}


def analyse(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    heavy = np.array([m.statistics["heavy"] for m in measured], dtype=np.int64)
    shots = np.array([m.shots for m in measured], dtype=np.int64)
    if len(measured) == 0 or (shots == 0).any():
        raise ValueError("no shots to analyse")
    trials = len(measured)
    mean = float(np.mean(heavy / shots))
    sigma = (mean * ((1.0 - mean) / trials)) ** 0.5
    z = (mean - THRESHOLD) / (sigma or SIGMA_FLOOR)
    return Analysis(mean, circuits_interval(heavy, shots, mean, rng), {
        "heavy_output_probability": mean,
        "heavy_output_sigma": sigma,
        "passed": bool(mean > THRESHOLD + Z_PASS * sigma and trials >= MIN_TRIALS),
        "confidence": 0.5 * (1 + math.erf(z / 2**0.5)),
        "trials": trials,
        "estimator": ESTIMATOR,
    })  # fmt: skip


def quantum_volume(widths: Iterable[tuple[int, bool]]) -> int | None:
    """2ᵐ for the widest passing width m whose narrower requested widths all pass too,
    from (width, passed) of a run's quantum-volume workloads (a failed workload has not
    passed); None when the narrowest does not pass or there are none."""
    passed: dict[int, bool] = {}
    for width, ok in widths:
        passed[width] = passed.get(width, True) and ok
    volume = None
    for width in sorted(passed):
        if not passed[width]:
            break
        volume = 2**width
    return volume
