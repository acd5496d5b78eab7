"""``GET /backends`` (extension): the devices a run can target and how they would execute."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import API_BASE, ResourceBlueprint
from bench_api.schemas import BackendListSchema
from bench_common.catalogue import BACKENDS, BackendSpec
from bench_common.settings import Settings
from bench_workers.credentials import execution_mode
from bench_workers.executors import EXECUTORS

blp = ResourceBlueprint(
    "backends", __name__, url_prefix=API_BASE, description="The devices runs can target."
)


def describe(backend: BackendSpec, settings: Settings) -> dict[str, Any]:
    mode = execution_mode(backend, settings.provider_env, frozenset(EXECUTORS))
    return {
        "id": backend.id,
        "provider": backend.provider,
        "execution_mode": mode,
        "qubits": backend.qubits,
        "status": "online",
        "queue": "simulator" if mode == "simulated" else backend.provider,
        "description": backend.description,
    }


@blp.route("/backends")
class Backends(MethodView):
    @blp.response(200, BackendListSchema)
    def get(self) -> dict[str, Any]:
        """List the backends, each with the execution mode this installation can offer."""
        settings = platform.current().settings
        return {"backends": [describe(backend, settings) for backend in BACKENDS.values()]}
