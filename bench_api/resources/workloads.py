"""``GET /workloads``: the workload catalogue."""

from __future__ import annotations

from typing import TypedDict

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.schemas import WorkloadListSchema
from bench_common.catalogue import WorkloadEntry


class WorkloadList(TypedDict):
    workloads: list[WorkloadEntry]


blp = ResourceBlueprint(
    "workloads", __name__, url_prefix=API_BASE, description="The benchmark workloads."
)


@blp.route("/workloads")
class Workloads(MethodView):
    @blp.response(200, WorkloadListSchema)
    def get(self) -> WorkloadList:
        """List the workloads a run can include."""
        catalogue = platform.current().runtime.catalogue
        return {"workloads": [catalogue.entry(spec) for spec in catalogue.workloads.values()]}
