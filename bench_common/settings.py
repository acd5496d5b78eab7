"""The one settings object, read from the environment once at start-up and passed down.

Each field names its environment variable; ``from_env`` converts by the field's type, so a
new setting is one line here (and one row in the README's configuration table).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench_common.providers import PROVIDERS, ProviderSpec


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
    reconcile_interval: float = _env("BENCH_RECONCILE_INTERVAL", 30.0)
    run_deadline: int = _env("BENCH_RUN_DEADLINE", 24 * 3600)
    poll_interval: float = _env("BENCH_POLL_INTERVAL", 10.0)
    status_interval: float = _env("BENCH_STATUS_INTERVAL", 300.0)
    schedules_file: Path | None = _env("BENCH_SCHEDULES", None)
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
    def embedded_broker_url(self) -> str:
        """The private redis-server's unix socket, used when no broker is configured."""
        return f"redis+socket://{self.data_dir.resolve() / 'redis.sock'}"

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
    "float": float,
}
