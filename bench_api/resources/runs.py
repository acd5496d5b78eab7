"""``POST /run``: accept a benchmark, record it and enqueue its work."""

from __future__ import annotations

from flask.views import MethodView

from bench_api import auth, platform, quotas
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.errors import ErrorSchema
from bench_api.schemas import RunAcceptedSchema, RunRequestSchema
from bench_common.service import Accepted, RunRequest

blp = ResourceBlueprint("runs", __name__, url_prefix=API_BASE, description="Start benchmarks.")


@blp.route("/run")
class Runs(MethodView):
    @blp.arguments(RunRequestSchema)
    @blp.response(202, RunAcceptedSchema)
    @blp.alt_response(
        400, schema=ErrorSchema, description="INVALID_BACKEND, INVALID_WORKLOAD, VALIDATION_ERROR"
    )
    @blp.alt_response(
        429, schema=ErrorSchema, description="RATE_LIMITED (request rate or active runs)"
    )
    @blp.alt_response(503, schema=ErrorSchema, description="SERVICE_UNAVAILABLE")
    def post(self, body: RunRequest) -> Accepted:
        """Queue a benchmark run on a backend."""
        here = platform.current()
        quotas.check_active_runs(here.runtime.store, auth.tenant())
        return here.service.submit(auth.tenant(), body).to_json()
