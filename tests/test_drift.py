"""Drift alerts: a scheduled run that regresses against its backend's history raises one
alert, visible over the API and posted to the webhook; noise within the intervals does not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_device_models import DEPHASING, NOISY, write

from bench_api.app import create_app
from bench_common.catalogue import CATALOGUE
from bench_common.device_models import catalogue_for
from bench_common.drift import drift
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_workers import alerts, jobs
from bench_workers.commands import InProcess
from bench_workers.runtime import WorkerRuntime

GOOD = DEPHASING | {"t2_s": None, "two_qubit_error": 0.002}


def report(run_id: str, fidelity: float, half_width: float = 0.02) -> dict[str, Any]:
    row = {"id": "ghz_5q", "status": "completed", "fidelity": fidelity,
           "fidelity_ci95": [fidelity - half_width, fidelity + half_width]}  # fmt: skip
    return {"id": run_id, "tenant_id": "t", "backend_id": "b", "workloads": [row]}


def test_only_a_fall_beyond_the_intervals_alerts() -> None:
    history = [report(f"old{i}", f) for i, f in enumerate((0.90, 0.91, 0.89))]
    [alert] = drift(report("new", 0.80), history, "2026-12-01T00:00:00.000000Z")
    assert (alert["value"], alert["workload_id"], alert["benchmark_id"]) == (0.80, "ghz_5q", "new")
    assert alert["expected"] == pytest.approx(0.90)
    assert drift(report("new", 0.87), history, "x") == []
    assert drift(report("new", 0.5), history[:2], "x") == []


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012 - one receiver per test process

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def webhook() -> Iterator[str]:
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def nightly(runtime: WorkerRuntime, seed: int, *, scheduled: bool = True) -> str:
    service = RunService(runtime.settings, runtime.store, runtime.catalogue, InProcess(runtime))
    request: Any = {"backend_id": "mydev", "workloads": ["ghz_5q"], "shots": 2000, "seed": seed}
    if scheduled:
        request["schedule"] = "nightly-mydev"
    return service.submit("ops", request).run.id


def test_a_regressed_scheduled_run_raises_one_alert(tmp_path: Path, webhook: str) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path / "d", api_keys="k:ops",
                                 alert_webhook=webhook)  # fmt: skip
    good = catalogue_for(CATALOGUE, write(tmp_path / "good.json", {"mydev": GOOD}))
    noisy = catalogue_for(CATALOGUE, write(tmp_path / "noisy.json", {"mydev": NOISY}))
    before = WorkerRuntime(settings, good)
    for seed in range(4):
        nightly(before, seed)
    assert before.store.list_alerts("ops", None, 10) == []
    after = WorkerRuntime(settings, noisy)  # the device model swapped for a noisier one
    regressed = nightly(after, 9)
    [alert] = after.store.list_alerts("ops", None, 10)
    assert (alert["benchmark_id"], alert["backend_id"]) == (regressed, "mydev")
    assert alert["value"] < alert["expected"]
    assert Receiver.received == [alert]
    assert jobs.finalize(after, regressed) == "completed"  # finalized again: still one alert
    nightly(after, 10, scheduled=False)  # not scheduled: not watched
    assert len(after.store.list_alerts("ops", None, 10)) == 1 == after.store.count_alerts()
    client = create_app(settings, runtime=after, broker=None).test_client()
    listed = client.get("/api/v2/bench/alerts", headers={"X-API-Key": "k"}).json["alerts"]
    assert listed == [alert]
    since = client.get(
        "/api/v2/bench/alerts?since=2999-01-01T00:00:00Z", headers={"X-API-Key": "k"}
    )
    assert since.json["alerts"] == []
    scraped = text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))
    totals = [s.value for f in scraped for s in f.samples if s.name == "qcos_bench_alerts_total"]
    assert totals == [1.0]


def test_an_undelivered_alert_is_posted_later(tmp_path: Path, webhook: str) -> None:
    down = Settings.from_env({}, data_dir=tmp_path / "d", alert_webhook="http://127.0.0.1:9/no")
    good = catalogue_for(CATALOGUE, write(tmp_path / "good.json", {"mydev": GOOD}))
    noisy = catalogue_for(CATALOGUE, write(tmp_path / "noisy.json", {"mydev": NOISY}))
    for seed in range(3):
        nightly(WorkerRuntime(down, good), seed)
    nightly(WorkerRuntime(down, noisy), 7)
    runtime = WorkerRuntime(down, noisy)
    assert len(runtime.store.undelivered_alerts(10)) == 1 and Receiver.received == []
    up = WorkerRuntime(Settings.from_env({}, data_dir=tmp_path / "d", alert_webhook=webhook), noisy)
    assert alerts.deliver_pending(up) == 1
    assert len(Receiver.received) == 1 and up.store.undelivered_alerts(10) == []
