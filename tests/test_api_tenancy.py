"""A tenant never sees another tenant's runs: every id-bearing endpoint answers exactly as
for an id that does not exist."""

from __future__ import annotations

from typing import Any

from api_fixtures import API, A, B, finish_run, queued_run
from flask import Flask
from flask.testing import FlaskClient


def id_paths(report: dict[str, Any]) -> list[str]:
    run_id, bundle_id = report["id"], report["evidence"]["bundle_id"]
    return [
        f"{API}/report/{run_id}",
        f"{API}/report/{run_id}/download",
        f"/bench/jobs/{run_id}/bundle",
        f"/bench/bundles/{bundle_id}",
    ]


def anonymous(answer: Any) -> tuple[int, dict[str, Any]]:
    """Status and body without the request id, which differs per request."""
    body = {k: v for k, v in answer.json.items() if k != "request_id"}
    return answer.status_code, body


def test_another_tenants_finished_run_is_indistinguishable_from_an_unknown_one(
    app: Flask, client: FlaskClient
) -> None:
    report = finish_run(app, "tenant-a")
    unknown = {**report, "id": "7a0c5a54-0000-4000-8000-000000000000",
               "evidence": {"bundle_id": "7a0c5a54-0000-4000-8000-000000000001"}}  # fmt: skip
    for path, never in zip(id_paths(report), id_paths(unknown), strict=True):
        assert client.get(path, headers=A).status_code == 200
        seen_by_b = anonymous(client.get(path, headers=B))
        assert seen_by_b[0] == 404 and seen_by_b[1]["code"] == "BENCHMARK_NOT_FOUND"
        expected = anonymous(client.get(never, headers=B))
        assert seen_by_b == (expected[0], {**expected[1], **_same_id(seen_by_b[1])})


def _same_id(body: dict[str, Any]) -> dict[str, Any]:
    """The unknown-id answer names the id asked for; align it to compare the rest."""
    return {"message": body["message"], "details": body["details"]}


def test_another_tenants_queued_run_is_not_found_either(app: Flask, client: FlaskClient) -> None:
    run_id = queued_run(app, "tenant-a")
    assert client.get(f"{API}/report/{run_id}", headers=A).status_code == 202
    answer = client.get(f"{API}/report/{run_id}", headers=B)
    assert answer.status_code == 404 and answer.json["code"] == "BENCHMARK_NOT_FOUND"
    assert client.get(f"/bench/jobs/{run_id}/bundle", headers=B).status_code == 404


def test_runs_posted_by_a_tenant_belong_to_it(client: FlaskClient) -> None:
    accepted = client.post(f"{API}/run", headers=B, json={"backend_id": "simulator"})
    run_id = accepted.json["benchmark_id"]
    assert client.get(f"{API}/report/{run_id}", headers=B).status_code == 202
    assert client.get(f"{API}/report/{run_id}", headers=A).status_code == 404


def test_keys_and_checkpoint_are_readable_by_every_tenant(app: Flask, client: FlaskClient) -> None:
    finish_run(app, "tenant-a")
    for path in ("/bench/keys", "/bench/ledger/checkpoint"):
        assert client.get(path, headers=A).json == client.get(path, headers=B).json
