"""Pipeline throughput and overhead, through a real redis-server and ``celery worker`` pools.

Throughput: small runs (bell_state, 100 shots, simulator) per second with one and with two
worker processes, draining a backlog queued beforehand (median of three drains). Overhead: median
submit-to-signed-report latency of one run on an idle pool, minus executing the same
workload in this process.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench_cli.embedded import start_worker, stop_process, worker_command
from bench_common.broker import BrokerDispatcher, celery_app
from bench_common.catalogue import CATALOGUE
from bench_common.redis_server import RedisServer
from bench_common.runtime import Runtime
from bench_common.service import RunRequest, RunService
from bench_common.settings import Settings
from bench_common.store import ACTIVE_STATUSES
from benchmarks.timing import median_seconds, row

SMALL_RUN: RunRequest = {
    "backend_id": "simulator",
    "workloads": ["bell_state"],
    "shots": 100,
    "seed": 1,
}
THROUGHPUT_RUNS = 600
LATENCY_RUNS = 15


class Bench:
    def __init__(self, root: Path, redis: RedisServer) -> None:
        self.settings = Settings.from_env({}, data_dir=root, broker_url=redis.url)
        self.runtime = Runtime(self.settings)
        self.app = celery_app(self.settings, CATALOGUE)
        dispatcher = BrokerDispatcher(self.app)
        self.service = RunService(self.settings, self.runtime.store, CATALOGUE, dispatcher)

    def submit(self) -> str:
        """As the API submits: through the run service and the broker dispatcher."""
        return self.service.submit("bench", SMALL_RUN).run.id

    def wait(self, run_ids: list[str]) -> None:
        """Until every run has its report; runs finish roughly in order, so only the oldest
        unfinished one is polled (polling them all would steal the workers' CPU)."""
        store = self.runtime.store
        pending = list(run_ids)
        while pending:
            while pending and store.get_run(pending[0]).status not in ACTIVE_STATUSES:
                pending.pop(0)
            if pending:
                time.sleep(0.005)

    def runs_per_second(self, count: int, workers: int) -> float:
        """Runs are queued while the pool consumes nothing, then the pool drains them, so the
        clock measures the workers rather than this process submitting on the same cores."""
        for queue in CATALOGUE.queues:
            self.app.control.cancel_consumer(queue, reply=True, limit=workers)
        run_ids = [self.submit() for _ in range(count)]
        start = time.perf_counter()
        for queue in CATALOGUE.queues:
            self.app.control.add_consumer(queue, reply=True, limit=workers)
        self.wait(run_ids)
        return count / (time.perf_counter() - start)

    def latency(self) -> float:
        start = time.perf_counter()
        self.wait([self.submit()])
        return time.perf_counter() - start


def with_pool(root: Path, processes: int, measure: str) -> float:
    """Measure with ``processes`` separate ``celery worker`` processes of one child each."""
    with RedisServer(root / "redis") as redis:
        bench = Bench(root / f"data-{processes}-{measure}", redis)
        workers = [
            start_worker(
                bench.settings,
                worker_command(CATALOGUE.queues, 1, name=f"bench{index}"),
                root / f"worker-{processes}-{index}.log",
            )
            for index in range(processes)
        ]
        try:
            bench.wait([bench.submit() for _ in range(4 * processes)])  # warm every worker
            if measure == "throughput":
                drains = [bench.runs_per_second(THROUGHPUT_RUNS, processes) for _ in range(3)]
                return statistics.median(drains)
            return statistics.median(bench.latency() for _ in range(LATENCY_RUNS))
        finally:
            for worker in workers:
                stop_process(worker)


def in_process_seconds() -> float:
    from bench_workers.executors import JobSpec
    from bench_workers.simulator import execute

    job = JobSpec.of("bell_state", "simulator", 100, 1)
    execute(job)
    return median_seconds(lambda: execute(job), LATENCY_RUNS)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one = with_pool(root, 1, "throughput")
        two = with_pool(root, 2, "throughput")
        latency = with_pool(root, 1, "latency")
    local = in_process_seconds()
    row("small runs per second, 1 worker process", one, "runs/s")
    row("small runs per second, 2 worker processes", two, "runs/s")
    row("ratio 2 / 1 (target >= 1.6 on two cores)", two / one, "x")
    row("submit-to-signed-report latency, idle pool (median)", latency * 1e3, "ms")
    row("same workload executed in-process (median)", local * 1e3, "ms")
    row("platform overhead per run (target <= 50 ms)", (latency - local) * 1e3, "ms")
