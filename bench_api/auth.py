"""API keys: one tenant per key, only SHA-256 hashes at rest.

``BENCH_API_KEYS`` (``key1:tenantA,key2:tenantB``) registers keys at start-up; without it
one development key is generated once, kept in the data dir (mode 0600) so restarts keep
it, and printed by ``bench serve``.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import g, request

from bench_api import platform, quotas
from bench_api.errors import ApiError
from bench_common.errors import ErrorCode
from bench_common.fileutil import locked, private_dir, write_atomic
from bench_common.settings import DEV_TENANT, Settings
from bench_common.store.base import Store
from bench_common.timeutil import format_time, now

HEADER = "X-API-Key"
DEV_KEY_FILE = "dev-api-key"
KEY_PREFIX = "qcb_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def register(store: Store, key: str, tenant_id: str, label: str) -> None:
    """Store the key's hash for ``tenant_id``; registering it again changes nothing."""
    key_hash = hash_key(key)
    owner = store.tenant_for_key(key_hash)
    if owner is None:
        store.add_api_key(key_hash, tenant_id, label, format_time(now()))
    elif owner != tenant_id:
        raise ValueError(f"an API key for tenant {tenant_id!r} already belongs to {owner!r}")


def parse_key_list(text: str) -> list[tuple[str, str]]:
    """``key1:tenantA,key2:tenantB`` as (key, tenant) pairs."""
    pairs = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key, _, tenant_id = entry.rpartition(":")
        if not key or not tenant_id:
            raise ValueError("BENCH_API_KEYS entries must look like key:tenant")
        pairs.append((key, tenant_id))
    return pairs


def dev_key(data_dir: Path) -> str:
    """The development key of this data dir, generated on first use."""
    private_dir(data_dir)
    path = data_dir / DEV_KEY_FILE
    with locked(data_dir / f".{DEV_KEY_FILE}.lock"):
        if not path.exists():
            write_atomic(path, new_key().encode(), mode=0o600)
        return path.read_text().strip()


def seed_keys(settings: Settings, store: Store) -> str | None:
    """Register the configured keys; return the development key when that is what is used."""
    if settings.api_keys:
        for key, tenant_id in parse_key_list(settings.api_keys):
            register(store, key, tenant_id, "BENCH_API_KEYS")
        return None
    key = dev_key(settings.data_dir)
    register(store, key, DEV_TENANT, "development key")
    return key


def authenticate() -> None:
    """Resolve ``X-API-Key`` to its tenant, or answer 401 before the view runs; then count
    the request against the tenant's rate (429 beyond it). A 401 counts against no one."""
    key = request.headers.get(HEADER)
    tenant_id = platform.current().runtime.store.tenant_for_key(hash_key(key)) if key else None
    if tenant_id is None:
        raise ApiError(ErrorCode.UNAUTHORIZED, f"A valid {HEADER} header is required")
    g.tenant_id = tenant_id
    quotas.count_request(tenant_id)


def tenant() -> str:
    """The tenant of the authenticated request."""
    return str(g.tenant_id)
