"""The platform's documents as types: the report and its parts, the bundle, the stored
provider status. These mirror the contract's JSON exactly (section 3 and 4 of the API
description in the README), so mypy checks every place that writes or reads a member.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

ExecutionMode = Literal["hardware", "simulated"]
RunStatus = Literal["queued", "running", "completed", "failed"]
WorkloadStatus = Literal["completed", "failed"]
TimingSource = Literal["provider", "wall_clock"]
DeviceStatus = Literal["online", "offline", "retired", "unknown"]

JSON = Any
"""A JSON value of no fixed shape (counts, calibration figures, OpenQASM texts)."""
MetricValue = float | int | bool | str | list[float] | list[int] | list[list[float]] | None
Metrics = dict[str, MetricValue]
Calibration = dict[str, JSON]
"""The figures a result was produced with: ``timestamp`` (RFC 3339 or None) and ``source``
always, then per qubit and per gate figures whose shape depends on the device's source."""


class UsageQuantity(TypedDict):
    unit: str
    """The provider's own unit: ``tasks``, ``shots``, ``seconds``, Azure's ``measureUnit``."""
    quantity: float


class BilledUsage(TypedDict):
    """What the provider reported charging for one workload, in its own units, and its own
    price of it when it states one; ``source`` names the fields it was read from."""

    usage: list[UsageQuantity]
    amount: float | None
    currency: str | None
    source: str


class WorkloadRow(TypedDict):
    id: str
    type: str
    qubits: int
    status: WorkloadStatus
    error: str | None
    fidelity: float | None
    fidelity_ci95: list[float] | None
    execution_time_ms: float | None
    timing_source: TimingSource
    gate_count: int | None
    depth: int | None
    transpiled_gate_count: int | None
    transpiled_depth: int | None
    two_qubit_gate_count: int | None
    metrics: Metrics
    billed_usage: NotRequired[BilledUsage]
    """Only on hardware rows whose provider reported what it billed."""


class CircuitCounts(TypedDict):
    """``GET /bench/jobs/{id}/counts/{workload}/{circuit}``."""

    benchmark_id: str
    workload_id: str
    circuit: str
    counts_sha256: str
    counts: dict[str, int]


class Summary(TypedDict):
    total_workloads: int
    completed_workloads: int
    average_fidelity: float | None
    total_execution_time_ms: float
    total_shots: int
    largest_genuine_ghz: int | None
    quantum_volume: int | None
    """2ᵐ for the widest passing quantum-volume width m whose narrower requested widths pass."""


class EvidenceRef(TypedDict):
    type: str
    name: str
    hash: str


class EvidenceSection(TypedDict):
    bundle_id: str
    alg: str
    merkle_root: str
    items: list[EvidenceRef]


class Signature(TypedDict):
    key_id: str
    algorithm: str
    payload_type: str
    value: str


class LedgerReceipt(TypedDict):
    index: int
    tree_size: int
    inclusion_proof: list[str]
    checkpoint: str


class Integrity(TypedDict):
    canonicalization: str
    content_hash: str
    evidence_hash: str
    signature: Signature
    ledger: NotRequired[LedgerReceipt]


class Environment(TypedDict):
    platform: str
    python: str
    packages: dict[str, str | None]
    backend_calibration_timestamp: NotRequired[str | None]


class Threshold(TypedDict):
    """What a workload must reach for a run to pass (``POST /run`` ``thresholds``)."""

    min_fidelity: float


Thresholds = dict[str, Threshold]
"""Per workload id of the request."""


class ValidationCheck(TypedDict):
    workload_id: str
    metric: str
    threshold: float
    value: float | None
    ci95: list[float] | None
    passed: bool


class Validation(TypedDict):
    """Pass/fail against the request's thresholds: a check passes only when the lower end
    of the figure's 95 % interval meets the threshold."""

    passed: bool
    checks: list[ValidationCheck]


class Report(TypedDict):
    id: str
    created_at: str
    backend_id: str
    tenant_id: str
    provider: str
    execution_mode: ExecutionMode
    shots: int
    seed: int
    workloads: list[WorkloadRow]
    summary: Summary
    environment: Environment
    evidence: EvidenceSection
    validation: NotRequired[Validation]
    integrity: NotRequired[Integrity]


class EvidenceItem(TypedDict):
    type: str
    name: str
    content: JSON
    hash: str


class BundleSignature(TypedDict):
    key_id: str
    algorithm: str
    signature: str


class Bundle(TypedDict):
    bundle_id: str
    job_id: str
    tenant_id: str
    created_at: str
    items: list[EvidenceItem]
    merkle_root: str
    signatures: NotRequired[list[BundleSignature]]


class Alert(TypedDict):
    """A scheduled run's figure below what its backend's recent history explains."""

    id: str
    tenant_id: str
    created_at: str
    backend_id: str
    workload_id: str
    benchmark_id: str
    metric: str
    value: float
    expected: float
    reason: str


class BackendStatusRecord(TypedDict):
    """A provider's last answer about one device, as stored for ``GET /backends``."""

    status: DeviceStatus
    queue_depth: int | None
    detail: str | None
    checked_at: NotRequired[str]
