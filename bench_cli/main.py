"""The ``bench`` command. Subcommands are imported only when invoked, so ``bench verify``
starts without loading Qiskit, Celery or Flask; the table below is the whole registry.
"""

from __future__ import annotations

import importlib

import click

from bench_common.settings import Settings

SUBCOMMANDS = {
    "verify": ("bench_common.commands.verify", "verify", "Verify a report or bundle offline."),
    "keys": ("bench_common.commands.keys", "keys", "Generate, export and rotate signing keys."),
    "run": ("bench_workers.commands", "run", "Run one benchmark in-process."),
    "serve": ("bench_cli.serve", "serve", "Serve the HTTP API."),
    "apikeys": ("bench_cli.apikeys", "apikeys", "Mint, list and revoke API keys."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands come from ``SUBCOMMANDS`` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, attribute, _ = SUBCOMMANDS[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return None
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """qcos-bench: benchmark quantum computers and verify signed reports."""
    ctx.obj = Settings.from_env()
