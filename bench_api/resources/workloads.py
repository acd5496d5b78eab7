"""``GET /workloads``: the workload catalogue."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.schemas import WorkloadListSchema
from bench_common.catalogue import WORKLOADS

blp = ResourceBlueprint(
    "workloads", __name__, url_prefix=API_BASE, description="The benchmark workloads."
)


@blp.route("/workloads")
class Workloads(MethodView):
    @blp.response(200, WorkloadListSchema)
    def get(self) -> dict[str, Any]:
        """List the workloads a run can include."""
        return {"workloads": [spec.to_json() for spec in WORKLOADS.values()]}
