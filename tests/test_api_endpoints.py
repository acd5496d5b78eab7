"""Every endpoint's success answer, through the app on a real store and a real broker."""

from __future__ import annotations

import uuid

from api_fixtures import API, A, finish_run, queued_run
from flask import Flask
from flask.testing import FlaskClient

from bench_api import platform
from bench_common.evidence import (
    Verification,
    parse_checkpoint,
    verify_consistency,
    verify_inclusion,
)

SEED_WORKLOADS = [
    ("bell_state", "BELL_STATE", "Bell state preparation (2 qubits)", 2),
    ("ghz_5q", "GHZ_SCALING", "GHZ state (5 qubits)", 5),
    ("ghz_10q", "GHZ_SCALING", "GHZ state (10 qubits)", 10),
    ("ghz_50q", "GHZ_SCALING", "GHZ state (50 qubits)", 50),
    ("ghz_100q", "GHZ_SCALING", "GHZ state (100 qubits)", 100),
    ("depth_stress", "DEPTH_STRESS", "Deep circuit stress test", 10),
]
SEED_BACKENDS = {"ibm_brisbane", "ibm_heron", "ionq_aria", "rigetti_ankaa", "quantinuum_h2"}


def test_workloads_lists_the_six_seed_entries_first(client: FlaskClient) -> None:
    answer = client.get(f"{API}/workloads", headers=A)
    assert answer.status_code == 200
    listed = [(w["id"], w["type"], w["description"], w["qubits"]) for w in answer.json["workloads"]]
    assert listed[:6] == SEED_WORKLOADS


def test_backends_include_the_seed_ids_and_say_how_they_run(client: FlaskClient) -> None:
    answer = client.get(f"{API}/backends", headers=A)
    assert answer.status_code == 200
    backends = {b["id"]: b for b in answer.json["backends"]}
    assert SEED_BACKENDS | {"simulator"} <= set(backends)
    assert backends["simulator"]["execution_mode"] == "simulated"
    for backend in backends.values():
        assert set(backend) >= {"id", "provider", "execution_mode", "qubits", "status", "queue"}
        assert backend["status"] == "online"
        assert backend["execution_mode"] in ("hardware", "simulated")
        if backend["execution_mode"] == "simulated":
            assert backend["queue"] == "simulator"


def test_post_run_queues_a_run_with_the_contract_answer(app: Flask, client: FlaskClient) -> None:
    answer = client.post(f"{API}/run", headers=A, json={"backend_id": "ibm_brisbane"})
    assert answer.status_code == 202, answer.json
    body = answer.json
    assert set(body) == {"benchmark_id", "status", "estimated_time_seconds", "message", "warning",
                         "estimated_cost"}  # fmt: skip
    assert body["estimated_cost"] is None  # simulated: nothing is billed
    assert uuid.UUID(body["benchmark_id"]).version == 4
    assert body["status"] == "queued"
    assert isinstance(body["estimated_time_seconds"], float)
    assert (
        body["message"] == f"Benchmark {body['benchmark_id']} queued for execution on ibm_brisbane"
    )
    assert body["warning"].startswith("DEV MODE: Using SimulatorExecutor. Results are simulated.")
    run = platform.of(app).runtime.store.get_run(body["benchmark_id"], "tenant-a")
    assert run is not None
    assert run.workloads == ["ghz_5q", "ghz_10q", "bell_state"] and run.shots == 1024
    assert isinstance(run.seed, int)


def test_post_run_keeps_the_given_workloads_shots_and_seed(app: Flask, client: FlaskClient) -> None:
    request = {"backend_id": "simulator", "workloads": ["depth_stress", "bell_state"],
               "shots": 100_000, "seed": 2**53 - 1}  # fmt: skip
    answer = client.post(f"{API}/run", headers=A, json=request)
    assert answer.status_code == 202, answer.json
    run = platform.of(app).runtime.store.get_run(answer.json["benchmark_id"])
    assert run is not None
    assert (run.workloads, run.shots, run.seed) == (
        ["depth_stress", "bell_state"],
        100_000,
        2**53 - 1,
    )


def test_report_of_an_unfinished_run_is_202_with_progress(app: Flask, client: FlaskClient) -> None:
    run_id = queued_run(app)
    for path in (f"{API}/report/{run_id}", f"{API}/report/{run_id}/download",
                 f"/bench/jobs/{run_id}/bundle"):  # fmt: skip
        answer = client.get(path, headers=A)
        assert answer.status_code == 202
        assert answer.json["code"] == "BENCHMARK_STILL_RUNNING"
        assert answer.json["details"] == {
            "status": "queued",
            "progress": {"completed": 0, "total": 2},
        }


