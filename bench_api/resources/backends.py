"""``GET /backends`` (extension): the devices a run can target and how they would execute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.schemas import BackendListSchema
from bench_common.catalogue import BACKENDS, BackendSpec
from bench_common.settings import Settings
from bench_workers.credentials import placement
from bench_workers.executors import EXECUTORS

blp = ResourceBlueprint(
    "backends", __name__, url_prefix=API_BASE, description="The devices runs can target."
)


def describe(
    backend: BackendSpec, settings: Settings, statuses: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    where = placement(backend, settings.provider_env, EXECUTORS, statuses)
    return {
        "id": backend.id,
        "provider": backend.provider,
        "execution_mode": where.mode,
        "qubits": backend.qubits,
        "status": where.status,
        "queue": where.queue,
        "description": backend.description,
    }


@blp.route("/backends")
class Backends(MethodView):
    @blp.response(200, BackendListSchema)
    def get(self) -> dict[str, Any]:
        """List the backends, each with the execution mode this installation can offer."""
        here = platform.current()
        statuses = here.runtime.store.backend_statuses()
        return {"backends": [describe(b, here.settings, statuses) for b in BACKENDS.values()]}
