"""Where a backend's runs execute, from each SDK's own environment variables and the last
known provider status.

A backend runs on hardware only when its provider has credentials and an executor; every
other run is simulated with the device's noise model on the ``simulator`` queue, and says
so. Nothing here imports a provider SDK: the API decides with it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bench_common.catalogue import BackendSpec

REQUIRED_VARIABLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "ibm": (("QISKIT_IBM_TOKEN",),),
    "braket": (("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"),
               ("BENCH_BRAKET_S3_BUCKET",)),
    "azure": (("AZURE_QUANTUM_CONNECTION_STRING", "AZURE_QUANTUM_RESOURCE_ID"),),
}  # fmt: skip
"""Per provider: groups of alternatives, each group needing one variable set."""
UNAVAILABLE = frozenset({"offline", "retired"})


def has_credentials(provider: str, env: Mapping[str, str]) -> bool:
    groups = REQUIRED_VARIABLES.get(provider)
    return bool(groups) and all(any(env.get(v) for v in group) for group in groups or ())


def execution_mode(backend: BackendSpec, env: Mapping[str, str], live: Collection[str]) -> str:
    """``hardware`` when the provider is reachable and has a live executor, else ``simulated``."""
    live_ok = backend.provider in live and has_credentials(backend.provider, env)
    return "hardware" if live_ok and not backend.retired else "simulated"


@dataclass(frozen=True)
class Placement:
    """How runs on one backend execute right now (a row of ``GET /backends``)."""

    mode: str
    queue: str
    status: str
    detail: str | None = None

    @property
    def available(self) -> bool:
        return self.status not in UNAVAILABLE


def placement(
    backend: BackendSpec,
    env: Mapping[str, str],
    live: Collection[str],
    statuses: Mapping[str, Mapping[str, Any]],
) -> Placement:
    """Simulated backends are always online; hardware ones report the provider's last
    answer (``unknown`` until a worker of that provider has checked)."""
    mode = execution_mode(backend, env, live)
    if mode == "simulated":
        return Placement(mode, "simulator", "online")
    known = statuses.get(backend.id, {})
    return Placement(mode, backend.provider, str(known.get("status", "unknown")),
                     known.get("detail"))  # fmt: skip