def test_finished_report_download_and_bundle(app: Flask, client: FlaskClient) -> None:
    report = finish_run(app)
    answer = client.get(f"{API}/report/{report['id']}", headers=A)
    assert answer.status_code == 200
    assert answer.json["report"] == report
    assert answer.json["storage_mode"] == "ledger"
    assert answer.json["download_url"] == f"http://localhost{API}/report/{report['id']}/download"

    download = client.get(f"{API}/report/{report['id']}/download", headers=A)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json"
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=bench-report-{report['id'][:8]}.json"
    )
    assert download.json == report

    bundle = client.get(f"/bench/jobs/{report['id']}/bundle", headers=A)
    assert bundle.status_code == 200 and bundle.json["job_id"] == report["id"]
    bundle_id = report["evidence"]["bundle_id"]
    assert client.get(f"/bench/bundles/{bundle_id}", headers=A).json == bundle.json


def test_verify_accepts_a_signed_report_and_rejects_a_tampered_one(
    app: Flask, client: FlaskClient
) -> None:
    report = finish_run(app)
    valid = client.post(f"{API}/verify", headers=A, json={"report": report})
    assert valid.status_code == 200
    assert valid.json == {
        "status": "valid", "report_id": report["id"], "content_hash_valid": True,
        "evidence_hash_valid": True, "signature_present": True, "signature_valid": True,
        "ledger_valid": True, "warnings": [], "error": None,
    }  # fmt: skip

    report["shots"] = 1
    invalid = client.post(f"{API}/verify", headers=A, json={"report": report})
    assert invalid.status_code == 400
    assert invalid.json["code"] == "VERIFICATION_FAILED"
    assert invalid.json["status"] == "invalid" and invalid.json["signature_valid"] is False
    assert invalid.json["error"].startswith("signature:")
    assert set(Verification().to_dict()) <= set(invalid.json)


def test_bundle_verify_adds_merkle_root_and_items(app: Flask, client: FlaskClient) -> None:
    report = finish_run(app)
    bundle = client.get(f"/bench/jobs/{report['id']}/bundle", headers=A).json
    valid = client.post("/bench/verify", headers=A, json={"bundle": bundle})
    assert valid.status_code == 200
    assert valid.json["merkle_root_valid"] is True and valid.json["items_valid"] is True

    bundle["items"][0]["content"] = {"tampered": True}
    invalid = client.post("/bench/verify", headers=A, json={"bundle": bundle})
    assert invalid.status_code == 400 and invalid.json["code"] == "VERIFICATION_FAILED"
    assert invalid.json["items_valid"] is False


def test_keys_checkpoint_and_proofs_agree(app: Flask, client: FlaskClient) -> None:
    reports = [finish_run(app) for _ in range(3)]
    keys = client.get("/bench/keys", headers=A).json["keys"]
    signer = reports[0]["integrity"]["signature"]["key_id"]
    assert [(k["key_id"], k["status"]) for k in keys] == [(signer, "active")]
    assert set(keys[0]) == {"key_id", "algorithm", "public_key_pem", "fingerprint_sha256",
                            "valid_from", "valid_until", "status"}  # fmt: skip

    checkpoint = client.get("/bench/ledger/checkpoint", headers=A).json
    assert checkpoint["tree_size"] == 3
    assert checkpoint["checkpoint"].split("\n")[1] == "3"
    root = bytes.fromhex(checkpoint["root_hash"])

    ledger = reports[1]["integrity"]["ledger"]
    inclusion = client.get(
        "/bench/ledger/proof/inclusion", headers=A, query_string={"index": ledger["index"]}
    ).json
    assert inclusion["tree_size"] == 3
    assert verify_inclusion(
        bytes.fromhex(inclusion["leaf_hash"]), inclusion["index"], 3,
        [bytes.fromhex(h) for h in inclusion["proof"]], root,
    )  # fmt: skip

    first_root = parse_checkpoint(reports[0]["integrity"]["ledger"]["checkpoint"])[0].root
    consistency = client.get(
        "/bench/ledger/proof/consistency", headers=A, query_string={"first": 1, "second": 3}
    ).json
    assert consistency["first"] == 1 and consistency["second"] == 3
    proof = [bytes.fromhex(h) for h in consistency["proof"]]
    assert verify_consistency(1, 3, proof, first_root, root)


def test_checkpoint_of_an_empty_ledger(client: FlaskClient) -> None:
    answer = client.get("/bench/ledger/checkpoint", headers=A)
    assert answer.status_code == 200
    assert answer.json["tree_size"] == 0 and answer.json["checkpoint"] is None


def test_healthz_needs_no_key_and_checks_store_and_broker(client: FlaskClient) -> None:
    answer = client.get(f"{API}/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "checks": {"store": "ok", "broker": "ok"}}


def test_openapi_document_and_docs_page_need_no_key(client: FlaskClient) -> None:
    document = client.get(f"{API}/openapi.json")
    assert document.status_code == 200
    paths = set(document.json["paths"])
    assert {f"{API}/run", f"{API}/report/{{benchmark_id}}", "/bench/keys"} <= paths
    assert client.get(f"{API}/docs").status_code == 200
