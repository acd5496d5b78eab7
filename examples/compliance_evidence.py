"""Compliance evidence: run a benchmark, keep the signed report, and check it.

Downloads the signed report file an auditor can verify offline (`bench verify`), asks the
server to verify it too, and saves the public keyring beside it. Set BENCH_API_URL and BENCH_API_KEY
for your installation (as for the SDK).
"""

import json
import os
import sys
import time

import requests

# The server root (or a URL ending in /api/v2/bench) and the key, from the environment.
ROOT = os.environ.get("BENCH_API_URL", "http://127.0.0.1:8000").rstrip("/")
BASE_URL = ROOT.removesuffix("/api/v2/bench") + "/api/v2/bench"
API_KEY = os.environ["BENCH_API_KEY"]
HEADERS = {"X-API-Key": API_KEY}


def main(backend_id="ibm_brisbane"):
    response = requests.post(
        f"{BASE_URL}/run",
        headers=HEADERS,
        json={"backend_id": backend_id, "workloads": ["bell_state", "ghz_5q"], "shots": 4096},
        timeout=30,
    )
    response.raise_for_status()
    benchmark_id = response.json()["benchmark_id"]
    while True:
        response = requests.get(f"{BASE_URL}/report/{benchmark_id}", headers=HEADERS, timeout=30)
        if response.status_code == 200:
            break
        if response.status_code != 202:
            response.raise_for_status()
        time.sleep(2)

    download = requests.get(
        f"{BASE_URL}/report/{benchmark_id}/download", headers=HEADERS, timeout=30
    )
    download.raise_for_status()
    filename = download.headers["Content-Disposition"].split("filename=")[1]
    with open(filename, "wb") as file:
        file.write(download.content)
    report = download.json()

    verification = requests.post(
        f"{BASE_URL}/verify", headers=HEADERS, json={"report": report}, timeout=30
    )
    result = verification.json()
    print(json.dumps(result, indent=2))

    server_root = BASE_URL.split("/api/v2/bench", maxsplit=1)[0]
    keys = requests.get(f"{server_root}/bench/keys", headers=HEADERS, timeout=30)
    keys.raise_for_status()
    with open("bench-keys.json", "w") as file:
        json.dump(keys.json(), file, indent=2)

    print(f"report {filename}: content hash {report['integrity']['content_hash']}")
    print(f"ledger index {report['integrity']['ledger']['index']}, verify offline with:")
    print(f"  bench verify {filename} --keys bench-keys.json")
    return 0 if result["status"] == "valid" else 1


if __name__ == "__main__":
    sys.exit(main())
