"""The one settings object, read from the environment once at start-up and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Every tunable of the platform; see the README's configuration table."""

    data_dir: Path = Path("bench-data")
    host: str = "127.0.0.1"
    port: int = 8000
    broker_url: str | None = None
    store_url: str | None = None
    api_keys: str | None = None
    signing_key_path: Path | None = None
    signing_key_id: str | None = None
    signing_key_passphrase: str | None = None
    ledger_origin: str = "qcos-bench.local/ledger"
    provider_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        key_path = env.get("BENCH_SIGNING_KEY")
        return cls(
            data_dir=Path(env.get("BENCH_DATA_DIR", "bench-data")),
            host=env.get("BENCH_HOST", "127.0.0.1"),
            port=int(env.get("BENCH_PORT", "8000")),
            broker_url=env.get("BENCH_BROKER_URL") or None,
            store_url=env.get("BENCH_STORE_URL") or None,
            api_keys=env.get("BENCH_API_KEYS") or None,
            signing_key_path=Path(key_path) if key_path else None,
            signing_key_id=env.get("BENCH_SIGNING_KEY_ID") or None,
            signing_key_passphrase=env.get("BENCH_SIGNING_KEY_PASSPHRASE") or None,
            ledger_origin=env.get("BENCH_LEDGER_ORIGIN", "qcos-bench.local/ledger"),
            provider_env={k: v for k, v in env.items() if k.startswith(PROVIDER_ENV_PREFIXES)},
        )


PROVIDER_ENV_PREFIXES = ("QISKIT_IBM_", "AWS_", "BENCH_BRAKET_", "AZURE_QUANTUM_")
