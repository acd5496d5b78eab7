"""Loops compiled by numba, for the few places where a run's outcomes are walked one by one.

Whole-array numpy is the rule in the hot path; a loop is compiled only where the work per
outcome varies (text of varying length, runs of equal outcomes, sparse bit flips), which
whole-array operations can express only by many passes over every array. Compilation is
lazy, so a process that never takes such a path (the API) never loads numba, and cached on
disk (``numba.njit(cache=True)``), so only the first process of an installation pays it.
numba caches only where it can write (``NUMBA_CACHE_DIR``, the package's ``__pycache__``,
then the user's cache directory); where it can write nowhere, each process compiles anew.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TypeVar, cast

F = TypeVar("F", bound=Callable[..., object])


def compiled(function: F) -> F:
    """``function``, compiled on its first call (typed as it is written)."""
    return cast(F, _Lazy(function))


class _Lazy:
    def __init__(self, function: Callable[..., object]) -> None:
        self._function = function

    def __call__(self, *args: object) -> object:
        return _jit(self._function)(*args)


@cache
def _jit(function: Callable[..., object]) -> Callable[..., object]:
    import numba  # noqa: PLC0415 - only where a loop runs

    try:
        jitted = numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # no writable cache directory at all: compile in every process
        jitted = numba.njit(nogil=True)(function)
    return cast(Callable[..., object], jitted)
