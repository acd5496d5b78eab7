"""The API over real HTTP, served by ``bench serve`` as ``make run`` starts it: the embedded
broker and workers execute a run end to end; every error answer and header is checked on
the wire, where the WSGI server (not the test client) handles bodies and connections."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from api_fixtures import API, A, B, Served, serve

from bench_common.catalogue import CATALOGUE
from bench_common.figures import check_counts, recompute
from bench_common.redis_server import RedisServer
from bench_common.store import SQLiteStore
from bench_common.timeutil import format_time, now

RUN_TIMEOUT = 240.0


def error_of(answer: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = answer.json()
    assert body["code"] == code and body["message"]
    assert body["request_id"] == answer.headers["X-Request-ID"]
    return body


def wait_for_report(server: Served, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        answer = server.get(f"{API}/report/{run_id}", headers=A)
        if answer.status_code == 200:
            body: dict[str, Any] = answer.json()
            return body
        progress = error_of(answer, 202, "BENCHMARK_STILL_RUNNING")["details"]
        assert progress["status"] in ("queued", "running")
        assert progress["progress"]["total"] == 2
        time.sleep(0.5)
    raise AssertionError(f"no report within {RUN_TIMEOUT} s:\n{server.output()[-4000:]}")


def test_a_run_end_to_end_over_http(platform_server: Served) -> None:
    server = platform_server
    request = {"backend_id": "simulator", "workloads": ["bell_state", "depth_stress"],
               "shots": 2000, "seed": 11}  # fmt: skip
    accepted = server.post(f"{API}/run", headers=A, json=request)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["benchmark_id"]

    envelope = wait_for_report(server, run_id)
    report = envelope["report"]
    assert envelope["storage_mode"] == "ledger"
    assert envelope["download_url"] == f"{server.url}{API}/report/{run_id}/download"
    assert [w["id"] for w in report["workloads"]] == ["bell_state", "depth_stress"]
    assert report["seed"] == 11 and report["tenant_id"] == "tenant-a"

    download = requests.get(envelope["download_url"], headers=A, timeout=30)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json"
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=bench-report-{run_id[:8]}.json"
    )
    assert download.json() == report
    verdict = server.post(f"{API}/verify", headers=A, json={"report": download.json()})
    assert verdict.status_code == 200 and verdict.json()["status"] == "valid", verdict.text

    bundle = server.get(f"/bench/jobs/{run_id}/bundle", headers=A).json()
    assert server.get(f"/bench/bundles/{bundle['bundle_id']}", headers=A).json() == bundle
    assert server.post("/bench/verify", headers=A, json={"bundle": bundle}).status_code == 200
    index = report["integrity"]["ledger"]["index"]
    proof = server.get("/bench/ledger/proof/inclusion", headers=A, params={"index": index})
    assert proof.status_code == 200
    for path in (f"{API}/report/{run_id}", f"/bench/jobs/{run_id}/bundle",
                 f"/bench/bundles/{bundle['bundle_id']}"):  # fmt: skip
        error_of(server.get(path, headers=B), 404, "BENCHMARK_NOT_FOUND")


def test_every_figure_is_recomputed_from_the_bundle_and_downloaded_counts(
    platform_server: Served,
) -> None:
    """A wide workload's counts leave the bundle (only their hash stays) and are downloaded;
    every row of the report comes back from the bundle alone, number for number."""
    server = platform_server
    request = {"backend_id": "ibm_brisbane", "workloads": ["bell_state", "ghz_50q"],
               "shots": 5000, "seed": 5}  # fmt: skip
    accepted = server.post(f"{API}/run", headers=A, json=request)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["benchmark_id"]
    report = wait_for_report(server, run_id)["report"]
    bundle = server.get(f"/bench/jobs/{run_id}/bundle", headers=A).json()
    for row in report["workloads"]:
        again = recompute(bundle, row["id"])
        assert (again.fidelity, again.fidelity_ci95, again.metrics) == (
            row["fidelity"], row["fidelity_ci95"], row["metrics"])  # fmt: skip
    [results] = [i["content"] for i in bundle["items"] if i["name"] == "execution_result/ghz_50q"]
    left_out = [c for c in results["circuits"] if c["counts"] is None]
    assert len(left_out) == len(results["circuits"]) == 17
    for circuit in left_out[:3]:
        path = f"/bench/jobs/{run_id}/counts/ghz_50q/{circuit['name']}"
        answer = server.get(path, headers=A)
        assert answer.status_code == 200, answer.text
        counts = answer.json()["counts"]
        assert answer.json()["counts_sha256"] == circuit["counts_sha256"]
        check_counts(CATALOGUE, CATALOGUE.workloads["ghz_50q"], circuit, counts)
        error_of(server.get(path, headers=B), 404, "BENCHMARK_NOT_FOUND")
    for missing in ("ghz_50q/nowhere", "ghz_5q/population"):
        error_of(server.get(f"/bench/jobs/{run_id}/counts/{missing}", headers=A), 404,
                 "BENCHMARK_NOT_FOUND")  # fmt: skip


def test_every_error_code_on_the_wire(platform_server: Served) -> None:
    server = platform_server
    error_of(server.get(f"{API}/workloads"), 401, "UNAUTHORIZED")
    error_of(server.get("/no/such/path", headers=A), 404, "NOT_FOUND")
    error_of(server.get(f"{API}/report/{uuid.uuid4()}", headers=A), 404, "BENCHMARK_NOT_FOUND")
    error_of(server.post(f"{API}/workloads", headers=A, json={}), 405, "METHOD_NOT_ALLOWED")
    malformed = server.post(
        f"{API}/run", headers={**A, "Content-Type": "application/json"}, data=b"{oops"
    )
    error_of(malformed, 400, "VALIDATION_ERROR")
    error_of(server.post(f"{API}/run", headers=A, json={"backend_id": "x"}), 400, "INVALID_BACKEND")
    invalid = server.post(f"{API}/run", headers=A,
                          json={"backend_id": "simulator", "workloads": ["nope"]})  # fmt: skip
    assert error_of(invalid, 400, "INVALID_WORKLOAD")["details"] == {"invalid": ["nope"]}
    bad_report = server.post(f"{API}/verify", headers=A, json={"report": {"id": "x"}})
    assert error_of(bad_report, 400, "VERIFICATION_FAILED")["status"] == "invalid"
    too_big = json.dumps({"backend_id": "simulator", "pad": "x" * (1024 * 1024)})
    oversized = server.post(
        f"{API}/run", headers={**A, "Content-Type": "application/json"}, data=too_big
    )
    error_of(oversized, 413, "PAYLOAD_TOO_LARGE")
    assert server.get(f"{API}/healthz").json()["status"] == "ok"


def test_documents_are_public_and_json(platform_server: Served) -> None:
    document = platform_server.get(f"{API}/openapi.json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
    docs = platform_server.get(f"{API}/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["Content-Type"]
    # The page's scripts and styles come from this server, so it works offline.
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', docs.text)
    assert assets and all(a.startswith(f"{API}/docs/assets/") for a in assets), assets
    for asset in assets:
        answer = platform_server.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset


def test_offline_device_is_503_backend_unavailable_on_the_wire(tmp_path: Path) -> None:
    """With IBM credentials configured, a device its pool found offline is refused."""
    directory = tmp_path / "live"
    data_dir = directory / "data"
    data_dir.mkdir(parents=True)
    SQLiteStore(data_dir / "bench.sqlite3").put_backend_status(
        "ibm_fez", {"status": "offline", "detail": "maintenance window"}, format_time(now())
    )
    served = serve(directory, QISKIT_IBM_TOKEN="not-a-real-token")
    server = next(served)
    try:
        backends = {b["id"]: b for b in server.get(f"{API}/backends", headers=A).json()["backends"]}
        assert (backends["ibm_fez"]["execution_mode"], backends["ibm_fez"]["status"]) == (
            "hardware", "offline",
        )  # fmt: skip
        answer = server.post(f"{API}/run", headers=A, json={"backend_id": "ibm_fez"})
        body = error_of(answer, 503, "BACKEND_UNAVAILABLE")
        assert "maintenance window" in body["message"]
    finally:
        served.close()
    assert SQLiteStore(data_dir / "bench.sqlite3").active_runs() == []


def test_broker_down_is_503_service_unavailable_on_the_wire(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as redis:
        served = serve(tmp_path / "api", BENCH_BROKER_URL=redis.url)
        server = next(served)
        try:
            redis.stop()
            answer = server.post(f"{API}/run", headers=A, json={"backend_id": "simulator"})
            error_of(answer, 503, "SERVICE_UNAVAILABLE")
            error_of(server.get(f"{API}/healthz"), 503, "SERVICE_UNAVAILABLE")
        finally:
            served.close()
    assert SQLiteStore(tmp_path / "api" / "data" / "bench.sqlite3").active_runs() == []
