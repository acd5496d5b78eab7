"""The contract's error codes: one enum that the server, the CLI and this client share.

It lives in the SDK because the SDK installs on its own; the server packages import it from
here, so a code can never be spelled two ways.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BENCHMARK_NOT_FOUND = "BENCHMARK_NOT_FOUND"
    BENCHMARK_STILL_RUNNING = "BENCHMARK_STILL_RUNNING"
    INVALID_WORKLOAD = "INVALID_WORKLOAD"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"
    VERIFICATION_FAILED = "VERIFICATION_FAILED"
    INVALID_BACKEND = "INVALID_BACKEND"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
