"""The Blueprint every resource uses: contract errors for bad input, auth, body limits.

Request bodies are parsed with the evidence core's strict parser (no duplicate keys, NaN or
Infinity), so what ``POST /verify`` checks is exactly what the client sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar, cast

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from bench_api import auth
from bench_api.errors import ApiError
from bench_common.errors import ErrorCode
from bench_common.evidence import (
    MAX_JSON_DEPTH,
    EvidenceError,
    NestingTooDeepError,
    parse_strict,
)

API_BASE = "/api/v2/bench"
EVIDENCE_BASE = "/bench"
T = TypeVar("T")
MIB = 1024 * 1024
DEFAULT_BODY_LIMIT = 1 * MIB
VERIFY_BODY_LIMIT = 32 * MIB


class ContractParser(FlaskParser):
    """Validation failures as ``400 VALIDATION_ERROR`` naming each offending field."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: flask.Request) -> Any:
        """The body as UTF-8 JSON (RFC 8259) sent as ``application/json``, nested at most
        ``MAX_JSON_DEPTH`` levels; an empty body is a missing one."""
        data = req.get_data(cache=True)
        if not data.strip():
            return core.missing
        if not is_json_request(req):
            raise ApiError(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON sent with Content-Type: application/json",
                {"content_type": [req.content_type or "(none)"]},
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                "The request body is not UTF-8: JSON must be UTF-8 encoded",
                {"json": [f"byte {exc.start}: {exc.reason}"]},
            ) from exc
        try:
            return parse_strict(text)
        except NestingTooDeepError as exc:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"The request body is nested too deeply: at most {MAX_JSON_DEPTH} levels",
                {"json": [str(exc)]},
            ) from exc
        except EvidenceError as exc:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                "The request body is not valid JSON",
                {"json": [str(exc)]},
            ) from exc

    def handle_error(
        self,
        error: ma.ValidationError,
        req: flask.Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        messages = error.messages if isinstance(error.messages, dict) else {}
        details = next(iter(messages.values())) if len(messages) == 1 else messages
        if not isinstance(details, dict):
            details = {"_schema": details}
        fields = ", ".join(sorted(str(name) for name in details))
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"Invalid request: {fields}", details)


class ResourceBlueprint(Blueprint):  # type: ignore[misc]
    """A flask-smorest Blueprint that authenticates (unless ``public``) and caps the body."""

    ARGUMENTS_PARSER = ContractParser()

    def __init__(
        self,
        name: str,
        import_name: str,
        *,
        description: str,
        public: bool = False,
        body_limit: int = DEFAULT_BODY_LIMIT,
        **options: Any,
    ) -> None:
        super().__init__(name, import_name, description=description, **options)
        self.body_limit = body_limit
        self.before_request(self._limit_body)
        if not public:
            self.before_request(auth.authenticate)

    def _limit_body(self) -> None:
        flask.request.max_content_length = self.body_limit

    # flask-smorest ships no type hints: its decorators, typed as what they are.

    def route(self, rule: str, **options: Any) -> Callable[[T], T]:
        return cast(Callable[[T], T], super().route(rule, **options))

    def arguments(self, schema: type[ma.Schema], **options: Any) -> Callable[[T], T]:
        return cast(Callable[[T], T], super().arguments(schema, **options))

    def response(self, status: int, schema: Any = None, **options: Any) -> Callable[[T], T]:
        return cast(Callable[[T], T], super().response(status, schema, **options))

    def alt_response(self, status: int, **options: Any) -> Callable[[T], T]:
        return cast(Callable[[T], T], super().alt_response(status, **options))

    def doc(self, **options: Any) -> Callable[[T], T]:
        return cast(Callable[[T], T], super().doc(**options))
