"""The API's contract errors as exceptions: one class per ``code``, all ``BenchAPIError``."""

from __future__ import annotations

from typing import Any


class BenchAPIError(Exception):
    """An error answer of the API: its ``code``, HTTP ``status``, ``details``, request id."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}
        self.request_id = request_id
        self.body = body or {}


class BenchmarkNotFoundError(BenchAPIError):
    """Unknown benchmark or bundle id (or another tenant's)."""


class BenchmarkStillRunningError(BenchAPIError):
    """The run has not finished; ``details`` holds ``status`` and ``progress``."""


class InvalidWorkloadError(BenchAPIError):
    """``details["invalid"]`` lists the unknown workload ids."""


class InvalidBackendError(BenchAPIError):
    pass


class BackendUnavailableError(BenchAPIError):
    pass


class VerificationFailedError(BenchAPIError):
    """A check failed; ``body`` holds the verification fields."""


class ValidationError(BenchAPIError):
    """Malformed request; ``details`` names the offending fields."""


class UnauthorizedError(BenchAPIError):
    pass


class PayloadTooLargeError(BenchAPIError):
    pass


class ServiceUnavailableError(BenchAPIError):
    """The store or broker is down; the request did nothing and may be retried."""


class InternalError(BenchAPIError):
    """A server bug; quote ``request_id`` when reporting it."""


class BenchmarkTimeoutError(TimeoutError):
    """``Benchmark.wait`` gave up; the run goes on and can be waited for again."""

    def __init__(self, benchmark_id: str, last: BenchmarkStillRunningError | None) -> None:
        progress = last.details.get("progress") if last else None
        super().__init__(f"benchmark {benchmark_id} not finished in time (progress: {progress})")
        self.benchmark_id = benchmark_id
        self.progress = progress


ERRORS: dict[str, type[BenchAPIError]] = {
    "BENCHMARK_NOT_FOUND": BenchmarkNotFoundError,
    "BENCHMARK_STILL_RUNNING": BenchmarkStillRunningError,
    "INVALID_WORKLOAD": InvalidWorkloadError,
    "INVALID_BACKEND": InvalidBackendError,
    "BACKEND_UNAVAILABLE": BackendUnavailableError,
    "VERIFICATION_FAILED": VerificationFailedError,
    "VALIDATION_ERROR": ValidationError,
    "UNAUTHORIZED": UnauthorizedError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "SERVICE_UNAVAILABLE": ServiceUnavailableError,
    "INTERNAL_ERROR": InternalError,
}


def error_from(status: int, body: Any) -> BenchAPIError:
    """The exception for an error answer (a non-JSON one becomes a plain ``BenchAPIError``)."""
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return BenchAPIError("HTTP_ERROR", f"HTTP {status} without a JSON error body", status)
    details = body.get("details")
    return ERRORS.get(body["code"], BenchAPIError)(
        body["code"],
        str(body.get("message", "")),
        status,
        details if isinstance(details, dict) else None,
        body.get("request_id"),
        body,
    )
