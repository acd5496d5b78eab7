"""``GET /runs`` (extension): the caller's runs, newest first, a page at a time.

The cursor is opaque to clients: the position (``created_at``, ``id``) of the last run of
the page, so pages stay stable while new runs arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, TypedDict

from flask.views import MethodView

from bench_api import auth, platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.errors import ApiError, ErrorSchema
from bench_api.schemas import RunListQuerySchema, RunListSchema
from bench_common.documents import RunStatus, Summary
from bench_common.errors import ErrorCode
from bench_common.store import RunFilter, RunListing
from bench_common.timeutil import format_time

blp = ResourceBlueprint("listing", __name__, url_prefix=API_BASE, description="List runs.")


class Verdict(TypedDict):
    passed: bool


class RunEntry(TypedDict):
    benchmark_id: str
    backend_id: str
    status: RunStatus
    created_at: str
    finished_at: str | None
    workloads: list[str]
    summary: Summary | None
    execution_mode: str
    validation: Verdict | None
    campaign_id: str | None


class RunList(TypedDict):
    runs: list[RunEntry]
    next_cursor: str | None


def encode_cursor(created_at: str, run_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at, run_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        created_at, run_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ApiError(ErrorCode.VALIDATION_ERROR, "cursor is not one this API returned",
                       {"cursor": ["unknown cursor"]}) from exc  # fmt: skip
    if not isinstance(created_at, str) or not isinstance(run_id, str):
        raise ApiError(ErrorCode.VALIDATION_ERROR, "cursor is not one this API returned",
                       {"cursor": ["unknown cursor"]})  # fmt: skip
    return created_at, run_id


def entry(found: RunListing) -> RunEntry:
    run = found.run
    verdict: Verdict | None = (
        None if found.validation_passed is None else {"passed": found.validation_passed}
    )
    return {
        "benchmark_id": run.id, "backend_id": run.backend_id, "status": run.status,
        "created_at": run.created_at, "finished_at": run.finished_at,
        "workloads": run.workloads, "summary": found.summary,
        "execution_mode": run.execution_mode, "validation": verdict,
        "campaign_id": run.campaign_id,
    }  # fmt: skip


@blp.route("/runs")
class RunListView(MethodView):
    @blp.arguments(RunListQuerySchema, location="query")
    @blp.response(200, RunListSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="VALIDATION_ERROR")
    def get(self, query: dict[str, Any]) -> RunList:
        """The caller's runs, newest first; follow `next_cursor` for the next page."""
        since: datetime | None = query.get("since")
        limit: int = query["limit"]
        selection = RunFilter(
            tenant_id=auth.tenant(),
            limit=limit + 1,
            backend_id=query.get("backend_id"),
            status=query.get("status"),
            since=None if since is None else format_time(since),
            before=decode_cursor(query["cursor"]) if "cursor" in query else None,
        )
        found = platform.current().runtime.store.list_runs(selection)
        page, more = found[:limit], len(found) > limit
        last = page[-1].run if page else None
        cursor = encode_cursor(last.created_at, last.id) if more and last else None
        return {"runs": [entry(f) for f in page], "next_cursor": cursor}
