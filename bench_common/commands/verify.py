"""``bench verify FILE [--keys KEYS]``: exit 0 valid, 1 invalid, 2 unusable input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bench_common.cli import echo_json, fail, read_file, settings_of
from bench_common.evidence import (
    EvidenceError,
    KeyStore,
    TrustedKeys,
    parse_strict,
    verify_bundle,
    verify_report,
)


def _trusted(keys: Path | None, ctx: click.Context) -> TrustedKeys:
    """The ``--keys`` file, else the keyring of the local data directory; which one is said
    on stderr, so a verdict never rests on keys the user did not know were trusted."""
    if keys is not None:
        trusted = TrustedKeys.from_bytes(read_file(keys))
        click.echo(f"trusted keys: {keys.resolve()} (--keys)", err=True)
        return trusted
    local = settings_of(ctx).data_dir / "keys" / KeyStore.KEYRING
    if not local.exists():
        fail(f"no --keys given and no local keyring at {local}", 2)
    trusted = TrustedKeys.from_bytes(read_file(local))
    click.echo(f"trusted keys: {local.resolve()} (the local data dir's keyring; no --keys given)",
               err=True)  # fmt: skip
    return trusted


def _unwrap(document: Any) -> tuple[str, Any]:
    """Accept a bare report or bundle, or the ``POST /verify`` body wrapping one."""
    if isinstance(document, dict) and len(document) == 1:
        ((key, inner),) = document.items()
        if key in ("report", "bundle"):
            return key, inner
    if isinstance(document, dict) and "signatures" in document and "items" in document:
        return "bundle", document
    return "report", document


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--keys", type=click.Path(path_type=Path, dir_okay=False), help="Trusted keyring.")
@click.pass_context
def verify(ctx: click.Context, file: Path, keys: Path | None) -> None:
    """Verify FILE (a signed report or evidence bundle) against trusted keys, offline."""
    try:
        trusted = _trusted(keys, ctx)
        kind, document = _unwrap(parse_strict(read_file(file)))
    except EvidenceError as exc:
        fail(str(exc), 2)
    if not isinstance(document, dict):
        fail(f"{file} does not hold a JSON object", 2)
    check = verify_report if kind == "report" else verify_bundle
    result = check(document, trusted)
    echo_json(result.to_dict())
    sys.exit(0 if result.valid else 1)
