"""``GET /metrics`` on the real app, a real redis-server broker and a SQLite store.

The figures move as runs are accepted (active runs, the finalize queue's depth with nobody
consuming) and as they finish in this process (runs by status, the workload histogram);
``BENCH_METRICS_TOKEN`` gates the page; the Grafana dashboard and the alert rules name only
metrics the page exposes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from api_fixtures import API, A
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from bench_api.app import create_app
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_workers.commands import InProcess
from bench_workers.runtime import WorkerRuntime

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "qcos-bench.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
CONTRACT = (
    "qcos_bench_runs_total",
    "qcos_bench_runs_active",
    "qcos_bench_queue_depth",
    "qcos_bench_workload_seconds",
    "qcos_bench_http_requests_total",
)
METRIC_NAME = re.compile(r"\bqcos_bench_\w+")
TOKEN = "metrics-token-5d1e"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient, **headers: str) -> tuple[str, Samples]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    text = answer.get_data(as_text=True)
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def exposed_names(text: str) -> set[str]:
    """Every family and sample name of a scrape."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names |= {sample.name for sample in family.samples}
    return names


def finish_runs(settings: Settings, count: int) -> None:
    """``count`` runs on the simulator, executed and finalized in this process."""
    runtime = WorkerRuntime(settings)
    service = RunService(runtime.settings, runtime.store, runtime.catalogue, InProcess(runtime))
    for seed in range(count):
        request = {"backend_id": "simulator", "workloads": ["bell_state"], "shots": 50,
                   "seed": seed}  # fmt: skip
        run = service.submit("tenant-a", request).run  # type: ignore[arg-type]
        assert runtime.store.get_run(run.id).status == "completed"  # type: ignore[union-attr]


@pytest.fixture
def finished(api_settings: Settings, app: Flask) -> Iterator[None]:
    finish_runs(api_settings, 2)
    yield


def test_the_page_carries_every_contract_metric(client: FlaskClient) -> None:
    text, samples = scrape(client)
    names = exposed_names(text)
    assert set(CONTRACT) <= names
    for queue in ("simulator", "ibm", "braket", "azure", "finalize"):
        assert ("qcos_bench_queue_depth", frozenset({("queue", queue)})) in samples
        assert value(samples, "qcos_bench_queue_consumers", queue=queue) == 0  # nobody consumes
    assert value(samples, "qcos_bench_up", component="store") == 1
    assert value(samples, "qcos_bench_up", component="broker") == 1
    assert value(samples, "qcos_bench_runs_total", status="completed") == 0


def test_accepted_runs_raise_active_runs_and_the_queue_depth(client: FlaskClient) -> None:
    _, before = scrape(client)
    for _ in range(3):
        answer = client.post(f"{API}/run", headers=A, json={"backend_id": "simulator"})
        assert answer.status_code == 202, answer.json
    _, after = scrape(client)
    assert value(after, "qcos_bench_runs_active") == value(before, "qcos_bench_runs_active") + 3
    # One dispatch message per run waits in the finalize queue: no worker consumes here.
    depth = value(after, "qcos_bench_queue_depth", queue="finalize")
    assert depth == value(before, "qcos_bench_queue_depth", queue="finalize") + 3
    posted = value(after, "qcos_bench_http_requests_total", method="POST", code="202")
    assert posted == value(before, "qcos_bench_http_requests_total", method="POST", code="202") + 3


def test_finished_runs_move_the_counts_and_the_histogram(
    api_settings: Settings, client: FlaskClient
) -> None:
    _, before = scrape(client)
    finish_runs(api_settings, 2)
    _, after = scrape(client)
    completed = value(after, "qcos_bench_runs_total", status="completed")
    assert completed == value(before, "qcos_bench_runs_total", status="completed") + 2
    assert value(after, "qcos_bench_runs_active") == value(before, "qcos_bench_runs_active")
    count = value(after, "qcos_bench_workload_seconds_count", backend_id="simulator")
    assert count == value(before, "qcos_bench_workload_seconds_count", backend_id="simulator") + 2
    assert value(after, "qcos_bench_workload_seconds_sum", backend_id="simulator") > 0
    assert value(after, "qcos_bench_workload_seconds_bucket", backend_id="simulator",
                 le="+Inf") == count  # fmt: skip
    finish_runs(api_settings, 1)
    _, later = scrape(client)  # results already read are kept; only the new one is read
    assert value(later, "qcos_bench_workload_seconds_count", backend_id="simulator") == count + 1


