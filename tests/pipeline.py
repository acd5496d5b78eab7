"""A real pipeline for tests: a redis-server, ``celery worker`` subprocesses, a SQLite store."""

from __future__ import annotations

import gc
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from celery import Celery
from rabbit_server import RabbitServer

from bench_cli.embedded import start_worker, stop_process, worker_command
from bench_common.broker import BrokerDispatcher, celery_app
from bench_common.catalogue import CATALOGUE
from bench_common.redis_server import RedisServer
from bench_common.service import RunService, Submission
from bench_common.settings import Settings
from bench_workers.runtime import WorkerRuntime

T = TypeVar("T")


def call_task(app: Celery, task: str, **kwargs: Any) -> Any:
    """Send a task by name and return what it returned. The result backend holds the result
    handle, whose finalizer unsubscribes from the backend: it is released and finalized
    here, while the broker still runs, not in some later test after it stopped."""
    result = app.send_task(task, kwargs=kwargs)
    try:
        return result.get(timeout=60)
    finally:
        app.backend.remove_pending_result(result)
        del result
        gc.collect()


def wait_for(check: Callable[[], T | None], timeout: float, what: str, step: float = 0.1) -> T:
    """Poll ``check`` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None and value is not False:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Pipeline:
    redis: RedisServer
    settings: Settings
    broker: RedisServer | RabbitServer
    """The server the tasks travel through: ``redis`` itself, or a RabbitMQ node with
    ``redis`` as the result backend."""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def runtime(self) -> WorkerRuntime:
        return WorkerRuntime(self.settings)

    def start_worker(
        self, queues: Sequence[str] = CATALOGUE.queues, concurrency: int = 1, *, beat: bool = False,
        **overrides: Any,
    ) -> subprocess.Popen[bytes]:  # fmt: skip
        index = len(self.workers)
        command = worker_command(queues, concurrency, beat=beat, name=f"test{index}",
                                 state_dir=self.settings.data_dir)  # fmt: skip
        log = self.settings.data_dir / f"worker{index}.log"
        worker = start_worker(replace(self.settings, **overrides), command, log)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.settings.data_dir.glob("worker*.log")))

    def submit(self, backend_id: str = "simulator", **request: Any) -> Submission:
        """Submit as the API does: through the run service and the broker dispatcher."""
        runtime = self.runtime
        dispatcher = BrokerDispatcher(celery_app(self.settings, runtime.catalogue))
        service = RunService(self.settings, runtime.store, runtime.catalogue, dispatcher)
        return service.submit("tenant-a", {"backend_id": backend_id, **request})  # type: ignore[typeddict-item]

    def wait_for_report(self, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
        store = self.runtime.store
        try:
            return wait_for(lambda: store.get_report(run_id), timeout, f"report of {run_id}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- worker logs ---\n{self.logs()[-6000:]}") from None

    def stop(self) -> None:
        for worker in self.workers:
            stop_process(worker, grace=10)


def make_pipeline(
    tmp_path: Path, redis: RedisServer, rabbit: RabbitServer | None = None, **overrides: Any
) -> Pipeline:
    """Settings from an empty environment but for the data dir, the broker and ``overrides``."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    if rabbit is not None:
        overrides |= {"broker_url": rabbit.url, "result_backend": redis.url}
    settings = Settings.from_env({}, data_dir=data_dir, **{"broker_url": redis.url, **overrides})
    return Pipeline(redis, settings, rabbit or redis)
