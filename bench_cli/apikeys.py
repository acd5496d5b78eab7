"""``bench apikeys``: mint, list and revoke API keys; only their SHA-256 hash is stored."""

from __future__ import annotations

import click

from bench_api.auth import hash_key, new_key, register
from bench_common.cli import aligned, fail, settings_of
from bench_common.runtime import Runtime

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
        rows = [(e["key_hash"][:12], e["tenant_id"], e["created_at"], e["label"])
                for e in store.api_keys()]  # fmt: skip
        click.echo(aligned(("hash", "tenant", "created", "label"), rows))
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