def test_requests_are_counted_by_method_and_code_only(client: FlaskClient) -> None:
    for path in ("/no/such/page", "/another/unknown/path", f"{API}/nothing-here"):
        assert client.get(path).status_code == 404
    assert client.open("/metrics", method="BREW").status_code in (400, 405)
    text, samples = scrape(client)
    assert value(samples, "qcos_bench_http_requests_total", method="GET", code="404") == 3
    assert value(samples, "qcos_bench_http_requests_total", method="OTHER", code="405") == 1
    requests = [line for line in text.splitlines()
                if line.startswith("qcos_bench_http_requests_total{")]  # fmt: skip
    assert requests and all("path" not in line and "unknown" not in line for line in requests)


def test_the_token_gates_the_page(api_settings: Settings) -> None:
    client = create_app(dataclasses.replace(api_settings, metrics_token=TOKEN)).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401
        assert answer.json["code"] == "UNAUTHORIZED" and answer.json["message"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    text, _ = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert set(CONTRACT) <= exposed_names(text)
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_the_page_survives_a_broker_outage(api_settings: Settings) -> None:
    down = dataclasses.replace(api_settings, broker_url="redis://127.0.0.1:1/0")
    client = create_app(down).test_client()
    _, samples = scrape(client)
    assert value(samples, "qcos_bench_up", component="broker") == 0
    assert value(samples, "qcos_bench_up", component="store") == 1
    assert not any(name == "qcos_bench_queue_depth" for name, _ in samples)


def _promql(expressions: list[str]) -> set[str]:
    return {name for expression in expressions for name in METRIC_NAME.findall(expression)}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            if isinstance(node.get("query"), str):  # templating variables
                found.append(node["query"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(dashboard)
    return found


def alert_rules() -> list[dict[str, object]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_dashboard_and_the_alerts_use_only_exposed_metrics(
    finished: None, client: FlaskClient
) -> None:
    text, _ = scrape(client)
    exposed = exposed_names(text)
    panels = dashboard_expressions()
    rules = alert_rules()
    assert len(panels) >= 5 and len(rules) >= 3
    for where, names in (("dashboard", _promql(panels)),
                         ("alerts", _promql([str(r["expr"]) for r in rules]))):  # fmt: skip
        assert names, f"the {where} names no qcos_bench metric"
        assert names <= exposed, f"the {where} uses unexposed {sorted(names - exposed)}"
    alerts = {str(rule["alert"]) for rule in rules}
    assert {"QcosBenchQueueGrowing", "QcosBenchRunFailureRate", "QcosBenchQueueNoWorker"} <= alerts
    for rule in rules:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
        assert "severity" in rule["labels"]  # type: ignore[operator]


def test_api_processes_share_the_request_count_in_multiprocess_mode(
    api_settings: Settings, tmp_path: Path
) -> None:
    """As under gunicorn: each process counts its own requests into PROMETHEUS_MULTIPROC_DIR
    and any of them answers the sum."""
    script = textwrap.dedent(
        """
        import os, sys
        from bench_api.app import create_app
        from bench_common.settings import Settings

        client = create_app(Settings.from_env()).test_client()
        for _ in range(3):
            client.get("/no/such/page")
        child = os.fork()
        if child == 0:
            other = create_app(Settings.from_env()).test_client()
            for _ in range(2):
                other.get("/no/such/page")
            os._exit(0)
        os.waitpid(child, 0)
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
        """
    )
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env = {**inherited, **api_settings.to_env(),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(result.stdout)
        for sample in family.samples
    }
    assert value(samples, "qcos_bench_http_requests_total", method="GET", code="404") == 5
    assert value(samples, "qcos_bench_up", component="store") == 1
