"""What the views reach through the app: settings, the per-process runtime, the Celery app.

Held in ``app.extensions`` so several apps (tests, one per tenant set) can live in one
process without module-level state.
"""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery
from flask import Flask, current_app

from bench_common.runtime import Runtime
from bench_common.settings import Settings

EXTENSION = "qcos_bench"


@dataclass(frozen=True)
class Platform:
    settings: Settings
    runtime: Runtime
    celery: Celery
    dev_key: str | None = None
    """The generated development API key, when ``BENCH_API_KEYS`` is unset."""

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self


def of(app: Flask) -> Platform:
    platform = app.extensions[EXTENSION]
    assert isinstance(platform, Platform)
    return platform


def current() -> Platform:
    """The platform of the app handling the current request."""
    return of(current_app)  # type: ignore[arg-type]
