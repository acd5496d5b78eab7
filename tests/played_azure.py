"""A played Azure Quantum workspace and its linked blob storage, for the real SDK over
``responses``: one callback routes every request by host, method and path, over in-memory
jobs and blobs.

The service hands out SAS URLs on the played storage host, as the real one does for the
workspace's linked storage account, so uploads and downloads go through azure-storage-blob.
Tests drive each job's progress (``advance``, ``succeed``, ``fail_job``) and inject faults
(``break_next``) per route, optionally after letting some matching requests through (a
workload's jobs are created one after the other, so a submit can die part-way).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
RESOURCE_GROUP = "bench-rg"
WORKSPACE = "bench-ws"
LOCATION = "westus"
API_KEY = "played-api-key"
QUANTUM_HOST = f"{LOCATION}.quantum.azure.com"
STORAGE_HOST = "benchstore.blob.core.windows.net"
CONNECTION_STRING = (
    f"SubscriptionId={SUBSCRIPTION};ResourceGroupName={RESOURCE_GROUP};"
    f"WorkspaceName={WORKSPACE};ApiKey={API_KEY};QuantumEndpoint=https://{QUANTUM_HOST}/;"
)
SAS = "sv=2025-01-05&se=2099-01-01T00%3A00%3A00Z&sr=c&sp=racw&sig=played"
WORKSPACE_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
    f"/providers/Microsoft.Quantum/workspaces/{WORKSPACE}"
)
Reply = tuple[int, dict[str, str], str | bytes]


@dataclass
class Fault:
    """What matching requests get instead of an answer, once ``passing`` more of them have
    been answered: an HTTP status with the service's error body, or a dropped connection
    (``status`` None)."""

    status: int | None
    message: str
    remaining: int
    passing: int = 0


@dataclass
class PlayedAzure:
    targets: list[dict[str, Any]] = field(default_factory=lambda: [{
        "id": "quantinuum.qpu.h2-1", "currentAvailability": "Available",
        "averageQueueTime": 5400, "statusPage": "https://www.quantinuum.com/hardware",
    }])  # fmt: skip
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    faults: dict[tuple[str, str], Fault] = field(default_factory=dict)

    # ---- driving the played service from a test

    def break_next(
        self, method: str, route: str, status: int | None, message: str, times: int = 1_000,
        *, after: int = 0,
    ) -> None:  # fmt: skip
        """Fail the ``times`` matching requests that follow the next ``after`` ones."""
        self.faults[(method, route)] = Fault(status, message, times, after)

    def advance(self, job_id: str, status: str) -> None:
        self.jobs[job_id]["status"] = status
        if status == "Executing":
            self.jobs[job_id]["beginExecutionTime"] = "2026-11-25T10:00:00.000Z"

    def succeed(
        self, job_id: str, per_shot: dict[str, list[str]], cost: dict[str, Any],
        seconds: float = 12.345,
    ) -> None:  # fmt: skip
        """Finish the job after ``seconds`` of execution: its output blob holds Quantinuum's
        per-register shot list."""
        job = self.jobs[job_id]
        begin = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
        container = f"job-{job_id}"
        self.blobs[f"{container}/rawOutputData"] = (
            json.dumps(per_shot).encode(),
            "application/json",
        )
        job.update(
            status="Succeeded",
            beginExecutionTime=_rfc3339(begin),
            endExecutionTime=_rfc3339(begin + timedelta(seconds=seconds)),
            costEstimate=cost,
            outputDataUri=f"https://{STORAGE_HOST}/{container}/rawOutputData",
        )

    def fail_job(self, job_id: str, code: str, message: str) -> None:
        self.jobs[job_id].update(status="Failed", errorData={"code": code, "message": message})

    def input_of(self, job_id: str) -> tuple[bytes, str]:
        """The job's input blob as uploaded: its bytes and content type."""
        return self.blobs[self.jobs[job_id]["inputDataUri"].split(".net/", 1)[1]]

    def count(self, method: str, route: str) -> int:
        return self.calls[(method, route)]

    # ---- the one dispatching callback

    def __call__(self, request: requests.PreparedRequest) -> Reply:
        url = urlsplit(str(request.url))
        method = str(request.method)
        if url.hostname == STORAGE_HOST:
            return self._storage(method, url.path, request)
        if url.hostname != QUANTUM_HOST or not url.path.startswith(WORKSPACE_PATH):
            return 404, {}, json.dumps({"error": {"code": "NotFound", "message": url.path}})
        if request.headers.get("x-ms-quantum-api-key") != API_KEY:
            return self._error(401, "Unauthorized", "Missing or invalid API key")
        path = url.path[len(WORKSPACE_PATH) :]
        route = re.sub(r"^/jobs/[^/:]+", "/jobs/{id}", path)
        self.calls[(method, route)] += 1
        fault = self.faults.get((method, route))
        if fault is not None and fault.passing > 0:
            fault.passing -= 1
        elif fault is not None and fault.remaining > 0:
            fault.remaining -= 1
            if fault.status is None:
                raise requests.ConnectionError(fault.message)
            return self._error(fault.status, "ServiceError", fault.message)
        body: dict[str, Any] = json.loads(_bytes(request.body)) if request.body else {}
        job_id = path.split("/")[2].split(":")[0] if path.startswith("/jobs/") else ""
        match method, route:
            case "GET", "/providerStatus":
                return self._json({"value": [{
                    "id": "quantinuum", "currentAvailability": "Available",
                    "targets": self.targets}], "nextLink": None})  # fmt: skip
            case "POST", "/storage/sasUri":
                where = "/".join(filter(None, (body["containerName"], body.get("blobName"))))
                return self._json({"sasUri": f"https://{STORAGE_HOST}/{where}?{SAS}"})
            case "PUT", "/jobs/{id}":
                return self._create(job_id, body)
            case "GET", "/jobs/{id}":
                if job_id not in self.jobs:
                    return self._error(404, "JobNotFound", f"Job {job_id} not found")
                return self._json(self.jobs[job_id])
            case "POST", "/jobs/{id}:cancel":
                self.jobs[job_id]["status"] = "Cancelled"
                return 204, {}, ""
        return self._error(404, "NotFound", f"{method} {path}")

    def _create(self, job_id: str, body: dict[str, Any]) -> Reply:
        if job_id in self.jobs:
            return self._error(409, "JobAlreadyExists", f"Job {job_id} already exists")
        container = f"job-{job_id}"
        input_blob = urlsplit(body["inputDataUri"]).path.lstrip("/")
        if input_blob not in self.blobs:
            return self._error(400, "InvalidInputData", "inputDataUri does not exist")
        self.jobs[job_id] = body | {
            "id": job_id, "itemType": "Job", "status": "Waiting",
            "creationTime": "2026-11-25T09:00:00.000Z",
            "outputDataUri": f"https://{STORAGE_HOST}/{container}/rawOutputData",
        }  # fmt: skip
        return self._json(self.jobs[job_id], 201)

    def _storage(self, method: str, path: str, request: requests.PreparedRequest) -> Reply:
        name = path.lstrip("/")
        self.calls[(method, "blob")] += 1
        if method == "PUT":
            if request.headers.get("If-None-Match") == "*" and name in self.blobs:
                return 409, {"x-ms-error-code": "BlobAlreadyExists"}, ""
            content_type = str(request.headers.get("x-ms-blob-content-type", ""))
            self.blobs[name] = (_bytes(request.body), content_type)
            return 201, {"ETag": '"0x1"', "Last-Modified": _http_now()}, ""
        if name not in self.blobs:
            return 404, {"x-ms-error-code": "BlobNotFound"}, ""
        data, content_type = self.blobs[name]
        headers = {
            "Content-Length": str(len(data)), "Content-Type": content_type,
            "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}", "ETag": '"0x1"',
            "Last-Modified": _http_now(), "x-ms-blob-type": "BlockBlob",
        }  # fmt: skip
        return (206 if method == "GET" else 200), headers, data if method == "GET" else b""

    @staticmethod
    def _json(data: Any, status: int = 200) -> Reply:
        return status, {"Content-Type": "application/json"}, json.dumps(data)

    @staticmethod
    def _error(status: int, code: str, message: str) -> Reply:
        body = {"error": {"code": code, "message": message}}
        return status, {"Content-Type": "application/json"}, json.dumps(body)


def _bytes(body: object) -> bytes:
    """A request body as bytes: the SDKs send JSON as text and blobs as bytes."""
    return body if isinstance(body, bytes) else str(body).encode()


def _rfc3339(moment: datetime) -> str:
    """A service timestamp: UTC, milliseconds, ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _http_now() -> str:
    return format_datetime(datetime.now(UTC), usegmt=True)


@contextmanager
def played_azure() -> Iterator[PlayedAzure]:
    """Every request the SDK makes goes to one in-memory service; nothing leaves the process."""
    service = PlayedAzure()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"):
            mock.add_callback(method, re.compile(r"https://.*"), callback=service)
        yield service
