"""Executors by name: ``simulator`` for every simulated run, else the provider's name."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from bench_workers.executors.base import Executor, JobSpec, JobState, ProviderError
from bench_workers.executors.simulated import SimulatedExecutor

EXECUTORS: dict[str, Callable[[], Executor]] = {
    "simulator": SimulatedExecutor,
}


@cache
def executor_for(name: str) -> Executor:
    """One executor per name and process."""
    return EXECUTORS[name]()


__all__ = ["EXECUTORS", "Executor", "JobSpec", "JobState", "ProviderError", "executor_for"]
