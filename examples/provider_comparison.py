"""Provider comparison: the same workloads, same shots and seed, on several backends.

Prints one row per backend, best average fidelity first. Set BENCH_API_URL and BENCH_API_KEY for
your installation.
"""

import os
import time

import requests

# The server root (or a URL ending in /api/v2/bench) and the key, from the environment.
ROOT = os.environ.get("BENCH_API_URL", "http://127.0.0.1:8000").rstrip("/")
BASE_URL = ROOT.removesuffix("/api/v2/bench") + "/api/v2/bench"
API_KEY = os.environ["BENCH_API_KEY"]
HEADERS = {"X-API-Key": API_KEY}
BACKENDS = ["ibm_brisbane", "ibm_heron", "ionq_aria", "rigetti_ankaa", "quantinuum_h2"]
WORKLOADS = ["bell_state", "ghz_5q", "ghz_10q"]


def start(backend_id):
    response = requests.post(
        f"{BASE_URL}/run",
        headers=HEADERS,
        json={"backend_id": backend_id, "workloads": WORKLOADS, "shots": 2000, "seed": 7},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["benchmark_id"]


def report_of(benchmark_id, timeout=900):
    deadline = time.time() + timeout
    while time.time() < deadline:
        response = requests.get(f"{BASE_URL}/report/{benchmark_id}", headers=HEADERS, timeout=30)
        if response.status_code == 200:
            return response.json()["report"]
        if response.status_code != 202:
            response.raise_for_status()
        time.sleep(2)
    raise TimeoutError(benchmark_id)


def main():
    started = {backend: start(backend) for backend in BACKENDS}
    reports = {backend: report_of(benchmark_id) for backend, benchmark_id in started.items()}
    ranked = sorted(
        reports.items(),
        key=lambda item: item[1]["summary"]["average_fidelity"] or 0.0,
        reverse=True,
    )
    print(
        f"{'backend':<16}{'mode':<11}" + "".join(f"{w:>12}" for w in WORKLOADS) + f"{'average':>10}"
    )
    for backend, report in ranked:
        by_id = {w["id"]: w["fidelity"] for w in report["workloads"]}
        cells = "".join(
            f"{by_id[w] if by_id[w] is not None else float('nan'):>12.4f}" for w in WORKLOADS
        )
        average = report["summary"]["average_fidelity"] or float("nan")
        print(f"{backend:<16}{report['execution_mode']:<11}{cells}{average:>10.4f}")


if __name__ == "__main__":
    main()
