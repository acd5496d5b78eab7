"""Metrics against values computed by hand, and the intervals' guarantees."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench_common import ghz_fidelity
from bench_common.evidence import canonicalize
from bench_common.metrics import (
    Measured,
    analyse_mirror,
    hamming_histogram,
    mirror_statistics,
    outcomes,
    wilson_interval,
)
from bench_common.results import counts_hash

MIRROR = {"layers": 10, "circuit_seed": 2026}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def mirror(counts: dict[str, int], qubits: int = 10, target: str = "0x0") -> list[Measured]:
    meta = {"target": target}
    return [Measured("mirror", meta, sum(counts.values()), mirror_statistics(meta, counts, qubits))]


def ghz(
    population: dict[str, int], parities: list[tuple[str, int, int]], qubits: int
) -> list[Measured]:
    """The population circuit's counts, then (bases, even, odd) per coherence setting."""
    pop_meta = {"role": "population"}
    measured = [Measured("population", pop_meta, sum(population.values()),
                         ghz_fidelity.statistics(pop_meta, population, qubits))]  # fmt: skip
    for index, (bases, even, odd) in enumerate(parities):
        meta = {"role": "parity", "bases": bases, "sign": ghz_fidelity.sign(bases)}
        measured.append(Measured(f"parity_{index:02d}", meta, even + odd,
                                 {"even": even, "odd": odd}))  # fmt: skip
    return measured


def test_ghz_fidelity_by_hand() -> None:
    # P = 0.95; XX: <XX> = 0.8; YY: ideal -1, measured <YY> = -0.6 → C = (0.8 + 0.6)/2 = 0.7,
    # within what the populations allow (2·sqrt(0.5 · 0.45) = 0.949).
    measured = ghz({"0x0": 500, "0x3": 450, "0x1": 50}, [("XX", 900, 100), ("YY", 200, 800)], 2)
    analysis = ghz_fidelity.analyse(measured, 2, {}, rng())
    assert analysis.metrics["population"] == pytest.approx(0.95)
    assert analysis.metrics["coherence"] == pytest.approx(0.7)
    assert analysis.fidelity == pytest.approx((0.95 + 0.7) / 2)
    hellinger = (math.sqrt(0.5 * 0.5) + math.sqrt(0.45 * 0.5)) ** 2
    assert analysis.metrics["hellinger_fidelity"] == pytest.approx(hellinger)
    assert analysis.fidelity < hellinger
    assert analysis.metrics["estimator"] == ghz_fidelity.ESTIMATOR
    assert analysis.metrics["genuinely_entangled"] is True


@pytest.mark.parametrize(("parity", "capped"), [(0.7, 1), (-0.7, -1)])
def test_a_coherence_beyond_what_the_populations_allow_is_capped(parity: float,
                                                                 capped: int) -> None:  # fmt: skip
    """p(00) = 0.9, p(11) = 0.05 allow |C| ≤ 2·sqrt(0.045) = 0.424: more is sampling noise,
    so F lands on the Hellinger figure (above it) or on (P − 0.424)/2 (below), never
    outside; the interval is the uncapped bootstrap's."""
    even = round(1000 * (1 + parity) / 2)
    measured = ghz({"0x0": 900, "0x3": 50, "0x1": 50},
                   [("XX", even, 1000 - even), ("YY", 1000 - even, even)], 2)  # fmt: skip
    analysis = ghz_fidelity.analyse(measured, 2, {}, rng())
    bound = 2 * math.sqrt(0.9 * 0.05)
    assert analysis.metrics["coherence"] == pytest.approx(capped * bound)
    assert analysis.fidelity == pytest.approx((0.95 + capped * bound) / 2)
    if capped > 0:
        assert analysis.fidelity == pytest.approx(analysis.metrics["hellinger_fidelity"])
    low, high = analysis.fidelity_ci95
    assert low <= analysis.fidelity <= high
    assert low <= (0.95 + parity) / 2 <= high  # the uncapped estimate is inside too


