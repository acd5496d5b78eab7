"""The workers' Celery application: ``celery -A bench_workers.celery_app worker`` loads it.

``make_app`` builds it from a settings object and a catalogue (the shared configuration of
``bench_common.broker``, the beat schedule, the tasks); the module-level ``app`` is the one
the ``celery`` command finds, built from the environment. Nothing else imports this module.
"""

from __future__ import annotations

from celery import Celery

from bench_common.broker import celery_app
from bench_common.catalogue import CATALOGUE, Catalogue
from bench_common.queues import RECONCILE, REFRESH_STATUS, SCHEDULED_RUN
from bench_common.settings import Settings
from bench_workers.runtime import PerProcess, WorkerRuntime
from bench_workers.schedules import beat_entries, load_schedules
from bench_workers.tasks import register


def make_app(settings: Settings, catalogue: Catalogue = CATALOGUE) -> Celery:
    app = celery_app(settings, catalogue)
    live = [p for p in catalogue.providers.values() if p.has_credentials(settings.provider_env)]
    app.conf.beat_schedule = {
        "reconcile": {"task": RECONCILE, "schedule": settings.reconcile_interval},
        **{
            f"refresh-status-{provider.name}": {
                "task": REFRESH_STATUS,
                "schedule": settings.status_interval,
                "kwargs": {"provider": provider.name, "queue": provider.queue},
            }
            for provider in live
        },
        **beat_entries(load_schedules(settings.schedules_file, catalogue), SCHEDULED_RUN),
    }
    register(app, PerProcess(lambda: WorkerRuntime(settings, catalogue)))
    return app


app = make_app(Settings.from_env())
