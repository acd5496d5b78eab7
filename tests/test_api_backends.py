"""``GET /backends`` and ``POST /run`` follow each provider's last known status."""

from __future__ import annotations

from dataclasses import replace

from api_fixtures import API, A
from flask.testing import FlaskClient

from bench_api import platform
from bench_api.app import create_app
from bench_common.settings import Settings
from bench_common.timeutil import format_time, now

IBM = {"QISKIT_IBM_TOKEN": "token-for-tests", "QISKIT_IBM_INSTANCE": "crn:test"}


def live_ibm_client(api_settings: Settings) -> FlaskClient:
    return create_app(replace(api_settings, provider_env=IBM)).test_client()


def rows(client: FlaskClient) -> dict[str, dict]:
    answer = client.get(f"{API}/backends", headers=A)
    assert answer.status_code == 200
    return {row["id"]: row for row in answer.get_json()["backends"]}


def test_without_credentials_every_backend_is_simulated_and_online(client: FlaskClient) -> None:
    for row in rows(client).values():
        assert (row["execution_mode"], row["queue"], row["status"]) == (
            "simulated", "simulator", "online",
        )  # fmt: skip


def test_a_live_backend_shows_the_status_its_provider_reported(api_settings: Settings) -> None:
    client = live_ibm_client(api_settings)
    store = platform.of(client.application).runtime.store
    before = rows(client)
    assert before["ibm_fez"]["execution_mode"] == "hardware"
    assert before["ibm_fez"]["queue"] == "ibm"
    assert before["ibm_fez"]["status"] == "unknown"  # no ibm worker has checked yet
    assert before["ionq_forte"]["execution_mode"] == "simulated"
    store.put_backend_status("ibm_fez", {"status": "online", "queue_depth": 4}, format_time(now()))
    assert rows(client)["ibm_fez"]["status"] == "online"


def test_run_on_an_offline_device_is_refused_and_records_nothing(api_settings: Settings) -> None:
    client = live_ibm_client(api_settings)
    store = platform.of(client.application).runtime.store
    store.put_backend_status(
        "ibm_fez", {"status": "offline", "detail": "maintenance"}, format_time(now())
    )
    answer = client.post(f"{API}/run", json={"backend_id": "ibm_fez"}, headers=A)
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["code"] == "BACKEND_UNAVAILABLE"
    assert "maintenance" in body["message"]
    assert store.active_runs() == []
    accepted = client.post(f"{API}/run", json={"backend_id": "ibm_torino"}, headers=A)
    assert accepted.status_code == 202
    assert accepted.get_json()["warning"] is None  # a hardware run carries no dev-mode warning
