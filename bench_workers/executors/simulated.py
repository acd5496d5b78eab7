"""Simulated execution: the device's noise model on this machine (``bench_workers.simulator``).

Simulations finish within the task, so ``submit`` runs the job and keeps its result for the
``result`` call that follows in the same task; a re-delivered task that finds only the job id
simply re-runs it, which yields identical counts because the seed is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench_common.catalogue import BackendSpec
from bench_common.documents import Calibration
from bench_common.results import WorkloadResult
from bench_workers.executors.base import BackendStatus, JobSpec, JobState


class SimulatedExecutor:
    def __init__(self, credentials: Mapping[str, str] | None = None) -> None:
        self._finished: dict[str, WorkloadResult] = {}

    def submit(self, job: JobSpec) -> str:
        job_id = f"sim:{job.idempotency_key}"
        self._finished[job_id] = self._execute(job)
        return job_id

    def poll(self, provider_job_id: str) -> JobState:
        return "done"

    def result(self, job: JobSpec, provider_job_id: str) -> WorkloadResult:
        result = self._finished.pop(provider_job_id, None) or self._execute(job)
        result.provider_job_id = provider_job_id
        return result

    def calibration(self, backend: BackendSpec) -> Calibration:
        from bench_workers.simulator import calibration  # noqa: PLC0415 - loads Qiskit

        return calibration(backend)

    def cancel(self, provider_job_id: str) -> None:
        self._finished.pop(provider_job_id, None)

    def status(self, backend: BackendSpec) -> BackendStatus:
        return BackendStatus("online", queue_depth=0)

    @staticmethod
    def _execute(job: JobSpec) -> WorkloadResult:
        from bench_workers.simulator import execute  # noqa: PLC0415 - loads Qiskit

        return execute(job)
