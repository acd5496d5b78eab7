"""The one settings object, read from the environment once at start-up and passed down.

Each field names its environment variable; ``from_env`` converts by the field's type, so a
new setting is one line here (and one row in the README's configuration table).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench_common.providers import PROVIDERS, ProviderSpec

MAX_SOCKET_PATH = 100
"""Unix socket paths longer than about 104 bytes are refused by the kernel."""
DEV_TENANT = "dev"
"""The tenant of the generated development key (``make run``), and ``bench run``'s default,
so that runs made either way are seen together."""


def _env(name: str, default: Any) -> Any:
    return field(default=default, metadata={"env": name})


@dataclass(frozen=True)
class Settings:
    """Every tunable of the platform; see the README's configuration table."""

    data_dir: Path = _env("BENCH_DATA_DIR", Path("bench-data"))
    host: str = _env("BENCH_HOST", "127.0.0.1")
    port: int = _env("BENCH_PORT", 8000)
    broker_url: str | None = _env("BENCH_BROKER_URL", None)
    store_url: str | None = _env("BENCH_STORE_URL", None)
    api_keys: str | None = _env("BENCH_API_KEYS", None)
    signing_key_path: Path | None = _env("BENCH_SIGNING_KEY", None)
    signing_key_id: str | None = _env("BENCH_SIGNING_KEY_ID", None)
    signing_key_passphrase: str | None = _env("BENCH_SIGNING_KEY_PASSPHRASE", None)
    ledger_origin: str = _env("BENCH_LEDGER_ORIGIN", "qcos-bench.local/ledger")
    workers: int = _env("BENCH_WORKERS", 2)
    visibility_timeout: int = _env("BENCH_VISIBILITY_TIMEOUT", 3600)
    chord_expires: int = _env("BENCH_CHORD_EXPIRES", 3 * 24 * 3600)
    task_soft_time_limit: int = _env("BENCH_TASK_TIME_LIMIT", 1800)
    reconcile_interval: float = _env("BENCH_RECONCILE_INTERVAL", 10.0)
    run_deadline: int = _env("BENCH_RUN_DEADLINE", 24 * 3600)
    poll_interval: float = _env("BENCH_POLL_INTERVAL", 10.0)
    status_interval: float = _env("BENCH_STATUS_INTERVAL", 300.0)
    schedules_file: Path | None = _env("BENCH_SCHEDULES", None)
    device_models_file: Path | None = _env("BENCH_DEVICE_MODELS", None)
    alert_webhook: str | None = _env("BENCH_ALERT_WEBHOOK", None)
    flower_port: int | None = _env("BENCH_FLOWER_PORT", None)
    """With ``flower_auth``, ``bench serve`` also starts Flower on this port."""
    flower_auth: str | None = _env("BENCH_FLOWER_AUTH", None)
    """``user:password`` for Flower's basic auth; Flower is not started without it."""
    """Where drift alerts are posted (JSON), besides ``GET /api/v2/bench/alerts``."""
    """Custom simulated devices, read at start-up (see the README's "Custom device models")."""
    lease_seconds: float = _env("BENCH_LEASE_SECONDS", 20.0)
    """How long a workload stays claimed by its worker without a heartbeat."""
    heartbeat_interval: float = _env("BENCH_HEARTBEAT_INTERVAL", 5.0)
    dispatch_grace: float = _env("BENCH_DISPATCH_GRACE", 20.0)
    """How long a run may wait for its dispatch (and a re-sent workload for a worker) before
    the reconciler sends it again; the wait doubles with each re-send of a workload."""
    result_backend: str | None = _env("BENCH_RESULT_BACKEND", None)
    """Celery's result backend (chord counters): default the broker's Redis; required, a
    redis:// URL, with an amqp:// broker."""
    rate_limit: str = _env("BENCH_RATE_LIMIT", "600/minute")
    max_active_runs: int = _env("BENCH_MAX_ACTIVE_RUNS", 200)
    run_budgets: str | None = _env("BENCH_RUN_BUDGETS", None)
    """The most one hardware run may cost, in USD, by tenant (``tenant:amount,*:amount``;
    ``bench_common.pricing.Budgets``)."""
    max_verifications: int = _env("BENCH_MAX_VERIFICATIONS", 2)
    http_connection_limit: int = _env("BENCH_HTTP_CONNECTION_LIMIT", 1000)
    http_idle_timeout: int = _env("BENCH_HTTP_IDLE_TIMEOUT", 30)
    http_header_timeout: int = _env("BENCH_HTTP_HEADER_TIMEOUT", 10)
    metrics_token: str | None = _env("BENCH_METRICS_TOKEN", None)
    """When set, ``GET /metrics`` needs ``Authorization: Bearer <token>``."""
    provider_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        providers: Iterable[ProviderSpec] = PROVIDERS,
        **overrides: Any,
    ) -> Settings:
        """Settings from ``env`` (default: the process environment), then ``overrides``;
        ``provider_env`` keeps the variables that ``providers`` name or prefix."""
        env = os.environ if env is None else env
        providers = tuple(providers)
        prefixes = tuple(p for spec in providers for p in spec.env_prefixes)
        variables = {v for spec in providers for v in spec.variables}
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name = spec.metadata.get("env")
            if name and env.get(name):
                values[spec.name] = _CONVERTERS[str(spec.type)](env[name])
        values["provider_env"] = {
            k: v for k, v in env.items() if k in variables or k.startswith(prefixes)
        }
        return cls(**(values | overrides))

    def to_env(self) -> dict[str, str]:
        """The environment from which ``from_env`` rebuilds these settings in a child process."""
        env = dict(self.provider_env)
        for spec in fields(self):
            name, value = spec.metadata.get("env"), getattr(self, spec.name)
            if name and value is not None:
                env[name] = str(value.resolve() if isinstance(value, Path) else value)
        return env

    @property
    def embedded_socket(self) -> Path:
        """Where the embedded redis-server listens: in the data dir, or, when that path is too
        long for a unix socket, in a temp dir named after it (so every process finds it)."""
        preferred = self.data_dir.resolve() / "redis" / "redis.sock"
        if len(str(preferred)) <= MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"qcos-bench-{digest}" / "redis.sock"

    @property
    def embedded_broker_url(self) -> str:
        """The private redis-server's socket, used when no broker is configured: what
        ``celery -A bench_workers.celery_app …`` reaches against ``make run``'s data dir."""
        return f"redis+socket://{self.embedded_socket}"

    @property
    def store_location(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir.resolve() / 'bench.sqlite3'}"

    @property
    def store_description(self) -> str:
        """Where data lives, without any credentials the store URL may carry."""
        location = urlsplit(self.store_location)
        where = location.hostname or "/" + location.path.lstrip("/")
        return f"{location.scheme} at {where} (ledger and keys in {self.data_dir.resolve()})"


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "Path": Path,
    "Path | None": Path,
    "str": str,
    "str | None": str,
    "int": int,
    "int | None": int,
    "float": float,
}
