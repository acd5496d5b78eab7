"""``GET /healthz``: whether the store and the broker answer (no key needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.errors import ApiError, ErrorSchema
from bench_api.schemas import HealthSchema
from bench_common.broker import BROKER_ERRORS
from bench_common.errors import ErrorCode
from bench_common.store.base import StoreError

blp = ResourceBlueprint(
    "health", __name__, url_prefix=API_BASE, public=True, description="Liveness of the service."
)


def _store(here: platform.Platform) -> None:
    here.runtime.store.ping()


def _broker(here: platform.Platform) -> None:
    here.broker.probe()


PROBES: dict[str, Callable[[platform.Platform], None]] = {"store": _store, "broker": _broker}
PROBE_ERRORS = (StoreError, *BROKER_ERRORS)


def _probe(check: Callable[[platform.Platform], None], here: platform.Platform) -> str:
    try:
        check(here)
    except PROBE_ERRORS as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"


@blp.route("/healthz")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=ErrorSchema, description="SERVICE_UNAVAILABLE")
    def get(self) -> dict[str, Any]:
        """Check the store and the broker."""
        here = platform.current()
        checks = {name: _probe(check, here) for name, check in PROBES.items()}
        down = sorted(name for name, state in checks.items() if state != "ok")
        if down:
            raise ApiError(
                ErrorCode.SERVICE_UNAVAILABLE, f"Unavailable: {', '.join(down)}", {"checks": checks}
            )
        return {"status": "ok", "checks": checks}
