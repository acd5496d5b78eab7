"""Findings of a security probe, each shown fixed on the real parts: JSON nesting, content
types and encodings, the bundle tenant check, the trusted keyring, log lines, the data dir's
file modes, and workloads wider than their backend."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from api_fixtures import API, A, B, Served, finish_run
from factories import signed_report
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import bench_common.store.sqlite as sqlite_store
from bench_api import platform
from bench_common.evidence import MAX_JSON_DEPTH, KeyringError, TrustedKeys

BENCH = str(Path(sys.executable).with_name("bench"))
TOO_DEEP = 1000
BODY_ENDPOINTS = [f"{API}/run", f"{API}/verify", "/bench/verify"]


def error_of(answer: TestResponse, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body: dict[str, Any] = answer.json
    assert body["code"] == code and body["message"]
    assert "Traceback" not in answer.get_data(as_text=True)
    return body


def bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BENCH, *args], check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})}, umask=0o022,
    )  # fmt: skip


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# 1. nesting


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
def test_a_body_nested_a_thousand_deep_is_a_validation_error(
    client: FlaskClient, path: str
) -> None:
    data = '{"report": ' + nested(TOO_DEEP) + "}"  # refused before any field is looked at
    answer = client.post(path, headers=A, data=data, content_type="application/json")
    body = error_of(answer, 400, "VALIDATION_ERROR")
    assert "nested too deeply" in body["message"] and str(MAX_JSON_DEPTH) in body["message"]


def test_nesting_up_to_the_limit_is_parsed(client: FlaskClient) -> None:
    inner = nested(MAX_JSON_DEPTH - 1)  # inside the body's own object: the limit exactly
    answer = client.post(f"{API}/run", headers=A, data='{"backend_id": "simulator", "x": '
                         + inner + "}", content_type="application/json")  # fmt: skip
    body = error_of(answer, 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"x"}  # parsed, then refused as an unknown field
    deeper = '{"backend_id": "simulator", "x": ' + nested(MAX_JSON_DEPTH) + "}"
    answer = client.post(f"{API}/run", headers=A, data=deeper, content_type="application/json")
    assert "nested too deeply" in error_of(answer, 400, "VALIDATION_ERROR")["message"]


def test_bench_verify_refuses_a_file_nested_a_thousand_deep(tmp_path: Path) -> None:
    _, _, keys = signed_report(tmp_path)
    keyring = tmp_path / "keys.json"
    keyring.write_text(json.dumps(keys.public_keyring()))
    deep = tmp_path / "deep.json"
    deep.write_text('{"report": ' + nested(TOO_DEEP) + "}")
    refused = bench("verify", str(deep), "--keys", str(keyring))
    assert refused.returncode == 2, refused.stderr
    assert "nesting is too deep" in refused.stderr and "Traceback" not in refused.stderr


# 2. content type and encoding


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_is_415(client: FlaskClient, path: str, content_type: str) -> None:
    answer = client.post(path, headers=A, data='{"backend_id": "simulator"}',
                         content_type=content_type)  # fmt: skip
    body = error_of(answer, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "Content-Type: application/json" in body["message"]
    assert body["details"]["content_type"] == [content_type]


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "data",
    [b'{"backend_id": "simul\xe2tor"}', '{"backend_id": "simulator"}'.encode("utf-16")],
)
def test_a_body_that_is_not_utf8_is_a_validation_error(
    client: FlaskClient, path: str, data: bytes
) -> None:
    answer = client.post(path, headers=A, data=data, content_type="application/json")
    assert "not UTF-8" in error_of(answer, 400, "VALIDATION_ERROR")["message"]


# 3. bundles of another tenant


def test_another_tenants_bundle_is_refused_before_anything_is_decoded(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = finish_run(app, "tenant-a")
    bundle_id = report["evidence"]["bundle_id"]
    real_decode, decoded = sqlite_store.decode, []
    monkeypatch.setattr(sqlite_store, "decode", lambda data: decoded.append(1) or real_decode(data))
    foreign = client.get(f"/bench/bundles/{bundle_id}", headers=B)
    unknown = client.get("/bench/bundles/7a0c5a54-0000-4000-8000-000000000001", headers=B)
    for answer in (foreign, unknown):
        error_of(answer, 404, "BENCHMARK_NOT_FOUND")
    assert decoded == []  # the same path for both: no bundle read, nothing decompressed
    assert client.get(f"/bench/bundles/{bundle_id}", headers=A).status_code == 200
    assert decoded == [1]


# 4. the trusted keyring


def test_bench_verify_says_which_keyring_it_trusted(tmp_path: Path) -> None:
    report, _, keys = signed_report(tmp_path)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    local = bench("verify", str(path), env={"BENCH_DATA_DIR": str(tmp_path)})
    assert local.returncode == 0, local.stderr
    trusted = tmp_path.resolve() / "keys" / "keyring.json"
    assert f"trusted keys: {trusted}" in local.stderr and "no --keys" in local.stderr
    given = tmp_path / "given.json"
    given.write_text(json.dumps(keys.public_keyring()))
    explicit = bench("verify", str(path), "--keys", str(given))
    assert explicit.returncode == 0 and f"trusted keys: {given.resolve()}" in explicit.stderr


def test_a_keyring_listing_a_key_id_twice_is_refused(tmp_path: Path) -> None:
    report, _, keys = signed_report(tmp_path)
    (entry,) = keys.public_keyring()["keys"]
    twice = {"keys": [entry, entry | {"status": "revoked"}]}
    with pytest.raises(KeyringError, match="'test-key-2026' is listed more than once"):
        TrustedKeys.from_keyring(twice)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    keyring = tmp_path / "twice.json"
    keyring.write_text(json.dumps(twice))
    refused = bench("verify", str(path), "--keys", str(keyring))
    assert refused.returncode == 2 and "'test-key-2026' is listed more than once" in refused.stderr
    (tmp_path / "keys" / "keyring.json").write_text(json.dumps(twice))
    local = bench("verify", str(path), env={"BENCH_DATA_DIR": str(tmp_path)})
    assert local.returncode == 2 and "listed more than once" in local.stderr


def test_post_verify_keeps_using_the_servers_own_keyring(app: Flask, client: FlaskClient) -> None:
    report = finish_run(app)
    answer = client.post(f"{API}/verify", headers=A, json={"report": report})
    assert answer.status_code == 200 and answer.json["status"] == "valid"


# 5. log lines


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nowhere%0D%0A2026-12-01 10:00:00 INFO bench_api forged -> 200"),
        ("GET", f"{API}/report/x%0Ay%1b[31m%E2%80%A8z"),
        ("DEL\r\nETE", f"{API}/workloads"),
    ],
)
def test_control_characters_of_a_request_are_escaped_in_its_log_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    with caplog.at_level(logging.INFO, logger="bench_api"):
        answer = client.open(path, method=method, headers=A)
    assert answer.status_code >= 400
    lines = [r.getMessage() for r in caplog.records if r.name == "bench_api"]
    assert len(lines) == 1, lines
    (line,) = lines
    assert not any(c in line for c in "\r\n\x1b\u2028"), repr(line)
    assert "\\x0d\\x0a" in line or "\\x0a" in line or "\\x0d" in line


# 6. file modes in the data dir


def assert_private(data_dir: Path) -> None:
    exposed = []
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_IMODE(mode) & 0o077:
            exposed.append(f"{stat.filemode(mode)} {path.relative_to(data_dir)}")
    assert exposed == [], "group/other may access:\n" + "\n".join(exposed)


def test_bench_run_leaves_a_private_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    done = bench("run", "--backend", "simulator", "--workloads", "bell_state", "--shots", "50",
                 "--seed", "1", "--output", str(tmp_path / "report.json"),
                 env={"BENCH_DATA_DIR": str(data_dir)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("bench.sqlite3", "keys/keyring.json", "ledger/entries", "ledger/checkpoint"):
        assert (data_dir / name).exists(), name
    assert_private(data_dir)


def test_the_served_data_dir_is_private(platform_server: Served) -> None:
    request = {"backend_id": "simulator", "workloads": ["bell_state"], "shots": 50}
    accepted = platform_server.post(f"{API}/run", headers=A, json=request)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["benchmark_id"]
    deadline = time.monotonic() + 120
    while platform_server.get(f"{API}/report/{run_id}", headers=A).status_code != 200:
        assert time.monotonic() < deadline, platform_server.output()[-3000:]
        time.sleep(0.3)
    assert (platform_server.data_dir / "redis").is_dir()
    assert_private(platform_server.data_dir)


# 7. workloads wider than their backend


def test_a_workload_wider_than_its_backend_is_refused_at_post_run(
    app: Flask, client: FlaskClient
) -> None:
    request = {"backend_id": "ionq_aria", "workloads": ["bell_state", "ghz_50q", "ghz_100q"]}
    body = error_of(client.post(f"{API}/run", headers=A, json=request), 400, "INVALID_WORKLOAD")
    assert body["details"]["too_wide"] == ["ghz_50q", "ghz_100q"]
    assert "ionq_aria (25 qubits)" in body["message"] and "ghz_50q, ghz_100q" in body["message"]
    assert platform.of(app).runtime.store.active_runs() == []
    fits = {"backend_id": "ionq_aria", "workloads": ["bell_state", "ghz_10q"]}
    assert client.post(f"{API}/run", headers=A, json=fits).status_code == 202


def test_bench_run_refuses_a_workload_wider_than_its_backend(tmp_path: Path) -> None:
    done = bench("run", "--backend", "ionq_aria", "--workloads", "ghz_100q",
                 env={"BENCH_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "INVALID_WORKLOAD" in done.stderr and "ghz_100q" in done.stderr
    assert "25 qubits" in done.stderr


def test_a_schedule_wider_than_its_backend_is_refused_when_loaded(tmp_path: Path) -> None:
    from bench_common.catalogue import CATALOGUE
    from bench_workers.schedules import load_schedules

    schedule = {"name": "too-wide", "tenant_id": "ops", "cron": "0 2 * * *",
                "request": {"backend_id": "ionq_aria", "workloads": ["ghz_50q"]}}  # fmt: skip
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"schedules": [schedule]}))
    with pytest.raises(ValueError, match="ghz_50q") as refused:
        load_schedules(path, CATALOGUE)
    assert "too-wide" in str(refused.value)
