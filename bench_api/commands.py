"""``bench serve`` and ``bench apikeys``.

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
from bench_api.auth import DEV_TENANT, hash_key, new_key, register
from bench_api.blueprint import API_BASE
from bench_api.platform import of
from bench_common.cli import fail, settings_of
from bench_common.runtime import Runtime
from bench_workers.embedded import EmbeddedPlatform

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


REVOKE_PREFIX_MIN = 8


@click.group()
def apikeys() -> None:
    """Mint, list and revoke API keys; only their SHA-256 hash is stored."""


@apikeys.command()
@click.option("--tenant", required=True, help="The tenant the key acts for.")
@click.option("--label", default="", help="A note to recognise the key by.")
@click.pass_context
def create(ctx: click.Context, tenant: str, label: str) -> None:
    """Create a key for TENANT and print it (it cannot be shown again)."""
    key = new_key()
    store = Runtime(settings_of(ctx)).store
    try:
        register(store, key, tenant, label)
    finally:
        store.close()
    click.echo(key)
    click.echo("Store this key now: only its hash is kept.", err=True)


@apikeys.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> None:
    """List keys by tenant, with the first 12 hex digits of their hash."""
    store = Runtime(settings_of(ctx)).store
    try:
        for entry in store.api_keys():
            click.echo(f"{entry['key_hash'][:12]}  {entry['tenant_id']:<20} "
                       f"{entry['created_at']}  {entry['label']}")  # fmt: skip
    finally:
        store.close()


@apikeys.command()
@click.argument("key_or_hash")
@click.pass_context
def revoke(ctx: click.Context, key_or_hash: str) -> None:
    """Revoke a key, given the key itself or the start of its hash (see ``list``).

    A key that ``BENCH_API_KEYS`` still names is registered again at the next start."""
    store = Runtime(settings_of(ctx)).store
    try:
        known = [e["key_hash"] for e in store.api_keys()]
        matches = [h for h in known if h == hash_key(key_or_hash) or h.startswith(key_or_hash)]
        if len(matches) != 1 or len(key_or_hash) < REVOKE_PREFIX_MIN:
            fail(f"{len(matches)} keys match {key_or_hash!r}; give the key or a longer hash", 2)
        store.revoke_api_key(matches[0])
    finally:
        store.close()
    click.echo(f"revoked {matches[0][:12]}")
