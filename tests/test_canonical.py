"""Canonical JSON: the published RFC 8785 vectors, and what the strict parser refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench_common.evidence import CanonicalizationError, canonicalize, parse_strict


def test_every_jcs_vector_canonicalizes_byte_for_byte(vectors: Path) -> None:
    inputs = sorted((vectors / "jcs" / "input").glob("*.json"))
    assert len(inputs) >= 6
    for source in inputs:
        expected = (vectors / "jcs" / "output" / source.name).read_bytes()
        assert canonicalize(json.loads(source.read_bytes())) == expected, source.name
        assert canonicalize(parse_strict(source.read_bytes())) == expected, source.name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"x": {"b": 1, "b": 1}}', "duplicate key 'b'"),
        ('{"x": NaN}', "NaN is not valid JSON"),
        ("[Infinity]", "Infinity is not valid JSON"),
        ("[-Infinity]", "-Infinity is not valid JSON"),
        ("[1e400]", "overflows to infinity"),
        ('["\\ud800"]', "lone surrogate"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ("[9007199254740992]", "beyond ±(2^53−1)"),
        ("[-9007199254740992]", "beyond ±(2^53−1)"),
        ('{"a": ', "not valid JSON"),
        (b'"\xff"', "not valid JSON"),
    ],
)
def test_strict_parser_refuses_with_a_clear_message(text: str | bytes, message: str) -> None:
    with pytest.raises(CanonicalizationError, match=re.escape(message)):
        parse_strict(text)


def test_safe_integer_limits_are_accepted() -> None:
    assert parse_strict("[9007199254740991, -9007199254740991]") == [2**53 - 1, -(2**53 - 1)]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, "\ud800", {"k": [-(2**60)]}])
def test_canonicalize_refuses_values_without_a_canonical_form(value: object) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(value)
