"""The one domain error: what the API answers, ``bench`` prints and the SDK raises.

Raised by the application service and the lookups behind the API; only the edge (the
HTTP error handler, the CLI) turns it into a status code or an exit code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench_sdk.codes import ErrorCode

__all__ = ["BenchError", "ErrorCode"]


class BenchError(Exception):
    """A request the contract refuses: its ``code``, a sentence, and what exactly was wrong."""

    def __init__(
        self, code: ErrorCode, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
