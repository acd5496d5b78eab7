"""``GET /api/v2/bench`` (extension): where everything is, for a newcomer with only the URL
that ``bench serve`` printed. No key needed: it says no more than the OpenAPI document."""

from __future__ import annotations

from typing import TypedDict

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from bench_api.blueprint import API_BASE, ResourceBlueprint

blp = ResourceBlueprint(
    "index", __name__, url_prefix=API_BASE, public=True, description="The endpoints."
)
HIDDEN_METHODS = frozenset({"HEAD", "OPTIONS"})


class Endpoint(TypedDict):
    methods: list[str]
    path: str


class Index(TypedDict):
    name: str
    openapi: str
    docs: str
    authentication: str
    endpoints: list[Endpoint]


class EndpointSchema(ma.Schema):
    methods = ma.fields.List(ma.fields.String(), required=True)
    path = ma.fields.String(required=True)


class IndexSchema(ma.Schema):
    name = ma.fields.String(required=True)
    openapi = ma.fields.String(required=True)
    docs = ma.fields.String(required=True)
    authentication = ma.fields.String(required=True)
    endpoints = ma.fields.List(ma.fields.Nested(EndpointSchema), required=True)


@blp.route("")
class IndexView(MethodView):
    @blp.doc(security=[])
    @blp.response(200, IndexSchema)
    def get(self) -> Index:
        """Every endpoint of this server, with the OpenAPI document and docs page."""
        endpoints: list[Endpoint] = [
            {"methods": sorted(set(rule.methods or ()) - HIDDEN_METHODS), "path": rule.rule}
            for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.endpoint != "static" and not rule.rule.startswith(f"{API_BASE}/docs/")
        ]
        return {
            "name": "QCOS Benchmarking API",
            "openapi": f"{API_BASE}/openapi.json",
            "docs": f"{API_BASE}/docs",
            "authentication": "X-API-Key header on every endpoint but /healthz, this index "
            "and the OpenAPI document",
            "endpoints": endpoints,
        }
