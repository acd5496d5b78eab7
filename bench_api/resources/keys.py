"""``GET /bench/keys``: the public keyring that verifies this server's reports offline."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import EVIDENCE_BASE, ResourceBlueprint
from bench_api.schemas import KeyringSchema

blp = ResourceBlueprint(
    "keys", __name__, url_prefix=EVIDENCE_BASE, description="Public signing keys."
)


@blp.route("/keys")
class Keys(MethodView):
    @blp.response(200, KeyringSchema)
    def get(self) -> dict[str, Any]:
        """Every signing key, active, retired or revoked, with its validity window."""
        return platform.current().runtime.keys.public_keyring()
