"""Quotas on a real redis-server and a real SQLite store: one request budget per tenant
shared by every API process, the active-run quota, and the bound on verifications at once
(over HTTP, on ``bench serve``)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from api_fixtures import API, API_KEYS, A, B, Served, serve
from flask import Flask
from werkzeug.test import TestResponse

from bench_api import platform
from bench_api.app import create_app
from bench_api.quotas import parse_rate
from bench_common.queues import FINALIZE_QUEUE
from bench_common.redis_server import RedisServer
from bench_common.settings import Settings
from bench_common.timeutil import format_time, now

RUN = {"backend_id": "simulator", "workloads": ["bell_state"]}
PUBLIC = (f"{API}/healthz", f"{API}/openapi.json", f"{API}/docs")


def two_api_processes(tmp_path: Path, redis: RedisServer, **overrides: Any) -> tuple[Flask, Flask]:
    """Two apps on one store and one broker, as two API processes behind one address."""
    settings = Settings.from_env({}, data_dir=tmp_path / "data", broker_url=redis.url,
                                 api_keys=API_KEYS, **overrides)  # fmt: skip
    return create_app(settings), create_app(settings)


def rate_limited(answer: TestResponse) -> dict[str, Any]:
    assert answer.status_code == 429, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.json
    assert body["code"] == "RATE_LIMITED" and body["message"]
    assert body["request_id"] == answer.headers["X-Request-ID"]
    assert answer.headers["Retry-After"].isdigit() and int(answer.headers["Retry-After"]) >= 1
    return body


def test_two_api_processes_share_one_budget_per_tenant(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    first, second = (app.test_client() for app in two_api_processes(
        tmp_path, redis_server, rate_limit="5/hour"))  # fmt: skip
    for client in (first, second, first, second, first):
        assert client.get(f"{API}/workloads", headers=A).status_code == 200
    for client in (second, first):
        body = rate_limited(client.get(f"{API}/workloads", headers=A))
        assert body["details"]["rate_limit"] == "5/hour"
        assert 3500 <= int(client.get(f"{API}/backends", headers=A).headers["Retry-After"]) <= 3600
    assert second.get(f"{API}/workloads", headers=B).status_code == 200  # another tenant
    for _ in range(10):  # unauthenticated endpoints are not limited; 401s count for no one
        for client in (first, second):
            for path in PUBLIC:
                assert client.get(path).status_code == 200, path
            assert client.get(f"{API}/workloads").status_code == 401
            assert client.get(f"{API}/workloads", headers={"X-API-Key": "nope"}).status_code == 401
    for _ in range(4):  # tenant B's own five, one of them spent above
        assert first.get(f"{API}/workloads", headers=B).status_code == 200
    rate_limited(first.get(f"{API}/workloads", headers=B))


def test_the_counter_lives_in_the_brokers_redis(tmp_path: Path) -> None:
    """The embedded broker is a redis-server on a unix socket (``redis+socket://``)."""
    with RedisServer(tmp_path / "redis", socket_path=tmp_path / "redis.sock") as redis:
        first, second = (app.test_client() for app in two_api_processes(
            tmp_path, redis, rate_limit="2/minute"))  # fmt: skip
        assert first.get(f"{API}/workloads", headers=A).status_code == 200
        assert second.get(f"{API}/workloads", headers=A).status_code == 200
        rate_limited(first.get(f"{API}/workloads", headers=A))
        assert [key.decode() for key in redis.client().keys("qcos-bench:rate*")]


def test_a_run_refused_for_the_rate_records_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    first, second = two_api_processes(tmp_path, redis_server, rate_limit="2/hour")
    assert first.test_client().post(f"{API}/run", headers=A, json=RUN).status_code == 202
    assert second.test_client().post(f"{API}/run", headers=A, json=RUN).status_code == 202
    rate_limited(first.test_client().post(f"{API}/run", headers=A, json=RUN))
    rate_limited(second.test_client().post(f"{API}/run", headers=A, json=RUN))
    store = platform.of(first).runtime.store
    assert store.count_tenant_active_runs("tenant-a") == 2
    assert redis_server.client().llen(FINALIZE_QUEUE) == 2  # two dispatch messages, no more


def test_the_active_run_quota_refuses_and_records_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    first, second = two_api_processes(tmp_path, redis_server, max_active_runs=2)
    accepted = [
        app.test_client().post(f"{API}/run", headers=A, json=RUN) for app in (first, second)
    ]
    assert [answer.status_code for answer in accepted] == [202, 202]
    for app in (first, second):
        body = rate_limited(app.test_client().post(f"{API}/run", headers=A, json=RUN))
        assert body["details"] == {"active_runs": 2, "max_active_runs": 2}
    store = platform.of(first).runtime.store
    assert store.count_tenant_active_runs("tenant-a") == 2
    assert redis_server.client().llen(FINALIZE_QUEUE) == 2
    assert second.test_client().post(f"{API}/run", headers=B, json=RUN).status_code == 202
    assert first.test_client().get(f"{API}/workloads", headers=A).status_code == 200  # reads go on

    store.set_run_status(accepted[0].json["benchmark_id"], "completed", format_time(now()))
    assert first.test_client().post(f"{API}/run", headers=A, json=RUN).status_code == 202
    rate_limited(second.test_client().post(f"{API}/run", headers=A, json=RUN))


def test_without_the_brokers_redis_requests_are_not_counted(
    tmp_path: Path, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail open, logged: the store still answers reads; a run is a 503 without the broker."""
    app, _ = two_api_processes(tmp_path, redis_server, rate_limit="1/hour")
    client = app.test_client()
    assert client.get(f"{API}/workloads", headers=A).status_code == 200
    rate_limited(client.get(f"{API}/workloads", headers=A))
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="bench_api"):
        assert client.get(f"{API}/workloads", headers=A).status_code == 200
        assert client.get(f"{API}/backends", headers=A).status_code == 200
    assert any("rate limit not applied" in record.getMessage() for record in caplog.records)
    assert client.post(f"{API}/run", headers=A, json=RUN).status_code == 503
    assert platform.of(app).runtime.store.count_tenant_active_runs("tenant-a") == 0


@pytest.mark.parametrize("text", ["600", "10/day", "0/minute", "-1/second", "ten/hour", ""])
def test_a_malformed_rate_is_refused_at_start(text: str) -> None:
    with pytest.raises(ValueError, match="BENCH_RATE_LIMIT"):
        parse_rate(text)
    assert parse_rate("600/minute").amount == 600


@pytest.fixture(scope="module")
def one_verification_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("verify-bound")
    with RedisServer(directory / "redis") as redis:
        yield from serve(directory, BENCH_BROKER_URL=redis.url, BENCH_MAX_VERIFICATIONS="1")


def heavy_report() -> bytes:
    """About 8 MiB of small JSON objects: seconds of parsing, well under the 32 MiB limit."""
    rows = [{"k": i, "v": "abc"} for i in range(300_000)]
    return json.dumps({"report": {"id": "x", "rows": rows}}).encode()


def test_verifications_beyond_the_bound_are_503_with_retry_after(
    one_verification_at_a_time: Served,
) -> None:
    server, body = one_verification_at_a_time, heavy_report()
    headers = {**A, "Content-Type": "application/json"}
    answers: list[requests.Response] = []
    start = threading.Barrier(4)

    def verify(path: str) -> None:
        start.wait()
        answers.append(requests.post(server.url + path, headers=headers, data=body, timeout=120))

    paths = [f"{API}/verify", "/bench/verify", f"{API}/verify", "/bench/verify"]
    threads = [threading.Thread(target=verify, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    statuses = sorted(answer.status_code for answer in answers)
    assert len(statuses) == 4 and statuses[0] == 400 and statuses[-1] == 503, statuses
    for answer in answers:
        if answer.status_code == 503:
            assert answer.json()["code"] == "SERVICE_UNAVAILABLE"
            assert answer.json()["details"] == {"max_verifications": 1}
            assert answer.headers["Retry-After"] == "1"
        else:
            assert answer.json()["code"] in ("VERIFICATION_FAILED", "VALIDATION_ERROR")
    # Every slot was given back: verifications one after another all go through.
    for path in (f"{API}/verify", "/bench/verify", f"{API}/verify"):
        again = server.post(path, headers=A, json={"report": {"id": "x"}, "bundle": {}})
        assert again.status_code == 400, again.text
