"""The embedded default: a private broker and one worker pool for every queue.

``make run``, ``bench serve`` without ``BENCH_BROKER_URL`` and the tests use this to run the
same Celery tasks a production deployment runs, with nothing installed but this package.
The broker keeps its append-only file in the data dir, so queued work survives a restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from bench_common.catalogue import CATALOGUE
from bench_common.redis_server import RedisServer
from bench_common.settings import Settings

MAX_SOCKET_PATH = 100
"""Unix socket paths longer than about 104 bytes are refused by the kernel."""
SHUTDOWN_GRACE_SECONDS = 30.0


def socket_path_for(data_dir: Path) -> Path:
    """The broker socket in the data dir, or in a private temp dir when that path is too long."""
    preferred = data_dir.resolve() / "redis" / "redis.sock"
    if len(str(preferred)) <= MAX_SOCKET_PATH:
        return preferred
    return Path(tempfile.mkdtemp(prefix="qcos-bench-")) / "redis.sock"


WORKER_APP = "bench_workers.celery_app"
"""What ``celery -A`` loads in a worker process; the supervisor itself imports no worker code."""


def worker_command(
    queues: Sequence[str] = CATALOGUE.queues, concurrency: int = 1, *, beat: bool = False,
    name: str = "worker", state_dir: Path | None = None,
) -> list[str]:  # fmt: skip
    """The ``celery worker`` command line for a pool consuming ``queues``."""
    command = [
        sys.executable, "-m", "celery", "-A", WORKER_APP, "worker",
        "-Q", ",".join(queues), "-c", str(concurrency), "-n", f"{name}-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "-l", "INFO",
    ]  # fmt: skip
    if beat:
        schedule = (state_dir or Path(tempfile.gettempdir())) / "celerybeat-schedule"
        command += ["-B", "-s", str(schedule)]
    return command


def start_worker(
    settings: Settings, command: list[str], log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """A worker subprocess configured by ``settings`` through its environment."""
    env = {**os.environ, **settings.to_env()}
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - child owns it
    try:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    finally:
        if log_path:
            log.close()  # type: ignore[union-attr]


def stop_process(process: subprocess.Popen[bytes], grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
    """Warm shutdown (running tasks finish), then SIGKILL to the whole process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class EmbeddedPlatform:
    """``with EmbeddedPlatform(settings) as running:`` yields settings pointing at the broker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: RedisServer | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Settings:
        data_dir = self.settings.data_dir.resolve()
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer(data_dir / "redis", socket_path=socket_path_for(data_dir))
        self.redis.start()
        running = replace(self.settings, data_dir=data_dir, broker_url=self.redis.url)
        command = worker_command(CATALOGUE.queues, self.settings.workers, beat=True,
                                 name="embedded", state_dir=data_dir)  # fmt: skip
        self.worker = start_worker(running, command, data_dir / "logs" / "worker.log")
        return running

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.worker is not None:
            stop_process(self.worker)
        if self.redis is not None:
            self.redis.stop()
