"""One record per provider: everything the platform needs to know about it, in one place.

Routing (its queue), credentials (which variables make it live), settings (which variables
are its configuration), the executor registry and the deploy files all read these records,
so a new provider is one ``ProviderSpec`` plus its executor module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SIMULATOR = "simulator"
"""The provider of simulated runs: every backend without credentials runs on its queue."""


@dataclass(frozen=True)
class ProviderSpec:
    """A provider. ``executor`` is ``module:factory`` of its executor, the module relative to
    ``bench_workers`` when it starts with a dot (only workers resolve it); ``credentials``
    are groups of alternative variables, each group needing one of them set."""

    name: str
    queue: str
    executor: str
    credentials: tuple[tuple[str, ...], ...] = ()
    env_prefixes: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        """Whether runs on its backends can go to real devices (given credentials)."""
        return bool(self.credentials)

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable named by ``credentials``, in order."""
        return tuple(name for group in self.credentials for name in group)

    def has_credentials(self, env: Mapping[str, str]) -> bool:
        return self.live and all(any(env.get(v) for v in group) for group in self.credentials)


PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(SIMULATOR, "simulator", ".executors.simulated:SimulatedExecutor"),
    ProviderSpec("custom", "simulator", ".executors.simulated:SimulatedExecutor"),
    ProviderSpec(
        "ibm", "ibm", ".executors.ibm:IBMExecutor",
        credentials=(("QISKIT_IBM_TOKEN",),),
        env_prefixes=("QISKIT_IBM_",),
    ),
    ProviderSpec(
        "braket", "braket", ".executors.braket:BraketExecutor",
        credentials=(("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                     ("BENCH_BRAKET_S3_BUCKET",)),
        env_prefixes=("AWS_", "BENCH_BRAKET_"),
    ),
    ProviderSpec(
        "azure", "azure", ".executors.azure:AzureExecutor",
        credentials=(("AZURE_QUANTUM_CONNECTION_STRING", "AZURE_QUANTUM_RESOURCE_ID"),),
        env_prefixes=("AZURE_QUANTUM_",),
    ),
)  # fmt: skip
