"""Queue and task names, and the router: what the API's producer and the workers agree on.

Tasks are sent by name, so the API process needs these strings and never the task code.
Provider queues come from the provider records (``Catalogue.queues``).
"""

from __future__ import annotations

from typing import Any

FINALIZE_QUEUE = "finalize"

DISPATCH = "bench.dispatch"
RUN_WORKLOAD = "bench.run_workload"
FINALIZE = "bench.finalize"
RECONCILE = "bench.reconcile"
REFRESH_STATUS = "bench.refresh_status"
SCHEDULED_RUN = "bench.scheduled_run"
ON_FINALIZE_QUEUE = (DISPATCH, FINALIZE, RECONCILE, SCHEDULED_RUN)


def route_by_queue_argument(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any
) -> dict[str, str] | None:
    """Tasks that name their queue go there: a workload to the queue chosen at submission
    (the provider's, or simulator), a status refresh to its provider's pool."""
    if isinstance(kwargs, dict) and "queue" in kwargs:
        return {"queue": kwargs["queue"]}
    return None
