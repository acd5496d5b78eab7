"""Flower beside ``bench serve`` (``BENCH_FLOWER_PORT`` with ``BENCH_FLOWER_AUTH``).

Flower watches the same broker as the workers. It asks them to send task events while it
runs (Flower's ``enable_events``); when it stops, they are switched off again, since events
cost the pools about a quarter of their small-run throughput. Without basic auth, Flower
is not started: its API would let anyone revoke tasks.
"""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType

from bench_cli.embedded import WORKER_APP, start_worker, stop_process
from bench_common.broker import celery_app
from bench_common.catalogue import CATALOGUE
from bench_common.settings import Settings

EVENTS_OFF_TIMEOUT_SECONDS = 2.0


def flower_command(settings: Settings) -> list[str]:
    assert settings.flower_port is not None and settings.flower_auth is not None
    return [
        "celery", "-A", WORKER_APP, "flower", f"--port={settings.flower_port}",
        f"--address={settings.host}", f"--basic-auth={settings.flower_auth}",
    ]  # fmt: skip


def why_not_started(settings: Settings) -> str | None:
    """Why Flower will not start with these settings; None when it will (or is not asked)."""
    if settings.flower_port is None:
        return None
    if not settings.flower_auth or ":" not in settings.flower_auth:
        return ("Flower not started: BENCH_FLOWER_PORT needs BENCH_FLOWER_AUTH=user:password "
                "(its API is open to anyone otherwise)")  # fmt: skip
    return None


class Flower:
    """``with Flower(settings):`` runs Flower on the settings' broker, when it is asked for."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def wanted(self) -> bool:
        return self.settings.flower_port is not None and why_not_started(self.settings) is None

    def __enter__(self) -> Flower:
        if self.wanted:
            command = [sys.executable, "-m", *flower_command(self.settings)]
            log = self.settings.data_dir.resolve() / "logs" / "flower.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            self.process = start_worker(self.settings, command, log, tied=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is None:
            return
        stop_process(self.process, grace=10)
        app = celery_app(self.settings, CATALOGUE)
        try:  # nobody watches events now: the workers stop sending them
            app.control.broadcast("disable_events", timeout=EVENTS_OFF_TIMEOUT_SECONDS)
        finally:
            app.close()
