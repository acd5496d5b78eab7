"""``GET /api/v2/bench/alerts`` (extension): the caller's drift alerts, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import marshmallow as ma
from flask.views import MethodView

from bench_api import auth, platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_common.documents import Alert
from bench_common.timeutil import format_time

blp = ResourceBlueprint("alerts", __name__, url_prefix=API_BASE, description="Drift alerts.")
LIMIT = 500


class AlertQuerySchema(ma.Schema):
    since = ma.fields.AwareDateTime(format="iso", metadata={"description": "RFC 3339"})


class AlertListSchema(ma.Schema):
    alerts = ma.fields.List(ma.fields.Dict(), required=True)


class AlertList(TypedDict):
    alerts: list[Alert]


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(AlertQuerySchema, location="query")
    @blp.response(200, AlertListSchema)
    def get(self, query: dict[str, Any]) -> AlertList:
        """Scheduled runs whose figures fell below their backend's recent history."""
        since: datetime | None = query.get("since")
        found = platform.current().runtime.store.list_alerts(
            auth.tenant(), None if since is None else format_time(since), LIMIT
        )
        return {"alerts": found}
