"""The ``bench`` command. Subcommands are imported only when invoked, so ``bench verify``
starts without loading Qiskit, Celery or Flask; the table below is the whole registry.
"""

from __future__ import annotations

import importlib
import os

import click

from bench_common.settings import Settings

PRIVATE_UMASK = 0o077

SUBCOMMANDS = {
    "verify": ("bench_common.commands.verify", "verify", "Verify a report or bundle offline."),
    "keys": ("bench_common.commands.keys", "keys", "Generate, export and rotate signing keys."),
    "run": ("bench_workers.commands", "run", "Run one benchmark in-process."),
    "workloads": ("bench_common.commands.catalogue", "workloads", "List the workloads."),
    "backends": ("bench_common.commands.catalogue", "backends", "List the backends."),
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
@click.version_option(package_name="qcos-bench", prog_name="bench")
@click.pass_context
def main(ctx: click.Context) -> None:
    """qcos-bench: benchmark quantum computers and verify signed reports."""
    ctx.obj = Settings.from_env()
    if ctx.invoked_subcommand == "serve":
        # What the server and the processes it starts (embedded broker, worker pool, beat,
        # their logs) create without an explicit mode is the owner's only, like the rest of
        # the data dir (whose files are made 0600 and directories 0700 explicitly).
        os.umask(PRIVATE_UMASK)