def test_no_shot_on_either_ghz_outcome_scores_zero_whatever_the_parities() -> None:
    """Wide GHZ states on a noisy device: P = 0 leaves no coherence, and F = 0 = the
    Hellinger figure, with an interval that does not collapse on it."""
    for parities in ([("XX", 530, 470), ("YY", 470, 530)], [("XX", 300, 700), ("YY", 700, 300)]):
        measured = ghz({"0x1": 600, "0x2": 400}, parities, 2)
        analysis = ghz_fidelity.analyse(measured, 2, {}, rng())
        assert (analysis.fidelity, analysis.metrics["hellinger_fidelity"]) == (0.0, 0.0)
        assert analysis.fidelity_ci95[0] == 0.0 < analysis.fidelity_ci95[1]
    # Parities well below 0 put every resample at 0: the upper end is then Wilson's for P
    # (no shot of 1 000 on 00 or 11), since F ≤ P.
    assert analysis.fidelity_ci95[1] == pytest.approx(wilson_interval(0, 1000)[1])


def test_a_classical_mixture_scores_one_half_not_one() -> None:
    # ½(|00⟩⟨00| + |11⟩⟨11|): a perfect Z-basis picture, no coherence at all.
    measured = ghz({"0x0": 1000, "0x3": 1000}, [("XX", 1000, 1000), ("YY", 1000, 1000)], 2)
    analysis = ghz_fidelity.analyse(measured, 2, {}, rng())
    assert analysis.metrics["hellinger_fidelity"] == pytest.approx(1.0)
    assert analysis.fidelity == pytest.approx(0.5)
    assert analysis.metrics["genuinely_entangled"] is False


def test_a_perfect_ghz_sample_scores_one_and_its_interval_contains_one() -> None:
    settings_ = ghz_fidelity.coherence_settings(5, rng())
    parities = [(b, 1000, 0) if ghz_fidelity.sign(b) > 0 else (b, 0, 1000) for b in settings_]
    analysis = ghz_fidelity.analyse(ghz({"0x0": 500, "0x1f": 500}, parities, 5), 5, {}, rng())
    assert analysis.fidelity == 1.0
    assert analysis.fidelity_ci95[1] == 1.0
    # Sampled populations are never quite balanced: the estimate then sits just below 1, at
    # the Hellinger figure, and the interval still reaches 1.
    tilted = ghz_fidelity.analyse(ghz({"0x0": 510, "0x1f": 490}, parities, 5), 5, {}, rng())
    assert tilted.fidelity == pytest.approx(tilted.metrics["hellinger_fidelity"])
    assert 0.9998 < tilted.fidelity < 1.0 and tilted.fidelity_ci95[1] == 1.0


def test_settings_are_all_even_y_strings_when_few_else_a_fixed_number() -> None:
    assert sorted(ghz_fidelity.coherence_settings(2, rng())) == ["XX", "YY"]
    five = ghz_fidelity.coherence_settings(5, rng())
    assert len(set(five)) == 16 and all(s.count("Y") % 2 == 0 for s in five)
    hundred = ghz_fidelity.coherence_settings(100, rng(3))
    assert len(hundred) == ghz_fidelity.SETTINGS and all(s.count("Y") % 2 == 0 for s in hundred)
    assert ghz_fidelity.circuits(100) == 1 + ghz_fidelity.SETTINGS
    assert ghz_fidelity.coherence_settings(100, rng(3)) == hundred


def test_statistics_of_wide_registers() -> None:
    ones = hex((1 << 100) - 1)
    population = ghz_fidelity.statistics({"role": "population"}, {"0x0": 10, ones: 10,
                                                                  "0x1": 5}, 100)  # fmt: skip
    assert population == {"zeros": 10, "ones": 10, "other": 5}
    parity = ghz_fidelity.statistics({"role": "parity"}, {"0x3": 4, "0x7": 2, ones: 1}, 100)
    assert parity == {"even": 5, "odd": 2}


def test_mirror_figures_by_hand() -> None:
    analysis = analyse_mirror(mirror({"0x0": 300, "0x5": 700}), 10, MIRROR, rng())
    assert analysis.fidelity == 0.3
    assert analysis.metrics["polarization"] == pytest.approx((0.3 - 2**-10) / (1 - 2**-10))
    asp = 0.3 + 0.7 * 0.25  # 0x5 is two bits away: (−½)² = ¼
    assert analysis.metrics["effective_polarization"] == pytest.approx(
        (4**10 * asp - 1) / (4**10 - 1)
    )
    assert analysis.metrics["layers"] == 10


