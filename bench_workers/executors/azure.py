"""Azure Quantum: each circuit of a workload is one job in the workspace, keyed by a job id
we choose.

Azure Quantum lets the client pick the job id, so the id derives from the workload's
idempotency key: a re-delivered submit looks that id up first and never creates a second job.
The circuit goes to the target as OpenQASM 2 through the SDK's ``Target.submit`` (the Qiskit
backend's ``run`` keeps no caller-chosen id); the Qiskit backend supplies the gate set to
transpile for and turns the output blob back into Qiskit counts, and the input blob, read
back, is the executed circuit of the evidence.

Nothing here touches the network until a method is called: the workspace, provider and
backends are built on first use, so constructing the executor (and importing this module)
costs nothing and needs no connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from qiskit import QuantumCircuit, qasm2
from qiskit.transpiler import generate_preset_pass_manager

from bench_common.catalogue import BackendSpec
from bench_common.documents import BilledUsage, Calibration
from bench_common.results import WorkloadResult
from bench_common.seeds import TRANSPILE_SEED
from bench_common.timeutil import format_time, now
from bench_workers.executors.base import (
    FINISHED_STATES,
    BackendStatus,
    JobSpec,
    JobState,
    ProviderError,
    combined_state,
    join_job_ids,
    split_job_ids,
)
from bench_workers.hardware import device_circuits, hardware_result

JOB_NAMESPACE = uuid.UUID("6f0b7c52-3a51-5d0e-9a57-2c1f3e4b8d90")
"""Namespace of the uuid5 job ids: fixed, so the same workload always maps to the same job."""

JOB_STATES: Mapping[str, JobState] = MappingProxyType({
    "Queued": "queued",
    "Waiting": "queued",
    "Executing": "running",
    "Finishing": "running",
    "CancellationRequested": "running",
    "Cancelling": "running",
    "Succeeded": "done",
    "Completed": "done",
    "Failed": "failed",
    "Cancelled": "failed",
})  # fmt: skip
"""Azure Quantum job status → executor state. A status missing here counts as running, so the
run's deadline, not a guess, ends a job in a state the service has newly introduced."""

AVAILABILITY: Mapping[str, Literal["online", "offline"]] = MappingProxyType({
    "Available": "online",
    "Degraded": "online",
    "Unavailable": "offline",
})  # fmt: skip
"""Target availability → ``BackendStatus.status``; a degraded target still takes jobs."""

INPUT_FORMATS: Mapping[str, tuple[str, Callable[[QuantumCircuit], str]]] = MappingProxyType({
    "quantinuum": ("honeywell.openqasm.v1", qasm2.dumps),
})  # fmt: skip
"""Provider id → (input data format, circuit encoder): the Qiskit backend for that format
gives the gate set, and its encoder the payload ``Target.submit`` uploads."""

TRANSPILE_LEVEL = 1
RETRYABLE_STATUS = frozenset({408, 429})
"""Client-side statuses that are worth retrying (timeout, throttling), besides every 5xx."""


def job_id_for(job: JobSpec, circuit: int = 0) -> str:
    """The Azure job id of one circuit of a workload: the same on every delivery."""
    return str(uuid.uuid5(JOB_NAMESPACE, job.circuit_key(circuit)))


def service_message(exc: HttpResponseError) -> str:
    """The service's own error text (its ``error.message``), with the HTTP status."""
    error = exc.error
    text = f"{error.code}: {error.message}" if error is not None else exc.message
    return f"Azure Quantum HTTP {exc.status_code}: {text}"


@contextmanager
def provider_errors() -> Iterator[None]:
    """SDK failures as ``ProviderError``: transport trouble and 5xx retry, other 4xx do not."""
    try:
        yield
    except HttpResponseError as exc:
        status = exc.status_code or 0
        retryable = status >= 500 or status in RETRYABLE_STATUS
        raise ProviderError(service_message(exc), retryable=retryable) from exc
    except (ServiceRequestError, ServiceResponseError, TimeoutError) as exc:
        raise ProviderError(f"Azure Quantum unreachable: {exc}", retryable=True) from exc


def plain(value: object) -> str:
    """An SDK enum member (``JobStatus.SUCCEEDED``) or string as the service spells it."""
    return str(getattr(value, "value", value))


def rfc3339(moment: datetime | None) -> str | None:
    return format_time(moment) if moment is not None else None


def execution_ms(details: Any) -> float | None:
    """The provider's execution window (begin → end execution time), if it reported both."""
    begin, end = details.begin_execution_time, details.end_execution_time
    if begin is None or end is None:
        return None
    return float((end - begin).total_seconds() * 1000.0)


