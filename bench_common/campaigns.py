"""Campaigns: the same workloads on several backends in one request, and their ranking.

Each run of a campaign is an ordinary run, recorded, dispatched and signed like any other;
the campaign is only the list of its runs. Every backend is checked before anything is
recorded, and if handing one run over fails, none of the campaign stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from bench_common.documents import Report, RunStatus, Summary, Thresholds
from bench_common.errors import BenchError, ErrorCode
from bench_common.service import DispatchError, RunRequest, RunService
from bench_common.store import ACTIVE_STATUSES, Campaign, Run
from bench_common.timeutil import format_time, now

MAX_BACKENDS = 20


class CampaignRequest(TypedDict, total=False):
    backend_ids: list[str]
    workloads: list[str] | None
    shots: int
    seed: int | None
    thresholds: Thresholds | None
    max_cost: float | None
    """The budget of each of the campaign's runs, as in ``RunRequest``."""


class CampaignAccepted(TypedDict):
    campaign_id: str
    benchmark_ids: dict[str, str]


class CampaignRun(TypedDict):
    benchmark_id: str
    status: RunStatus
    summary: Summary | None
    average_fidelity_ci95: list[float] | None
    """The mean of the completed workloads' interval ends (ext.): what the ranking weighs."""


class CampaignView(TypedDict):
    campaign_id: str
    created_at: str
    status: RunStatus
    runs: dict[str, CampaignRun]
    ranking: list[str]


def average_interval(report: Report) -> list[float] | None:
    """Mean lower and upper interval ends over the completed workloads."""
    intervals = [row["fidelity_ci95"] for row in report["workloads"]
                 if row["status"] == "completed" and row["fidelity_ci95"] is not None]  # fmt: skip
    if not intervals:
        return None
    return [sum(i[0] for i in intervals) / len(intervals),
            sum(i[1] for i in intervals) / len(intervals)]  # fmt: skip


def ranking(runs: Mapping[str, CampaignRun]) -> list[str]:
    """Backends with a finished average fidelity, best first (ties broken by the higher
    lower end of the interval), then the rest in the order requested."""
    scored = [
        b for b, r in runs.items() if r["summary"] and r["summary"]["average_fidelity"] is not None
    ]

    def key(backend: str) -> tuple[float, float]:
        entry = runs[backend]
        summary, interval = entry["summary"], entry["average_fidelity_ci95"]
        assert summary is not None and summary["average_fidelity"] is not None
        return (-summary["average_fidelity"], -(interval[0] if interval else 0.0))

    return sorted(scored, key=key) + [b for b in runs if b not in scored]


def overall_status(statuses: list[RunStatus]) -> RunStatus:
    if any(status in ACTIVE_STATUSES for status in statuses):
        return "running" if any(s != "queued" for s in statuses) else "queued"
    return "completed" if "completed" in statuses else "failed"


@dataclass(frozen=True)
class CampaignService:
    runs: RunService

    def submit(self, tenant_id: str, request: CampaignRequest) -> CampaignAccepted:
        backends = list(request.get("backend_ids") or [])
        if not backends or len(set(backends)) != len(backends) or len(backends) > MAX_BACKENDS:
            raise BenchError(ErrorCode.VALIDATION_ERROR,
                             f"backend_ids must list 1 to {MAX_BACKENDS} distinct backends",
                             {"backend_ids": ["must list distinct backends"]})  # fmt: skip
        campaign_id = str(uuid.uuid4())
        common: RunRequest = {
            "workloads": request.get("workloads"), "shots": request.get("shots", 1024),
            "seed": request.get("seed"), "thresholds": request.get("thresholds"),
            "max_cost": request.get("max_cost"), "campaign_id": campaign_id,
        }  # fmt: skip
        planned: list[Run] = [
            self.runs.plan(tenant_id, common | {"backend_id": b}) for b in backends
        ]
        store = self.runs.store
        store.create_campaign(
            Campaign(
                campaign_id, tenant_id, format_time(now()), {r.backend_id: r.id for r in planned}
            )
        )
        for run in planned:
            store.create_run(run)
        try:
            for run in planned:
                self.runs.dispatcher.dispatch(run)
        except DispatchError as exc:
            for run in planned:
                store.delete_run(run.id)
            store.delete_campaign(campaign_id)
            raise BenchError(ErrorCode.SERVICE_UNAVAILABLE,
                             "The broker is unreachable; nothing was queued") from exc  # fmt: skip
        return {"campaign_id": campaign_id, "benchmark_ids": {r.backend_id: r.id for r in planned}}

    def status(self, campaign: Campaign) -> RunStatus:
        """Queued or running while any of its runs is, else completed if any completed."""
        store = self.runs.store
        runs = [store.get_run(run_id, campaign.tenant_id) for run_id in campaign.runs.values()]
        return overall_status([run.status if run else "failed" for run in runs])

    def view(self, campaign: Campaign) -> CampaignView:
        store = self.runs.store
        runs: dict[str, CampaignRun] = {}
        for backend_id, run_id in campaign.runs.items():
            run = store.get_run(run_id, campaign.tenant_id)
            report = store.get_report(run_id)
            runs[backend_id] = {
                "benchmark_id": run_id,
                "status": run.status if run else "failed",
                "summary": report["summary"] if report else None,
                "average_fidelity_ci95": average_interval(report) if report else None,
            }
        return {
            "campaign_id": campaign.id, "created_at": campaign.created_at,
            "status": overall_status([r["status"] for r in runs.values()]),
            "runs": runs, "ranking": ranking(runs),
        }  # fmt: skip
