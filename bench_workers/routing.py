"""Queue and task names, and the router: shared by the Celery app, the tasks and the code
that enqueues (which must not import the app module, since the app loads the schedules)."""

from __future__ import annotations

from typing import Any

LIVE_PROVIDERS = ("ibm", "braket", "azure")
PROVIDER_QUEUES = ("simulator", *LIVE_PROVIDERS)
FINALIZE_QUEUE = "finalize"
QUEUES = (*PROVIDER_QUEUES, FINALIZE_QUEUE)

DISPATCH = "bench.dispatch"
RUN_WORKLOAD = "bench.run_workload"
FINALIZE = "bench.finalize"
RECONCILE = "bench.reconcile"
REFRESH_STATUS = "bench.refresh_status"
SCHEDULED_RUN = "bench.scheduled_run"


def route_by_queue_argument(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any
) -> dict[str, str] | None:
    """Tasks that name their queue go there: a workload to the queue chosen at submission
    (the provider's, or simulator), a status refresh to its provider's pool."""
    if isinstance(kwargs, dict) and "queue" in kwargs:
        return {"queue": kwargs["queue"]}
    return None
