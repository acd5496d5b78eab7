"""Counts as columns: a circuit's distinct outcomes as 64-bit words, with their tallies.

A noisy wide register gives nearly one distinct outcome per shot (GHZ-100 at 100 000 shots:
~100 000 of them), so anything done in Python per outcome costs more than sampling them.
``PackedCounts`` is made from a sampler's bit-packed shots with numpy, and so is all a run
needs of it: the statistics (``bench_common.metrics.outcome_words``) and CF(counts), the
RFC 8785 canonical JSON that ``counts_sha256`` hashes, written byte for byte as
``bench_common.evidence.canonicalize`` writes the hex-keyed dict. Two steps are loops that
numba compiles (``bench_common.compiled``): grouping the sorted shots into outcomes, and
writing CF(counts), whose text of varying length whole-array operations handle worst. The
dict is made only when something asks for it (downloading the counts).

CF orders keys by UTF-16 code units. Canonical keys ("0x", then lowercase hex digits with
no leading zero) are ASCII, and '0' < … < '9' < 'a' < … < 'f', so they sort as their digit
strings do: by the digits left-aligned, and a key before a longer one it is a prefix of
("0x1" < "0x10" < "0x2"). The outcomes are kept in that order, found by one radix sort
(``numpy.lexsort`` on 16-bit keys) of the left-aligned digits and the key length, or of its
leading keys alone when those already tell every shot apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from bench_common.compiled import compiled

DIGITS_PER_WORD = 16
"""Hex digits in a 64-bit word."""
LEADING_KEYS = 3
"""16-bit sort keys taken first. When no two shots share them (a wide register's spread-out
outcomes, as parity settings give), the order is already total and the rest is not sorted."""
OPENING = tuple(b',"0x')
"""What comes before each key's digits in CF(counts) (the first comma is dropped)."""

Words = NDArray[np.uint64]


