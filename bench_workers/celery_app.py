"""The workers' Celery application: ``celery -A bench_workers.celery_app worker`` loads it.

``make_app`` builds it from a settings object and a catalogue (the shared configuration of
``bench_common.broker``, the beat schedule, the tasks); the module-level ``app`` is the one
the ``celery`` command finds, built from the environment. Nothing else imports this module.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import celeryd_after_setup

from bench_common.broker import BROKER_ERRORS, celery_app, declare_queues, is_amqp
from bench_common.catalogue import CATALOGUE, Catalogue
from bench_common.device_models import catalogue_for
from bench_common.queues import RECONCILE, REFRESH_STATUS, SCHEDULED_RUN
from bench_common.settings import Settings
from bench_workers.runtime import PerProcess, WorkerRuntime
from bench_workers.schedules import beat_entries, load_schedules
from bench_workers.tasks import register


def make_app(settings: Settings, catalogue: Catalogue | None = None) -> Celery:
    """Default catalogue: the shipped one plus the custom device models of ``settings``."""
    served = catalogue or catalogue_for(CATALOGUE, settings.device_models_file)
    app = celery_app(settings, served)
    live = [p for p in served.providers.values() if p.has_credentials(settings.provider_env)]
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
        **beat_entries(load_schedules(settings.schedules_file, served), SCHEDULED_RUN),
    }
    register(app, PerProcess(lambda: WorkerRuntime(settings, served)))
    if is_amqp(app.conf.broker_url or ""):

        def declare(sender: str, instance: Any, **_: Any) -> None:
            """Before a worker on RabbitMQ starts consuming (see ``declare_queues``)."""
            if instance.app is app:
                try:
                    declare_queues(app)
                except BROKER_ERRORS:
                    logging.getLogger(__name__).warning("queues not declared", exc_info=True)

        celeryd_after_setup.connect(declare, weak=False)
    return app


app = make_app(Settings.from_env())
