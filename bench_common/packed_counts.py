"""Counts as columns: a circuit's distinct outcomes as 64-bit words, with their tallies.

A noisy wide register gives nearly one distinct outcome per shot (GHZ-100 at 100 000 shots:
~100 000 of them), so anything done in Python per outcome costs more than sampling them.
``PackedCounts`` is made from a sampler's bit-packed shots with numpy alone, and so is all a
run needs of it: the statistics (``bench_common.metrics.outcome_words``) and CF(counts),
the RFC 8785 canonical JSON that ``counts_sha256`` hashes, written byte for byte as
``bench_common.evidence.canonicalize`` writes the hex-keyed dict. That dict is made only
when something asks for it (storing the counts, downloading them).

CF orders keys by UTF-16 code units. Canonical keys ("0x", then lowercase hex digits with
no leading zero) are ASCII, and '0' < … < '9' < 'a' < … < 'f', so they sort as their digit
strings do: by the digits left-aligned, and a key before a longer one it is a prefix of
("0x1" < "0x10" < "0x2"). The outcomes are kept in that order, found by one radix sort
(``numpy.lexsort`` on 16-bit keys) of the left-aligned digits and the key length.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import cast

import numpy as np
from numpy.typing import NDArray

DIGITS_PER_WORD = 16
"""Hex digits in a 64-bit word."""
LOW_BITS = 0x0101010101010101
"""The lowest bit of each byte of a 64-bit word."""
OPENING = b',"0x'
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


def _hex_digits(values: Words) -> Words:
    """How many hex digits each value has (0 for 0): its bit length, counted as the bits
    set once every bit below the highest is set too, in quarters rounded up."""
    smeared = values | (values >> np.uint64(1))
    for shift in (2, 4, 8, 16, 32):
        smeared |= smeared >> np.uint64(shift)
    return (np.bitwise_count(smeared).astype(np.uint64) + np.uint64(3)) >> np.uint64(2)


def _select(choose: Words, second: Words, first: Words) -> Words:
    """``second`` where ``choose`` is 1, else ``first`` (a mask, not ``numpy.where``,
    whose branches cost ten times as much on unpredictable rows)."""
    mask = np.uint64(0) - choose
    return cast(Words, (second & mask) | (first & ~mask))


def _left_aligned(words: list[Words]) -> tuple[list[Words], Words]:
    """Values given as word columns, most significant first, with their hex digits shifted
    to the top of the words; and how many digits each key has (``"0x0"`` has one)."""
    size = len(words)
    digits = np.ones(len(words[0]), dtype=np.uint64)
    for index, word in enumerate(reversed(words)):  # least significant first
        found = _hex_digits(word)
        np.maximum(digits, (found + np.uint64(index * DIGITS_PER_WORD)) * (found > 0), out=digits)
    shift = (np.uint64(size * DIGITS_PER_WORD) - digits) << np.uint64(2)
    skip, bits = shift >> np.uint64(6), shift & np.uint64(63)
    padded = [*words, *([np.zeros_like(words[0])] * size)]

    def shifted(position: int) -> Words:
        """Word ``position`` of each value moved up by whole words."""
        moved = padded[position]
        for by in range(1, size):
            moved = _select((skip == by).astype(np.uint64), padded[position + by], moved)
        return moved

    low = shifted(0)
    aligned: list[Words] = []
    for position in range(size):
        high, low = low, shifted(position + 1)
        aligned.append(cast(Words, (high << bits) | (low >> (np.uint64(64) - bits))))
    return aligned, digits


def _nibble_ascii(halves: Words) -> Words:
    """32-bit values as 8 ASCII hex digits each, in reading order in memory: the nibbles
    spread one per byte, then each byte made its digit, with no carry between bytes."""
    spread = (halves | (halves << np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    spread = (spread | (spread << np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    spread = (spread | (spread << np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    letters = ((spread + np.uint64(0x0606060606060606)) >> np.uint64(4)) & np.uint64(LOW_BITS)
    text = spread + np.uint64(0x3030303030303030) + letters * np.uint64(ord("a") - ord("9") - 1)
    return text.byteswap()


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


def _hex_ascii(words: Words, digits: NDArray[np.int16], out: NDArray[np.uint64]) -> None:
    """The last 8·``out.shape[1]`` hex digits of each value as ASCII into the columns of
    ``out`` (8 a column), most significant first, NUL in place of each leading zero."""
    size, columns = words.shape[1], out.shape[1]
    leading = (8 * columns - digits).astype(np.int64)
    most = int(leading.max(initial=0))
    for column in range(columns):
        half = 2 * size - columns + column  # counted from the most significant 32 bits
        value = words[:, size - 1 - half // 2] >> np.uint64(32 * (1 - half % 2))
        text = _nibble_ascii(value & np.uint64(0xFFFFFFFF))
        if most > 8 * column:  # some key starts after this column's first digit
            blanks = np.clip(leading - 8 * column, 0, 8).astype(np.uint64)
            text &= ~np.uint64(0) << (np.uint64(8) * blanks)  # the first byte is the lowest
        out[:, column] = text


def _decimal_ascii(values: NDArray[np.int64], out: NDArray[np.uint64]) -> None:
    """Each non-negative integer in decimal as ASCII, ending at the end of the columns of
    ``out`` (8 bytes a column), into which it is OR-ed; NUL in place of each leading zero."""
    rest = values.astype(np.uint64)
    places = len(str(int(values.max(initial=0))))
    end = 8 * out.shape[1] - 1
    for position in range(end, end - places, -1):
        quotient = rest // np.uint64(10)
        digit = rest - quotient * np.uint64(10) + np.uint64(ord("0"))
        if position < end:
            digit *= rest > 0
        out[:, position // 8] |= digit << np.uint64(8 * (position % 8))
        rest = quotient


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
        order = np.lexsort(keys[::-1])
        new = np.zeros(len(order), dtype=bool)
        new[:1] = True
        for word in aligned:  # equal digits and length: equal outcomes
            ordered = word[order]
            new[1:] |= ordered[1:] != ordered[:-1]
        starts = np.flatnonzero(new)
        picked = order[starts]
        tally = np.diff(np.append(starts, len(order))).astype(np.int64)
        words = np.stack([word[picked] for word in natural], axis=1)
        return cls(words, tally, digits[picked].astype(np.int16))

    def _members(self) -> NDArray[np.uint8]:
        """CF(counts) without its braces, each member preceded by a comma: written as a
        table of 8-byte columns (``,"0x``, the key's digits, ``":``, the count) whose NULs
        (padding: no JSON text has one) are then dropped."""
        longest = int(self._digits.max(initial=1))
        digits = -(-longest // 8)
        places = len(str(int(self.tally.max(initial=0))))
        prefix = int(8 * digits - longest < len(OPENING))  # the key's first column has no room
        table = np.zeros((len(self.tally), prefix + digits + -(-(2 + places) // 8)), np.uint64)
        _hex_ascii(self.words, self._digits, table[:, prefix : prefix + digits])
        table[:, 0] |= np.uint64(int.from_bytes(OPENING, "little"))
        table[:, prefix + digits] |= np.uint64(int.from_bytes(b'":', "little"))
        _decimal_ascii(self.tally, table[:, prefix + digits :])
        flat = table.view(np.uint8).ravel()
        members: NDArray[np.uint8] = flat[flat != 0]
        return members

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
