"""Metrics against values computed by hand, and the bootstrap interval's guarantees."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench_common.metrics import analyse_ghz, analyse_mirror, tallies

MIRROR = {"layers": 10, "circuit_seed": 2026}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_ghz_hellinger_fidelity_by_hand() -> None:
    # p(00) = 0.9, p(11) = 0.05, p(01) = 0.05 against {00: 1/2, 11: 1/2}.
    analysis = analyse_ghz({"0x0": 900, "0x3": 50, "0x1": 50}, 2, {}, rng())
    expected = (math.sqrt(0.9 * 0.5) + math.sqrt(0.05 * 0.5)) ** 2
    assert analysis.fidelity == pytest.approx(expected, abs=1e-12)
    assert analysis.metrics == {"population": pytest.approx(0.95)}


def test_a_balanced_ghz_sample_scores_one_and_its_interval_reaches_one() -> None:
    analysis = analyse_ghz({"0x0": 1000, "0x1f": 1000}, 5, {}, rng())
    assert analysis.fidelity == pytest.approx(1.0)
    assert analysis.fidelity_ci95[1] == analysis.fidelity
    assert analysis.fidelity_ci95[0] < 1.0


def test_ghz_keys_of_100_qubits() -> None:
    ones = hex((1 << 100) - 1)
    analysis = analyse_ghz({"0x0": 10, ones: 10, "0x1": 5}, 100, {}, rng())
    assert analysis.metrics["population"] == pytest.approx(0.8)
    assert analysis.fidelity == pytest.approx(0.8)


def test_mirror_fidelity_is_the_exact_success_probability() -> None:
    analysis = analyse_mirror({"0x0": 300, "0x5": 700}, 10, MIRROR, rng())
    assert analysis.fidelity == 0.3
    assert analysis.metrics["polarization"] == pytest.approx((0.3 - 2**-10) / (1 - 2**-10))
    assert analysis.metrics["layers"] == 10


def test_all_zero_counts_give_a_degenerate_interval() -> None:
    analysis = analyse_mirror({"0x0": 2000}, 10, MIRROR, rng())
    assert analysis.fidelity == 1.0
    assert analysis.fidelity_ci95 == [1.0, 1.0]
    assert analysis.metrics["polarization"] == 1.0


def test_interval_of_two_shots_by_hand() -> None:
    # Resampling 2 shots gives p = 0, 1/2, 1 with probability 1/4, 1/2, 1/4: the 2.5 % and
    # 97.5 % quantiles of 2000 resamples are 0 and 1.
    analysis = analyse_mirror({"0x0": 1, "0x1": 1}, 10, MIRROR, rng())
    assert analysis.fidelity_ci95 == [0.0, 1.0]


def test_interval_matches_the_normal_approximation() -> None:
    # p = 1/2 from 10 000 shots: 0.5 ± 1.96 · sqrt(0.25 / 10 000) = [0.4902, 0.5098].
    low, high = analyse_mirror({"0x0": 5000, "0x2": 5000}, 10, MIRROR, rng()).fidelity_ci95
    assert low == pytest.approx(0.4902, abs=0.002)
    assert high == pytest.approx(0.5098, abs=0.002)


def test_interval_is_deterministic_for_a_seed() -> None:
    counts = {"0x0": 480, "0x3ff": 470, "0x8": 50}
    first = analyse_ghz(counts, 10, {}, rng(7)).fidelity_ci95
    assert analyse_ghz(counts, 10, {}, rng(7)).fidelity_ci95 == first
    assert analyse_ghz(counts, 10, {}, rng(8)).fidelity_ci95 != first


@settings(max_examples=60, deadline=None)
@given(
    zeros=st.integers(0, 500),
    ones=st.integers(0, 500),
    other=st.integers(0, 500),
    seed=st.integers(0, 2**32 - 1),
)
def test_interval_contains_the_estimate(zeros: int, ones: int, other: int, seed: int) -> None:
    counts = {"0x0": zeros, "0xf": ones, "0x6": other}
    if zeros + ones + other == 0:
        return
    for analyse in (analyse_ghz, analyse_mirror):
        analysis = analyse(counts, 4, MIRROR, rng(seed))
        low, high = analysis.fidelity_ci95
        assert 0.0 <= low <= analysis.fidelity <= high <= 1.0
        assert all(type(x) is float for x in (low, high, analysis.fidelity))
        json.dumps([analysis.fidelity_ci95, analysis.metrics], allow_nan=False)


def test_outcomes_outside_the_register_are_rejected() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        tallies({"0x4": 1}, 2, (0, 3))


def test_no_shots_is_an_error() -> None:
    with pytest.raises(ValueError, match="no shots"):
        analyse_ghz({}, 2, {}, rng())


@pytest.mark.parametrize("key", ["0x00", "0X1", "1", "0x", "0xa", "0x10"])
def test_count_keys_must_be_canonical_hex_within_the_register(key: str) -> None:
    with pytest.raises(ValueError, match=key):
        tallies({key: 1, "0x0": 1}, 3, (0, 7))


def test_tallies_of_canonical_keys() -> None:
    assert tallies({"0x7": 3, "0x0": 2, "0x1": 1, "0x4": 5}, 3, (0, 7)).tolist() == [2, 3, 6]
