"""``python -m benchmarks chaos``: 300 runs drained on the shipped defaults while a worker is
SIGKILLed every 10 s (and a new one started at once, as an orchestrator would) and the
broker is SIGKILLed and restarted twice. Prints runs lost, workloads executed twice in
effect, reports verified, and the time from submission to signed report."""

from __future__ import annotations

import json
import random
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench_cli.embedded import start_worker, stop_process, worker_command
from bench_common.broker import BrokerDispatcher, celery_app
from bench_common.catalogue import CATALOGUE
from bench_common.errors import BenchError
from bench_common.evidence import verify_report
from bench_common.redis_server import RedisServer
from bench_common.runtime import Runtime
from bench_common.service import RunRequest, RunService
from bench_common.settings import Settings
from bench_common.timeutil import parse_time
from benchmarks.timing import row

RUNS = 300
WORKERS = 2
KILL_EVERY_SECONDS = 10.0
BROKER_RESTARTS_AT = (15.0, 40.0)
BROKER_DOWN_SECONDS = 3.0
DRAIN_TIMEOUT_SECONDS = 900.0
REQUEST: RunRequest = {"backend_id": "ibm_brisbane",
                       "workloads": ["bell_state", "ghz_10q", "depth_stress"],
                       "shots": 2000}  # fmt: skip
"""A new seed per run (so a new transpilation, as real runs have): about a second of work
per run, so the drain outlasts both broker restarts."""


class Chaos:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.redis = RedisServer(root / "redis").start()
        data_dir = root / "data"
        self.settings = Settings.from_env({}, data_dir=data_dir, broker_url=self.redis.url)
        self.runtime = Runtime(self.settings)
        dispatcher = BrokerDispatcher(celery_app(self.settings, CATALOGUE))
        self.service = RunService(self.settings, self.runtime.store, CATALOGUE, dispatcher)
        self.started = 0
        self.kills = 0
        self.restarts = 0
        self.workers = [self.worker(i) for i in range(WORKERS)]
        self.stop = threading.Event()

    def worker(self, index: int) -> subprocess.Popen[bytes]:
        command = worker_command(CATALOGUE.queues, 1, beat=index == 0, name=f"chaos{index}",
                                 state_dir=self.root / f"beat{index}")  # fmt: skip
        (self.root / f"beat{index}").mkdir(exist_ok=True)
        self.started += 1
        return start_worker(self.settings, command, self.root / f"worker{self.started}.log")

    def killer(self) -> None:
        """Every 10 s a worker dies by SIGKILL and its replacement starts at once."""
        while not self.stop.wait(KILL_EVERY_SECONDS):
            index = random.randrange(WORKERS)
            self.workers[index].send_signal(signal.SIGKILL)
            self.workers[index].wait()
            self.kills += 1
            self.workers[index] = self.worker(index)

    def broker_restarts(self, begun: float) -> None:
        for moment in BROKER_RESTARTS_AT:
            if self.stop.wait(max(0.0, begun + moment - time.monotonic())):
                return
            self.redis.stop(kill=True)
            time.sleep(BROKER_DOWN_SECONDS)
            self.redis.start()
            self.restarts += 1

    def submit_all(self) -> list[str]:
        accepted = []
        while len(accepted) < RUNS:
            try:
                accepted.append(self.service.submit("chaos", REQUEST).run.id)
            except BenchError:  # broker down: refused, nothing recorded; a client retries
                time.sleep(0.5)
        return accepted

    def close(self) -> None:
        self.stop.set()
        for worker in self.workers:
            stop_process(worker, grace=10)
        self.redis.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        chaos = Chaos(Path(tmp))
        begun = time.monotonic()
        threads = [
            threading.Thread(target=chaos.killer, daemon=True),
            threading.Thread(target=chaos.broker_restarts, args=(begun,), daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            run_ids = chaos.submit_all()
            store = chaos.runtime.store
            deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                if all(store.get_report(r) is not None for r in run_ids):
                    break
                time.sleep(1.0)
            drained = time.monotonic() - begun
        finally:
            chaos.close()
        keys = chaos.runtime.keys.public_keyring()
        reports = {r: store.get_report(r) for r in run_ids}
        lost = [r for r, report in reports.items() if report is None]
        signed = [report for report in reports.values() if report is not None]
        twice = sum(
            len(report["workloads"]) - len({row["id"] for row in report["workloads"]})
            for report in signed
        )
        ledgered = [json.loads(chaos.runtime.ledger.entry(i))["report_id"]
                    for i in range(chaos.runtime.ledger.size)]  # fmt: skip
        twice += len(ledgered) - len(set(ledgered))
        verified = sum(verify_report(report, keys).status == "valid" for report in signed)
        latencies = []
        for run_id in run_ids:
            run = store.get_run(run_id)
            begun_at, ended_at = parse_time(run.created_at), parse_time(run.finished_at)
            if begun_at and ended_at:
                latencies.append((ended_at - begun_at).total_seconds())
    print(f"{RUNS} runs of {REQUEST['workloads']} on {REQUEST['backend_id']} (simulated), "
          f"{WORKERS} workers, shipped defaults; {chaos.kills} worker SIGKILLs, "
          f"{chaos.restarts} broker SIGKILLs and restarts; "
          f"drained in {drained:.0f} s")  # fmt: skip
    row("runs lost (target 0)", len(lost), "runs")
    row("workloads executed twice in effect (target 0)", twice, "")
    row(f"reports verified (target {RUNS})", verified, "")
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    row("submission to signed report, p50", quantiles[49], "s")
    row("submission to signed report, p99", quantiles[98], "s")
