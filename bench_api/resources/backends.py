"""``GET /backends`` (extension): the devices a run can target and how they would execute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.schemas import BackendListSchema
from bench_common.catalogue import BackendSpec, Catalogue
from bench_common.documents import BackendStatusRecord, ExecutionMode
from bench_common.placement import placement
from bench_common.settings import Settings

blp = ResourceBlueprint(
    "backends", __name__, url_prefix=API_BASE, description="The devices runs can target."
)


class BackendEntry(TypedDict):
    id: str
    provider: str
    execution_mode: ExecutionMode
    qubits: int
    status: str
    queue: str
    description: str


class BackendList(TypedDict):
    backends: list[BackendEntry]


def describe(
    catalogue: Catalogue,
    backend: BackendSpec,
    settings: Settings,
    statuses: Mapping[str, BackendStatusRecord],
) -> BackendEntry:
    where = placement(catalogue, backend, settings.provider_env, statuses)
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
    def get(self) -> BackendList:
        """List the backends, each with the execution mode this installation can offer."""
        here = platform.current()
        statuses = here.runtime.store.backend_statuses()
        catalogue = here.runtime.catalogue
        return {"backends": [describe(catalogue, b, here.settings, statuses)
                             for b in catalogue.backends.values()]}  # fmt: skip
