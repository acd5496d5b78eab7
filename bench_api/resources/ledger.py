"""``/bench/ledger``: the signed checkpoint and Merkle proofs of the transparency log.

Sizes default to the latest signed checkpoint, the tree a client can check proofs against.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bench_api import platform
from bench_api.blueprint import EVIDENCE_BASE, ResourceBlueprint
from bench_api.errors import ApiError
from bench_api.schemas import (
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
)
from bench_common.errors import ErrorCode
from bench_common.evidence import Checkpoint, Ledger, LedgerError, merkle_root, parse_checkpoint

blp = ResourceBlueprint(
    "ledger", __name__, url_prefix=f"{EVIDENCE_BASE}/ledger", description="Transparency log."
)


def _ledger() -> Ledger:
    return platform.current().runtime.ledger


def latest(ledger: Ledger) -> tuple[str | None, Checkpoint]:
    """The latest signed note and what it says; size 0 before the first report."""
    note = ledger.checkpoint()
    if note is None:
        return None, Checkpoint(ledger.origin, 0, merkle_root([]))
    return note, parse_checkpoint(note)[0]


def out_of_range(error: LedgerError, *names: str) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_ERROR, str(error), {name: [str(error)] for name in names})


@blp.route("/checkpoint")
class LatestCheckpoint(MethodView):
    @blp.response(200, CheckpointSchema)
    def get(self) -> dict[str, Any]:
        """The latest signed checkpoint (C2SP signed note)."""
        note, checkpoint = latest(_ledger())
        return {
            "checkpoint": note,
            "tree_size": checkpoint.size,
            "root_hash": checkpoint.root.hex(),
        }


@blp.route("/proof/inclusion")
class InclusionProof(MethodView):
    @blp.arguments(InclusionQuerySchema, location="query")
    @blp.response(200, InclusionProofSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Proof that leaf ``index`` is in the tree of ``tree_size`` leaves."""
        ledger = _ledger()
        index, size = query["index"], query.get("tree_size") or latest(ledger)[1].size
        try:
            proof = ledger.inclusion_proof(index, size)
        except LedgerError as exc:
            raise out_of_range(exc, "index", "tree_size") from exc
        return {
            "index": index,
            "tree_size": size,
            "leaf_hash": ledger.leaf_hash(index).hex(),
            "proof": [node.hex() for node in proof],
        }


@blp.route("/proof/consistency")
class ConsistencyProof(MethodView):
    @blp.arguments(ConsistencyQuerySchema, location="query")
    @blp.response(200, ConsistencyProofSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
        ledger = _ledger()
        first, second = query["first"], query.get("second") or latest(ledger)[1].size
        try:
            proof = ledger.consistency_proof(first, second)
        except LedgerError as exc:
            raise out_of_range(exc, "first", "second") from exc
        return {"first": first, "second": second, "proof": [node.hex() for node in proof]}
