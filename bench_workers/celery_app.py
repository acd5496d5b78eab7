"""The Celery application: one per process, built from the settings object.

Queues are declared explicitly and nothing else is created on the fly, so a task routed to
an undeclared queue fails when it is sent instead of waiting forever for a consumer.
Reliability settings follow DESIGN section 2: late acks, prefetch of one, re-delivery of the
tasks of a lost worker (all tasks here are idempotent), time limits on every task.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from bench_common.settings import Settings
from bench_workers.credentials import has_credentials
from bench_workers.routing import (
    DISPATCH,
    FINALIZE,
    FINALIZE_QUEUE,
    LIVE_PROVIDERS,
    QUEUES,
    RECONCILE,
    REFRESH_STATUS,
    SCHEDULED_RUN,
    route_by_queue_argument,
)
from bench_workers.schedules import beat_entries, load_schedules


def broker_options(visibility_timeout: int) -> dict[str, int]:
    """Redis transport options: a task whose worker died is handed out again once it has
    been unacknowledged for ``visibility_timeout``; the sweep that does so runs every few
    seconds rather than kombu's default of about 100 s."""
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 5)),
        "unacked_restore_throttle": 1,
    }


def make_app(settings: Settings) -> Celery:
    broker = settings.broker_url or settings.embedded_broker_url
    app = Celery("qcos_bench", broker=broker, backend=broker, include=["bench_workers.tasks"])
    app.conf.update(
        task_queues=[Queue(name, routing_key=name) for name in QUEUES],
        task_default_queue=FINALIZE_QUEUE,
        task_create_missing_queues=False,
        task_routes=(
            route_by_queue_argument,
            {
                name: {"queue": FINALIZE_QUEUE}
                for name in (DISPATCH, FINALIZE, RECONCILE, SCHEDULED_RUN)
            },
        ),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_soft_time_limit + 60,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        result_chord_expires=settings.chord_expires,
        result_backend_always_retry=True,
        result_backend_max_retries=20,
        broker_connection_retry_on_startup=True,
        broker_transport_options=broker_options(settings.visibility_timeout),
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout},
        beat_schedule={
            "reconcile": {"task": RECONCILE, "schedule": settings.reconcile_interval},
            **{
                f"refresh-status-{provider}": {
                    "task": REFRESH_STATUS,
                    "schedule": settings.status_interval,
                    "kwargs": {"provider": provider, "queue": provider},
                }
                for provider in LIVE_PROVIDERS
                if has_credentials(provider, settings.provider_env)
            },
            **beat_entries(load_schedules(settings.schedules_file), SCHEDULED_RUN),
        },
        enable_utc=True,
    )
    return app


app = make_app(Settings.from_env())
