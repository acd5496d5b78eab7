"""The README's example scripts, unchanged, configured by ``BENCH_API_URL`` and
``BENCH_API_KEY`` as the SDK is, against ``bench serve`` on the embedded default; and a
restarted server keeps its reports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from api_fixtures import API, KEY_A, A, Served, serve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, server: Served, workdir: Path) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    # The server root for one example, the API base for another: both forms are accepted.
    url = server.url if name.startswith("p") else server.url + API
    env = {**os.environ, "BENCH_API_URL": url, "BENCH_API_KEY": KEY_A}
    return subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip


def test_preproduction_validation(platform_server: Served, tmp_path: Path) -> None:
    done = run_example("preproduction_validation.py", platform_server, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DEV MODE: Using SimulatorExecutor. Results are simulated." in done.stdout
    assert len(re.findall(r"fidelity 0\.\d+ \(>= [\d.]+\) PASS", done.stdout)) == 3
    assert "ibm_brisbane: ready for production" in done.stdout


def test_provider_comparison(platform_server: Served, tmp_path: Path) -> None:
    done = run_example("provider_comparison.py", platform_server, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    assert sorted(row[0] for row in rows) == sorted(
        ["ibm_brisbane", "ibm_heron", "ionq_aria", "rigetti_ankaa", "quantinuum_h2"]
    )
    averages = [float(row[-1]) for row in rows]
    assert averages == sorted(averages, reverse=True)
    assert all(0.0 < average <= 1.0 for average in averages)


def test_compliance_evidence_and_offline_verification(
    platform_server: Served, tmp_path: Path
) -> None:
    done = run_example("compliance_evidence.py", platform_server, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [report_file] = tmp_path.glob("bench-report-*.json")
    offline = subprocess.run(
        [str(Path(sys.executable).with_name("bench")), "verify", str(report_file),
         "--keys", str(tmp_path / "bench-keys.json")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert json.loads(offline.stdout)["status"] == "valid"


def test_a_restarted_server_keeps_reports_readable_and_verifiable(tmp_path: Path) -> None:
    first = serve(tmp_path)
    server = next(first)
    accepted = server.post(f"{API}/run", headers=A, json={"backend_id": "simulator",
                                                          "workloads": ["bell_state"]})  # fmt: skip
    benchmark_id = accepted.json()["benchmark_id"]
    while (answer := server.get(f"{API}/report/{benchmark_id}", headers=A)).status_code == 202:
        time.sleep(0.2)
    report = answer.json()["report"]
    first.close()  # Ctrl-C: the server, its broker and its workers stop
    assert server.process.poll() is not None

    again = serve(tmp_path)
    restarted = next(again)
    try:
        assert restarted.url != server.url or restarted.process.pid != server.process.pid
        answer = restarted.get(f"{API}/report/{benchmark_id}", headers=A)
        assert answer.status_code == 200
        assert answer.json()["report"] == report
        verdict = restarted.post(f"{API}/verify", headers=A, json={"report": report})
        assert verdict.status_code == 200 and verdict.json()["status"] == "valid"
    finally:
        again.close()
