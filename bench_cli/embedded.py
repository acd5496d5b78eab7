"""The embedded default: a private broker and one worker pool for every queue.

``make run``, ``bench serve`` without ``BENCH_BROKER_URL`` and the tests use this to run the
same Celery tasks a production deployment runs, with nothing installed but this package.
The broker keeps its append-only file in the data dir, so queued work survives a restart.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from bench_common.catalogue import CATALOGUE
from bench_common.redis_server import RedisServer
from bench_common.settings import Settings

SHUTDOWN_GRACE_SECONDS = 30.0
PR_SET_PDEATHSIG = 1

WATCHDOG = """
import os, signal, sys, time
parent, broker, worker = (int(arg) for arg in sys.argv[1:4])
while os.getppid() == parent:
    time.sleep(0.2)
def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
try:
    os.killpg(worker, signal.SIGKILL)
except ProcessLookupError:
    pass
try:
    os.kill(broker, signal.SIGTERM)
    deadline = time.monotonic() + 3.0
    while alive(broker) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(broker, signal.SIGKILL)
except ProcessLookupError:
    pass
"""
"""Run by ``python -c`` next to the embedded platform: once the process that started it is
gone (even by SIGKILL, which runs no cleanup), it kills the worker's process group and stops
the broker (SIGTERM, so the append-only file is flushed; SIGKILL after 3 s)."""


def dies_with_parent() -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGKILL when the thread that started it ends (Linux
    ``PR_SET_PDEATHSIG``; elsewhere nothing). Start such children from the main thread."""
    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def preexec() -> None:  # between fork and exec: system calls only
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


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
    settings: Settings, command: list[str], log_path: Path | None = None, *,
    tied: bool = False,
) -> subprocess.Popen[bytes]:  # fmt: skip
    """A worker subprocess configured by ``settings`` through its environment; ``tied``: it
    dies with this process (``dies_with_parent``). Its prefork pool children die with it
    (Celery sets their parent-death signal), and it leads its own process group."""
    env = {**os.environ, **settings.to_env()}
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - child owns it
    try:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True,
                                # system calls only, see dies_with_parent
                                preexec_fn=dies_with_parent() if tied else None)  # noqa: PLW1509  # fmt: skip
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
        self.watchdog: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Settings:
        data_dir = self.settings.data_dir.resolve()
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer(data_dir / "redis", socket_path=self.settings.embedded_socket)
        self.redis.start()
        running = replace(self.settings, data_dir=data_dir, broker_url=self.redis.url)
        command = worker_command(CATALOGUE.queues, self.settings.workers, beat=True,
                                 name="embedded", state_dir=data_dir)  # fmt: skip
        self.worker = start_worker(running, command, data_dir / "logs" / "worker.log", tied=True)
        assert self.redis.process is not None
        watched = [str(os.getpid()), str(self.redis.process.pid), str(self.worker.pid)]
        self.watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, *watched], stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
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
        if self.watchdog is not None:  # last: it still cleans up if this process dies above
            self.watchdog.kill()
            self.watchdog.wait()
