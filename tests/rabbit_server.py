"""A private rabbitmq-server for tests that kill the broker: its own node name, ports, data
and cookie under the test's directory, so the machine's RabbitMQ is never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from bench_common.redis_server import free_port

START_TIMEOUT = 60.0


def rabbitmq_binary() -> str | None:
    """The server script itself: the ``/usr/sbin`` wrapper switches users, this one does not."""
    for candidate in ("/usr/lib/rabbitmq/bin/rabbitmq-server", shutil.which("rabbitmq-server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class RabbitServer:
    """One RabbitMQ node on free loopback ports; ``stop(kill=True)`` SIGKILLs the whole node,
    and ``start()`` brings it back on the same data (its quorum queues with it)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.node = f"bench-test-{uuid.uuid4().hex[:10]}@localhost"
        self.process: subprocess.Popen[bytes] | None = None
        self.environment = {
            **os.environ,
            "HOME": str(directory),  # the Erlang cookie is created here
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(directory / "rabbitmq.pid"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self) -> RabbitServer:
        binary = rabbitmq_binary()
        assert binary is not None, "rabbitmq-server is not installed"
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "enabled_plugins").write_text("[].\n")
        (self.directory / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")
        log = (self.directory / "server.log").open("ab")
        self.process = subprocess.Popen([binary], env=self.environment, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log, start_new_session=True)  # fmt: skip
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited; see {self.directory}/server.log")
            if self.answers():
                return self
            time.sleep(0.1)
        self.stop(kill=True)
        raise RuntimeError("rabbitmq-server did not answer in time")

    def stop(self, *, kill: bool = False) -> None:
        """SIGKILL (``kill``) or SIGTERM the node's whole process group, and wait for it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while self.answers() and time.monotonic() < deadline:  # the Erlang VM may lag its shell
            time.sleep(0.05)
        self.process = None
