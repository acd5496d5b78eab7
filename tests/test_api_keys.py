"""API keys: hashed at rest, seeded from BENCH_API_KEYS, a persistent development key
otherwise, and ``bench apikeys create`` for new ones."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from api_fixtures import API, BENCH, KEY_A, KEY_B
from flask import Flask

from bench_api import platform
from bench_api.app import create_app
from bench_api.auth import hash_key
from bench_common.redis_server import RedisServer
from bench_common.settings import Settings


def _stored_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_keys_are_stored_only_as_sha256_hashes(app: Flask) -> None:
    here = platform.of(app)
    here.runtime.store.close()
    stored = _stored_bytes(here.settings.data_dir)
    for key in (KEY_A, KEY_B):
        assert key.encode() not in stored
        assert here.runtime.store.tenant_for_key(hash_key(key)) is not None
    assert here.runtime.store.tenant_for_key(KEY_A) is None


def test_without_configured_keys_one_dev_key_is_kept(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path / "data", broker_url=redis_server.url)
    first = platform.of(create_app(settings)).dev_key
    again = create_app(settings)
    assert first and platform.of(again).dev_key == first
    key_file = tmp_path / "data" / "dev-api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    answer = again.test_client().get(f"{API}/workloads", headers={"X-API-Key": first})
    assert answer.status_code == 200


def test_apikeys_create_prints_a_working_key_once(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    env = {**os.environ, "BENCH_DATA_DIR": str(tmp_path / "data"), "BENCH_API_KEYS": f"{KEY_A}:a"}
    created = subprocess.run(
        [BENCH, "apikeys", "create", "--tenant", "tenant-c", "--label", "ci"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    key = created.stdout.strip()
    assert key and "\n" not in key and key not in created.stderr
    settings = Settings.from_env(env, broker_url=redis_server.url)
    client = create_app(settings).test_client()
    accepted = client.post(
        f"{API}/run", headers={"X-API-Key": key}, json={"backend_id": "simulator"}
    )
    assert accepted.status_code == 202
    assert key.encode() not in _stored_bytes(tmp_path / "data")


def test_apikeys_list_and_revoke(tmp_path: Path, redis_server: RedisServer) -> None:
    env = {**os.environ, "BENCH_DATA_DIR": str(tmp_path / "data")}

    def bench(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([BENCH, "apikeys", *arguments], env=env, capture_output=True,
                              text=True, timeout=60, check=check)  # fmt: skip

    key = bench("create", "--tenant", "tenant-c", "--label", "ci").stdout.strip()
    other = bench("create", "--tenant", "tenant-d").stdout.strip()
    header, *listed = bench("list").stdout.splitlines()
    assert header.split() == ["hash", "tenant", "created", "label"]
    assert [line.split()[1] for line in listed] == ["tenant-c", "tenant-d"]
    assert listed[0].split()[0] == hash_key(key)[:12] and key not in "".join(listed)

    assert bench("revoke", "abc", check=False).returncode == 2  # too short to be safe
    assert bench("revoke", hash_key(key)[:12]).stdout.startswith("revoked")
    assert bench("revoke", key, check=False).returncode == 2  # already gone
    client = create_app(Settings.from_env(env, broker_url=redis_server.url)).test_client()
    assert client.get(f"{API}/workloads", headers={"X-API-Key": key}).status_code == 401
    assert client.get(f"{API}/workloads", headers={"X-API-Key": other}).status_code == 200
