"""The Python client of the qcos-bench HTTP API; it needs nothing but ``requests``."""

from bench_sdk.client import Bench, Benchmark, QCOSClient
from bench_sdk.errors import (
    BackendUnavailableError,
    BenchAPIError,
    BenchmarkNotFoundError,
    BenchmarkStillRunningError,
    BenchmarkTimeoutError,
    InternalError,
    InvalidBackendError,
    InvalidWorkloadError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnauthorizedError,
    ValidationError,
    VerificationFailedError,
)
from bench_sdk.models import Backend, Report, Summary, Verification, Workload, WorkloadResult

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "Bench",
    "BenchAPIError",
    "Benchmark",
    "BenchmarkNotFoundError",
    "BenchmarkStillRunningError",
    "BenchmarkTimeoutError",
    "InternalError",
    "InvalidBackendError",
    "InvalidWorkloadError",
    "PayloadTooLargeError",
    "QCOSClient",
    "Report",
    "ServiceUnavailableError",
    "Summary",
    "UnauthorizedError",
    "ValidationError",
    "Verification",
    "VerificationFailedError",
    "Workload",
    "WorkloadResult",
]
