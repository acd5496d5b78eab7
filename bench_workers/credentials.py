"""Which providers this installation can reach, from each SDK's own environment variables.

A backend runs on hardware only when its provider has credentials and an executor; every
other run is simulated with the device's noise model, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench_common.catalogue import BackendSpec

REQUIRED_VARIABLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "ibm": (("QISKIT_IBM_TOKEN",),),
    "braket": (("AWS_ACCESS_KEY_ID", "AWS_PROFILE"), ("BENCH_BRAKET_S3_BUCKET",)),
    "azure": (("AZURE_QUANTUM_CONNECTION_STRING",),),
}


def has_credentials(provider: str, env: Mapping[str, str]) -> bool:
    """Every group of alternatives has at least one variable set."""
    groups = REQUIRED_VARIABLES.get(provider)
    return bool(groups) and all(any(env.get(v) for v in group) for group in groups or ())


def execution_mode(backend: BackendSpec, env: Mapping[str, str], live: frozenset[str]) -> str:
    """``hardware`` when the provider is reachable and has a live executor, else ``simulated``."""
    live_ok = backend.provider in live and has_credentials(backend.provider, env)
    return "hardware" if live_ok and not backend.retired else "simulated"
