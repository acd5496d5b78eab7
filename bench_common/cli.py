"""What every ``bench`` subcommand shares: the settings the command was started with, JSON
output, and failing with a message and an exit code (the command itself is ``bench_cli``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from bench_common.catalogue import CATALOGUE, Catalogue
from bench_common.device_models import DeviceModelError, catalogue_for
from bench_common.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    return settings if isinstance(settings, Settings) else Settings.from_env()


def catalogue_of(ctx: click.Context) -> Catalogue:
    """The catalogue with this installation's custom device models; a malformed model file
    ends the command with its message (exit 2)."""
    try:
        return catalogue_for(CATALOGUE, settings_of(ctx).device_models_file)
    except DeviceModelError as exc:
        fail(str(exc), 2)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)


def aligned(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain-text table: a header line, then one line per row, columns left-aligned."""
    lines = [list(header), *(list(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
