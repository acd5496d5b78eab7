"""The API process stays thin: building the app and answering requests loads no worker
code, Qiskit, Stim or provider SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("bench_workers", "qiskit", "qiskit_aer", "qiskit_ibm_runtime", "qiskit_braket_provider",
         "stim", "braket", "boto3", "azure", "scipy")  # fmt: skip

PROGRAM = """
import json, sys
from pathlib import Path
from bench_api.app import create_app
from bench_common.settings import Settings
settings = Settings.from_env({}, data_dir=Path(sys.argv[1]), api_keys="k:t",
                             broker_url="redis://127.0.0.1:9/0")
client = create_app(settings).test_client()
for path in ("/api/v2/bench/workloads", "/api/v2/bench/backends", "/bench/keys",
             "/api/v2/bench/openapi.json"):
    assert client.get(path, headers={"X-API-Key": "k"}).status_code == 200, path
answer = client.post("/api/v2/bench/run", headers={"X-API-Key": "k"},
                     json={"backend_id": "simulator"})
assert answer.status_code == 503, answer.get_json()  # nobody listens on port 9
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_the_api_loads_no_worker_code_qiskit_stim_or_provider_sdk(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "bench_api" in loaded and "celery" in loaded  # the check sees what was loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
