"""The front door of ``bench serve``: waitress, configured so that no client can hold it.

- Up to ``BENCH_HTTP_CONNECTION_LIMIT`` connections are open at once, watched with
  ``poll()`` (``select()`` stops at 1024 descriptors); past it new ones wait in the backlog.
- A connection with nothing received or sent for ``BENCH_HTTP_IDLE_TIMEOUT`` s is closed
  (idle keep-alives, half-open connections, stalled uploads), and so is one whose request
  headers are not complete ``BENCH_HTTP_HEADER_TIMEOUT`` s after their first byte (a client
  trickling its headers, "slowloris"). A request being answered is never cut.
- A ``Content-Length`` over the largest body any endpoint accepts (``POST /verify``'s 32 MiB)
  is refused from the headers, before a byte of the body is read; a smaller body over its
  endpoint's own limit is refused by the app.
- waitress's own refusals (that one, malformed requests, oversized headers) are the
  contract's JSON error bodies, with an ``X-Request-ID``, like every answer of the app.
"""

from __future__ import annotations

import json
import resource
import time
import uuid
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from bench_api.blueprint import VERIFY_BODY_LIMIT
from bench_api.errors import CODE_OF_STATUS
from bench_api.request_id import HEADER as REQUEST_ID_HEADER
from bench_common.errors import ErrorCode
from bench_common.settings import Settings

SERVER_THREADS = 16
MAX_BODY_BYTES = VERIFY_BODY_LIMIT
"""The largest body any endpoint accepts; waitress refuses a larger ``Content-Length``."""
MAX_HEADER_BYTES = 64 * 1024
"""Request line and headers together (waitress's default is 256 KiB)."""
SPARE_DESCRIPTORS = 256
"""File descriptors kept beyond the connection limit: store, broker, logs, temp files."""


class _Parser(HTTPRequestParser):  # type: ignore[misc]
    """A request being received, with the moment its first byte arrived."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.time()


class _JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's refusal of a request the app never saw, as a contract error body."""

    def execute(self) -> None:
        error = self.request.error
        status = int(error.code)
        fallback = ErrorCode.VALIDATION_ERROR if status < 500 else ErrorCode.INTERNAL_ERROR
        code = CODE_OF_STATUS.get(status, fallback)
        if code == ErrorCode.PAYLOAD_TOO_LARGE:
            message = f"The request body exceeds the limit of {MAX_BODY_BYTES} bytes"
        else:
            message = f"{error.reason}: {error.body}"
        request_id = uuid.uuid4().hex
        body = json.dumps({"code": code.value, "message": message, "request_id": request_id})
        payload = body.encode()
        self.status = f"{status} {error.reason}"
        self.response_headers.extend(
            [("Content-Type", "application/json"), (REQUEST_ID_HEADER, request_id)]
        )
        self.set_close_on_finish()
        self.content_length = len(payload)
        self.write(payload)


class _Channel(HTTPChannel):  # type: ignore[misc]
    parser_class = _Parser
    error_task_class = _JsonErrorTask


class ApiServer(TcpWSGIServer):  # type: ignore[misc]
    """waitress's TCP server with JSON refusals and a deadline on request headers."""

    channel_class = _Channel

    def __init__(self, application: Any, *, header_timeout: float, **adjustments: Any) -> None:
        self.header_timeout = header_timeout
        super().__init__(application, adj=Adjustments(**adjustments))

    def maintenance(self, now: float) -> None:
        """waitress closes idle channels; this also closes those still sending headers
        ``header_timeout`` seconds after they began."""
        super().maintenance(now)
        cutoff = now - self.header_timeout
        for channel in list(self.active_channels.values()):
            request = channel.request
            late = isinstance(request, _Parser) and request.started < cutoff
            if late and not request.headers_finished:
                channel.will_close = True


def _allow_descriptors(count: int) -> None:
    """Raise the soft limit on open files to ``count`` if the hard limit allows it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def create_server(app: Any, settings: Settings) -> ApiServer:
    """The API's server on ``settings.host``/``settings.port``, with the front-door limits."""
    _allow_descriptors(settings.http_connection_limit + SPARE_DESCRIPTORS)
    timeouts = (settings.http_idle_timeout, settings.http_header_timeout)
    return ApiServer(
        app,
        header_timeout=settings.http_header_timeout,
        host=settings.host,
        port=settings.port,
        threads=SERVER_THREADS,
        connection_limit=settings.http_connection_limit,
        channel_timeout=settings.http_idle_timeout,
        cleanup_interval=max(1, min(timeouts) // 2),
        asyncore_use_poll=True,
        # waitress refuses a Content-Length >= this: exactly MAX_BODY_BYTES still passes.
        max_request_body_size=MAX_BODY_BYTES + 1,
        max_request_header_size=MAX_HEADER_BYTES,
    )