def billed_usage(estimates: list[dict[str, Any] | None]) -> BilledUsage | None:
    """The jobs' cost estimates (``costEstimate``, the service's record of what it bills)
    added up: the amount billed in each unit (HQC for Quantinuum) and the estimated total
    when every estimate is in one currency; None when no job carries one."""
    stated = [estimate for estimate in estimates if estimate is not None]
    if not stated:
        return None
    billed: dict[str, float] = {}
    for estimate in stated:
        for event in estimate.get("events") or []:
            unit = str(event["measureUnit"])
            billed[unit] = billed.get(unit, 0.0) + float(event["amountBilled"])
    currencies = {estimate["currencyCode"] for estimate in stated}
    single = len(currencies) == 1
    return {
        "usage": [{"unit": unit, "quantity": quantity} for unit, quantity in billed.items()],
        "amount": sum(float(e["estimatedTotal"]) for e in stated) if single else None,
        "currency": currencies.pop() if single else None,
        "source": "Azure Quantum jobs' costEstimate: events[].amountBilled by measureUnit, "
                  "estimatedTotal",
    }  # fmt: skip


def failure_text(details: Any) -> str:
    error = details.error_data
    if error is None:
        return f"Azure Quantum job {details.id} ended {plain(details.status)}"
    return f"Azure Quantum job {details.id} {plain(details.status)}: {error.code}: {error.message}"


