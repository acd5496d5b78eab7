"""Executors by name: ``simulator`` for every simulated run, else the provider's name.

The table names modules, not classes, so that choosing an executor loads only its SDK, and
the API process (which reads ``EXECUTORS`` to know which providers can run live) loads none.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

from bench_workers.executors.base import (
    BackendStatus,
    Executor,
    ExecutorFactory,
    JobSpec,
    JobState,
    ProviderError,
)

EXECUTORS: Mapping[str, str] = MappingProxyType({
    "simulator": "bench_workers.executors.simulated:SimulatedExecutor",
    "ibm": "bench_workers.executors.ibm:IBMExecutor",
    "braket": "bench_workers.executors.braket:BraketExecutor",
    "azure": "bench_workers.executors.azure:AzureExecutor",
})  # fmt: skip
"""Provider name → ``module:factory``; a factory takes the provider credentials (the
``Settings.provider_env`` mapping) and returns an ``Executor``."""

_instances: dict[str, Executor] = {}


def executor_for(name: str, credentials: Mapping[str, str]) -> Executor:
    """One executor per name and process, built on first use."""
    if name not in _instances:
        module_name, _, attribute = EXECUTORS[name].partition(":")
        factory = cast(ExecutorFactory, getattr(importlib.import_module(module_name), attribute))
        _instances[name] = factory(credentials)
    return _instances[name]


__all__ = [
    "EXECUTORS",
    "BackendStatus",
    "Executor",
    "ExecutorFactory",
    "JobSpec",
    "JobState",
    "ProviderError",
    "executor_for",
]
