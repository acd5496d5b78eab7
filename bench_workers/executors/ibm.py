"""IBM Quantum execution through Qiskit Runtime: the client-side ``Sampler``
(``qiskit_ibm_runtime.executor_sampler``) on an ISA-transpiled circuit.

The ``Sampler`` turns the circuit into a quantum program for the service's ``executor``
program and turns the program's result back into sampler counts on this side. Jobs that the
server-side ``SamplerV2`` (program ``sampler``) ran before are still read: their inputs are
pubs and their timing is execution spans.

The ``QiskitRuntimeService`` is built on first use, never at import or construction, because
workers fork after importing executors. Submission is idempotent: every job carries the
workload's idempotency key as a job tag, and a re-delivered submit returns the job already
tagged with it instead of paying for a second one.

Local mode (``Sampler(mode=<fake backend>)``, the SDK's own offline path) has no server to
look jobs up on, so this executor keeps local jobs by id, and by idempotency key, for the
life of the process; local jobs finish within ``submit``.

Timing is the provider's: the result's chunk timing (the executor's execution spans, first
start to last stop), else the job's ``usage.quantum_seconds``; wall clock only when the
provider reports neither (local mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import IBMBackend, QiskitRuntimeService, RuntimeJobV2
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2
from qiskit_ibm_runtime.quantum_program import QuantumProgram

from bench_common.catalogue import BackendSpec
from bench_common.documents import BilledUsage, Calibration, TimingSource
from bench_common.results import WorkloadResult
from bench_common.seeds import TRANSPILE_SEED
from bench_common.timeutil import now
from bench_workers.executors.base import (
    FINISHED_STATES,
    BackendStatus,
    JobSpec,
    JobState,
    ProviderError,
)
from bench_workers.executors.ibm_calibration import gate_uses, snapshot
from bench_workers.executors.ibm_errors import provider_errors
from bench_workers.hardware import device_circuits, hardware_result

CHANNEL = "ibm_quantum_platform"
OPTIMIZATION_LEVEL = 1
LOCAL_PREFIX = "local-"
LEGACY_PROGRAM = "sampler"
"""The server-side ``SamplerV2`` program, which jobs submitted before the executor ran."""

JOB_STATES: Mapping[str, JobState] = MappingProxyType({
    "INITIALIZING": "queued",
    "QUEUED": "queued",
    "VALIDATING": "queued",
    "RUNNING": "running",
    "DONE": "done",
    "ERROR": "failed",
    "CANCELLED": "failed",
})  # fmt: skip
"""Runtime job statuses (strings from the service, ``JobStatus`` names locally) → ours."""

Device: TypeAlias = IBMBackend | FakeBackendV2
"""A service backend, or a fake one (which ``Sampler`` runs in local mode)."""
BackendLookup = Callable[[str], Device]


@dataclass
class _LocalJob:
    job: Any
    """A local-mode job (``LocalRuntimeJob`` of ``qiskit_ibm_runtime.fake_provider``)."""
    executed: list[QuantumCircuit]
    wall_seconds: float


def _status_name(status: object) -> str:
    """``JobStatus.DONE`` and ``"DONE"`` alike become ``"DONE"``."""
    return str(getattr(status, "name", status)).upper()


def _span_seconds(metadata: Mapping[str, Any]) -> float | None:
    """First start to last stop of the result's execution chunks (``metadata["executor"]``
    of the client-side ``Sampler``; ``execution_spans`` of a legacy ``sampler`` job), or None
    when the result has none (local mode)."""
    chunks = getattr(metadata.get("executor"), "chunk_timing", None)
    if chunks:
        stop = max(chunk.stop for chunk in chunks)
        return float((stop - min(chunk.start for chunk in chunks)).total_seconds())
    spans = metadata.get("execution", {}).get("execution_spans")
    if spans is not None and len(spans):
        return float(spans.duration)
    return None


def billed_seconds(usage: Mapping[str, Any]) -> BilledUsage | None:
    """A job's billed QPU time from its metrics' ``usage``: ``qpu_charge_time_seconds`` once
    final (``status`` no longer ``pending``), else the ``quantum_seconds`` that answers
    without a charge time state; None while neither is known."""
    if "qpu_charge_time_seconds" in usage:
        if usage.get("status", "pending") == "pending":
            return None
        field, seconds = "qpu_charge_time_seconds", usage["qpu_charge_time_seconds"]
    else:
        field, seconds = "quantum_seconds", usage.get("quantum_seconds")
    if seconds is None:
        return None
    return {"usage": [{"unit": "seconds", "quantity": float(seconds)}], "amount": None,
            "currency": None, "source": f"IBM Quantum job metrics: usage.{field}"}  # fmt: skip


class IBMExecutor:
    """An ``Executor`` for the ``ibm`` provider; ``backends`` replaces ``service.backend``
    (a fake backend from ``qiskit_ibm_runtime.fake_provider`` selects local mode)."""

    def __init__(
        self, credentials: Mapping[str, str], backends: BackendLookup | None = None
    ) -> None:
        self._credentials = dict(credentials)
        self._lookup = backends
        self._service: QiskitRuntimeService | None = None
        self._local: dict[str, _LocalJob] = {}
        self._local_by_key: dict[str, str] = {}

    @property
    def service(self) -> QiskitRuntimeService:
        if self._service is None:
            with provider_errors():
                self._service = QiskitRuntimeService(
                    channel=CHANNEL,
                    token=self._credentials.get("QISKIT_IBM_TOKEN"),
                    instance=self._credentials.get("QISKIT_IBM_INSTANCE") or None,
                )
        return self._service

    def backend(self, spec: BackendSpec) -> Device:
        """The IBM backend a catalogue entry names (aliases resolve to their device)."""
        device = spec.device or spec.id
        with provider_errors(f"IBM backend {device}"):
            if self._lookup is not None:
                return self._lookup(device)
            backend: IBMBackend = self.service.backend(device)
            return backend

    def submit(self, job: JobSpec) -> str:
        key = job.idempotency_key
        if key in self._local_by_key:
            return self._local_by_key[key]
        backend = self.backend(job.backend)
        local = not isinstance(backend, IBMBackend)
        if not local:
            with provider_errors():
                existing = self.service.jobs(job_tags=[key], limit=1)
            if existing:
                return str(existing[0].job_id())
        sampler = Sampler(mode=backend)
        if not local:
            sampler.options.environment.job_tags = [key]
        isa = self._isa(job, backend)
        started = time.perf_counter()
        with provider_errors():
            running = sampler.run(isa, shots=job.shots)
            if not local:
                return str(running.job_id())
            running.result()
        job_id = f"{LOCAL_PREFIX}{running.job_id()}"
        self._local[job_id] = _LocalJob(running, isa, time.perf_counter() - started)
        self._local_by_key[key] = job_id
        return job_id

    def poll(self, provider_job_id: str) -> JobState:
        running = self._job(provider_job_id)
        with provider_errors():
            name = _status_name(running.status())
        if name not in JOB_STATES:
            raise ProviderError(f"IBM job {provider_job_id} has unknown status {name}")
        return JOB_STATES[name]

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        running = self._job(provider_job_id)
        with provider_errors():
            outcome = running.result()
        backend = self.backend(job.backend)
        executed = self._sent(provider_job_id, running)
        milliseconds, source = self._timing(provider_job_id, running, outcome)
        with provider_errors():
            used = snapshot(backend, set().union(*map(gate_uses, executed)))
            local = provider_job_id in self._local
            billed = None if local else billed_seconds(running.metrics().get("usage", {}))
        row = hardware_result(
            job,
            [outcome[index].join_data().get_counts() for index in range(len(executed))],
            executed,
            execution_time_ms=milliseconds,
            timing_source=source,
            provider_job_id=provider_job_id,
            calibration=used,
        )
        row.billed_usage = billed
        return row

    def calibration(self, backend: BackendSpec) -> Calibration:
        with provider_errors():
            return snapshot(self.backend(backend))

    def cancel(self, provider_job_id: str) -> None:
        if self._local.pop(provider_job_id, None) is not None:
            return
        if self.poll(provider_job_id) not in FINISHED_STATES:
            with provider_errors():
                self._job(provider_job_id).cancel()

    def status(self, backend: BackendSpec) -> BackendStatus:
        device = self.backend(backend)
        with provider_errors():
            reported = device.status()
        return BackendStatus(
            "online" if reported.operational else "offline",
            queue_depth=int(reported.pending_jobs),
            detail=reported.status_msg or None,
        )

    def _job(self, provider_job_id: str) -> Any:
        """The local job, or the service's ``RuntimeJobV2``."""
        if provider_job_id in self._local:
            return self._local[provider_job_id].job
        if provider_job_id.startswith(LOCAL_PREFIX):
            raise ProviderError(
                f"Local IBM job {provider_job_id} is not known to this process", retryable=False
            )
        with provider_errors():
            found: RuntimeJobV2 = self.service.job(provider_job_id)
        return found

    def _sent(self, provider_job_id: str, running: Any) -> list[QuantumCircuit]:
        """The ISA circuits the job ran, as the service recorded it in the job's inputs (the
        SDK decodes an executor job's into its quantum program; a legacy job's are pubs). A
        re-transpile could differ: level-1 layout follows calibration, which changes while a
        job waits in the queue."""
        if provider_job_id in self._local:
            return self._local[provider_job_id].executed
        with provider_errors():
            inputs = running.inputs
            legacy = running.primitive_id == LEGACY_PROGRAM
        if legacy:
            return [pub[0] for pub in inputs["pubs"]]
        program = inputs.get("quantum_program")
        if not isinstance(program, QuantumProgram):  # the SDK warned why it could not decode
            raise ProviderError(
                f"IBM job {provider_job_id} has inputs of an unknown schema "
                f"{inputs.get('schema_version')}",
                retryable=False,
            )
        return [item.circuit for item in program.items]

    @staticmethod
    def _isa(job: JobSpec, backend: Device) -> list[QuantumCircuit]:
        """The ISA circuits for the backend (one transpilation per preparation)."""
        manager = generate_preset_pass_manager(
            optimization_level=OPTIMIZATION_LEVEL, backend=backend, seed_transpiler=TRANSPILE_SEED
        )
        return device_circuits(job, manager, backend.target)

    def _timing(
        self, provider_job_id: str, running: Any, outcome: Any
    ) -> tuple[float, TimingSource]:
        """Milliseconds the device spent on the job, and who measured them."""
        seconds = _span_seconds(outcome.metadata)
        if seconds is not None:
            return seconds * 1000.0, "provider"
        if provider_job_id in self._local:
            return self._local[provider_job_id].wall_seconds * 1000.0, "wall_clock"
        with provider_errors():
            usage = running.metrics().get("usage", {})
        seconds = usage.get("quantum_seconds")
        if seconds is not None:
            return float(seconds) * 1000.0, "provider"
        waited = now() - running.creation_date
        return waited.total_seconds() * 1000.0, "wall_clock"
