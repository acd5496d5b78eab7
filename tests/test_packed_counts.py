"""Columnar counts against the plain hex-keyed dict they stand for: the same keys, counts,
canonical bytes (RFC 8785, as the evidence core writes them), hash and statistics."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import qasm3

from bench_common import bell_tests, ghz_fidelity
from bench_common.catalogue import CATALOGUE
from bench_common.evidence import canonicalize
from bench_common.metrics import hamming_histogram, outcome_words
from bench_common.packed_counts import PackedCounts, as_dict
from bench_common.results import CircuitRecord, WorkloadResult, counts_hash
from bench_workers import workloads


def packed(values: list[int], width: int) -> np.ndarray:
    """Shots as Stim writes them: one row of ``width`` bytes per shot, clbit 0 first."""
    data = b"".join(value.to_bytes(width, "little") for value in values)
    return np.frombuffer(data, dtype=np.uint8).reshape(len(values), width).copy()


def tallied(values: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[hex(value)] = counts.get(hex(value), 0) + 1
    return counts


def assert_same(columns: PackedCounts, counts: dict[str, int]) -> None:
    expected = canonicalize(counts)
    assert columns.canonical() == expected
    assert columns.sha256 == hashlib.sha256(expected).hexdigest()
    assert counts_hash(columns) == counts_hash(counts) == "sha256:" + columns.sha256
    assert columns.to_dict() == counts and list(columns) == sorted(counts)
    assert len(columns) == len(counts) and int(columns.tally.sum()) == sum(counts.values())


outcome_lists = st.integers(1, 24).flatmap(
    lambda width: st.tuples(
        st.just(width),
        st.lists(
            st.one_of(
                st.integers(0, 2 ** (8 * width) - 1),  # any outcome of the register
                st.integers(0, 8 * width - 1).map(lambda bit: 1 << bit),  # keys of every length
                st.sampled_from([0, 1, 2**(8 * width) - 1]),  # 0x0, and all ones: every digit
            ),
            min_size=1, max_size=60,
        ),
    )
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(outcome_lists)
def test_columns_write_the_canonical_form_of_the_counts(case: tuple[int, list[int]]) -> None:
    width, values = case
    assert_same(PackedCounts.of_shots(packed(values, width)), tallied(values))


@pytest.mark.parametrize(
    ("values", "width"),
    [
        ([0] * 5, 1),  # a single outcome, 0x0
        ([0] * 3, 13),  # 0x0 on a wide register
        ([7], 9),  # one shot
        ([1, 0x10, 2, 0x100, 0x1F, 0x20, 1 << 67, 1], 9),  # "0x1" < "0x10" < … < "0x1f" < "0x2"
        ([2**128 - 1, 2**127, 0], 16),  # 32 digits: the key's length needs a word of its own
        ([], 13),  # no shots
    ],
)
def test_edge_cases(values: list[int], width: int) -> None:
    assert_same(PackedCounts.of_shots(packed(values, width)), tallied(values))


def test_counts_of_a_million_shots_and_more_take_more_than_a_word() -> None:
    shots = np.zeros((1_234_567, 1), dtype=np.uint8)
    shots[:1000] = 1
    assert_same(PackedCounts.of_shots(shots), {"0x0": 1_233_567, "0x1": 1000})


def test_rows_that_are_not_contiguous_are_read_as_well() -> None:
    values = [3, 1 << 70, 3, 5]
    wide = np.repeat(packed(values, 9), 2, axis=1)[:, ::2]
    assert not wide.flags.c_contiguous
    assert_same(PackedCounts.of_shots(wide), tallied(values))


def test_columns_behave_as_a_read_only_mapping() -> None:
    columns = PackedCounts.of_shots(packed([5, 5, 1 << 40], 6))
    assert columns == {"0x5": 2, hex(1 << 40): 1} and columns["0x5"] == 2
    assert columns.get("0x6") is None and "0x5" in columns
    assert copy.deepcopy(columns) is columns
    assert as_dict(columns) == {"0x5": 2, hex(1 << 40): 1} and type(as_dict(columns)) is dict
    with pytest.raises(ValueError, match="read-only"):
        columns.tally[0] = 9


@settings(max_examples=60, deadline=None)
@given(outcome_lists, st.integers(0, 2**64))
def test_statistics_of_columns_are_those_of_the_dict(
    case: tuple[int, list[int]], target: int
) -> None:
    width, values = case
    qubits = 8 * width
    columns, counts = PackedCounts.of_shots(packed(values, width)), tallied(values)
    for meta in ({"role": "population"}, {"role": "parity"}):
        assert (ghz_fidelity.statistics(meta, columns, qubits)
                == ghz_fidelity.statistics(meta, counts, qubits))  # fmt: skip
    assert bell_tests.statistics({}, columns, qubits) == bell_tests.statistics({}, counts, qubits)
    target %= 2**qubits
    assert (hamming_histogram(columns, qubits, target)
            == hamming_histogram(counts, qubits, target))  # fmt: skip
    assert [hex(sum(int(w) << (64 * j) for j, w in enumerate(row)))
            for row in outcome_words(columns, qubits)[0]] == sorted(counts)  # fmt: skip


def test_statistics_by_hand_on_columns() -> None:
    columns = PackedCounts.of_shots(packed([0, 0, 0b111, 0b101, 0b011], 1))
    assert ghz_fidelity.statistics({"role": "population"}, columns, 3) == {
        "zeros": 2, "ones": 1, "other": 2}  # fmt: skip
    assert ghz_fidelity.statistics({"role": "parity"}, columns, 3) == {"even": 4, "odd": 1}


def test_an_outcome_beyond_the_register_is_refused() -> None:
    columns = PackedCounts.of_shots(packed([1, 1 << 9], 2))
    with pytest.raises(ValueError, match="0x200 does not fit in 9 qubits"):
        outcome_words(columns, 9)
    assert outcome_words(columns, 10)[0].shape == (2, 1)


def record(counts: PackedCounts, inline: bool) -> CircuitRecord:
    return CircuitRecord.of(name="c", meta={}, shots=int(counts.tally.sum()), logical_qasm3="",
                            executed_qasm3="", statistics={}, counts=counts,
                            inline=inline)  # fmt: skip


def test_records_carry_dicts_inline_and_store_columns_as_dicts() -> None:
    rng = np.random.default_rng(1)
    wide = PackedCounts.of_shots(rng.integers(0, 256, (5000, 13), dtype=np.uint8))
    small = PackedCounts.of_shots(packed([0, 3, 3], 1))
    result = WorkloadResult("w", "GHZ_SCALING", 100,
                            circuits=[record(small, True), record(wide, False)])  # fmt: skip
    assert type(result.circuits[0].counts) is dict and result.circuits[1].counts is wide
    data = result.to_dict()
    stored = json.loads(json.dumps(data, allow_nan=False))
    assert stored["circuits"][1]["counts"] == wide.to_dict()
    back = WorkloadResult.from_dict(stored).circuits[1]
    assert counts_hash(back.counts) == back.counts_sha256 == result.circuits[1].counts_sha256


@pytest.mark.parametrize("workload_id", ["ghz_10q", "chsh", "mirror_10q"])
def test_logical_programs_are_written_as_the_exporter_writes_them(workload_id: str) -> None:
    spec = CATALOGUE.workloads[workload_id]
    for circuit in workloads.build(spec, CATALOGUE.type_of(spec), np.random.default_rng(4)):
        assert workloads.logical_qasm3(circuit) == qasm3.dumps(circuit.logical())


def test_the_loops_run_where_numba_can_cache_nowhere() -> None:
    """A process with no writable cache directory (every cache locator refused) compiles
    the loops for itself and writes the same canonical form."""
    script = (
        "import numpy as np\n"
        "from bench_common.packed_counts import PackedCounts\n"
        "shots = np.random.default_rng(3).integers(0, 256, (500, 13), dtype=np.uint8)\n"
        "print(PackedCounts.of_shots(shots).sha256)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["NUMBA_CACHE_LOCATOR_CLASSES"] = "numba.core.caching.UserProvidedCacheLocator"
    printed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    shots = np.random.default_rng(3).integers(0, 256, (500, 13), dtype=np.uint8)
    values = [int.from_bytes(row.tobytes(), "little") for row in shots]
    expected = canonicalize({hex(v): values.count(v) for v in sorted(set(values))})
    assert printed == [hashlib.sha256(expected).hexdigest()]
