"""The Celery configuration every process shares, and the API's side of the broker.

The API process builds a Celery app with no tasks (``producer``): it only declares the
queues and sends the ``dispatch`` message by name, so it never loads worker code. The
workers build theirs from the same ``configure`` and register their tasks on it
(``bench_workers.celery_app.make_app``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from celery import Celery
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError

from bench_common.catalogue import Catalogue
from bench_common.queues import DISPATCH, FINALIZE_QUEUE, ON_FINALIZE_QUEUE, route_by_queue_argument
from bench_common.service import DispatchError
from bench_common.settings import Settings
from bench_common.store import Run

PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
BROKER_TIMEOUT_SECONDS = 2.0
BROKER_ERRORS = (OperationalError, OSError)
REDIS_SCHEMES = ("redis", "rediss", "redis+socket", "unix")
AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")


class BrokerConfigError(ValueError):
    """The broker and result backend settings cannot work together."""


def broker_location(settings: Settings) -> str:
    """The configured broker, or the embedded one when none is."""
    return settings.broker_url or settings.embedded_broker_url


def is_amqp(url: str) -> bool:
    return urlsplit(url).scheme in AMQP_SCHEMES


def result_backend(settings: Settings) -> str:
    """Where chords count their finished parts: a Redis. By default the broker's own Redis;
    an AMQP broker has none, so ``BENCH_RESULT_BACKEND`` must name one there (``rpc://``
    cannot count a chord's parts, and the store stays the source of truth for results)."""
    broker = broker_location(settings)
    backend = settings.result_backend or (
        broker if urlsplit(broker).scheme in REDIS_SCHEMES else None
    )
    if backend is None:
        raise BrokerConfigError(
            f"BENCH_RESULT_BACKEND must name a Redis (redis://host:6379/1) for the broker "
            f"{urlsplit(broker).scheme}://…: the run's chord needs a result backend that counts"
        )
    if urlsplit(backend).scheme not in REDIS_SCHEMES:
        raise BrokerConfigError(f"BENCH_RESULT_BACKEND must be a redis:// URL, not {backend!r}")
    return backend


def declared_queues(settings: Settings, catalogue: Catalogue) -> list[Queue]:
    """The platform's queues. On RabbitMQ they are quorum queues (replicated, durable) on
    topic exchanges, as Celery's native delayed delivery (countdowns on quorum queues)
    needs; on Redis plain lists."""
    if not is_amqp(broker_location(settings)):  # each queue on a direct exchange of its name
        return [Queue(name, Exchange(name, type="direct"), routing_key=name)
                for name in catalogue.queues]  # fmt: skip
    return [
        Queue(name, Exchange(name, type="topic"), routing_key=name,
              queue_arguments={"x-queue-type": "quorum"})
        for name in catalogue.queues
    ]  # fmt: skip


def declare_queues(app: Celery) -> None:
    """Declare every platform queue, its exchange and binding, whichever ones this process
    consumes: a RabbitMQ worker binds all of them to the delayed-delivery exchanges when it
    starts, which fails for an exchange nobody has declared yet."""
    with app.connection_for_write() as connection:
        reach_broker(connection)
        channel = connection.default_channel
        for queue in app.amqp.queues.values():
            queue.bind(channel).declare()


def transport_settings(settings: Settings) -> dict[str, Any]:
    """Broker-specific configuration: RabbitMQ's quorum queues (no global QoS, delayed
    delivery for countdowns) and publisher confirms; Redis's visibility timeout."""
    if is_amqp(broker_location(settings)):
        return {
            "task_default_queue_type": "quorum",
            "worker_detect_quorum_queues": True,
            "broker_native_delayed_delivery_queue_type": "quorum",
            "broker_transport_options": {"confirm_publish": True},
        }
    return {"broker_transport_options": broker_options(settings.visibility_timeout)}


def broker_options(visibility_timeout: int) -> dict[str, int]:
    """Redis transport options: a task whose worker died is handed out again once it has
    been unacknowledged for ``visibility_timeout``; the sweep that does so runs every few
    seconds rather than kombu's default of about 100 s."""
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 5)),
        "unacked_restore_throttle": 1,
    }


def configure(app: Celery, settings: Settings, catalogue: Catalogue) -> Celery:
    """Queues, routes and reliability settings (late acks, prefetch of one, re-delivery of a
    lost worker's tasks, time limits). Queues are declared explicitly and nothing else is
    created on the fly, so a task routed to an undeclared queue fails when it is sent."""
    app.conf.update(
        task_queues=declared_queues(settings, catalogue),
        task_default_queue=FINALIZE_QUEUE,
        task_create_missing_queues=False,
        task_routes=(
            route_by_queue_argument,
            {name: {"queue": FINALIZE_QUEUE} for name in ON_FINALIZE_QUEUE},
        ),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A task running when the broker connection drops is cancelled (and delivered again)
        # rather than acknowledged on a connection that is gone.
        worker_cancel_long_running_tasks_on_connection_loss=True,
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
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout},
        enable_utc=True,
        **transport_settings(settings),
    )
    return app


def celery_app(settings: Settings, catalogue: Catalogue) -> Celery:
    """A Celery app on the configured broker (the embedded one when none is) and result
    backend (``result_backend``), no tasks."""
    app = Celery("qcos_bench", broker=broker_location(settings), backend=result_backend(settings),
                 set_as_current=False)  # fmt: skip
    return configure(app, settings, catalogue)


def reach_broker(connection: Connection) -> None:
    """Raise kombu's ``OperationalError`` within seconds when the broker does not answer,
    instead of retrying for as long as Celery's defaults allow."""
    connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class BrokerDispatcher:
    """Publishes one ``dispatch`` message per run; a worker then applies the run's chord.
    No result is followed, so the sender holds no result-backend state."""

    app: Celery

    def dispatch(self, run: Run) -> None:
        try:
            with self.app.connection_for_write() as connection:
                reach_broker(connection)
                self.app.send_task(DISPATCH, kwargs={"run_id": run.id}, connection=connection,
                                   ignore_result=True, retry_policy=PUBLISH_RETRY)  # fmt: skip
        except BROKER_ERRORS as exc:
            raise DispatchError(str(exc)) from exc

    def probe(self) -> None:
        """Raise one of ``BROKER_ERRORS`` when the broker does not answer."""
        with self.app.connection_for_write() as connection:
            reach_broker(connection)
