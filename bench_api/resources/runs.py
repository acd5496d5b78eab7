"""``POST /run``: accept a benchmark, record it and enqueue its work."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bench_api import auth, platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.errors import ErrorSchema
from bench_api.schemas import RunAcceptedSchema, RunRequestSchema
from bench_workers.submission import submit_run

blp = ResourceBlueprint("runs", __name__, url_prefix=API_BASE, description="Start benchmarks.")


@blp.route("/run")
class Runs(MethodView):
    @blp.arguments(RunRequestSchema)
    @blp.response(202, RunAcceptedSchema)
    @blp.alt_response(
        400, schema=ErrorSchema, description="INVALID_BACKEND, INVALID_WORKLOAD, VALIDATION_ERROR"
    )
    @blp.alt_response(503, schema=ErrorSchema, description="SERVICE_UNAVAILABLE")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue a benchmark run on a backend."""
        here = platform.current()
        submission = submit_run(here.settings, here.runtime.store, here.celery, auth.tenant(), body)
        return submission.to_json()
