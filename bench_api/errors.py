"""Every error the API answers, in the contract's shape ``{code, message, details}``.

Domain errors become HTTP only here, at the edge: views raise ``ApiError`` (or let a
``SubmissionError``/``StoreError`` through), and ``BenchApi`` turns Werkzeug's own errors
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

from bench_api.request_id import request_id
from bench_common.store.base import StoreError
from bench_workers.submission import SubmissionError

logger = logging.getLogger("bench_api")

STATUS_OF_CODE: dict[str, int] = {
    "BENCHMARK_NOT_FOUND": 404,
    "BENCHMARK_STILL_RUNNING": 202,
    "INVALID_WORKLOAD": 400,
    "BACKEND_UNAVAILABLE": 503,
    "VERIFICATION_FAILED": 400,
    "INVALID_BACKEND": 400,
    "VALIDATION_ERROR": 400,
    "UNAUTHORIZED": 401,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}
"""Each contract code and its HTTP status (``NOT_FOUND`` and the next two are for requests
that match no endpoint at all)."""

CODE_OF_STATUS: dict[int, str] = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
"""The code for an HTTP error raised by Werkzeug or Flask rather than by a view."""


class ApiError(Exception):
    """A contract error; ``extra`` members go at the top level of the body."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or STATUS_OF_CODE[code]
        self.message = message
        self.details = details
        self.extra = extra or {}
        self.headers = headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
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
    "NOT_FOUND": "No such endpoint; see /api/v2/bench/openapi.json",
    "METHOD_NOT_ALLOWED": "This endpoint does not accept that method",
    "PAYLOAD_TOO_LARGE": "The request body is too large",
    "INTERNAL_ERROR": "Internal error; quote the request id when reporting it",
}


UNAVAILABLE = "The store or the broker is unreachable; the request did nothing"


def from_http(error: HTTPException) -> ApiError:
    """Werkzeug's error for a request no view accepted, in the contract's shape."""
    status = error.code or 500
    code = CODE_OF_STATUS.get(status, HTTPStatus(status).name)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    message = MESSAGES.get(code) or error.description or error.name
    if code == "PAYLOAD_TOO_LARGE" and request.max_content_length:
        message = f"The request body exceeds the limit of {request.max_content_length} bytes"
    details = {"allowed": headers["Allow"].split(", ")} if "Allow" in headers else None
    return ApiError(code, message, details, headers=headers, status=status)


def from_exception(error: Exception) -> ApiError:
    """A domain error that reached the edge; anything unexpected is a logged 500."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, SubmissionError):
        return ApiError(error.code, error.message, error.details or None)
    if isinstance(error, StoreError | OperationalError):
        logger.warning("request %s: backing service down: %s", request_id(), error)
        return ApiError("SERVICE_UNAVAILABLE", UNAVAILABLE)
    logger.error("request %s: unexpected error", request_id(), exc_info=error)
    return ApiError("INTERNAL_ERROR", MESSAGES["INTERNAL_ERROR"])


class BenchApi(Api):  # type: ignore[misc]
    """flask-smorest's ``Api`` answering every error in the contract's shape."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        self._app.register_error_handler(Exception, self.handle_exception)

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return log(from_http(error)).response()

    def handle_exception(self, error: Exception) -> Response:
        return log(from_exception(error)).response()


def log(error: ApiError) -> ApiError:
    logger.info(
        "request %s: %s %s -> %d %s", request_id(), request.method, request.path, error.status,
        error.code,
    )  # fmt: skip
    return error
