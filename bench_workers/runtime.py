"""A worker process's state: the common runtime plus the executors it has built.

Built lazily in each process (``PerProcess``): a ``MongoClient`` is not fork-safe and Aer is
not fork-safe after first use, so nothing is made before Celery forks its pool.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from bench_common.runtime import Runtime
from bench_workers.executors import Executor, ExecutorFactory
from bench_workers.plugins import resolve

T = TypeVar("T")


@dataclass
class WorkerRuntime(Runtime):
    executors: dict[str, Executor] = field(default_factory=dict)
    """Executors by provider name, built on first use; tests may place their own here."""

    def executor(self, provider: str) -> Executor:
        if provider not in self.executors:
            spec = self.catalogue.providers[provider]
            factory = cast(ExecutorFactory, resolve(spec.executor))
            self.executors[provider] = factory(self.settings.provider_env)
        return self.executors[provider]


class PerProcess(Generic[T]):
    """``build()``'s value, made again in every process that asks (after any fork)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: tuple[int, T] | None = None

    def __call__(self) -> T:
        if self._value is None or self._value[0] != os.getpid():
            self._value = (os.getpid(), self._build())
        return self._value[1]