def test_a_fully_depolarized_device_has_effective_polarization_zero() -> None:
    counts = {hex(x): 1 for x in range(1 << 10)}
    analysis = analyse_mirror(mirror(counts), 10, MIRROR, rng())
    assert analysis.metrics["effective_polarization"] == pytest.approx(0.0, abs=1e-12)


def test_mirror_targets_other_than_zero() -> None:
    assert hamming_histogram({"0x5": 3, "0x4": 1}, 3, 5) == [3, 1, 0, 0]
    assert analyse_mirror(mirror({"0x5": 3, "0x4": 1}, 3, "0x5"), 3, MIRROR, rng()).fidelity == 0.75


def test_wilson_interval_at_the_boundaries() -> None:
    low, high = wilson_interval(0, 20_000)
    assert low == 0.0 and high == pytest.approx(1.92e-4, rel=0.01)
    low, high = wilson_interval(2000, 2000)
    assert high == 1.0 and 0.997 < low < 1.0
    # p = 1/2 from 10 000 shots: 0.5 ± 1.96 · sqrt(0.25 / 10 000) = [0.4902, 0.5098].
    low, high = wilson_interval(5000, 10_000)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.5098, abs=1e-4)


def test_interval_is_deterministic_for_a_seed() -> None:
    parities = [("XXXXX", 400, 100)] * 16
    measured = ghz({"0x0": 480, "0x1f": 470, "0x8": 50}, parities, 5)
    first = ghz_fidelity.analyse(measured, 5, {}, rng(7)).fidelity_ci95
    assert ghz_fidelity.analyse(measured, 5, {}, rng(7)).fidelity_ci95 == first
    assert ghz_fidelity.analyse(measured, 5, {}, rng(8)).fidelity_ci95 != first


@settings(max_examples=60, deadline=None)
@given(
    zeros=st.integers(0, 500),
    ones=st.integers(0, 500),
    other=st.integers(1, 500),
    even=st.integers(0, 500),
    odd=st.integers(1, 500),
    seed=st.integers(0, 2**32 - 1),
)
def test_interval_contains_the_estimate(
    zeros: int, ones: int, other: int, even: int, odd: int, seed: int
) -> None:
    counts = {"0x0": zeros, "0xf": ones, "0x6": other}
    parities = [(b, even, odd) for b in ghz_fidelity.coherence_settings(4, rng(seed))]
    for analysis in (
        ghz_fidelity.analyse(ghz(counts, parities, 4), 4, {}, rng(seed)),
        analyse_mirror(mirror(counts, 4), 4, MIRROR, rng(seed)),
    ):
        low, high = analysis.fidelity_ci95
        assert 0.0 <= low <= analysis.fidelity <= high <= 1.0
        assert all(type(x) is float for x in (low, high, analysis.fidelity))
        json.dumps([analysis.fidelity_ci95, analysis.metrics], allow_nan=False)


def test_no_shots_is_an_error() -> None:
    with pytest.raises(ValueError, match="no shots"):
        ghz_fidelity.analyse(ghz({}, [("XX", 1, 0)], 2), 2, {}, rng())


@pytest.mark.parametrize("key", ["0x00", "0X1", "1", "0x", "0xa", "0x10"])
def test_count_keys_must_be_canonical_hex_within_the_register(key: str) -> None:
    with pytest.raises(ValueError, match=key):
        outcomes({key: 1, "0x0": 1}, 3)


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.integers(0, 2**100), st.integers(0, 2**40), max_size=50))
def test_the_direct_hash_of_counts_is_the_hash_of_their_canonical_form(
    counts: dict[int, int],
) -> None:
    hexed = {hex(outcome): count for outcome, count in counts.items()}
    expected = "sha256:" + hashlib.sha256(canonicalize(hexed)).hexdigest()
    assert counts_hash(hexed) == expected
    odd = {"0X1": 1, "0x0": 2}  # not canonical hex: the general encoder, same definition
    assert counts_hash(odd) == "sha256:" + hashlib.sha256(canonicalize(odd)).hexdigest()
