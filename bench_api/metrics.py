"""``GET /metrics``: the platform in Prometheus' text format, at the server root.

What describes shared state is computed when Prometheus scrapes, from the store and the
broker, never pushed by the workers (separate processes, on other hosts, that come and go):
so every API process answers the same, and nothing is lost when a worker dies.

- ``qcos_bench_runs_total{status}``: runs that ended ``completed`` or ``failed`` (a counter:
  a run never leaves a finished status), from the store's counts by status;
- ``qcos_bench_runs_active``: runs queued or running now;
- ``qcos_bench_queue_depth{queue}``: messages waiting in each queue (Redis: the lengths of
  the queue's lists; RabbitMQ: the queue's message count), ``bench_common.broker_stats``;
- ``qcos_bench_queue_consumers{queue}``: worker nodes consuming each queue, from the
  workers' answers to a broadcast ``active_queues`` (1 s);
- ``qcos_bench_workload_seconds{backend_id}``: a histogram of the execution times of the
  latest ``WORKLOAD_WINDOW`` stored workload results. It is a snapshot of that window, not
  a counter since start: read it with ``histogram_quantile`` on the buckets as they are
  (no ``rate()``). Each result is decoded once per process (results never change);
- ``qcos_bench_up{component}``: 1 while the store (``store``) or broker (``broker``)
  answers; the figures of a component that does not are left out of that scrape;
- ``qcos_bench_http_requests_total{method,code}``: requests this API served, counted in an
  ``after_request`` hook, by method and status code only (never the path, so unknown paths
  add no series; unusual methods count as ``OTHER``). Under gunicorn each worker process
  counts its own: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory for them to share,
  and every worker then answers the sum.

``BENCH_METRICS_TOKEN``, when set, is required as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import bisect
import hmac
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from celery import Celery
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from bench_api import platform
from bench_api.errors import ApiError
from bench_common.broker import BROKER_ERRORS
from bench_common.broker_stats import queue_consumers, queue_depths
from bench_common.errors import ErrorCode
from bench_common.store.base import ACTIVE_STATUSES, Store, StoreError

PATH = "/metrics"
EXTENSION = "qcos_bench_metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FINISHED_STATUSES = ("completed", "failed")
WORKLOAD_WINDOW = 1000
"""How many of the latest stored workload results the histogram describes."""
WORKLOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
"""Seconds: from a small simulation (milliseconds) to a provider's execution (up to hours)."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus reads (the names here need no escaping)."""
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

blueprint = Blueprint("metrics", __name__)


