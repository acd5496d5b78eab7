"""The catalogue: providers, workload types, workloads and backends, one record per entry.

Importable without Qiskit (the API lists and validates from here). A ``Catalogue`` is a
value: the platform runs on ``CATALOGUE``, and tests (or a deployment's own device models)
build an extended one and hand it to the runtime, the API and the Celery app alike. How a
backend's noise is modelled lives in ``bench_workers.devices``, keyed by
``BackendSpec.noise_model``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, TypedDict, TypeVar

from bench_common.providers import PROVIDERS, ProviderSpec

if TYPE_CHECKING:
    from bench_common.device_models import CustomDevice
from bench_common.queues import FINALIZE_QUEUE
from bench_common.workload_types import WORKLOAD_TYPES, WorkloadType

ParamValue = int | float | str
T = TypeVar("T")


class WorkloadEntry(TypedDict):
    """A ``GET /workloads`` entry."""

    id: str
    type: str
    description: str
    qubits: int
    circuits: int | None
    """Circuits the workload executes, each with the request's ``shots`` (None when the
    backend's coupling map decides)."""


@dataclass(frozen=True)
class WorkloadSpec:
    id: str
    type: str
    description: str
    qubits: int
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def __hash__(self) -> int:
        """Specs key the simulator's caches; ``params`` are never mutated."""
        return hash((self.id, self.type, self.qubits, tuple(sorted(self.params.items()))))


@dataclass(frozen=True)
class BackendSpec:
    """A device a run can target. ``noise_model`` names its noise source: ``ideal``,
    ``fake:<FakeBackend class>`` (IBM calibration snapshots) or ``published:<key>`` (the
    published figures in ``bench_workers/devices.json``). ``device`` is the provider's own
    identifier (IBM backend name, Braket ARN, Azure target)."""

    id: str
    provider: str
    qubits: int
    description: str
    noise_model: str
    device: str | None = None
    retired: bool = False
    alias_of: str | None = None
    custom: CustomDevice | None = None
    """The figures of a custom device model (``BENCH_DEVICE_MODELS``)."""


def _by_name(entries: Iterable[T], key: str) -> MappingProxyType[str, T]:
    table: dict[str, T] = {}
    for entry in entries:
        name = getattr(entry, key)
        if name in table:
            raise ValueError(f"catalogue: {name!r} is listed twice")
        table[name] = entry
    return MappingProxyType(table)


@dataclass(frozen=True)
class Catalogue:
    providers: Mapping[str, ProviderSpec]
    workload_types: Mapping[str, WorkloadType]
    workloads: Mapping[str, WorkloadSpec]
    backends: Mapping[str, BackendSpec]
    default_workloads: tuple[str, ...]

    @classmethod
    def of(
        cls,
        providers: Iterable[ProviderSpec],
        workload_types: Iterable[WorkloadType],
        workloads: Iterable[WorkloadSpec],
        backends: Iterable[BackendSpec],
        default_workloads: tuple[str, ...],
    ) -> Catalogue:
        """A checked catalogue: unique names, and every reference resolves."""
        catalogue = cls(_by_name(providers, "name"), _by_name(workload_types, "name"),
                        _by_name(workloads, "id"), _by_name(backends, "id"),
                        default_workloads)  # fmt: skip
        for workload in catalogue.workloads.values():
            if workload.type not in catalogue.workload_types:
                raise ValueError(f"workload {workload.id}: unknown type {workload.type!r}")
        for backend in catalogue.backends.values():
            if backend.provider not in catalogue.providers:
                raise ValueError(f"backend {backend.id}: unknown provider {backend.provider!r}")
        unknown = set(default_workloads) - set(catalogue.workloads)
        if unknown:
            raise ValueError(f"default workloads not in the catalogue: {sorted(unknown)}")
        return catalogue

    def extended(
        self,
        *,
        providers: Iterable[ProviderSpec] = (),
        workload_types: Iterable[WorkloadType] = (),
        workloads: Iterable[WorkloadSpec] = (),
        backends: Iterable[BackendSpec] = (),
    ) -> Catalogue:
        """This catalogue plus new entries; a name already taken is refused."""
        return Catalogue.of(
            [*self.providers.values(), *providers],
            [*self.workload_types.values(), *workload_types],
            [*self.workloads.values(), *workloads],
            [*self.backends.values(), *backends],
            self.default_workloads,
        )

    def provider_of(self, backend: BackendSpec) -> ProviderSpec:
        return self.providers[backend.provider]

    def type_of(self, workload: WorkloadSpec) -> WorkloadType:
        return self.workload_types[workload.type]

    def entry(self, workload: WorkloadSpec) -> WorkloadEntry:
        """The workload's ``GET /workloads`` entry."""
        return {"id": workload.id, "type": workload.type, "description": workload.description,
                "qubits": workload.qubits,
                "circuits": self.type_of(workload).circuits(workload)}  # fmt: skip

    @property
    def queues(self) -> tuple[str, ...]:
        """Every provider's queue, then ``finalize``: the queues a Celery app declares."""
        provider_queues = dict.fromkeys(p.queue for p in self.providers.values())
        return (*provider_queues, FINALIZE_QUEUE)


def _ghz(n: int) -> WorkloadSpec:
    return WorkloadSpec(f"ghz_{n}q", "GHZ_SCALING", f"GHZ state ({n} qubits)", n)


