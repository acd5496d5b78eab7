"""The Python SDK against a served API: errors as typed exceptions, waiting with backoff,
and the end-to-end path a user takes: run, wait, download, verify offline with the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from api_fixtures import BENCH, KEY_A, KEY_B, Served
from conftest import ROOT

from bench_sdk import (
    BenchmarkNotFoundError,
    BenchmarkStillRunningError,
    BenchmarkTimeoutError,
    InvalidBackendError,
    InvalidWorkloadError,
    QCOSClient,
    UnauthorizedError,
    ValidationError,
)


def test_sdk_end_to_end_with_offline_verification(platform_server: Served, tmp_path: Path) -> None:
    client = QCOSClient(platform_server.url, KEY_A)
    assert "bell_state" in [w.id for w in client.bench.workloads()]
    assert "simulator" in [b.id for b in client.bench.backends()]

    benchmark = client.bench.run(backend="simulator", workloads=["bell_state", "ghz_5q"],
                                 shots=2000, seed=5)  # fmt: skip
    assert benchmark.warning and benchmark.warning.startswith("DEV MODE")
    report = benchmark.wait(timeout=240, poll_interval=0.2)
    assert report.id == benchmark.id
    assert [w.id for w in report.workloads] == ["bell_state", "ghz_5q"]
    assert report.summary.total_workloads == 2
    assert client.bench.verify(report).valid

    path = client.bench.download(benchmark.id, tmp_path / "report.json")
    assert json.loads(path.read_text()) == report.raw
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(client.bench.keys()))
    offline = subprocess.run([BENCH, "verify", str(path), "--keys", str(keys)],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert json.loads(offline.stdout)["status"] == "valid"

    tampered = {**report.raw, "shots": 1}
    verdict = client.bench.verify(tampered)
    assert not verdict.valid and verdict["signature_valid"] is False


def test_sdk_raises_contract_errors_as_typed_exceptions(enqueue_only_server: Served) -> None:
    client = QCOSClient(enqueue_only_server.url, KEY_B)
    with pytest.raises(InvalidBackendError) as backend:
        client.bench.run(backend="nope")
    assert backend.value.code == "INVALID_BACKEND" and backend.value.status == 400
    with pytest.raises(InvalidWorkloadError) as workload:
        client.bench.run(backend="simulator", workloads=["bell_state", "qv"])
    assert workload.value.details == {"invalid": ["qv"]}
    with pytest.raises(ValidationError) as shots:
        client.bench.run(backend="simulator", shots=0)
    assert "shots" in shots.value.details
    with pytest.raises(BenchmarkNotFoundError):
        client.bench.report("00000000-0000-4000-8000-000000000000")
    with pytest.raises(UnauthorizedError):
        QCOSClient(enqueue_only_server.url, "wrong").bench.workloads()


def test_wait_backs_off_and_times_out_while_queued(
    enqueue_only_server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = QCOSClient(enqueue_only_server.url, KEY_B)
    benchmark = client.bench.run(backend="simulator", workloads=["bell_state"])
    with pytest.raises(BenchmarkStillRunningError) as running:
        benchmark.report()
    assert running.value.details == {"status": "queued", "progress": {"completed": 0, "total": 1}}

    sleeps: list[float] = []
    monkeypatch.setattr("bench_sdk.client.time.sleep", sleeps.append)
    with pytest.raises(BenchmarkTimeoutError) as timeout:
        benchmark.wait(timeout=0.5, poll_interval=0.01)
    assert timeout.value.progress == {"completed": 0, "total": 1}
    assert sleeps[:3] == pytest.approx([0.01, 0.015, 0.0225])


def test_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_API_URL", "http://example.invalid:9/")
    monkeypatch.setenv("BENCH_API_KEY", "k")
    client = QCOSClient()
    assert client.base_url == "http://example.invalid:9"
    assert client.session.headers["X-API-Key"] == "k"
    monkeypatch.delenv("BENCH_API_URL")
    assert QCOSClient().base_url == "http://127.0.0.1:8000"


def test_the_sdk_needs_only_requests() -> None:
    code = "import sys, bench_sdk; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & {"flask", "celery", "kombu", "bench_common", "bench_api", "bench_workers"}


def test_the_sdk_installs_on_its_own_and_answers_to_its_original_name(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(ROOT / "sdk")],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    installed = sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info"))
    assert [name for name in installed if name != "build"] == ["bench_sdk", "softqcos_sdk"]
    [info] = target.glob("qcos_bench_sdk-*.dist-info")
    requires = [line for line in (info / "METADATA").read_text().splitlines()
                if line.startswith("Requires-Dist:")]  # fmt: skip
    assert requires == ["Requires-Dist: requests>=2.31"]
    code = (
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        "from softqcos_sdk import QCOSClient; import bench_sdk; "
        f"assert bench_sdk.__file__.startswith({str(target)!r}); "
        "client = QCOSClient('http://example.invalid/api/v2/bench', 'k'); "
        "print(client.base_url, sorted({m.split('.')[0] for m in sys.modules} & "
        "{'bench_common', 'bench_api', 'bench_workers', 'flask', 'celery', 'qiskit'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["http://example.invalid", "[]"]
