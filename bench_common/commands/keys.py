"""``bench keys``: generate a signing key, export the public keyring, rotate keys."""

from __future__ import annotations

import os
from pathlib import Path

import click

from bench_common.cli import echo_json, fail, settings_of
from bench_common.evidence import (
    EvidenceError,
    KeyStore,
    fingerprint,
    generate_private_key,
    private_key_pem,
)
from bench_common.fileutil import write_atomic


def _key_store(ctx: click.Context) -> KeyStore:
    settings = settings_of(ctx)
    try:
        return KeyStore.open(
            settings.data_dir / "keys",
            settings.signing_key_id,
            settings.signing_key_path,
            settings.signing_key_passphrase,
        )
    except EvidenceError as exc:
        fail(str(exc), 2)


@click.group()
def keys() -> None:
    """Signing keys of this installation."""


@keys.command()
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="PEM file to write.")
@click.option("--passphrase-env", help="Environment variable holding a passphrase.")
def generate(out: Path | None, passphrase_env: str | None) -> None:
    """Generate an ECDSA P-384 private key as PKCS#8 PEM (file mode 0600)."""
    passphrase = None
    if passphrase_env:
        passphrase = os.environ.get(passphrase_env)
        if not passphrase:
            fail(f"environment variable {passphrase_env} is empty or unset", 2)
    key = generate_private_key()
    pem = private_key_pem(key, passphrase)
    if out is None:
        click.echo(pem.decode(), nl=False)
    else:
        write_atomic(out, pem, mode=0o600)
    click.echo(f"fingerprint_sha256: {fingerprint(key.public_key())}", err=True)


@keys.command()
@click.pass_context
def export(ctx: click.Context) -> None:
    """Print the public keyring (the GET /bench/keys document)."""
    echo_json(_key_store(ctx).public_keyring())


@keys.command()
@click.option("--key-id", required=True, help="Name of the new active key.")
@click.pass_context
def rotate(ctx: click.Context, key_id: str) -> None:
    """Make a new key active; the old one is retired and keeps verifying."""
    store = _key_store(ctx)
    try:
        store.rotate(key_id)
    except EvidenceError as exc:
        fail(str(exc), 2)
    echo_json(store.public_keyring())
