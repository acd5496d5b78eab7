"""One record per provider: everything the platform needs to know about it, in one place.

Routing (its queue), credentials (which variables make it live), settings (which variables
are its configuration), the executor registry and the deploy files all read these records,
so a new provider is one ``ProviderSpec`` plus its executor module. A paid provider's record
also holds its published prices, with where and when they were read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bench_common.pricing import HqcPricing, Pricing, QpuTimePricing, Source, TaskShotPricing

SIMULATOR = "simulator"
"""The provider of simulated runs: every backend without credentials runs on its queue."""


@dataclass(frozen=True)
class ProviderSpec:
    """A provider. ``executor`` is ``module:factory`` of its executor, the module relative to
    ``bench_workers`` when it starts with a dot (only workers resolve it); ``credentials``
    are groups of alternative variables, each group needing one of them set; ``pricing``
    prices its hardware runs (None: they cannot be priced before they run)."""

    name: str
    queue: str
    executor: str
    credentials: tuple[tuple[str, ...], ...] = ()
    env_prefixes: tuple[str, ...] = ()
    pricing: Pricing | None = None

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


READ = "2026-12-01"
"""When the prices below were read."""
BRAKET_ARN = "arn:aws:braket:"
BRAKET_PRICING = TaskShotPricing(
    per_task=0.30,
    per_shot=MappingProxyType({
        BRAKET_ARN + "us-east-1::device/qpu/ionq/Forte-1": 0.08,
        BRAKET_ARN + "us-east-1::device/qpu/ionq/Aria-1": 0.03,
        BRAKET_ARN + "eu-north-1::device/qpu/iqm/Garnet": 0.00145,
        BRAKET_ARN + "us-west-1::device/qpu/rigetti/Ankaa-3": 0.0009,
    }),
    source=Source("https://aws.amazon.com/braket/pricing/", READ,
                  note="on-demand QPU table, per-task and per-shot prices"),
)  # fmt: skip
AZURE_PRICING_PAGE = "https://learn.microsoft.com/en-us/azure/quantum/pricing"
QUANTINUUM_PRICING = HqcPricing(
    usd_per_hqc=MappingProxyType({"quantinuum.qpu.h2-1": 135_000 / 10_000}),
    formula=Source(AZURE_PRICING_PAGE, READ, note="page dated 2025-09-17"),
    price=Source(AZURE_PRICING_PAGE, READ, confirmed=False,
                 note="the Standard plan's USD 135,000 a month for 10,000 HQC, so USD 13.50 "
                      "an HQC once the plan's HQCs are used; Quantinuum publishes no "
                      "pay-as-you-go price per HQC"),
)  # fmt: skip
IBM_PRICING = QpuTimePricing(
    usd_per_second=96 / 60,
    seconds_per_job=4.1,
    seconds_per_shot=250e-6,
    price=Source("https://www.ibm.com/quantum/pricing", READ, confirmed=False,
                 note="Pay-As-You-Go Plan, USD 96 a minute, as transcribed from that page "
                      "(github.com/api-evangelist/ibm-quantum, 2026-05-25)"),
    model=Source("https://quantum.cloud.ibm.com/docs/guides/repetition-rate-execution", READ,
                 note="each shot of each circuit takes the device's default rep_delay, "
                      "250 µs on Eagle and Heron devices (their backend configurations); a "
                      "job's fixed part is taken as the 4.1 s IBM's own usage estimate "
                      "gives a one-circuit Bell job (quantum.cloud.ibm.com/docs/guides/"
                      "estimate-job-run-time)"),
)  # fmt: skip

PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(SIMULATOR, "simulator", ".executors.simulated:SimulatedExecutor"),
    ProviderSpec("custom", "simulator", ".executors.simulated:SimulatedExecutor"),
    ProviderSpec(
        "ibm", "ibm", ".executors.ibm:IBMExecutor",
        credentials=(("QISKIT_IBM_TOKEN",),),
        env_prefixes=("QISKIT_IBM_",),
        pricing=IBM_PRICING,
    ),
    ProviderSpec(
        "braket", "braket", ".executors.braket:BraketExecutor",
        credentials=(("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                     ("BENCH_BRAKET_S3_BUCKET",)),
        env_prefixes=("AWS_", "BENCH_BRAKET_"),
        pricing=BRAKET_PRICING,
    ),
    ProviderSpec(
        "azure", "azure", ".executors.azure:AzureExecutor",
        credentials=(("AZURE_QUANTUM_CONNECTION_STRING", "AZURE_QUANTUM_RESOURCE_ID"),),
        env_prefixes=("AZURE_QUANTUM_",),
        pricing=QUANTINUUM_PRICING,
    ),
)  # fmt: skip
