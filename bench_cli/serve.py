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

from bench_api.app import create_app
from bench_api.blueprint import API_BASE
from bench_api.platform import of
from bench_cli.embedded import EmbeddedPlatform
from bench_cli.flower import Flower, why_not_started
from bench_cli.server import create_server
from bench_common.cli import catalogue_of, settings_of
from bench_common.runtime import Runtime
from bench_common.settings import DEV_TENANT


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
    catalogue = catalogue_of(ctx)  # a malformed device-model file stops here, named
    embedded = settings.broker_url is None
    with contextlib.ExitStack() as stack:
        if embedded:
            settings = stack.enter_context(EmbeddedPlatform(settings))
        flower = stack.enter_context(Flower(settings))
        app = create_app(settings, runtime=Runtime(settings, catalogue))
        server = create_server(app, settings)
        stack.callback(server.close)
        port = getattr(server, "effective_port", settings.port)
        base = f"http://{settings.host}:{port}{API_BASE}"
        mode = "embedded broker and workers" if embedded else "external broker"
        click.echo(f"qcos-bench API on {base} ({mode}; data in {settings.data_dir.resolve()})")
        click.echo(f"API docs: {base}/docs   web app: http://{settings.host}:{port}/dashboard/")
        if flower.wanted:
            click.echo(f"Flower: http://{settings.host}:{settings.flower_port}/ (basic auth)")
        elif (refused := why_not_started(settings)) is not None:
            click.echo(refused)
        dev_key = of(app).dev_key
        if dev_key:
            click.echo(f"Development API key (tenant {DEV_TENANT}): {dev_key}")
        click.echo("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        click.echo("Stopping: the API, then the embedded workers and broker." if embedded
                   else "Stopping the API.")  # fmt: skip
    click.echo("qcos-bench stopped.")
