"""Canonical JSON (RFC 8785) and a strict parser for the bytes auditors hand us.

``json.loads`` silently keeps the last of duplicate keys, accepts NaN and Infinity and
reads integers no other JSON implementation can represent; any of these would let two
parties see different documents behind the same hash, so the parser refuses them all.
"""

from __future__ import annotations

import json
import math
from typing import Any

import rfc8785

from bench_common.evidence._internal.errors import CanonicalizationError

MAX_SAFE_INTEGER = 2**53 - 1


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


def parse_strict(data: bytes | str) -> Any:
    """Parse JSON, refusing anything without a single canonical reading."""
    try:
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
