"""What the views reach through the app: settings, the runtime, the run service, the broker.

Held in ``app.extensions`` so several apps (tests, one per tenant set) can live in one
process without module-level state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import Flask, current_app

from bench_common.broker import BrokerDispatcher
from bench_common.campaigns import CampaignService
from bench_common.runtime import Runtime
from bench_common.service import RunService
from bench_common.settings import Settings

EXTENSION = "qcos_bench"


@dataclass(frozen=True)
class Platform:
    settings: Settings
    runtime: Runtime
    broker: BrokerDispatcher
    dev_key: str | None = None
    """The generated development API key, when ``BENCH_API_KEYS`` is unset."""

    @cached_property
    def service(self) -> RunService:
        return RunService(self.settings, self.runtime.store, self.runtime.catalogue, self.broker)

    @cached_property
    def campaigns(self) -> CampaignService:
        return CampaignService(self.service)

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self


def of(app: Flask) -> Platform:
    platform = app.extensions[EXTENSION]
    assert isinstance(platform, Platform)
    return platform


def current() -> Platform:
    """The platform of the app handling the current request."""
    return of(current_app)
