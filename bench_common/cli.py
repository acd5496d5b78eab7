"""What every ``bench`` subcommand shares: the settings the command was started with, JSON
output, and failing with a message and an exit code (the command itself is ``bench_cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from bench_common.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    return settings if isinstance(settings, Settings) else Settings.from_env()


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
