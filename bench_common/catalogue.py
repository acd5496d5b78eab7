"""The workload and backend catalogues: data, one record per entry, registered once.

Importable without Qiskit (the API lists and validates from here). How a workload type is
built and analysed lives with the executors in ``bench_workers.workloads``; how a backend's
noise is modelled lives in ``bench_workers.devices``, keyed by ``BackendSpec.noise_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class WorkloadSpec:
    id: str
    type: str
    description: str
    qubits: int
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``GET /workloads`` entry."""
        return {"id": self.id, "type": self.type, "description": self.description,
                "qubits": self.qubits}  # fmt: skip


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


def _ghz(n: int) -> WorkloadSpec:
    return WorkloadSpec(f"ghz_{n}q", "GHZ_SCALING", f"GHZ state ({n} qubits)", n)


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
        {"layers": 10, "circuit_seed": 2026},
    ),
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

WORKLOADS: MappingProxyType[str, WorkloadSpec] = MappingProxyType({w.id: w for w in _WORKLOADS})
BACKENDS: MappingProxyType[str, BackendSpec] = MappingProxyType({b.id: b for b in _BACKENDS})
DEFAULT_WORKLOADS = ("ghz_5q", "ghz_10q", "bell_state")