@dataclass
class WorkloadTimes:
    """Execution seconds of recently stored results, by (run id, workload id), kept for the
    keys still in the window."""

    seconds: dict[tuple[str, str], tuple[str, float | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def histogram(self, store: Store, window: int) -> HistogramMetricFamily:
        recent = store.recent_finished_workloads(window)
        with self.lock:
            kept: dict[tuple[str, str], tuple[str, float | None]] = {}
            for item in recent:
                key = (item.run_id, item.workload_id)
                kept[key] = self.seconds.get(key) or (item.backend_id, _seconds(store, *key))
            self.seconds = kept
        by_backend: dict[str, list[float]] = {}
        for backend_id, seconds in kept.values():
            if seconds is not None:
                by_backend.setdefault(backend_id, []).append(seconds)
        family = HistogramMetricFamily(
            "qcos_bench_workload_seconds",
            f"Execution time of the latest {window} stored workload results (a window)",
            labels=["backend_id"],
        )
        for backend_id, values in sorted(by_backend.items()):
            values.sort()
            buckets = [(_bound(b), bisect.bisect_right(values, b)) for b in WORKLOAD_BUCKETS]
            family.add_metric(
                [backend_id], [*buckets, ("+Inf", len(values))], sum_value=sum(values)
            )
        return family


def _seconds(store: Store, run_id: str, workload_id: str) -> float | None:
    job = store.get_job(run_id, workload_id)
    milliseconds = job.result.execution_time_ms if job and job.result else None
    return None if milliseconds is None else milliseconds / 1000


def _bound(bound: float) -> str:
    return repr(float(bound))


class PlatformCollector(Collector):
    """The figures read from the store and the broker at each scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.times = WorkloadTimes()

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration; every figure is read at scrape time

    def collect(self) -> Iterator[Metric]:
        here = platform.of(self.app)
        up = GaugeMetricFamily(
            "qcos_bench_up", "1 while the component answers", labels=["component"]
        )
        try:
            yield from self._store_figures(here.runtime.store)
            up.add_metric(["store"], 1)
        except StoreError:
            up.add_metric(["store"], 0)
        try:
            yield from self._broker_figures(here.broker.app, here.runtime.catalogue.queues)
            up.add_metric(["broker"], 1)
        except BROKER_ERRORS:
            up.add_metric(["broker"], 0)
        yield up

    def _store_figures(self, store: Store) -> list[Metric]:
        counts = store.count_runs_by_status()
        total = CounterMetricFamily(
            "qcos_bench_runs", "Runs that finished, by final status", labels=["status"]
        )
        for status in FINISHED_STATUSES:
            total.add_metric([status], counts.get(status, 0))
        active = GaugeMetricFamily("qcos_bench_runs_active", "Runs queued or running")
        active.add_metric([], sum(counts.get(status, 0) for status in ACTIVE_STATUSES))
        alerts = CounterMetricFamily(
            "qcos_bench_alerts", "Drift alerts raised by scheduled runs (GET /api/v2/bench/alerts)"
        )
        alerts.add_metric([], store.count_alerts())
        return [total, active, alerts, self.times.histogram(store, WORKLOAD_WINDOW)]

    def _broker_figures(self, app: Celery, queues: tuple[str, ...]) -> list[Metric]:
        depth = GaugeMetricFamily(
            "qcos_bench_queue_depth", "Messages waiting in the queue", labels=["queue"]
        )
        for queue, count in queue_depths(app, queues).items():
            depth.add_metric([queue], count)
        consumers = GaugeMetricFamily(
            "qcos_bench_queue_consumers",
            "Worker nodes consuming the queue (those answering a broadcast within 1 s)",
            labels=["queue"],
        )
        for queue, count in queue_consumers(app, queues).items():
            consumers.add_metric([queue], count)
        return [depth, consumers]


@dataclass
class MetricsState:
    token: str | None
    requests: Counter
    collector: PlatformCollector
    registry: CollectorRegistry | None
    """This process's registry; None when ``PROMETHEUS_MULTIPROC_DIR`` pools processes."""

    def scrape(self) -> bytes:
        registry = self.registry
        if registry is None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, os.environ[MULTIPROC_ENV])  # type: ignore[no-untyped-call]
            registry.register(self.collector)
        return generate_latest(registry)


def init_app(app: Flask) -> None:
    """Serve ``GET /metrics`` and count every request ``app`` answers (after ``Platform``)."""
    settings = platform.of(app).settings
    shared = os.environ.get(MULTIPROC_ENV)
    if shared:
        os.makedirs(shared, exist_ok=True)
    requests = Counter(
        "qcos_bench_http_requests",
        "HTTP requests served, by method and status code",
        ["method", "code"],
        registry=None,
    )
    requests.labels("GET", "200")  # present from the first scrape on, which is such a request
    collector = PlatformCollector(app)
    registry = None
    if not shared:
        registry = CollectorRegistry()
        registry.register(requests)
        registry.register(collector)
    app.extensions[EXTENSION] = MetricsState(settings.metrics_token, requests, collector, registry)
    app.after_request(_count)
    app.register_blueprint(blueprint)


def _state() -> MetricsState:
    state = current_app.extensions[EXTENSION]
    assert isinstance(state, MetricsState)
    return state


def _count(response: Response) -> Response:
    method = request.method if request.method in HTTP_METHODS else "OTHER"
    _state().requests.labels(method, str(response.status_code)).inc()
    return response


@blueprint.get(PATH)
def metrics() -> Response:
    state = _state()
    if state.token is not None and not _bearer_matches(state.token):
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "GET /metrics needs an Authorization: Bearer header with BENCH_METRICS_TOKEN",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(state.scrape(), mimetype=None, content_type=CONTENT_TYPE)


def _bearer_matches(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
