"""Every error answer is the contract's JSON ``{code, message, details}`` with a request id:
bad input, unknown paths and methods, oversized bodies, outages and crashes."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest
from api_fixtures import API, A, finish_run
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bench_api import platform
from bench_common.redis_server import RedisServer

MIB = 1024 * 1024


def error_of(answer: TestResponse, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body: dict[str, Any] = answer.json
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert body["request_id"] == answer.headers["X-Request-ID"]
    assert "Traceback" not in answer.get_data(as_text=True)
    return body


def run(client: FlaskClient, body: Any) -> TestResponse:
    return client.post(f"{API}/run", headers=A, json=body)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"backend_id"}),
        ({"backend_id": "simulator", "colour": "blue"}, {"colour"}),
        ({"backend_id": 7}, {"backend_id"}),
        ({"backend_id": "simulator", "shots": "100"}, {"shots"}),
        ({"backend_id": "simulator", "shots": 10.5}, {"shots"}),
        ({"backend_id": "simulator", "shots": True}, {"shots"}),
        ({"backend_id": "simulator", "shots": 0}, {"shots"}),
        ({"backend_id": "simulator", "shots": 100_001}, {"shots"}),
        ({"backend_id": "simulator", "seed": -1}, {"seed"}),
        ({"backend_id": "simulator", "seed": "1"}, {"seed"}),
        ({"backend_id": "simulator", "workloads": "bell_state"}, {"workloads"}),
        ({"backend_id": "simulator", "workloads": []}, {"workloads"}),
        ({"backend_id": "simulator", "workloads": ["bell_state", "bell_state"]}, {"workloads"}),
        ([1, 2], {"_schema"}),
    ],
)
def test_post_run_validation_errors_name_the_fields(
    client: FlaskClient, body: Any, fields: set[str]
) -> None:
    details = error_of(run(client, body), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == fields


def test_post_run_semantic_errors(client: FlaskClient) -> None:
    error_of(run(client, {"backend_id": "no_such_device"}), 400, "INVALID_BACKEND")
    unknown = run(client, {"backend_id": "simulator", "workloads": ["bell_state", "qv_9", "x"]})
    assert error_of(unknown, 400, "INVALID_WORKLOAD")["details"]["invalid"] == ["qv_9", "x"]


@pytest.mark.parametrize(
    "data", [b"{not json", b'{"backend_id": "simulator", "backend_id": "x"}', b'{"shots": NaN}']
)
def test_malformed_json_is_a_validation_error(client: FlaskClient, data: bytes) -> None:
    answer = client.post(f"{API}/run", headers=A, data=data, content_type="application/json")
    error_of(answer, 400, "VALIDATION_ERROR")


def test_missing_or_unknown_key_is_unauthorized(client: FlaskClient) -> None:
    for headers in ({}, {"X-API-Key": "not-a-key"}, {"X-API-Key": ""}):
        for method, path in (("GET", f"{API}/workloads"), ("POST", f"{API}/run"),
                             ("GET", "/bench/keys"), ("POST", "/bench/verify")):  # fmt: skip
            answer = client.open(path, method=method, headers=headers, json={})
            error_of(answer, 401, "UNAUTHORIZED")


def test_unknown_paths_and_methods_answer_json(client: FlaskClient) -> None:
    error_of(client.get("/nowhere", headers=A), 404, "NOT_FOUND")
    error_of(client.get(f"{API}/nowhere"), 404, "NOT_FOUND")
    not_allowed = error_of(client.delete(f"{API}/workloads", headers=A), 405, "METHOD_NOT_ALLOWED")
    assert "GET" in not_allowed["details"]["allowed"]
    error_of(client.get(f"{API}/run", headers=A), 405, "METHOD_NOT_ALLOWED")


def test_unknown_benchmark_is_not_found(client: FlaskClient) -> None:
    for path in (f"{API}/report/nope", f"{API}/report/nope/download", "/bench/jobs/nope/bundle",
                 "/bench/bundles/nope"):  # fmt: skip
        error_of(client.get(path, headers=A), 404, "BENCHMARK_NOT_FOUND")


def test_bodies_over_the_limit_are_refused(app: Flask, client: FlaskClient) -> None:
    padding = "x" * MIB
    big = {"backend_id": "simulator", "padding": padding}
    error_of(run(client, big), 413, "PAYLOAD_TOO_LARGE")

    report = finish_run(app)
    roomy = client.post(f"{API}/verify", headers=A, json={"report": report, "padding": padding})
    error_of(roomy, 400, "VALIDATION_ERROR")  # read in full (under 32 MiB), then refused
    huge = {"report": report, "padding": "x" * (32 * MIB)}
    error_of(client.post(f"{API}/verify", headers=A, json=huge), 413, "PAYLOAD_TOO_LARGE")
    error_of(client.post("/bench/verify", headers=A, json=huge), 413, "PAYLOAD_TOO_LARGE")


def test_verify_rejects_bodies_that_hold_no_report(client: FlaskClient) -> None:
    for body in ({}, {"report": None}, {"report": [1]}, {"bundle": {}}):
        error_of(client.post(f"{API}/verify", headers=A, json=body), 400, "VALIDATION_ERROR")


def test_ledger_proofs_out_of_range(app: Flask, client: FlaskClient) -> None:
    finish_run(app)
    for query in ({"index": 1}, {"index": 0, "tree_size": 2}, {"index": -1}, {"index": "x"}, {}):
        answer = client.get("/bench/ledger/proof/inclusion", headers=A, query_string=query)
        error_of(answer, 400, "VALIDATION_ERROR")
    for query in ({"first": 0, "second": 1}, {"first": 2, "second": 1}, {"first": 1, "second": 9}):
        answer = client.get("/bench/ledger/proof/consistency", headers=A, query_string=query)
        assert set(error_of(answer, 400, "VALIDATION_ERROR")["details"]) <= {"first", "second"}


def test_a_crash_is_a_500_carrying_the_logged_request_id(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise ZeroDivisionError("secret internals")

    app.add_url_rule("/boom", view_func=explode)
    with caplog.at_level(logging.ERROR, logger="bench_api"):
        answer = app.test_client().get("/boom", headers={"X-Request-ID": "req-0123456789"})
    body = error_of(answer, 500, "INTERNAL_ERROR")
    assert body["request_id"] == "req-0123456789"
    assert "secret internals" not in json.dumps(body)
    assert any("req-0123456789" in r.getMessage() and r.exc_info for r in caplog.records)


def test_store_outage_is_503(app: Flask, client: FlaskClient) -> None:
    store_file = platform.of(app).settings.store_location.removeprefix("sqlite:///")
    platform.of(app).runtime.store.close()
    os.unlink(store_file)
    health = error_of(client.get(f"{API}/healthz"), 503, "SERVICE_UNAVAILABLE")
    assert health["details"]["checks"]["store"] != "ok"


def test_broker_outage_is_503_and_records_nothing(
    app: Flask, client: FlaskClient, redis_server: RedisServer
) -> None:
    redis_server.stop()
    checks = error_of(client.get(f"{API}/healthz"), 503, "SERVICE_UNAVAILABLE")["details"]
    assert checks["checks"]["store"] == "ok" and checks["checks"]["broker"] != "ok"
    error_of(run(client, {"backend_id": "simulator"}), 503, "SERVICE_UNAVAILABLE")
    assert platform.of(app).runtime.store.count_active_runs("simulator") == 0
