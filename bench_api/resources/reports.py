"""``GET /report/{id}`` and its download: the signed report of a finished run."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView

from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.errors import ErrorSchema
from bench_api.lookup import finished_report
from bench_api.schemas import ReportEnvelopeSchema, SignedDocumentSchema

blp = ResourceBlueprint(
    "reports", __name__, url_prefix=API_BASE, description="Signed benchmark reports."
)
STILL_RUNNING = "BENCHMARK_STILL_RUNNING, with details.status and details.progress"


@blp.route("/report/<string:benchmark_id>")
class Report(MethodView):
    @blp.response(200, ReportEnvelopeSchema)
    @blp.alt_response(202, schema=ErrorSchema, description=STILL_RUNNING)
    @blp.alt_response(404, schema=ErrorSchema, description="BENCHMARK_NOT_FOUND")
    def get(self, benchmark_id: str) -> dict[str, Any]:
        """The run's signed report, once it is finished."""
        return {
            "report": finished_report(benchmark_id),
            "download_url": url_for(
                "reports.ReportDownload", benchmark_id=benchmark_id, _external=True
            ),
            "storage_mode": "ledger",
        }


@blp.route("/report/<string:benchmark_id>/download")
class ReportDownload(MethodView):
    @blp.response(
        200, SignedDocumentSchema, description="The signed report, as POST /verify accepts it"
    )
    @blp.alt_response(202, schema=ErrorSchema, description=STILL_RUNNING)
    @blp.alt_response(404, schema=ErrorSchema, description="BENCHMARK_NOT_FOUND")
    def get(self, benchmark_id: str) -> Response:
        """The signed report as a file."""
        response = jsonify(finished_report(benchmark_id))
        response.headers["Content-Disposition"] = (
            f"attachment; filename=bench-report-{benchmark_id[:8]}.json"
        )
        return response