MIRROR_CIRCUITS = 8


def _mirror(n: int, layers: int) -> WorkloadSpec:
    params = MappingProxyType({"layers": layers, "circuits": MIRROR_CIRCUITS})
    return WorkloadSpec(f"mirror_{n}q", "MIRROR", f"Randomized mirror circuits ({n} qubits)", n,
                        params)  # fmt: skip


QV_TRIALS = 100
"""Model circuits per quantum-volume workload: the protocol's minimum for a pass."""


def _quantum_volume(m: int) -> WorkloadSpec:
    return WorkloadSpec(f"qv_{m}q", "QUANTUM_VOLUME", f"Quantum volume ({m} qubits)", m,
                        MappingProxyType({"trials": QV_TRIALS}))  # fmt: skip


EPLG_LENGTHS = "2 6 15 35 70 110"
"""Layers per layer-fidelity sequence: from 2 (a single layer's inverse is simpler than a
random Clifford's, which would bend the start of the decay; two layers' already is not) to
where a typical pair of a superconducting device has decayed most of the way: fewer and
shorter than qiskit-device-benchmarking's runs on hardware (1 … 400 layers, 6 samples), at
which a simulated 100-qubit chain would take minutes."""
EPLG_SAMPLES = 3
"""Random sequences per length and layer."""


def _eplg(n: int) -> WorkloadSpec:
    params: Mapping[str, ParamValue] = MappingProxyType(
        {"lengths": EPLG_LENGTHS, "samples": EPLG_SAMPLES})  # fmt: skip
    return WorkloadSpec(f"eplg_{n}q", "LAYER_FIDELITY", f"Layer fidelity and EPLG on a chain of "
                        f"{n} qubits", n, params)  # fmt: skip


_WORKLOADS = (
    WorkloadSpec("bell_state", "BELL_STATE", "Bell state preparation (2 qubits)", 2),
    _ghz(5),
    _ghz(10),
    _ghz(50),
    _ghz(100),
    WorkloadSpec(
        "depth_stress",
        "DEPTH_STRESS",
        "Deep circuit stress test",
        10,
        MappingProxyType({"layers": 10, "circuit_seed": 2026}),
    ),
    WorkloadSpec("chsh", "CHSH", "CHSH inequality on the best-calibrated pair", 2),
    WorkloadSpec(
        "bseq",
        "BSEQ",
        "Bell-state effective qubits: CHSH on every coupler, the largest connected set that "
        "violates it (the backend's width)",
        2,
    ),
    *(_mirror(n, layers) for n, layers in ((10, 10), (50, 4), (100, 2))),
    *(_quantum_volume(m) for m in range(2, 11)),
    *(_eplg(n) for n in (10, 50, 100)),
)

_BRAKET = "arn:aws:braket:"
_BACKENDS = (
    BackendSpec("simulator", "simulator", 200, "Noiseless simulator", "ideal"),
    BackendSpec("ibm_brisbane", "ibm", 127, "IBM Eagle r3, 127 qubits", "fake:FakeBrisbane",
                "ibm_brisbane"),
    BackendSpec("ibm_sherbrooke", "ibm", 127, "IBM Eagle r3, 127 qubits",
                "fake:FakeSherbrooke", "ibm_sherbrooke"),
    BackendSpec("ibm_kyiv", "ibm", 127, "IBM Eagle r3, 127 qubits", "fake:FakeKyiv", "ibm_kyiv"),
    BackendSpec("ibm_torino", "ibm", 133, "IBM Heron r1, 133 qubits", "fake:FakeTorino",
                "ibm_torino"),
    BackendSpec("ibm_fez", "ibm", 156, "IBM Heron r2, 156 qubits", "fake:FakeFez", "ibm_fez"),
    BackendSpec("ibm_marrakesh", "ibm", 156, "IBM Heron r2, 156 qubits", "fake:FakeMarrakesh",
                "ibm_marrakesh"),
    BackendSpec("ibm_heron", "ibm", 156, "Alias of ibm_fez (IBM Heron r2)", "fake:FakeFez",
                "ibm_fez", alias_of="ibm_fez"),
    BackendSpec("ionq_aria", "braket", 25, "IonQ Aria (retired on Braket)",
                "published:ionq_aria", _BRAKET + "us-east-1::device/qpu/ionq/Aria-1",
                retired=True),
    BackendSpec("ionq_forte", "braket", 36, "IonQ Forte", "published:ionq_forte",
                _BRAKET + "us-east-1::device/qpu/ionq/Forte-1"),
    BackendSpec("rigetti_ankaa", "braket", 84, "Rigetti Ankaa-3 (retired on Braket)",
                "published:rigetti_ankaa", _BRAKET + "us-west-1::device/qpu/rigetti/Ankaa-3",
                retired=True),
    BackendSpec("iqm_garnet", "braket", 20, "IQM Garnet", "published:iqm_garnet",
                _BRAKET + "eu-north-1::device/qpu/iqm/Garnet"),
    BackendSpec("quantinuum_h2", "azure", 56, "Quantinuum H2-1", "published:quantinuum_h2",
                "quantinuum.qpu.h2-1"),
)  # fmt: skip

CATALOGUE = Catalogue.of(
    PROVIDERS, WORKLOAD_TYPES, _WORKLOADS, _BACKENDS, ("ghz_5q", "ghz_10q", "bell_state")
)
"""What the platform offers out of the box."""
