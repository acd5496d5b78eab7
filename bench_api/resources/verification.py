"""``POST /api/v2/bench/verify`` (reports) and ``POST /bench/verify`` (bundles).

Both check against the server's own trusted keyring, never against keys a document names.
Bodies may be up to 32 MiB: a bundle carries the raw counts of every workload.
At most ``BENCH_MAX_VERIFICATIONS`` run at once in a process (``bench_api.quotas``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bench_api import platform, quotas
from bench_api.blueprint import API_BASE, EVIDENCE_BASE, VERIFY_BODY_LIMIT, ResourceBlueprint
from bench_api.errors import ApiError, ErrorSchema
from bench_api.schemas import (
    BundleVerificationSchema,
    VerificationFailedSchema,
    VerificationSchema,
    VerifyBundleSchema,
    VerifyReportSchema,
)
from bench_common.errors import ErrorCode
from bench_common.evidence import Verification, verify_bundle, verify_report

blp = ResourceBlueprint(
    "verification",
    __name__,
    description="Check signed reports and evidence bundles against the server's keys.",
    body_limit=VERIFY_BODY_LIMIT,
)
blp.before_request(quotas.take_verification_slot)  # after authentication, before parsing
blp.teardown_request(quotas.release_verification_slot)
FAILED = "VERIFICATION_FAILED with the verification fields, or VALIDATION_ERROR"
BUSY = "SERVICE_UNAVAILABLE: this process is already running its BENCH_MAX_VERIFICATIONS"


def answer(result: Verification) -> dict[str, Any]:
    """The verification fields; a failed check is a ``400 VERIFICATION_FAILED``."""
    if result.valid:
        return result.to_dict()
    raise ApiError(
        ErrorCode.VERIFICATION_FAILED,
        f"Verification failed: {result.error}",
        extra=result.to_dict(),
    )


@blp.route(f"{API_BASE}/verify")
class ReportVerification(MethodView):
    @blp.arguments(VerifyReportSchema)
    @blp.response(200, VerificationSchema)
    @blp.alt_response(400, schema=VerificationFailedSchema, description=FAILED)
    @blp.alt_response(503, schema=ErrorSchema, description=BUSY)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Verify a signed report: signature, content hash, evidence root, ledger proof."""
        return answer(verify_report(body["report"], platform.current().runtime.keys.trusted()))


@blp.route(f"{EVIDENCE_BASE}/verify")
class BundleVerification(MethodView):
    @blp.arguments(VerifyBundleSchema)
    @blp.response(200, BundleVerificationSchema)
    @blp.alt_response(400, schema=VerificationFailedSchema, description=FAILED)
    @blp.alt_response(503, schema=ErrorSchema, description=BUSY)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Verify an evidence bundle: signature, every item hash, the Merkle root."""
        return answer(verify_bundle(body["bundle"], platform.current().runtime.keys.trusted()))
