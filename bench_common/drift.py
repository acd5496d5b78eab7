"""Drift: a scheduled run whose figure falls below its backend's recent history by more
than the intervals explain.

For each completed workload of the new report, the history is the same workload in the
backend's last ``HISTORY`` completed runs of the same tenant (at least ``MIN_HISTORY`` of
them). The history explains a figure down to the mean of its interval lower ends; the new
run drifts when even the upper end of its own 95 % interval lies below that. So ordinary
sampling noise on either side never alerts, and one alert is raised per run and workload.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from statistics import fmean

from bench_common.documents import Alert, Report, WorkloadRow

HISTORY = 10
MIN_HISTORY = 3
ALERT_NAMESPACE = uuid.UUID("2b0c9f7e-1d4a-4f35-8d6e-5a9c3e7b1f02")


def _completed(row: WorkloadRow) -> list[float] | None:
    if row["status"] != "completed" or row["fidelity"] is None:
        return None
    return row["fidelity_ci95"]


def drift(report: Report, history: Sequence[Report], at: str) -> list[Alert]:
    """The alerts ``report`` raises against ``history`` (older reports of its backend)."""
    alerts: list[Alert] = []
    for row in report["workloads"]:
        interval = _completed(row)
        if interval is None or row["fidelity"] is None:
            continue
        past = [
            (old_row["fidelity"], old_interval)
            for old in history
            for old_row in old["workloads"]
            if old_row["id"] == row["id"] and (old_interval := _completed(old_row)) is not None
            and old_row["fidelity"] is not None
        ]  # fmt: skip
        if len(past) < MIN_HISTORY:
            continue
        expected = fmean(value for value, _ in past)
        floor = fmean(low for _, (low, _high) in past)
        if interval[1] >= floor:
            continue
        alerts.append({
            "id": str(uuid.uuid5(ALERT_NAMESPACE, f"{report['id']}/{row['id']}")),
            "tenant_id": report["tenant_id"], "created_at": at,
            "backend_id": report["backend_id"], "workload_id": row["id"],
            "benchmark_id": report["id"], "metric": "fidelity", "value": row["fidelity"],
            "expected": expected,
            "reason": (
                f"fidelity {row['fidelity']:.4f} (95 % interval up to {interval[1]:.4f}) is "
                f"below the {len(past)} previous runs' mean {expected:.4f}, whose intervals "
                f"reach down to {floor:.4f} on average"
            ),
        })  # fmt: skip
    return alerts
