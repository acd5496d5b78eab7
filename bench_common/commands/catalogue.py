"""``bench workloads`` and ``bench backends``: what this installation offers, offline."""

from __future__ import annotations

import click

from bench_common.cli import aligned, catalogue_of, settings_of
from bench_common.placement import execution_mode


def _circuits(count: int | None) -> str:
    return "by device" if count is None else str(count)


@click.command()
@click.pass_context
def workloads(ctx: click.Context) -> None:
    """List the workloads a run can include."""
    catalogue = catalogue_of(ctx)
    rows = [(w.id, w.type, str(w.qubits), _circuits(catalogue.type_of(w).circuits(w)),
             w.description) for w in catalogue.workloads.values()]  # fmt: skip
    click.echo(aligned(("workload", "type", "qubits", "circuits", "description"), rows))


@click.command()
@click.pass_context
def backends(ctx: click.Context) -> None:
    """List the backends, and whether runs on them would be simulated here."""
    env = settings_of(ctx).provider_env
    catalogue = catalogue_of(ctx)
    rows = [
        (b.id, b.provider, str(b.qubits), execution_mode(catalogue, b, env), b.description)
        for b in catalogue.backends.values()
    ]
    click.echo(aligned(("backend", "provider", "qubits", "mode", "description"), rows))
