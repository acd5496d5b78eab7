"""Where a backend's runs execute, from the provider records, each SDK's own environment
variables and the last known provider status.

A backend runs on hardware only when its provider is live and has credentials; every other
run is simulated with the device's noise model on the simulator's queue, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench_common.catalogue import BackendSpec, Catalogue
from bench_common.documents import BackendStatusRecord, ExecutionMode
from bench_common.providers import SIMULATOR

UNAVAILABLE = frozenset({"offline", "retired"})


def execution_mode(
    catalogue: Catalogue, backend: BackendSpec, env: Mapping[str, str]
) -> ExecutionMode:
    """``hardware`` when the provider is live with credentials, else ``simulated``."""
    live = catalogue.provider_of(backend).has_credentials(env)
    return "hardware" if live and not backend.retired else "simulated"


@dataclass(frozen=True)
class Placement:
    """How runs on one backend execute right now (a row of ``GET /backends``)."""

    mode: ExecutionMode
    queue: str
    executor: str
    """The provider whose executor runs the work: the simulator for every simulated run."""
    status: str
    detail: str | None = None

    @property
    def available(self) -> bool:
        return self.status not in UNAVAILABLE


def placement(
    catalogue: Catalogue,
    backend: BackendSpec,
    env: Mapping[str, str],
    statuses: Mapping[str, BackendStatusRecord],
) -> Placement:
    """Simulated backends are always online; hardware ones report the provider's last
    answer (``unknown`` until a worker of that provider has checked)."""
    if execution_mode(catalogue, backend, env) == "simulated":
        return Placement("simulated", catalogue.providers[SIMULATOR].queue, SIMULATOR, "online")
    provider = catalogue.provider_of(backend)
    known = statuses.get(backend.id)
    if known is None:
        return Placement("hardware", provider.queue, provider.name, "unknown")
    return Placement("hardware", provider.queue, provider.name, known["status"],
                     known.get("detail"))  # fmt: skip
