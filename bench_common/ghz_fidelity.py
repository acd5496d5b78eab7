"""GHZ state fidelity F = ⟨GHZ|ρ|GHZ⟩ = (P + C)/2 (Sackett et al., Nature 404, 256 (2000)).

P = p(0ⁿ) + p(1ⁿ) comes from measuring the preparation in the Z basis. The coherence
C = 2·Re ρ(0ⁿ,1ⁿ) comes from X/Y stabilizer settings: for a Pauli string S with Y on an
even set A of qubits and X elsewhere, Tr(Sρ) = Σₓ S(x,x̄)·ρ(x̄,x), and the sign
s = (−1)^(|A|/2) makes s·S(x,x̄) = (−1)^(Σ_{j∈A} x_j) for every x. Averaged over A uniform
among the 2ⁿ⁻¹ even sets, that character vanishes unless x ∈ {0ⁿ, 1ⁿ}, so

    C = E_A[ s_A · ⟨S_A⟩ ],   each ⟨S_A⟩ the mean parity (−1)^(popcount) of one setting.

This is direct fidelity estimation (Flammia and Liu, PRL 106, 230501 (2011)) restricted to
the GHZ stabilizers that carry the coherence. It uses the known target phase (Re, not |·|),
so it is unbiased whatever the shots: a fully dephased state gives C = 0 and F = P/2 = ½,
where |·|-type multiple-quantum-coherence estimators read high. It certifies the target
state, so a coherent phase error counts against F as it should. The number of settings does
not grow with n: all 2ⁿ⁻¹ even sets when there are at most ``SETTINGS`` (Bell, GHZ-5:
exact, only shot noise), else ``SETTINGS`` drawn uniformly from the run's seed.

The estimate respects positivity: Ĉ is capped at ±2√(p̂(0ⁿ)·p̂(1ⁿ)), the largest coherence
the measured populations allow, which only sampling noise can exceed. So F̂ never exceeds
the Hellinger figure (√(p̂(0ⁿ)/2) + √(p̂(1ⁿ)/2))², which is F̂ at the cap, and is 0 when no
shot lands on 0ⁿ or 1ⁿ. A dephased state's populations allow the full ±1, so the cap cannot
bias it.
Interval: a percentile bootstrap of the uncapped F̂ = (P̂ + Ĉ)/2 that resamples the
population's shots (multinomial) and, for Ĉ, the shots of each setting (binomial) when the
settings are all of them, or the drawn settings themselves (each with its own shot noise
already in it) when they are a sample: each resampling reproduces how the estimate varies
from run to run. Uncapped, it keeps the true value where the cap binds at the boundary: a
noiseless GHZ state's measured populations are never exactly equal, so its capped F̂ sits
just below 1, inside an interval that reaches 1. Where every resample is 0 (no shot on 0ⁿ
or 1ⁿ, parities below 0), the upper end is Wilson's for P, since F ≤ P.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bench_common.metrics import (
    BOOTSTRAP_RESAMPLES,
    Analysis,
    CircuitMeta,
    Counts,
    Measured,
    Statistics,
    hamming_weights,
    outcome_words,
    percentile_interval,
    wilson_interval,
)

SETTINGS = 16
"""Coherence settings per GHZ workload (all of them when fewer exist)."""
ESTIMATOR = "ghz-xy-stabilizer-v2"
ENTANGLEMENT_THRESHOLD = 0.5
"""F > ½ witnesses genuine n-partite entanglement (Gühne and Tóth, Phys. Rep. 474 (2009))."""


def coherence_settings(qubits: int, rng: np.random.Generator) -> list[str]:
    """The X/Y strings (one letter per qubit, qubit 0 first) with an even number of Y."""
    free = qubits - 1
    if 2**free <= SETTINGS:
        choices = (np.arange(2**free)[:, None] >> np.arange(free)) & 1
    else:
        choices = rng.integers(0, 2, size=(SETTINGS, free))
    rows = np.column_stack([choices, choices.sum(axis=1) % 2])
    return ["".join("XY"[bit] for bit in row) for row in rows]


def circuits(qubits: int) -> int:
    """The population circuit and the coherence settings."""
    return 1 + min(SETTINGS, 1 << (qubits - 1))


def sign(bases: str) -> int:
    """The ideal GHZ expectation of an X/Y string with an even number of Y: (−1)^(#Y/2)."""
    return -1 if bases.count("Y") % 4 == 2 else 1


def statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    """Population circuit: shots on 0ⁿ, on 1ⁿ and elsewhere; a setting: shots of even and of
    odd parity."""
    words, tally = outcome_words(counts, qubits)
    weights = hamming_weights(words)
    total = int(tally.sum())
    if meta["role"] == "population":
        zeros, ones = int(tally[weights == 0].sum()), int(tally[weights == qubits].sum())
        return {"zeros": zeros, "ones": ones, "other": total - zeros - ones}
    odd = int(tally @ (weights & 1))
    return {"even": total - odd, "odd": odd}


def _population(stats: Statistics) -> np.ndarray:
    return np.array([stats["zeros"], stats["ones"], stats["other"]], dtype=np.int64)


def analyse(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    population, settings = measured[0], measured[1:]
    tally = _population(population.statistics)
    shots = int(tally.sum())
    if shots == 0 or any(m.shots == 0 for m in settings):
        raise ValueError("no shots to analyse")
    p = tally / shots
    signs = np.array([sign(str(m.meta["bases"])) for m in settings])
    even = np.array([m.statistics["even"] for m in settings], dtype=np.int64)
    per_setting = np.array([m.shots for m in settings], dtype=np.int64)
    values = signs * (2 * even / per_setting - 1)
    population_value = float(p[0] + p[1])
    bound = 2 * float(np.sqrt(p[0] * p[1]))  # positivity: |2·Re ρ(0ⁿ,1ⁿ)| ≤ 2√(ρ₀₀ρ₁₁)
    coherence = min(bound, max(-bound, float(values.mean())))
    fidelity = min(1.0, (population_value + coherence) / 2)

    drawn = rng.multinomial(shots, p, size=BOOTSTRAP_RESAMPLES)
    populations = (drawn[:, 0] + drawn[:, 1]) / shots
    if 2 ** (qubits - 1) <= SETTINGS:  # every setting measured: only shot noise
        resampled_even = rng.binomial(per_setting, even / per_setting,
                                      size=(BOOTSTRAP_RESAMPLES, len(settings)))  # fmt: skip
        coherences = (signs * (2 * resampled_even / per_setting - 1)).mean(axis=1)
    else:  # a sample of settings: resample the settings
        picks = rng.integers(0, len(settings), size=(BOOTSTRAP_RESAMPLES, len(settings)))
        coherences = values[picks].mean(axis=1)
    resampled = np.clip((populations + coherences) / 2, 0.0, 1.0)
    interval = percentile_interval(resampled, fidelity)
    if interval[1] == 0.0:  # every resample at 0 (no shot on 0ⁿ or 1ⁿ): F ≤ P bounds it
        interval[1] = wilson_interval(int(tally[0] + tally[1]), shots)[1]
    hellinger = float(np.square(np.sqrt(p[0] / 2) + np.sqrt(p[1] / 2)))
    return Analysis(fidelity, interval, {
        "population": population_value,
        "coherence": coherence,
        "hellinger_fidelity": min(1.0, hellinger),
        "genuinely_entangled": interval[0] > ENTANGLEMENT_THRESHOLD,
        "estimator": ESTIMATOR,
    })  # fmt: skip
