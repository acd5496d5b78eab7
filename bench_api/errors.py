"""Every error the API answers, in the contract's shape ``{code, message, details}``.

Domain errors become HTTP only here, at the edge: views raise ``BenchError`` (or let a
``StoreError`` through), and ``BenchApi`` turns Werkzeug's own errors
(unknown path, wrong method, malformed body, body too large, crashes) into the same shape.
Every error body carries the request id, which is also logged.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Response, jsonify, request
from flask_smorest import Api
from kombu.exceptions import OperationalError
from werkzeug.exceptions import HTTPException

from bench_api.request_id import printable, request_id
from bench_common.errors import BenchError, ErrorCode
from bench_common.store.base import StoreError

logger = logging.getLogger("bench_api")

STATUS_OF_CODE: dict[ErrorCode, int] = {
    ErrorCode.BENCHMARK_NOT_FOUND: 404,
    ErrorCode.BENCHMARK_STILL_RUNNING: 202,
    ErrorCode.INVALID_WORKLOAD: 400,
    ErrorCode.BACKEND_UNAVAILABLE: 503,
    ErrorCode.VERIFICATION_FAILED: 400,
    ErrorCode.INVALID_BACKEND: 400,
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}
"""Each contract code and its HTTP status (``NOT_FOUND`` and the next two are for requests
that match no endpoint at all)."""

CODE_OF_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}
"""The code for an HTTP error raised by Werkzeug or Flask rather than by a view; other
client errors are ``VALIDATION_ERROR``, other server errors ``INTERNAL_ERROR``."""


class ApiError(BenchError):
    """A contract error with what only HTTP has: ``extra`` members at the top level of the
    body, headers, and a status other than the code's own (Werkzeug's errors)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(code, message, details)
        self.status = status or STATUS_OF_CODE[code]
        self.extra = extra or {}
        self.headers = headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.details:
            body["details"] = self.details
        body |= self.extra
        body["request_id"] = request_id()
        answer = jsonify(body)
        answer.status_code = self.status
        answer.headers.update(self.headers)
        return answer


class ErrorSchema(ma.Schema):
    """Every error body; ``POST /verify`` adds the verification fields at the top level."""

    class Meta:
        unknown = ma.INCLUDE

    code = ma.fields.String(required=True, metadata={"description": "Contract error code"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(metadata={"description": "What exactly was wrong, when known"})
    request_id = ma.fields.String(
        required=True, metadata={"description": "Also in the X-Request-ID header and the logs"}
    )


MESSAGES = {
    ErrorCode.NOT_FOUND: "No such endpoint; see /api/v2/bench/openapi.json",
    ErrorCode.METHOD_NOT_ALLOWED: "This endpoint does not accept that method",
    ErrorCode.PAYLOAD_TOO_LARGE: "The request body is too large",
    ErrorCode.INTERNAL_ERROR: "Internal error; quote the request id when reporting it",
}


UNAVAILABLE = "The store or the broker is unreachable; the request did nothing"


def from_http(error: HTTPException) -> ApiError:
    """Werkzeug's error for a request no view accepted, in the contract's shape."""
    status = error.code or 500
    fallback = ErrorCode.VALIDATION_ERROR if status < 500 else ErrorCode.INTERNAL_ERROR
    code = CODE_OF_STATUS.get(status, fallback)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    message = MESSAGES.get(code) or error.description or HTTPStatus(status).phrase
    if code == ErrorCode.PAYLOAD_TOO_LARGE and request.max_content_length:
        message = f"The request body exceeds the limit of {request.max_content_length} bytes"
    details = {"allowed": headers["Allow"].split(", ")} if "Allow" in headers else None
    return ApiError(code, message, details, headers=headers, status=status)


def from_exception(error: Exception) -> ApiError:
    """A domain error that reached the edge; anything unexpected is a logged 500."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, BenchError):
        return ApiError(error.code, error.message, error.details)
    if isinstance(error, StoreError | OperationalError):
        logger.warning("request %s: backing service down: %s", request_id(), printable(str(error)))
        return ApiError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE)
    logger.error("request %s: unexpected error", request_id(), exc_info=error)
    return ApiError(ErrorCode.INTERNAL_ERROR, MESSAGES[ErrorCode.INTERNAL_ERROR])


class BenchApi(Api):  # type: ignore[misc]
    """flask-smorest's ``Api`` answering every error in the contract's shape."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        self._app.register_error_handler(Exception, self.handle_exception)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return log(from_http(error)).response()

    def handle_exception(self, error: Exception) -> Response:
        return log(from_exception(error)).response()


def log(error: ApiError) -> ApiError:
    logger.info(
        "request %s: %s %s -> %d %s", request_id(), printable(request.method),
        printable(request.path), error.status, error.code,
    )  # fmt: skip
    return error