class AzureExecutor:
    """Runs workloads on Azure Quantum targets (``BackendSpec.device`` is the target id)."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._credentials = dict(credentials)
        self._backends: dict[str, Any] = {}

    @cached_property
    def workspace(self) -> Any:
        """The workspace from a connection string (its key, no ARM call), else from a resource
        id and location with the standard Azure identity chain (environment, managed
        identity, CLI), which reads the workspace's endpoint from ARM once."""
        from azure.quantum import Workspace  # noqa: PLC0415 - the SDK loads on first use

        connection_string = self._credentials.get("AZURE_QUANTUM_CONNECTION_STRING")
        if connection_string:
            return Workspace.from_connection_string(connection_string)
        resource_id = self._credentials.get("AZURE_QUANTUM_RESOURCE_ID")
        location = self._credentials.get("AZURE_QUANTUM_LOCATION")
        if resource_id and location:
            from azure.identity import DefaultAzureCredential  # noqa: PLC0415

            return Workspace(
                resource_id=resource_id, location=location, credential=DefaultAzureCredential()
            )
        raise ProviderError(
            "Azure Quantum needs AZURE_QUANTUM_CONNECTION_STRING, or AZURE_QUANTUM_RESOURCE_ID "
            "with AZURE_QUANTUM_LOCATION",
            retryable=False,
        )

    @cached_property
    def provider(self) -> Any:
        from azure.quantum.qiskit import AzureQuantumProvider  # noqa: PLC0415

        return AzureQuantumProvider(self.workspace)

    def submit(self, job: JobSpec) -> str:
        """One job per circuit (Azure targets take one circuit per job)."""
        ids = []
        with provider_errors():
            backend = job.backend
            target = self._target(backend)
            if target is None:
                raise ProviderError(f"{backend.device} is not a target of this Azure Quantum "
                                    "workspace", retryable=False)  # fmt: skip
            _, encode = self._format(backend)
            for index, executed in enumerate(self._executed(job)):
                job_id = job_id_for(job, index)
                ids.append(job_id)
                if self._existing(job_id) is not None:
                    continue
                target.submit(
                    encode(executed),
                    name=f"{job.workload_id} ({job.run_id})",
                    shots=job.shots,
                    job_id=job_id,
                    # A fresh blob per attempt: an earlier attempt may have uploaded its input
                    # and then failed to create the job, and input blobs are never overwritten.
                    blob_name=f"inputData-{uuid.uuid4().hex}",
                    metadata={"run_id": job.run_id, "workload_id": job.workload_id},
                )
        return join_job_ids(ids)

    def poll(self, provider_job_id: str) -> JobState:
        with provider_errors():
            return combined_state([
                JOB_STATES.get(plain(self.workspace.get_job(job_id).details.status), "running")
                for job_id in split_job_ids(provider_job_id)
            ])  # fmt: skip

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        from azure.quantum.qiskit.job import AzureQuantumJob  # noqa: PLC0415

        counts, executed, milliseconds = [], [], []
        with provider_errors():
            evidence = self.calibration(job.backend)
            backend = self._backend(job.backend)
            ids = split_job_ids(provider_job_id)
            azure_jobs = [self.workspace.get_job(job_id) for job_id in ids]
            # Every job is in the evidence, a failed workload's too (its other jobs are billed).
            evidence["jobs"] = [{
                "job_id": job_id,
                "job_status": plain(azure_job.details.status),
                "begin_execution_time": rfc3339(azure_job.details.begin_execution_time),
                "end_execution_time": rfc3339(azure_job.details.end_execution_time),
                "cost_estimate": (azure_job.details.cost_estimate.as_dict()
                                  if azure_job.details.cost_estimate is not None else None),
            } for job_id, azure_job in zip(ids, azure_jobs, strict=True)]  # fmt: skip
            billed = billed_usage([entry["cost_estimate"] for entry in evidence["jobs"]])
            for azure_job in azure_jobs:
                if JOB_STATES.get(plain(azure_job.details.status)) != "done":
                    failed = self._failed(job, provider_job_id, failure_text(azure_job.details),
                                          evidence)  # fmt: skip
                    failed.billed_usage = billed
                    return failed
            for azure_job in azure_jobs:
                details = azure_job.details
                found = AzureQuantumJob(backend, azure_job).result().get_counts()
                counts.append({bits: int(count) for bits, count in found.items()})
                # The evidence is the circuit the target received, read back from its blob.
                executed.append(
                    qasm2.loads(azure_job.download_data(details.input_data_uri).decode())
                )
                milliseconds.append(execution_ms(details))
        provider = all(ms is not None for ms in milliseconds)
        row = hardware_result(
            job,
            counts,
            executed,
            execution_time_ms=sum(ms or 0.0 for ms in milliseconds) if provider else None,
            timing_source="provider" if provider else "wall_clock",
            provider_job_id=provider_job_id,
            calibration=evidence,
        )
        row.billed_usage = billed
        return row

    def calibration(self, backend: BackendSpec) -> Calibration:
        """What Azure publishes about the target (no gate-level calibration): availability
        and average queue time, stamped with the time they were read."""
        with provider_errors():
            target = self._target(backend)
        return {
            "source": "azure-quantum providerStatus",
            "target": backend.device,
            "provider": target.provider_id if target is not None else None,
            "availability": plain(target.current_availability) if target is not None else None,
            "average_queue_time_s": target.average_queue_time if target is not None else None,
            "timestamp": format_time(now()),
        }

    def cancel(self, provider_job_id: str) -> None:
        """Cancel a job still in the queue or running; a finished one is left as it is (the
        service refuses to cancel it)."""
        with provider_errors():
            for job_id in split_job_ids(provider_job_id):
                azure_job = self.workspace.get_job(job_id)
                if JOB_STATES.get(plain(azure_job.details.status)) not in FINISHED_STATES:
                    self.workspace.cancel_job(azure_job)

    def status(self, backend: BackendSpec) -> BackendStatus:
        with provider_errors():
            target = self._target(backend)
        if target is None:
            return BackendStatus(
                "offline", detail=f"{backend.device} is not a target of this workspace"
            )
        availability = plain(target.current_availability)
        return BackendStatus(
            AVAILABILITY.get(availability, "offline"),
            detail=f"{availability}; average queue time {target.average_queue_time} s",
        )

    def _existing(self, job_id: str) -> Any:
        try:
            return self.workspace.get_job(job_id)
        except ResourceNotFoundError:
            return None

    def _target(self, backend: BackendSpec) -> Any:
        """The workspace's SDK target for the device, or None if the workspace lacks it."""
        from azure.quantum.target import Target  # noqa: PLC0415

        found = self.workspace.get_targets(name=backend.device)
        return found if isinstance(found, Target) else None

    def _format(self, backend: BackendSpec) -> tuple[str, Callable[[QuantumCircuit], str]]:
        provider_id = str(backend.device).split(".", 1)[0]
        if provider_id not in INPUT_FORMATS:
            raise ProviderError(f"No circuit encoding for Azure provider {provider_id!r}",
                                retryable=False)  # fmt: skip
        return INPUT_FORMATS[provider_id]

    def _backend(self, backend: BackendSpec) -> Any:
        """The Qiskit backend for the device in the format we submit (cached per target)."""
        if backend.id not in self._backends:
            input_format, _ = self._format(backend)
            self._backends[backend.id] = self.provider.get_backend(
                backend.device, input_data_format=input_format
            )
        return self._backends[backend.id]

    def _executed(self, job: JobSpec) -> list[QuantumCircuit]:
        """The workload's circuits transpiled to the target's gate set."""
        backend = self._backend(job.backend)
        manager = generate_preset_pass_manager(TRANSPILE_LEVEL, backend=backend,
                                               seed_transpiler=TRANSPILE_SEED)  # fmt: skip
        return device_circuits(job, manager, backend.target)

    @staticmethod
    def _failed(
        job: JobSpec, provider_job_id: str, error: str, evidence: Calibration
    ) -> WorkloadResult:
        result = job.failure(error)
        result.provider_job_id = provider_job_id
        result.calibration = evidence
        return result
