"""Canonical JSON (RFC 8785) and a strict parser for the bytes auditors hand us.

``json.loads`` silently keeps the last of duplicate keys, accepts NaN and Infinity and
reads integers no other JSON implementation can represent; any of these would let two
parties see different documents behind the same hash, so the parser refuses them all.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

import rfc8785

from bench_common.evidence._internal.errors import CanonicalizationError, NestingTooDeepError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_JSON_DEPTH = 64
"""Arrays and objects nested deeper than this are refused before parsing: Python's parser and
canonicalizer recurse once per level, and about a thousand levels exhaust the stack. Reports,
bundles and keyrings nest fewer than ten."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_CHUNK = 1 << 16


def canonicalize(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``obj``."""
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        surrogate = isinstance(exc, UnicodeEncodeError) or isinstance(
            exc.__cause__, UnicodeEncodeError
        )
        reason = "a string holds a lone surrogate" if surrogate else str(exc)
        raise CanonicalizationError(f"no canonical JSON form: {reason}") from exc


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise CanonicalizationError(f"duplicate key {key!r} in a JSON object")
        obj[key] = value
    return obj


def _constant(name: str) -> Any:
    raise CanonicalizationError(f"{name} is not valid JSON")


def _integer(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise CanonicalizationError(f"integer {text} is beyond ±(2^53−1)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise CanonicalizationError(f"number {text} overflows to infinity")
    return value


def check_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ``NestingTooDeepError`` if the JSON ``text`` nests arrays and objects deeper than
    ``limit``; without recursion and without parsing (strings are skipped, brackets counted)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if brackets.count("[") + brackets.count("{") <= limit:
        return
    depth = 0
    for start in range(0, len(brackets), _CHUNK):  # chunks: a deep prefix fails at once
        depths = list(accumulate(map(_STEP.__getitem__, brackets[start : start + _CHUNK]),
                                 initial=depth))  # fmt: skip
        if max(depths) > limit:
            raise NestingTooDeepError(f"JSON nesting is too deep: more than {limit} levels")
        depth = depths[-1]


def parse_strict(data: bytes | str) -> Any:
    """Parse JSON, refusing anything without a single canonical reading, and anything nested
    deeper than ``MAX_JSON_DEPTH``."""
    try:
        if isinstance(data, bytes | bytearray):
            data = data.decode(json.detect_encoding(data), "surrogatepass")
        check_depth(data)
        obj = json.loads(
            data,
            object_pairs_hook=_pairs,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except CanonicalizationError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise CanonicalizationError(f"not valid JSON: {exc}") from exc
    canonicalize(obj)  # rejects lone surrogates wherever they hide
    return obj
