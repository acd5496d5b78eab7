"""What a newcomer meets first: the API index, the CLI's own listings and version, the
run summary, and ``bench run`` writing where ``make run``'s development key looks."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from api_fixtures import BENCH
from flask.testing import FlaskClient

from bench_common.catalogue import CATALOGUE
from bench_common.settings import DEV_TENANT
from bench_common.store import RunFilter, open_store
from bench_sdk import QCOSClient


def bench(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BENCH, *arguments], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def test_the_api_base_answers_with_an_index_of_the_endpoints(client: FlaskClient) -> None:
    answer = client.get("/api/v2/bench")  # no key: this is what `bench serve` prints
    assert answer.status_code == 200
    paths = {e["path"]: e["methods"] for e in answer.json["endpoints"]}
    assert paths["/api/v2/bench/run"] == ["POST"]
    assert paths["/api/v2/bench/runs"] == ["GET"]
    assert "/bench/keys" in paths and answer.json["openapi"] == "/api/v2/bench/openapi.json"


def test_the_sdk_takes_the_root_or_the_api_base() -> None:
    root = QCOSClient("http://example.invalid:8000/", "k").base_url
    base = QCOSClient("http://example.invalid:8000/api/v2/bench", "k").base_url
    assert root == base == "http://example.invalid:8000"


def test_version_workloads_and_backends(tmp_path: Path) -> None:
    version = bench("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip() == f"bench, version {metadata.version('qcos-bench')}"
    header, *rows = bench("workloads", cwd=tmp_path).stdout.splitlines()
    assert header.split() == ["workload", "type", "qubits", "circuits", "description"]
    assert [row.split()[0] for row in rows] == list(CATALOGUE.workloads)
    column = slice(header.index("circuits"), header.index("description"))
    circuits = {row.split()[0]: row[column].strip() for row in rows}
    assert (circuits["bell_state"], circuits["ghz_100q"], circuits["chsh"]) == ("3", "17", "4")
    assert circuits["bseq"] == "by device"
    header, *rows = bench("backends", cwd=tmp_path).stdout.splitlines()
    assert header.split()[:4] == ["backend", "provider", "qubits", "mode"]
    assert {row.split()[0]: row.split()[3] for row in rows}["ibm_brisbane"] == "simulated"


def test_bench_run_lands_in_the_dev_tenant_with_a_readable_summary(tmp_path: Path) -> None:
    done = bench("run", "--backend", "simulator", "--workloads", "bell_state", "--shots",
                 "200", "--seed", "4", "--output", "r.json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    average = report["summary"]["average_fidelity"]
    last = done.stdout.strip().splitlines()[-1]
    assert last == f"average fidelity {average:.4f} (simulated)  report r.json  seed 4", last
    assert report["tenant_id"] == DEV_TENANT
    store = open_store(f"sqlite:///{tmp_path / 'bench-data' / 'bench.sqlite3'}")
    [listed] = store.list_runs(RunFilter(DEV_TENANT, 10))
    assert listed.run.id == report["id"]
