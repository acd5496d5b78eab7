"""``POST /campaigns``, ``GET /campaigns`` and ``GET /campaigns/{id}`` (extensions): the same
workloads on several backends, each an ordinary signed run, and their ranking."""

from __future__ import annotations

from typing import TypedDict

from flask.views import MethodView

from bench_api import auth, platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.errors import ApiError, ErrorSchema
from bench_api.schemas import (
    CampaignAcceptedSchema,
    CampaignListSchema,
    CampaignRequestSchema,
    CampaignSchema,
)
from bench_common.campaigns import CampaignAccepted, CampaignRequest, CampaignView
from bench_common.documents import RunStatus
from bench_common.errors import ErrorCode

blp = ResourceBlueprint(
    "campaigns", __name__, url_prefix=API_BASE, description="Several backends, one request."
)
LIST_LIMIT = 100


class CampaignEntry(TypedDict):
    campaign_id: str
    created_at: str
    status: RunStatus
    backend_ids: list[str]


class CampaignList(TypedDict):
    campaigns: list[CampaignEntry]


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.arguments(CampaignRequestSchema)
    @blp.response(202, CampaignAcceptedSchema)
    @blp.alt_response(
        400, schema=ErrorSchema, description="INVALID_BACKEND, INVALID_WORKLOAD, VALIDATION_ERROR"
    )
    @blp.alt_response(
        503, schema=ErrorSchema, description="BACKEND_UNAVAILABLE, SERVICE_UNAVAILABLE"
    )
    def post(self, body: CampaignRequest) -> CampaignAccepted:
        """Run the same workloads on several backends; every backend is checked first."""
        return platform.current().campaigns.submit(auth.tenant(), body)

    @blp.response(200, CampaignListSchema)
    def get(self) -> CampaignList:
        """The caller's latest campaigns, newest first."""
        here = platform.current()
        found = here.runtime.store.list_campaigns(auth.tenant(), LIST_LIMIT)
        return {"campaigns": [{"campaign_id": c.id, "created_at": c.created_at,
                               "status": here.campaigns.status(c), "backend_ids": list(c.runs)}
                              for c in found]}  # fmt: skip


@blp.route("/campaigns/<string:campaign_id>")
class CampaignResource(MethodView):
    @blp.response(200, CampaignSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="BENCHMARK_NOT_FOUND")
    def get(self, campaign_id: str) -> CampaignView:
        """A campaign's runs and the ranking of its backends."""
        here = platform.current()
        campaign = here.runtime.store.get_campaign(campaign_id, auth.tenant())
        if campaign is None:
            raise ApiError(ErrorCode.BENCHMARK_NOT_FOUND, f"No campaign with id {campaign_id}",
                           {"id": campaign_id})  # fmt: skip
        return here.campaigns.view(campaign)
