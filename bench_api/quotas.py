"""Per-tenant quotas and the per-process bound on verification work.

- Request rate: at most ``BENCH_RATE_LIMIT`` authenticated requests per tenant per window
  (``N/second``, ``N/minute`` or ``N/hour``), counted in the broker's Redis with the
  ``limits`` package's fixed window (INCR and EXPIRE in one Lua script), so every API
  process shares one budget. Beyond it: 429 ``RATE_LIMITED`` with ``Retry-After`` (seconds
  until the window ends). When that Redis does not answer, requests are not counted (fail
  open, logged, Redis left alone for ``OUTAGE_BACKOFF_SECONDS``): the store still answers
  reads, ``POST /run`` is a 503 without the broker anyway, and the active-run quota and the
  verification bound do not depend on Redis.
- Active runs: ``POST /run`` is a 429 ``RATE_LIMITED`` while the tenant already has
  ``BENCH_MAX_ACTIVE_RUNS`` queued or running runs (counted in the store, the source of
  truth; never skipped).
- Verification: at most ``BENCH_MAX_VERIFICATIONS`` verifications (parsing included) at once
  per API process; one more is a 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After``: the
  server is busy, whoever asks, which is not a tenant being over its quota.

Each app holds its own ``Quotas`` in ``app.extensions``, like the platform.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, g
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from bench_api.errors import ApiError
from bench_common.broker import result_backend
from bench_common.errors import ErrorCode
from bench_common.settings import Settings
from bench_common.store.base import Store

logger = logging.getLogger("bench_api")

EXTENSION = "qcos_bench_quotas"
RATE_FORMAT = re.compile(r"\s*([0-9]+)\s*/\s*(second|minute|hour)\s*")
RATE_KEY_PREFIX = "qcos-bench:rate"
REDIS_TIMEOUT_SECONDS = 0.5
OUTAGE_BACKOFF_SECONDS = 5.0
ACTIVE_RUNS_RETRY_AFTER = 30
"""Seconds a tenant at its active-run quota is told to wait: runs end when they end, so this
is a polling interval rather than a promise."""
VERIFICATION_RETRY_AFTER = 1


def parse_rate(text: str) -> RateLimitItem:
    """``BENCH_RATE_LIMIT`` (``N/second``, ``N/minute`` or ``N/hour``, N ≥ 1) as a limit."""
    match = RATE_FORMAT.fullmatch(text)
    if not match or int(match[1]) < 1:
        raise ValueError(
            f"BENCH_RATE_LIMIT must look like N/second, N/minute or N/hour, not {text!r}"
        )
    return parse(f"{int(match[1])}/{match[2]}")


def redis_uri(broker_url: str) -> str:
    """The ``limits`` storage URI of a kombu Redis URL (``redis+socket://`` is kombu's unix
    socket, ``redis+unix://`` theirs)."""
    return re.sub(r"^redis\+socket://", "redis+unix://", broker_url)


class RateLimiter:
    """One fixed window per tenant in the platform's Redis: the broker's, or with a RabbitMQ
    broker the result backend's (``BENCH_RESULT_BACKEND``)."""

    def __init__(self, settings: Settings) -> None:
        self.item = parse_rate(settings.rate_limit)
        storage = RedisStorage(
            redis_uri(result_backend(settings)),
            key_prefix=RATE_KEY_PREFIX,
            wrap_exceptions=True,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.limiter = FixedWindowRateLimiter(storage)
        self._skip_until = 0.0

    def hit(self, tenant_id: str) -> int | None:
        """Count one request of ``tenant_id``: None while within its budget, else the seconds
        until its window ends. Not counted (None) while Redis is unreachable."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            if self.limiter.hit(self.item, tenant_id):
                return None
            reset = self.limiter.get_window_stats(self.item, tenant_id).reset_time
        except StorageError as exc:
            self._skip_until = time.monotonic() + OUTAGE_BACKOFF_SECONDS
            logger.warning("rate limit not applied for %.0f s: the broker's Redis is unreachable "
                           "(%s)", OUTAGE_BACKOFF_SECONDS, exc)  # fmt: skip
            return None
        return max(1, math.ceil(reset - time.time()))


@dataclass
class Quotas:
    settings: Settings
    rate: RateLimiter
    verifications: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.verifications = threading.BoundedSemaphore(max(1, self.settings.max_verifications))

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self


def of(app: Flask) -> Quotas:
    quotas = app.extensions[EXTENSION]
    assert isinstance(quotas, Quotas)
    return quotas


def init_app(app: Flask, settings: Settings) -> None:
    Quotas(settings, RateLimiter(settings)).init_app(app)


def count_request(tenant_id: str) -> None:
    """Count an authenticated request against its tenant's rate; 429 beyond it."""
    quotas = of(current_app)
    retry_after = quotas.rate.hit(tenant_id)
    if retry_after is not None:
        limit = quotas.settings.rate_limit
        raise ApiError(ErrorCode.RATE_LIMITED,
                       f"Over this tenant's request rate of {limit}; retry in {retry_after} s",
                       {"rate_limit": limit, "retry_after": retry_after},
                       headers={"Retry-After": str(retry_after)})  # fmt: skip


def check_active_runs(store: Store, tenant_id: str) -> None:
    """429 when ``tenant_id`` already has its quota of queued or running runs."""
    quota = of(current_app).settings.max_active_runs
    active = store.count_tenant_active_runs(tenant_id)
    if active >= quota:
        raise ApiError(ErrorCode.RATE_LIMITED,
                       f"{active} runs of this tenant are queued or running, the most allowed; "
                       "retry when one has finished",
                       {"active_runs": active, "max_active_runs": quota},
                       headers={"Retry-After": str(ACTIVE_RUNS_RETRY_AFTER)})  # fmt: skip


def take_verification_slot() -> None:
    """Before a verification is parsed: a slot of this process, or 503 when all are taken."""
    quotas = of(current_app)
    if not quotas.verifications.acquire(blocking=False):
        most = max(1, quotas.settings.max_verifications)
        raise ApiError(ErrorCode.SERVICE_UNAVAILABLE,
                       f"The server is already running its {most} verifications; retry shortly",
                       {"max_verifications": most},
                       headers={"Retry-After": str(VERIFICATION_RETRY_AFTER)})  # fmt: skip
    g.verification_slot = True


def release_verification_slot(error: BaseException | None = None) -> None:
    if g.pop("verification_slot", False):
        of(current_app).verifications.release()
