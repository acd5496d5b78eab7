"""The CHSH inequality on a Bell pair (Clauser, Horne, Shimony and Holt, PRL 23, 880 (1969)).

Four circuits prepare Φ⁺ = (|00⟩ + |11⟩)/√2 and measure qubit 0 along A₀ = Z or A₁ = X and
qubit 1 along B₀ = (Z + X)/√2 or B₁ = (Z − X)/√2 (the settings of qiskit-device-benchmarking's
Bell experiment); each circuit gives the correlator E = (N_same − N_different)/N, and

    S = E(A₀B₀) + E(A₀B₁) + E(A₁B₀) − E(A₁B₁),

at most 2 for any local hidden-variable model and 2√2 for Φ⁺ (Tsirelson's bound). The
interval is a percentile bootstrap that redraws each setting's shots (binomial).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench_common.metrics import (
    BOOTSTRAP_RESAMPLES,
    Analysis,
    CircuitMeta,
    Counts,
    Measured,
    Statistics,
    outcome_words,
    percentile_interval,
)

TSIRELSON = 2 * math.sqrt(2)
CLASSICAL_BOUND = 2.0
SETTINGS = ((0.0, math.pi / 4, 1), (0.0, -math.pi / 4, 1),
            (math.pi / 2, math.pi / 4, 1), (math.pi / 2, -math.pi / 4, -1))  # fmt: skip
"""(angle of qubit 0, angle of qubit 1, sign in S): each qubit measures cos θ·Z + sin θ·X."""
SIGNS = np.array([sign for _, _, sign in SETTINGS])


def s_values(
    same: NDArray[np.int64], shots: NDArray[np.int64], signs: NDArray[np.int64]
) -> NDArray[np.float64]:
    """S = Σ sign·E over the settings along the last axis, each correlator
    E = (N_same − N_different)/N = 2·N_same/N − 1."""
    return (2 * same / shots - 1) @ signs


def statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    """Shots where the two bits agree, and where they differ."""
    words, tally = outcome_words(counts, qubits)
    differ = (words[:, 0] ^ (words[:, 0] >> np.uint64(1))) & np.uint64(1)
    different = int(tally @ differ.astype(np.int64))
    return {"same": int(tally.sum()) - different, "different": different}


def analyse(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    same = np.array([m.statistics["same"] for m in measured], dtype=np.int64)
    shots = np.array([m.shots for m in measured], dtype=np.int64)
    if (shots == 0).any():
        raise ValueError("no shots to analyse")
    signs = np.array([int(m.meta["sign"]) for m in measured])
    s_value = float(s_values(same, shots, signs))
    redrawn = rng.binomial(shots, same / shots, size=(BOOTSTRAP_RESAMPLES, len(measured)))
    interval = percentile_interval(s_values(redrawn, shots, signs), s_value)
    fidelity = min(1.0, max(0.0, s_value / TSIRELSON))
    return Analysis(fidelity, [min(1.0, max(0.0, end / TSIRELSON)) for end in interval], {
        "s_value": s_value,
        "s_ci95": interval,
        "violation": interval[0] > CLASSICAL_BOUND,
    })  # fmt: skip
