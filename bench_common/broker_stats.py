"""What the broker says about the platform's queues, asked at scrape time (``GET /metrics``).

- **Depth**: the messages waiting in each queue, from a passive ``queue_declare`` on a fresh
  channel. On Redis kombu answers with the lengths of the queue's lists (``LLEN`` of the
  list named after the queue and of its priority lists); on RabbitMQ the broker answers with
  the queue's ready-message count. A queue that was never declared (nothing was ever sent to
  it, or RabbitMQ's 404) is empty.
- **Consumers**: the worker nodes consuming each queue, from a broadcast ``active_queues``
  (what ``celery inspect active_queues`` does), answered by every live worker within
  ``timeout``. Neither broker keeps this for a Redis transport (Celery's ``BRPOP`` leaves no
  trace, and kombu's ``_kombu.binding.*`` sets outlive the workers that made them), so the
  workers themselves are asked; a worker that does not answer in time counts as absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery import Celery
from kombu.exceptions import ChannelError

from bench_common.broker import BROKER_ERRORS, reach_broker

CONSUMER_TIMEOUT_SECONDS = 1.0


def queue_depths(app: Celery, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in each of ``queues``; raises one of ``BROKER_ERRORS`` when the
    broker does not answer."""
    depths: dict[str, int] = {}
    with app.connection_for_read() as connection:
        reach_broker(connection)
        for queue in queues:
            channel = connection.channel()
            try:
                depths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:
                depths[queue] = 0  # never declared: nothing waits in it
            finally:
                _close(channel)
    return depths


def queue_consumers(
    app: Celery, queues: Iterable[str], timeout: float = CONSUMER_TIMEOUT_SECONDS
) -> dict[str, int]:
    """Worker nodes consuming each of ``queues``, among those answering within ``timeout``."""
    counts = dict.fromkeys(queues, 0)
    replies: dict[str, list[dict[str, Any]]] | None = app.control.inspect(
        timeout=timeout
    ).active_queues()
    for consumed in (replies or {}).values():
        for name in {queue.get("name") for queue in consumed or []}:
            if name in counts:
                counts[name] += 1
    return counts


def _close(channel: Any) -> None:
    try:
        channel.close()
    except (*BROKER_ERRORS, ChannelError):
        pass  # RabbitMQ closed it already after a 404
