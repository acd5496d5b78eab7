"""Custom device models (``BENCH_DEVICE_MODELS``): read at start-up, checked field by field,
listed as simulated backends of provider ``custom`` and run through the shipped models'
noise pipeline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from api_fixtures import BENCH
from factories import noiseless_device
from flask.testing import FlaskClient

from bench_api.app import create_app
from bench_common.catalogue import CATALOGUE
from bench_common.device_models import DeviceModelError, catalogue_for, load_devices
from bench_common.redis_server import RedisServer
from bench_common.runtime import Runtime
from bench_common.settings import Settings
from bench_workers.devices import published_figures
from bench_workers.executors import JobSpec
from bench_workers.simulator import execute

ARIA = published_figures()["devices"]["ionq_aria"]
ARIA_COPY: dict[str, Any] = {
    "name": "IonQ Aria, copied", "qubits": 25, "connectivity": "all_to_all",
    "basis": ARIA["gates"], "source": "the published ionq_aria figures, as a custom model",
    **{name: figure["value"] for name, figure in ARIA["figures"].items()},
}  # fmt: skip
DEPHASING = noiseless_device(12, [[i, i + 1] for i in range(11)]) | {
    "name": "Dephasing only",
    "t2_s": 1e-9,
    "source": "a what-if: T2 far below the gate times, nothing else",
}
NOISY = DEPHASING | {"name": "Depolarizing", "t2_s": None, "two_qubit_error": 0.05}


def write(path: Path, devices: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"devices": devices}))
    return path


def test_a_copy_of_a_shipped_model_samples_exactly_like_it(tmp_path: Path) -> None:
    catalogue = catalogue_for(CATALOGUE, write(tmp_path / "m.json", {"aria_copy": ARIA_COPY}))
    copy = JobSpec.of("ghz_10q", "aria_copy", 3000, 17, catalogue=catalogue)
    shipped = JobSpec.of("ghz_10q", "ionq_aria", 3000, 17, catalogue=catalogue)
    # same figures, same pipeline:
    assert execute(copy).circuits == execute(shipped).circuits
    assert execute(copy).fidelity < 1.0


def test_dephasing_and_depolarizing_models_behave_as_their_figures_say(tmp_path: Path) -> None:
    path = write(tmp_path / "m.json", {"dephased": DEPHASING, "noisy": NOISY})
    catalogue = catalogue_for(CATALOGUE, path)
    dephased = execute(JobSpec.of("ghz_10q", "dephased", 4000, 2, catalogue=catalogue))
    noisy = execute(JobSpec.of("ghz_10q", "noisy", 4000, 2, catalogue=catalogue))
    # Dephasing leaves the Z-basis populations alone (the Hellinger figure cannot see it)
    # and takes all the coherence: a classical mixture, GHZ fidelity ½.
    assert dephased.metrics["population"] == 1.0
    assert dephased.metrics["hellinger_fidelity"] >= 0.97
    assert abs(dephased.fidelity - 0.5) < 0.03 and not dephased.metrics["genuinely_entangled"]
    assert noisy.fidelity < 0.8 and noisy.metrics["population"] < 0.8
    assert dephased.calibration["noise_model"] == "custom:dephased"


def test_the_api_lists_them_as_simulated_custom_backends(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    path = write(tmp_path / "m.json", {"dephased": DEPHASING})
    settings = Settings.from_env({"BENCH_DEVICE_MODELS": str(path)}, data_dir=tmp_path / "d",
                                 api_keys="k:t", broker_url=redis_server.url)  # fmt: skip
    client: FlaskClient = create_app(settings).test_client()
    listed = client.get("/api/v2/bench/backends", headers={"X-API-Key": "k"}).json["backends"]
    backends = {b["id"]: b for b in listed}
    assert backends["dephased"] | {"description": None} == {
        "id": "dephased", "provider": "custom", "execution_mode": "simulated", "qubits": 12,
        "status": "online", "queue": "simulator", "description": None,
    }  # fmt: skip
    accepted = client.post("/api/v2/bench/run", headers={"X-API-Key": "k"},
                           json={"backend_id": "dephased", "workloads": ["ghz_10q"]})  # fmt: skip
    assert accepted.status_code == 202 and accepted.json["warning"].startswith("DEV MODE")
    assert Runtime(settings).catalogue.backends["dephased"].custom is not None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"qubits": "five"}, "devices.bad.qubits"),
        ({"two_qubit_error": 1.5}, "devices.bad.two_qubit_error"),
        ({"readout_error": -0.1}, "devices.bad.readout_error"),
        ({"t2_s": 0}, "devices.bad.t2_s"),
        ({"connectivity": [[0, 99]]}, "devices.bad.connectivity"),
        ({"basis": {"rz": "virtual", "sx": "one_qubit", "u3": "one_qubit", "cx": "two_qubit"}},
         "devices.bad.basis.u3"),
        ({"basis": {"rz": "virtual", "sx": "one_qubit"}}, "devices.bad.basis"),
        ({"colour": "blue"}, "unknown fields: colour"),
    ],
)  # fmt: skip
def test_a_malformed_file_names_the_field(
    tmp_path: Path, change: dict[str, Any], named: str
) -> None:
    path = write(tmp_path / "m.json", {"bad": DEPHASING | change})
    with pytest.raises(DeviceModelError, match=named.replace(".", r"\.")):
        load_devices(path)


def test_start_up_stops_with_the_message(tmp_path: Path) -> None:
    path = write(tmp_path / "m.json", {"ibm_brisbane": DEPHASING})  # clashes with the catalogue
    env = {"BENCH_DEVICE_MODELS": str(path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for command in (["run", "--backend", "simulator"], ["serve"], ["backends"]):
        done = subprocess.run([BENCH, *command], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "ids already in the catalogue: ibm_brisbane" in done.stderr
        assert "Traceback" not in done.stderr
    (tmp_path / "m.json").write_text("{not json")
    done = subprocess.run([BENCH, "run", "--backend", "simulator"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2 and "is not JSON" in done.stderr
