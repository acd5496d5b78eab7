"""The front door over real sockets: ``bench serve`` with its shipped limits refuses an
oversized body from its headers, answers while hundreds of half-open connections sit on it,
and closes idle and slow connections."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from api_fixtures import API, KEY_A, Served, serve
from requests.structures import CaseInsensitiveDict

from bench_common.redis_server import RedisServer

MIB = 1024 * 1024
HUGE = 100 * MIB
HALF_OPEN = 200


@pytest.fixture(scope="module")
def front_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``bench serve`` with the shipped front-door settings (runs are only enqueued)."""
    directory = tmp_path_factory.mktemp("front-door")
    with RedisServer(directory / "redis") as redis:
        yield from serve(directory, BENCH_BROKER_URL=redis.url)


def address(server: Served) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def request_head(path: str, length: int, key: str | None = KEY_A) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {length}"]  # fmt: skip
    if key:
        lines.append(f"X-API-Key: {key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket) -> tuple[int, Mapping[str, str], dict[str, Any]]:
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    headers = CaseInsensitiveDict(answer.getheaders())
    return answer.status, headers, json.loads(answer.read())


def assert_too_large(status: int, headers: Mapping[str, str], body: dict[str, Any]) -> None:
    assert status == 413, body
    assert headers["Content-Type"] == "application/json"
    assert body["code"] == "PAYLOAD_TOO_LARGE" and str(32 * MIB) in body["message"]
    assert body["request_id"] == headers["X-Request-ID"]


@pytest.mark.parametrize("key", [KEY_A, None])
def test_a_content_length_over_the_limit_is_refused_from_the_headers(
    front_door: Served, key: str | None
) -> None:
    """Only the headers are sent: the answer cannot have waited for the body (nor, without
    a key, for authentication, which would need the body read first)."""
    for path in (f"{API}/verify", f"{API}/run", "/bench/verify"):
        with socket.create_connection(address(front_door), timeout=1.0) as sock:
            sock.sendall(request_head(path, 32 * MIB + 1, key))
            assert_too_large(*read_answer(sock))


def test_a_100_mib_body_is_refused_within_a_second(front_door: Served) -> None:
    """The answer comes while the client is still uploading: far less than the body (or
    the largest body any endpoint accepts) had been sent when it arrived."""
    chunk = b"x" * MIB
    sent = [0]
    with socket.create_connection(address(front_door), timeout=1.0) as sock:
        started = time.monotonic()

        def upload() -> None:
            with contextlib.suppress(OSError):  # the server stops reading and closes
                sock.sendall(request_head(f"{API}/verify", HUGE))
                for _ in range(HUGE // MIB):
                    sock.sendall(chunk)
                    sent[0] += len(chunk)

        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        answer = read_answer(sock)
        elapsed, uploaded = time.monotonic() - started, sent[0]
    sender.join(timeout=5)
    assert_too_large(*answer)
    assert elapsed < 1.0, f"refused after {elapsed:.3f} s"
    assert uploaded < 32 * MIB, f"{uploaded} bytes were uploaded before the answer"
    print(f"100 MiB body refused after {elapsed * 1000:.1f} ms, {uploaded / MIB:.0f} MiB sent")


def test_requests_sees_the_413_of_an_oversized_upload(front_door: Served) -> None:
    """What a real client gets for a body over every limit: the JSON 413, not a reset."""
    headers = {"X-API-Key": KEY_A, "Content-Type": "application/json"}
    answer = front_door.post(f"{API}/verify", headers=headers, data=b" " * (40 * MIB))
    assert_too_large(answer.status_code, answer.headers, answer.json())


def test_exactly_the_largest_body_is_still_read(front_door: Served) -> None:
    body = b'{"report": {}, "padding": "' + b"x" * (32 * MIB - 40) + b'"}'
    body = body + b" " * (32 * MIB - len(body))
    answer = front_door.post(f"{API}/verify", headers={"X-API-Key": KEY_A,
                             "Content-Type": "application/json"}, data=body)  # fmt: skip
    assert answer.status_code == 400 and answer.json()["code"] == "VALIDATION_ERROR", answer.text


def test_half_open_connections_leave_healthz_answering(front_door: Served) -> None:
    sockets = []
    try:
        for _ in range(HALF_OPEN):
            sock = socket.create_connection(address(front_door), timeout=5.0)
            sock.sendall(b"GET /api/v2/bench/hea")  # a request line never completed
            sockets.append(sock)
        started = time.monotonic()
        health = requests.get(f"{front_door.url}{API}/healthz", timeout=2.0)
        elapsed = time.monotonic() - started
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert elapsed < 2.0, f"healthz took {elapsed:.3f} s"
        print(f"healthz under {HALF_OPEN} half-open connections: {elapsed * 1000:.1f} ms")
        workloads = requests.get(
            f"{front_door.url}{API}/workloads", headers={"X-API-Key": KEY_A}, timeout=2.0
        )
        assert workloads.status_code == 200
    finally:
        for sock in sockets:
            sock.close()


def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float:
    """Seconds until the server closes ``sock`` (sending ``trickle`` a byte at a time every
    0.25 s meanwhile); fails if it is still open after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(0.25)
    sent = 0
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if sent < len(trickle):
            try:
                sock.sendall(trickle[sent : sent + 1])
            except OSError:
                return time.monotonic() - started
            sent += 1
    raise AssertionError(f"connection still open after {seconds} s")


def test_idle_and_slow_connections_are_closed(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as redis:
        served = serve(tmp_path / "api", BENCH_BROKER_URL=redis.url,
                       BENCH_HTTP_IDLE_TIMEOUT="2", BENCH_HTTP_HEADER_TIMEOUT="3")  # fmt: skip
        server = next(served)
        try:
            with socket.create_connection(address(server), timeout=5.0) as idle:
                assert 1.5 <= closed_within(idle, 6.0) < 6.0
            with socket.create_connection(address(server), timeout=5.0) as half_open:
                half_open.sendall(b"GET /api/v2/bench/heal")
                assert 1.5 <= closed_within(half_open, 6.0) < 6.0
            # A byte every 0.25 s is never idle, but its headers are late: closed all the same.
            slow = b"GET /api/v2/bench/healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"y" * 200
            with socket.create_connection(address(server), timeout=5.0) as trickling:
                assert 2.5 <= closed_within(trickling, 8.0, trickle=slow) < 8.0
            with requests.Session() as session:  # a keep-alive connection left idle
                assert session.get(f"{server.url}{API}/healthz", timeout=5).status_code == 200
                time.sleep(4.5)
                assert session.get(f"{server.url}{API}/healthz", timeout=5).status_code == 200
            assert requests.get(f"{server.url}{API}/healthz", timeout=2).status_code == 200
        finally:
            served.close()
