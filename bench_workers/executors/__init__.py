"""Executors, one module per provider, named by the provider records' ``executor`` field.

Choosing an executor imports only its module, so a worker loads only the SDKs it uses.
"""

from bench_workers.executors.base import (
    BackendStatus,
    Executor,
    ExecutorFactory,
    JobSpec,
    JobState,
    ProviderError,
)

__all__ = ["BackendStatus", "Executor", "ExecutorFactory", "JobSpec", "JobState", "ProviderError"]
