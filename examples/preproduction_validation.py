"""Pre-production validation: does a backend meet our fidelity bar before production work?

Runs the default workloads on one backend and fails (exit 1) if any workload is below
its threshold. Set BENCH_API_URL and BENCH_API_KEY
for your installation (as for the SDK).
"""

import os
import sys
import time

import requests

# The server root (or a URL ending in /api/v2/bench) and the key, from the environment.
ROOT = os.environ.get("BENCH_API_URL", "http://127.0.0.1:8000").rstrip("/")
BASE_URL = ROOT.removesuffix("/api/v2/bench") + "/api/v2/bench"
API_KEY = os.environ["BENCH_API_KEY"]
HEADERS = {"X-API-Key": API_KEY}
BACKEND = "ibm_brisbane"
# GHZ state fidelities: above 0.5 the state is genuinely entangled.
THRESHOLDS = {"bell_state": 0.85, "ghz_5q": 0.6, "ghz_10q": 0.5}


def run_benchmark(backend_id, workloads, shots=1024, seed=42):
    response = requests.post(
        f"{BASE_URL}/run",
        headers=HEADERS,
        json={"backend_id": backend_id, "workloads": workloads, "shots": shots, "seed": seed},
        timeout=30,
    )
    response.raise_for_status()
    accepted = response.json()
    print(accepted["message"], f"(about {accepted['estimated_time_seconds']:.1f} s)")
    if accepted["warning"]:
        print(accepted["warning"])
    return accepted["benchmark_id"]


def wait_for_report(benchmark_id, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        response = requests.get(f"{BASE_URL}/report/{benchmark_id}", headers=HEADERS, timeout=30)
        if response.status_code == 200:
            return response.json()["report"]
        if response.status_code != 202:
            response.raise_for_status()
        time.sleep(2)
    raise TimeoutError(f"benchmark {benchmark_id} did not finish in {timeout} s")


def main():
    benchmark_id = run_benchmark(BACKEND, list(THRESHOLDS))
    report = wait_for_report(benchmark_id)
    passed = True
    for workload in report["workloads"]:
        threshold = THRESHOLDS[workload["id"]]
        fidelity = workload["fidelity"]
        ok = workload["status"] == "completed" and fidelity is not None and fidelity >= threshold
        passed = passed and ok
        shown = "n/a" if fidelity is None else f"{fidelity:.4f}"
        print(f"{workload['id']:<12} fidelity {shown} (>= {threshold}) {'PASS' if ok else 'FAIL'}")
    print(f"{BACKEND}: {'ready for production' if passed else 'NOT ready'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
