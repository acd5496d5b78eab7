"""``bench serve``.

``serve`` with ``BENCH_BROKER_URL`` set only serves and enqueues (separate ``celery`` workers
execute); without it, it starts the embedded platform (a private redis-server and a worker
pool for every queue) first. Ctrl-C or SIGTERM stops everything it started.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from types import FrameType
from typing import NoReturn

import click
import waitress

from bench_api.app import create_app
from bench_api.auth import DEV_TENANT
from bench_api.blueprint import API_BASE
from bench_api.platform import of
from bench_cli.embedded import EmbeddedPlatform
from bench_common.cli import settings_of

SERVER_THREADS = 16


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


@click.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Serve the HTTP API (embedded broker and workers unless BENCH_BROKER_URL is set)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Explicit handlers: a process started in the background inherits an ignored SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings = settings_of(ctx)
    embedded = settings.broker_url is None
    with contextlib.ExitStack() as stack:
        if embedded:
            settings = stack.enter_context(EmbeddedPlatform(settings))
        app = create_app(settings)
        server = waitress.create_server(
            app, host=settings.host, port=settings.port, threads=SERVER_THREADS
        )
        stack.callback(server.close)
        port = getattr(server, "effective_port", settings.port)
        base = f"http://{settings.host}:{port}{API_BASE}"
        mode = "embedded broker and workers" if embedded else "external broker"
        click.echo(f"qcos-bench API on {base} ({mode}; data in {settings.data_dir.resolve()})")
        click.echo(f"API docs: {base}/docs")
        dev_key = of(app).dev_key
        if dev_key:
            click.echo(f"Development API key (tenant {DEV_TENANT}): {dev_key}")
        click.echo("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
