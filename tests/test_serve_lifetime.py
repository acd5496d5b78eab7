"""``bench serve`` killed outright (SIGKILL: no handler, no cleanup) leaves nothing running:
its broker, its worker, the worker's pool and beat all stop within seconds."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
from api_fixtures import serve
from pipeline import wait_for

CLEANUP_BOUND = 5.0


def running(process: psutil.Process) -> bool:
    """Alive and not a zombie (an exited process its new parent has not reaped yet)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_nothing_bench_serve_started_outlives_its_sigkill(tmp_path: Path) -> None:
    serving = serve(tmp_path / "serve")
    served = next(serving)
    started: list[psutil.Process] = []
    try:
        parent = psutil.Process(served.process.pid)
        worker = next(p for p in parent.children() if "celery" in " ".join(p.cmdline()))
        # The pool (BENCH_WORKERS=2) and the embedded beat are forked once the worker is up.
        wait_for(lambda: len(worker.children()) >= 3, 60, "the worker's pool and beat")
        started = parent.children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in started]
        assert any("redis-server" in c for c in commands), commands
        assert sum("celery" in c for c in commands) >= 4, commands
        served.process.kill()
        served.process.wait()
        killed = time.monotonic()
        while (left := [p for p in started if running(p)]) and (
            time.monotonic() - killed < CLEANUP_BOUND
        ):
            time.sleep(0.05)
        elapsed = time.monotonic() - killed
        assert left == [], f"still running {CLEANUP_BOUND} s after bench serve's SIGKILL: {left}"
        print(f"\nbench serve SIGKILLed: its {len(started)} processes gone after {elapsed:.1f} s")
    finally:
        for process in started:  # never leak them, even when the test fails
            if process.is_running():
                process.kill()
        serving.close()
