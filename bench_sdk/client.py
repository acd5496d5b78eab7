"""``QCOSClient``: the Python client of the qcos-bench HTTP API (only needs ``requests``).

client = QCOSClient()                     # BENCH_API_URL (server root), BENCH_API_KEY
benchmark = client.bench.run(backend="simulator", workloads=["bell_state"], shots=2000)
report = benchmark.wait(timeout=300)
print(report.workloads[0].fidelity, report.summary.average_fidelity)
client.bench.download(benchmark.id, "report.json")
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import requests

from bench_sdk.errors import (
    BenchmarkStillRunningError,
    BenchmarkTimeoutError,
    ServiceUnavailableError,
    VerificationFailedError,
    error_from,
)
from bench_sdk.models import Backend, Report, Verification, Workload

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
API_PATH = "/api/v2/bench"
EVIDENCE_PATH = "/bench"
KEY_HEADER = "X-API-Key"
BACKOFF_FACTOR = 1.5
MAX_POLL_INTERVAL = 15.0


class QCOSClient:
    """Connection settings and the ``bench`` namespace of calls."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        url = (base_url or os.environ.get("BENCH_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.base_url = url.removesuffix(API_PATH)
        """The server root; a URL ending in ``/api/v2/bench`` (as in the API docs) works too."""
        self.timeout = timeout
        self.session = session or requests.Session()
        key = api_key or os.environ.get("BENCH_API_KEY")
        if key:
            self.session.headers[KEY_HEADER] = key
        self.bench = Bench(self)

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        """Send a request; contract errors are raised as ``BenchAPIError`` subclasses."""
        response = self.session.request(
            method, self.base_url + path, timeout=self.timeout, **options
        )
        body = _json_or_none(response)
        if response.status_code >= 400 or (isinstance(body, dict) and "code" in body):
            raise error_from(response.status_code, body)
        return response

    def get(self, path: str, **options: Any) -> Any:
        return self.request("GET", path, **options).json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body).json()


def _json_or_none(response: requests.Response) -> Any:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


class Bench:
    """The benchmarking calls: ``client.bench.run(...)``, ``.report(id)``, ``.verify(...)``."""

    def __init__(self, client: QCOSClient) -> None:
        self.client = client

    def workloads(self) -> list[Workload]:
        return [
            Workload.from_json(w) for w in self.client.get(f"{API_PATH}/workloads")["workloads"]
        ]

    def backends(self) -> list[Backend]:
        return [Backend.from_json(b) for b in self.client.get(f"{API_PATH}/backends")["backends"]]

    def run(
        self,
        backend: str,
        workloads: list[str] | None = None,
        shots: int = 1024,
        seed: int | None = None,
        max_cost: float | None = None,
    ) -> Benchmark:
        """Queue a run; the server's defaults apply to what is left out. With ``max_cost``
        (USD) a hardware run estimated to cost more is refused (``ValidationError``)."""
        body: dict[str, Any] = {"backend_id": backend, "shots": shots}
        if workloads is not None:
            body["workloads"] = workloads
        if seed is not None:
            body["seed"] = seed
        if max_cost is not None:
            body["max_cost"] = max_cost
        return Benchmark(self, self.client.post(f"{API_PATH}/run", body))

    def report(self, benchmark_id: str) -> Report:
        """The signed report; ``BenchmarkStillRunningError`` until the run has finished."""
        return Report.from_json(self.client.get(f"{API_PATH}/report/{benchmark_id}")["report"])

    def download(self, benchmark_id: str, path: str | os.PathLike[str]) -> Path:
        """Write the signed report file exactly as served; return its path."""
        response = self.client.request("GET", f"{API_PATH}/report/{benchmark_id}/download")
        target = Path(path)
        target.write_bytes(response.content)
        return target

    def verify(self, report: Report | dict[str, Any]) -> Verification:
        """The server's verdict on a report; an invalid one is returned, not raised."""
        raw = report.raw if isinstance(report, Report) else report
        return _verdict(self.client, f"{API_PATH}/verify", {"report": raw})

    def verify_bundle(self, bundle: dict[str, Any]) -> Verification:
        return _verdict(self.client, f"{EVIDENCE_PATH}/verify", {"bundle": bundle})

    def bundle(self, benchmark_id: str) -> dict[str, Any]:
        """The run's signed evidence bundle."""
        bundle: dict[str, Any] = self.client.get(f"{EVIDENCE_PATH}/jobs/{benchmark_id}/bundle")
        return bundle

    def keys(self) -> dict[str, Any]:
        """The server's public keyring, the ``--keys`` file of ``bench verify``."""
        keyring: dict[str, Any] = self.client.get(f"{EVIDENCE_PATH}/keys")
        return keyring


def _verdict(client: QCOSClient, path: str, body: dict[str, Any]) -> Verification:
    try:
        return Verification.from_json(client.post(path, body))
    except VerificationFailedError as failed:
        return Verification.from_json(failed.body)


class Benchmark:
    """A queued run: its id and the server's estimate; ``wait()`` for its report."""

    def __init__(self, bench: Bench, accepted: dict[str, Any]) -> None:
        self.bench = bench
        self.id: str = accepted["benchmark_id"]
        self.estimated_time_seconds: float = accepted["estimated_time_seconds"]
        self.message: str = accepted["message"]
        self.warning: str | None = accepted.get("warning")
        self.estimated_cost: dict[str, Any] | None = accepted.get("estimated_cost")
        """``{currency, amount, basis}`` from the provider's prices; None when simulated."""
        self.raw = accepted

    def __repr__(self) -> str:
        return f"Benchmark(id={self.id!r})"

    def report(self) -> Report:
        return self.bench.report(self.id)

    def download(self, path: str | os.PathLike[str]) -> Path:
        return self.bench.download(self.id, path)

    def wait(self, timeout: float = 600.0, poll_interval: float = 1.0) -> Report:
        """Poll until the report is signed, backing off up to 15 s between polls."""
        deadline = time.monotonic() + timeout
        interval, last = poll_interval, None
        while True:
            try:
                return self.report()
            except BenchmarkStillRunningError as running:
                last = running
            except ServiceUnavailableError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchmarkTimeoutError(self.id, last)
            time.sleep(min(interval, remaining))
            interval = min(interval * BACKOFF_FACTOR, max(MAX_POLL_INTERVAL, poll_interval))