def word_columns(shots: NDArray[np.uint8]) -> list[Words]:
    """Shots × bytes rows of bit-packed outcomes (clbit i is bit i % 8 of byte i // 8) as
    their 64-bit words, one array per word: word j holds clbits 64·j to 64·j + 63, clbit
    64·j as its bit 0. Each word is read in place as an unaligned 64-bit load per row (the
    last from its row's last 8 bytes, shifted down), rather than through a padded copy."""
    count, width = shots.shape
    if width < 8 or not count or not shots.flags.c_contiguous:
        padded = np.zeros((count, 8 * max(1, -(-width // 8))), dtype=np.uint8)
        padded[:, :width] = shots
        return [np.ascontiguousarray(word) for word in padded.view("<u8").astype(np.uint64).T]
    columns = []
    for word in range(-(-width // 8)):
        start = min(8 * word, width - 8)
        loads = np.ndarray((count,), dtype="<u8", buffer=shots, offset=start, strides=(width,))
        columns.append(loads.astype(np.uint64) >> np.uint64(8 * (8 * word - start)))
    return columns


def _bit_length(values: Words) -> NDArray[np.int64]:
    """How many bits each value needs (0 for 0), read from the exponent of a float64: of
    the value with the bit below its highest cleared, which keeps the highest and cannot
    round up to the next power of two, so the conversion never overstates the length."""
    top = values & ~(values >> np.uint64(1))
    exponent: NDArray[np.int64] = top.astype(np.float64).view(np.int64) >> np.int64(52)
    length: NDArray[np.int64] = np.maximum(exponent - np.int64(1022), 0)
    return length


def _left_aligned(words: list[Words]) -> tuple[list[Words], Words]:
    """Values given as word columns, most significant first, with their hex digits shifted
    to the top of the words; and how many digits each key has (``"0x0"`` has one).

    Shifts of 64 bits or more give 0 in numpy, whichever the direction, so a word's share
    of each aligned word is its two shifts OR-ed, with no branch on how far it moves."""
    size = len(words)
    leading, level = words[-1], np.zeros(len(words[0]), dtype=np.int64)
    for index in range(size - 2, -1, -1):  # towards the most significant word
        nonzero = words[index] != 0
        leading = np.where(nonzero, words[index], leading)
        level = np.where(nonzero, size - 1 - index, level)
    digits = np.maximum((_bit_length(leading) + 3) >> 2, 1) + DIGITS_PER_WORD * level
    digits = digits.astype(np.uint64)
    shift = np.uint64(size * 64) - (digits << np.uint64(2))
    aligned: list[Words] = []
    for position in range(size):
        word = words[position] << shift
        for lower in range(position + 1, size):
            up = shift - np.uint64(64 * (lower - position))  # wraps below 0: shifts to 0
            word |= (words[lower] << up) | (words[lower] >> (np.uint64(0) - up))
        aligned.append(word)
    return aligned, digits


def _append_length(aligned: list[Words], digits: Words, start: int) -> None:
    """Write each key's length into ``aligned`` right after the longest key's digits (bit
    ``start`` from the top), so that one sort on the bits orders by digits, then length."""
    width = max(1, int(digits.max(initial=1)).bit_length())
    while 64 * len(aligned) < start + width:
        aligned.append(np.zeros_like(digits))
    for index, word in enumerate(aligned):
        up = 64 * (index + 1) - (start + width)  # where the length's lowest bit lands
        if -width < up < 64:
            np.bitwise_or(word, digits << np.uint64(up) if up >= 0 else digits >> np.uint64(-up),
                          out=word)  # fmt: skip


HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).copy()


@compiled
def _write_members(words: Words, tally: NDArray[np.int64], digits: NDArray[np.int16],
                   out: NDArray[np.uint8]) -> int:  # fmt: skip
    """Write ``,"0x…":n`` for each row into ``out``; how many bytes that took."""
    end = 0
    for row in range(words.shape[0]):
        for byte in OPENING:
            out[end] = byte
            end += 1
        for digit in range(int(digits[row]) - 1, -1, -1):
            word = words[row, digit >> 4]
            out[end] = HEX_DIGITS[(word >> np.uint64(4 * (digit & 15))) & np.uint64(15)]
            end += 1
        out[end], out[end + 1] = 34, 58  # '":'
        end += 2
        count, places, power = int(tally[row]), 1, 10
        while count >= power:
            places, power = places + 1, power * 10
        for place in range(places - 1, -1, -1):
            out[end + place] = 48 + count % 10
            count //= 10
        end += places
    return end


@compiled
def _distinct(order: NDArray[np.intp], columns: Words, digits: Words, words: Words,
              tally: NDArray[np.int64], kept: NDArray[np.int16]) -> int:  # fmt: skip
    """Write the distinct outcomes among the shots taken in ``order`` (equal ones adjacent)
    as rows of ``columns``' words into ``words``, with how many shots each has and its
    digits; how many there are."""
    size, last = columns.shape[0], -1
    for shot in order:
        same = last >= 0
        for index in range(size):
            same = same and columns[index, shot] == words[last, index]
        if not same:
            last += 1
            for index in range(size):
                words[last, index] = columns[index, shot]
            kept[last] = digits[shot]
        tally[last] += 1
    return last + 1


class PackedCounts(Mapping[str, int]):
    """Hex-keyed counts held as ``words`` (a row per distinct outcome, its column j the word
    j of ``word_columns``) and their ``tally``, in the canonical order of their keys.
    Read-only; a ``Mapping`` like any counts, made a dict on first lookup."""

    def __init__(self, words: Words, tally: NDArray[np.int64],
                 digits: NDArray[np.int16]) -> None:  # fmt: skip
        for column in (words, tally, digits):
            column.flags.writeable = False
        self.words, self.tally, self._digits = words, tally, digits

    @classmethod
    def of_shots(cls, shots: NDArray[np.uint8]) -> PackedCounts:
        """The counts of shots × bytes rows of bit-packed outcomes (``word_columns``)."""
        natural = word_columns(shots)
        aligned, digits = _left_aligned(natural[::-1])
        longest = int(digits.max(initial=1))
        _append_length(aligned, digits, 4 * longest)
        bits = 4 * longest + longest.bit_length()  # as _append_length writes them
        keys = [(aligned[k // 4] >> np.uint64(48 - 16 * (k % 4))).astype(np.uint16)
                for k in range(-(-bits // 16))]  # fmt: skip
        order = np.lexsort(keys[:LEADING_KEYS][::-1])
        if len(keys) > LEADING_KEYS:
            leading = aligned[0][order] >> np.uint64(64 - 16 * LEADING_KEYS)
            if (leading[1:] == leading[:-1]).any():
                order = np.lexsort(keys[::-1])
        shape = len(order), len(natural)
        words, tally = np.empty(shape, dtype=np.uint64), np.zeros(len(order), dtype=np.int64)
        kept = np.empty(len(order), dtype=np.int16)
        distinct = _distinct(order, np.array(natural), digits, words, tally, kept)
        return cls(words[:distinct].copy(), tally[:distinct].copy(), kept[:distinct].copy())

    def _members(self) -> NDArray[np.uint8]:
        """CF(counts) without its braces, each member preceded by a comma."""
        longest = int(self._digits.max(initial=1))
        places = len(str(int(self.tally.max(initial=0))))
        out = np.empty(len(self.tally) * (len(OPENING) + longest + 2 + places), np.uint8)
        end = _write_members(self.words, self.tally, self._digits, out)
        return out[:end]

    def canonical(self) -> bytes:
        """CF(counts): ``{"0x…":n,…}`` in key order, no whitespace."""
        return b"{" + self._members()[1:].tobytes() + b"}"

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of CF(counts)."""
        digest = hashlib.sha256(b"{")
        digest.update(self._members()[1:].data)
        digest.update(b"}")
        return digest.hexdigest()

    @cached_property
    def _dict(self) -> dict[str, int]:
        return self.to_dict()

    def to_dict(self) -> dict[str, int]:
        """The counts as a new plain dict, keys in canonical order."""
        counts: dict[str, int] = json.loads(self.canonical())
        return counts

    def __deepcopy__(self, memo: dict[int, object]) -> PackedCounts:
        return self  # read-only, like a tuple of numbers

    def __getitem__(self, key: str) -> int:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self.tally)

    def __repr__(self) -> str:
        return f"PackedCounts({len(self)} outcomes, {int(self.tally.sum())} shots)"


def as_dict(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts as a plain dict, for JSON: the same object when it is one already."""
    if isinstance(counts, dict):
        return counts
    return counts.to_dict() if isinstance(counts, PackedCounts) else dict(counts)
