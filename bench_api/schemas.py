"""Request and response bodies of the API (CONTRACT sections 2 and 4), for validation and
for the OpenAPI document. Signed documents (reports, bundles) pass through untouched."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from bench_api.errors import ErrorSchema
from bench_common.catalogue import CATALOGUE
from bench_common.service import DEFAULT_SHOTS, MAX_SEED, MAX_SHOTS

HEX_HASH = {"pattern": "^[0-9a-f]{64}$"}


class StrictInteger(fields.Integer):
    """A JSON integer: no strings, floats or booleans."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictFloat(fields.Float):
    """A JSON number: no strings or booleans, no NaN or infinity."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool | str):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


# ---- /api/v2/bench


class WorkloadSchema(ma.Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    description = fields.String(required=True)
    qubits = fields.Integer(required=True)
    circuits = fields.Integer(
        required=True, allow_none=True,
        metadata={"description": "Circuits executed, each with `shots` shots; null when the "
                                 "backend's coupling map decides (BSEQ)."},
    )  # fmt: skip


class CircuitCountsSchema(ma.Schema):
    benchmark_id = fields.String(required=True)
    workload_id = fields.String(required=True)
    circuit = fields.String(required=True)
    counts_sha256 = fields.String(
        required=True, metadata={"description": "`sha256:` + SHA-256 of CF(counts)."}
    )
    # Raw: up to 100 000 outcomes, which per-entry field validation would make slow to send.
    counts = fields.Raw(
        required=True,
        metadata={"type": "object", "additionalProperties": {"type": "integer"},
                  "description": "Shots per outcome, lowercase hex, qubit 0 the lowest bit."},
    )  # fmt: skip


class WorkloadListSchema(ma.Schema):
    workloads = fields.List(fields.Nested(WorkloadSchema), required=True)


class BackendSchema(ma.Schema):
    id = fields.String(required=True)
    provider = fields.String(required=True)
    execution_mode = fields.String(
        required=True, validate=validate.OneOf(["hardware", "simulated"])
    )
    qubits = fields.Integer(required=True)
    status = fields.String(required=True)
    queue = fields.String(required=True)
    description = fields.String(required=True)


class BackendListSchema(ma.Schema):
    backends = fields.List(fields.Nested(BackendSchema), required=True)


DEFAULT_WORKLOADS = list(CATALOGUE.default_workloads)


class ThresholdSchema(ma.Schema):
    min_fidelity = StrictFloat(required=True, validate=validate.Range(0.0, 1.0))


class RunFieldsSchema(ma.Schema):
    """What a run asks for, shared by ``POST /run`` and ``POST /campaigns``; unknown fields
    are refused. The enumerations document the shipped catalogue; the run service checks
    ids against the catalogue the app serves."""

    workloads = fields.List(
        fields.String(metadata={"enum": list(CATALOGUE.workloads)}),
        load_default=None,
        metadata={
            "default": DEFAULT_WORKLOADS,
            "minItems": 1,
            "uniqueItems": True,
            "description": "Unknown ids: INVALID_WORKLOAD, with details.invalid",
        },
    )
    shots = StrictInteger(load_default=DEFAULT_SHOTS, validate=validate.Range(1, MAX_SHOTS))
    seed = StrictInteger(
        load_default=None,
        allow_none=True,
        validate=validate.Range(0, MAX_SEED),
        metadata={"description": "Drawn by the server (and recorded) when absent"},
    )
    thresholds = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ThresholdSchema),
        load_default=None,
        metadata={"description": "Pass/fail per workload of the request; the report then "
                  "has a signed `validation` block (a check passes only when the lower end "
                  "of the 95 % interval meets the threshold)"},
    )  # fmt: skip
    max_cost = StrictFloat(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0.0),
        metadata={"description": "USD: a hardware run whose `estimated_cost` is higher, or "
                  "that cannot be priced, is refused (VALIDATION_ERROR naming the estimate); "
                  "it can only lower the tenant's budget (`BENCH_RUN_BUDGETS`)"},
    )  # fmt: skip


class RunRequestSchema(RunFieldsSchema):
    """``POST /run``."""

    backend_id = fields.String(
        required=True,
        metadata={"enum": list(CATALOGUE.backends), "description": "Unknown ids: INVALID_BACKEND"},
    )


class EstimatedCostSchema(ma.Schema):
    currency = fields.String(required=True, validate=validate.Equal("USD"))
    amount = fields.Float(
        required=True, allow_none=True,
        metadata={"description": "null when the run cannot be priced before it runs"},
    )  # fmt: skip
    basis = fields.String(
        required=True, metadata={"description": "The prices, counts and model used, or why "
                                 "there is no amount"},
    )  # fmt: skip


class RunAcceptedSchema(ma.Schema):
    benchmark_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.Equal("queued"))
    estimated_time_seconds = fields.Float(required=True)
    message = fields.String(required=True)
    warning = fields.String(required=True, allow_none=True)
    estimated_cost = fields.Nested(
        EstimatedCostSchema, required=True, allow_none=True,
        metadata={"description": "From the provider's published prices; null for a "
                  "simulated run"},
    )  # fmt: skip


class ReportEnvelopeSchema(ma.Schema):
    report = fields.Dict(required=True, metadata={"description": "The signed report"})
    download_url = fields.Url(required=True)
    storage_mode = fields.String(required=True, validate=validate.Equal("ledger"))


class SignedDocumentSchema(ma.Schema):
    """A signed report or bundle, documented by reference to the contract."""

    class Meta:
        unknown = ma.INCLUDE

    id = fields.String(metadata={"description": "See CONTRACT sections 3 and 4"})


class VerifyReportSchema(ma.Schema):
    report = fields.Dict(required=True)


class VerificationSchema(ma.Schema):
    status = fields.String(required=True, validate=validate.OneOf(["valid", "invalid"]))
    report_id = fields.String(required=True, allow_none=True)
    content_hash_valid = fields.Boolean(required=True)
    evidence_hash_valid = fields.Boolean(required=True)
    signature_present = fields.Boolean(required=True)
    signature_valid = fields.Boolean(required=True)
    ledger_valid = fields.Boolean(required=True, allow_none=True)
    warnings = fields.List(fields.String(), required=True)
    error = fields.String(required=True, allow_none=True)


class VerificationFailedSchema(ErrorSchema):
    """``400``: ``VERIFICATION_FAILED`` with the verification fields, or a malformed body."""

    status = fields.String()
    report_id = fields.String(allow_none=True)
    content_hash_valid = fields.Boolean()
    evidence_hash_valid = fields.Boolean()
    signature_present = fields.Boolean()
    signature_valid = fields.Boolean()
    ledger_valid = fields.Boolean(allow_none=True)
    warnings = fields.List(fields.String())
    error = fields.String(allow_none=True)
    merkle_root_valid = fields.Boolean()
    items_valid = fields.Boolean()


class HealthSchema(ma.Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


# ---- /bench


class VerifyBundleSchema(ma.Schema):
    bundle = fields.Dict(required=True)


class BundleVerificationSchema(VerificationSchema):
    merkle_root_valid = fields.Boolean(required=True)
    items_valid = fields.Boolean(required=True)


class PublicKeySchema(ma.Schema):
    key_id = fields.String(required=True)
    algorithm = fields.String(required=True)
    public_key_pem = fields.String(required=True)
    fingerprint_sha256 = fields.String(required=True, metadata=HEX_HASH)
    valid_from = fields.String(required=True, allow_none=True)
    valid_until = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "retired", "revoked"]))


class KeyringSchema(ma.Schema):
    keys = fields.List(fields.Nested(PublicKeySchema), required=True)


class CheckpointSchema(ma.Schema):
    checkpoint = fields.String(
        required=True, allow_none=True, metadata={"description": "C2SP signed note"}
    )
    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True, metadata=HEX_HASH)


class InclusionQuerySchema(ma.Schema):
    index = fields.Integer(required=True, validate=validate.Range(min=0))
    tree_size = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Default: the size of the latest checkpoint"},
    )


class InclusionProofSchema(ma.Schema):
    index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True, metadata=HEX_HASH)
    proof = fields.List(fields.String(metadata=HEX_HASH), required=True)


class ConsistencyQuerySchema(ma.Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=1))
    second = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Default: the size of the latest checkpoint"},
    )


class ConsistencyProofSchema(ma.Schema):
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    proof = fields.List(fields.String(metadata=HEX_HASH), required=True)


# ---- runs, campaigns (extensions)


class RunListQuerySchema(ma.Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page"})
    backend_id = fields.String()
    status = fields.String(validate=validate.OneOf(["queued", "running", "completed", "failed"]))
    since = fields.AwareDateTime(
        format="iso", metadata={"description": "RFC 3339: runs created at or after it"}
    )


class RunEntrySchema(ma.Schema):
    benchmark_id = fields.String(required=True)
    backend_id = fields.String(required=True)
    status = fields.String(required=True)
    created_at = fields.String(required=True)
    finished_at = fields.String(required=True, allow_none=True)
    workloads = fields.List(fields.String(), required=True)
    summary = fields.Dict(required=True, allow_none=True)
    execution_mode = fields.String(required=True)
    validation = fields.Dict(required=True, allow_none=True)
    campaign_id = fields.String(required=True, allow_none=True)


class RunListSchema(ma.Schema):
    runs = fields.List(fields.Nested(RunEntrySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class CampaignRequestSchema(RunFieldsSchema):
    """``POST /campaigns``: the fields of ``POST /run``, with ``backend_ids`` for ``backend_id``."""

    backend_ids = fields.List(fields.String(), required=True, validate=validate.Length(1, 20))


class CampaignAcceptedSchema(ma.Schema):
    campaign_id = fields.String(required=True)
    benchmark_ids = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class CampaignSchema(ma.Schema):
    campaign_id = fields.String(required=True)
    created_at = fields.String(required=True)
    status = fields.String(required=True)
    runs = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
    ranking = fields.List(fields.String(), required=True)


class CampaignEntrySchema(ma.Schema):
    campaign_id = fields.String(required=True)
    created_at = fields.String(required=True)
    status = fields.String(required=True)
    backend_ids = fields.List(fields.String(), required=True)


class CampaignListSchema(ma.Schema):
    campaigns = fields.List(fields.Nested(CampaignEntrySchema), required=True)
