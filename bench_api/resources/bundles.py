"""``GET /bench/bundles/{bundle_id}`` and ``GET /bench/jobs/{job_id}/bundle``: evidence
bundles; ``GET /bench/jobs/{job_id}/counts/{workload_id}/{circuit}``: the full counts of one
circuit, which the bundle commits to by hash when they are too large to carry."""

from __future__ import annotations

from flask import Response, jsonify
from flask.views import MethodView

from bench_api import auth, platform
from bench_api.blueprint import EVIDENCE_BASE, ResourceBlueprint
from bench_api.errors import ErrorSchema
from bench_api.lookup import not_found, owned_run, still_running
from bench_api.schemas import CircuitCountsSchema, SignedDocumentSchema
from bench_common.documents import CircuitCounts
from bench_common.packed_counts import as_dict

blp = ResourceBlueprint(
    "bundles", __name__, url_prefix=EVIDENCE_BASE, description="Signed evidence bundles (V3)."
)


@blp.route("/bundles/<string:bundle_id>")
class Bundle(MethodView):
    @blp.response(200, SignedDocumentSchema, description="The signed evidence bundle")
    @blp.alt_response(404, schema=ErrorSchema, description="BENCHMARK_NOT_FOUND")
    def get(self, bundle_id: str) -> Response:
        """An evidence bundle by its own id."""
        # The tenant is checked in the store, on the run, before any bundle is decoded:
        # another tenant's id costs exactly what an unknown one does.
        bundle = platform.current().runtime.store.get_tenant_bundle(bundle_id, auth.tenant())
        if bundle is None or bundle.get("tenant_id") != auth.tenant():
            raise not_found("bundle", bundle_id)
        return jsonify(bundle)


@blp.route("/jobs/<string:job_id>/bundle")
class JobBundle(MethodView):
    @blp.response(200, SignedDocumentSchema, description="The signed evidence bundle")
    @blp.alt_response(202, schema=ErrorSchema, description="BENCHMARK_STILL_RUNNING")
    @blp.alt_response(404, schema=ErrorSchema, description="BENCHMARK_NOT_FOUND")
    def get(self, job_id: str) -> Response:
        """The evidence bundle of a benchmark run."""
        run = owned_run(job_id)
        bundle = platform.current().runtime.store.get_bundle_for_run(run.id)
        if bundle is None:
            raise still_running(run)
        return jsonify(bundle)


@blp.route("/jobs/<string:job_id>/counts/<string:workload_id>/<string:circuit>")
class CircuitCountsResource(MethodView):
    @blp.response(200, CircuitCountsSchema, description="The circuit's counts and their hash")
    @blp.alt_response(202, schema=ErrorSchema, description="BENCHMARK_STILL_RUNNING")
    @blp.alt_response(404, schema=ErrorSchema, description="BENCHMARK_NOT_FOUND")
    def get(self, job_id: str, workload_id: str, circuit: str) -> CircuitCounts:
        """The counts of one executed circuit (its name as in the bundle's
        ``execution_result`` item), hex-keyed, with the SHA-256 of their canonical form."""
        run = owned_run(job_id)
        if workload_id not in run.workloads:
            raise not_found("workload", workload_id)
        job = platform.current().runtime.store.get_job(run.id, workload_id)
        if job is None or job.result is None:
            raise still_running(run)
        for record in job.result.circuits:
            if record.name == circuit:
                return {"benchmark_id": run.id, "workload_id": workload_id, "circuit": circuit,
                        "counts_sha256": record.counts_sha256,
                        "counts": as_dict(record.counts)}  # fmt: skip
        raise not_found("circuit", circuit)
