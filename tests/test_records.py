"""A new provider and a new workload type are one record each (plus their module): built
here from records, they are routed, credential-checked, listed and executed end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline import wait_for
from toy_plugin import analyse_spread, spread

from bench_api.app import create_app
from bench_common.catalogue import CATALOGUE, BackendSpec, Catalogue, WorkloadSpec
from bench_common.evidence import verify_report
from bench_common.placement import placement
from bench_common.providers import ProviderSpec
from bench_common.queues import RUN_WORKLOAD
from bench_common.redis_server import RedisServer
from bench_common.runtime import Runtime
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_common.workload_types import WorkloadType
from bench_workers.celery_app import make_app
from bench_workers.commands import InProcess
from bench_workers.runtime import WorkerRuntime

TOY_PROVIDER = ProviderSpec(
    "toyq", "toyq", "toy_plugin:ToyExecutor",
    credentials=(("TOYQ_TOKEN",),), env_prefixes=("TOYQ_",),
)  # fmt: skip
TOY_BACKEND = BackendSpec("toy_device", "toyq", 3, "A toy device", "ideal", device="toy-1")
TOY_TYPE = WorkloadType("TOY_SPREAD", "toy_plugin:plus_state", spread, analyse_spread,
                        circuits=lambda spec: 2)  # fmt: skip
TOY_WORKLOAD = WorkloadSpec("toy_spread_3q", "TOY_SPREAD", "Uniform superposition (3 qubits)", 3)
KEY = {"X-API-Key": "k"}


@pytest.fixture
def catalogue() -> Catalogue:
    return CATALOGUE.extended(providers=[TOY_PROVIDER], workload_types=[TOY_TYPE],
                              workloads=[TOY_WORKLOAD], backends=[TOY_BACKEND])  # fmt: skip


def settings_for(
    tmp_path: Path, catalogue: Catalogue, env: dict[str, str], **more: object
) -> Settings:
    return Settings.from_env(env, providers=catalogue.providers.values(), data_dir=tmp_path,
                             **more)  # fmt: skip


def test_its_credentials_decide_where_it_runs(tmp_path: Path, catalogue: Catalogue) -> None:
    offline = settings_for(tmp_path, catalogue, {"TOYQ_REGION": "eu"})
    assert offline.provider_env == {"TOYQ_REGION": "eu"}  # its prefix is its configuration
    simulated = placement(catalogue, TOY_BACKEND, offline.provider_env, {})
    assert (simulated.mode, simulated.queue, simulated.executor) == ("simulated", "simulator",
                                                                     "simulator")  # fmt: skip
    live = settings_for(tmp_path, catalogue, {"TOYQ_TOKEN": "secret"})
    assert live.provider_env == {"TOYQ_TOKEN": "secret"}
    hardware = placement(catalogue, TOY_BACKEND, live.provider_env, {})
    assert (hardware.mode, hardware.queue, hardware.status) == ("hardware", "toyq", "unknown")


def test_names_cannot_clash() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        CATALOGUE.extended(backends=[BackendSpec("simulator", "simulator", 5, "again", "ideal")])
    with pytest.raises(ValueError, match="unknown provider"):
        CATALOGUE.extended(backends=[TOY_BACKEND])
    with pytest.raises(ValueError, match="unknown type"):
        CATALOGUE.extended(workloads=[TOY_WORKLOAD])


def test_the_api_lists_and_accepts_them(
    tmp_path: Path, catalogue: Catalogue, redis_server: RedisServer
) -> None:
    settings = settings_for(tmp_path, catalogue, {"TOYQ_TOKEN": "secret"}, api_keys="k:t",
                            broker_url=redis_server.url)  # fmt: skip
    client = create_app(settings, runtime=Runtime(settings, catalogue)).test_client()
    backends = {
        b["id"]: b for b in client.get("/api/v2/bench/backends", headers=KEY).json["backends"]
    }
    assert backends["toy_device"] | {"status": None} == {
        "id": "toy_device", "provider": "toyq", "execution_mode": "hardware", "qubits": 3,
        "status": None, "queue": "toyq", "description": "A toy device",
    }  # fmt: skip
    listed = client.get("/api/v2/bench/workloads", headers=KEY).json["workloads"]
    assert listed[-1] == catalogue.entry(TOY_WORKLOAD) and listed[-1]["circuits"] == 2
    request = {"backend_id": "toy_device", "workloads": ["toy_spread_3q"]}
    answer = client.post("/api/v2/bench/run", headers=KEY, json=request)
    assert answer.status_code == 202, answer.json
    # The same app without the records refuses both ids.
    plain = create_app(settings_for(tmp_path / "plain", CATALOGUE, {}, api_keys="k:t",
                                    broker_url=redis_server.url)).test_client()  # fmt: skip
    refused = plain.post("/api/v2/bench/run", headers=KEY, json={"backend_id": "toy_device"})
    assert refused.json["code"] == "INVALID_BACKEND"


def test_the_workers_declare_and_route_its_queue(
    tmp_path: Path, catalogue: Catalogue, redis_server: RedisServer
) -> None:
    settings = settings_for(tmp_path, catalogue, {"TOYQ_TOKEN": "secret"},
                            broker_url=redis_server.url)  # fmt: skip
    app = make_app(settings, catalogue)
    assert "toyq" in [queue.name for queue in app.conf.task_queues]
    assert "refresh-status-toyq" in app.conf.beat_schedule
    app.send_task(RUN_WORKLOAD, kwargs={"run_id": "r", "workload_id": "w", "queue": "toyq"},
                  ignore_result=True)  # fmt: skip
    client = redis_server.client()
    wait_for(lambda: client.llen("toyq") == 1, 5, "the task in the toyq queue")


def test_a_run_on_it_ends_in_a_verified_report(tmp_path: Path, catalogue: Catalogue) -> None:
    settings = settings_for(tmp_path, catalogue, {"TOYQ_TOKEN": "secret"})
    runtime = WorkerRuntime(settings, catalogue)
    service = RunService(settings, runtime.store, catalogue, InProcess(runtime))
    hardware = service.submit("t", {"backend_id": "toy_device", "workloads": ["toy_spread_3q"],
                                    "shots": 64, "seed": 3}).run  # fmt: skip
    simulated = service.submit("t", {"backend_id": "simulator", "workloads": ["toy_spread_3q"],
                                     "shots": 4000, "seed": 3}).run  # fmt: skip
    rows = {}
    for run in (hardware, simulated):
        report = runtime.store.get_report(run.id)
        assert report is not None
        assert verify_report(report, runtime.keys.public_keyring()).status == "valid"
        [rows[run.backend_id]] = report["workloads"]
    toy = rows["toy_device"]
    assert (toy["status"], toy["fidelity"], toy["timing_source"]) == (
        "completed",
        1 / 8,
        "provider",
    )
    assert toy["metrics"] == {"outcomes_seen": 1, "circuits": 2, "total_shots": 128}
    sim = rows["simulator"]
    assert sim["fidelity"] == 1.0 and sim["metrics"]["total_shots"] == 8000
    z_basis, x_basis = runtime.store.results(simulated.id)["toy_spread_3q"].circuits
    assert len(z_basis.counts) == 8 and x_basis.counts == {"0x0": 4000}  # |+⟩ read in X
    assert sorted(runtime.executors) == ["simulator", "toyq"]


def test_each_celery_app_keeps_its_own_tasks(tmp_path: Path, catalogue: Catalogue) -> None:
    first = make_app(settings_for(tmp_path / "a", CATALOGUE, {}))
    second = make_app(settings_for(tmp_path / "b", catalogue, {}))
    assert first.tasks[RUN_WORKLOAD] is not second.tasks[RUN_WORKLOAD]
    assert first.tasks[RUN_WORKLOAD].app is first and second.tasks[RUN_WORKLOAD].app is second
