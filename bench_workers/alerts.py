"""Watching scheduled runs for drift (``bench_common.drift``) and posting the alerts.

A finalized scheduled run is compared with its backend's recent history; each new alert is
stored (once per run and workload: a repeated finalize adds nothing) and posted as JSON to
``BENCH_ALERT_WEBHOOK``. A post that fails is retried by the reconciler until it succeeds.
"""

from __future__ import annotations

import json
import logging

import requests

from bench_common.documents import Alert, Report
from bench_common.drift import HISTORY, drift
from bench_common.store import Run, RunFilter
from bench_common.timeutil import format_time, now
from bench_workers.runtime import WorkerRuntime

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 5.0
RETRY_BATCH = 50
JSON_HEADERS = {"Content-Type": "application/json"}


def watch(runtime: WorkerRuntime, run: Run, report: Report) -> list[Alert]:
    """Store and post the alerts a signed report of a scheduled run raises."""
    if run.schedule is None or report["tenant_id"] != run.tenant_id:
        return []
    store = runtime.store
    earlier = RunFilter(run.tenant_id, HISTORY, backend_id=run.backend_id, status="completed",
                        before=(run.created_at, run.id))  # fmt: skip
    history = [r for r in (store.get_report(f.run.id) for f in store.list_runs(earlier)) if r]
    raised = [a for a in drift(report, history, format_time(now())) if store.put_alert(a)]
    for alert in raised:
        log.warning("drift alert %s: %s on %s: %s", alert["id"], alert["workload_id"],
                    alert["backend_id"], alert["reason"])  # fmt: skip
        deliver(runtime, alert)
    return raised


def deliver(runtime: WorkerRuntime, alert: Alert) -> bool:
    """Post one alert to the webhook (if any); True once it is delivered or has nowhere to go."""
    url = runtime.settings.alert_webhook
    if url is None:
        return True
    try:
        requests.post(url, data=json.dumps(alert), headers=JSON_HEADERS,
                      timeout=WEBHOOK_TIMEOUT_SECONDS).raise_for_status()  # fmt: skip
    except requests.RequestException as exc:
        log.warning("alert %s not delivered to the webhook (retried later): %s", alert["id"], exc)
        return False
    runtime.store.mark_alert_delivered(alert["id"], format_time(now()))
    return True


def deliver_pending(runtime: WorkerRuntime) -> int:
    """Post alerts whose earlier post failed; how many went out."""
    if runtime.settings.alert_webhook is None:
        return 0
    return sum(deliver(runtime, a) for a in runtime.store.undelivered_alerts(RETRY_BATCH))
