"""The request id: taken from a proxy's ``X-Request-ID`` when sane, else generated; echoed in
the response header and in every error body, and written to the logs."""

from __future__ import annotations

import re
import unicodedata
import uuid

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def printable(text: str) -> str:
    """``text`` fit for one log line: every control character (CR, LF, ESC, the Unicode line
    and paragraph separators, …) escaped as ``\\xNN`` or ``\\uNNNN``, so no request can end a
    log line early or forge another."""
    return "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if unicodedata.category(c) in ("Cc", "Zl", "Zp")
        else c
        for c in text
    )


def request_id() -> str:
    if "request_id" not in g:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if _ACCEPTED.fullmatch(offered) else uuid.uuid4().hex
    return str(g.request_id)


def _echo(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_echo)
