"""Sealing a report (content hash, signature, ledger entry) and verifying one offline.

Verification order: the signature over the exact canonical bytes (with a key from the
trusted keyring only), then the content hash, then the evidence Merkle root, then the
ledger inclusion proof. The first failure is named in ``error``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from bench_common.documents import Integrity, Report
from bench_common.documents import LedgerReceipt as ReceiptDocument
from bench_common.evidence._internal.bundle import (
    EVIDENCE_ALG,
    SHA256_PREFIX,
    check_signature,
    items_root,
    sha256_tag,
)
from bench_common.evidence._internal.canonical import canonicalize
from bench_common.evidence._internal.checkpoint import verify_checkpoint
from bench_common.evidence._internal.errors import EvidenceError
from bench_common.evidence._internal.merkle import hash_leaf, verify_inclusion
from bench_common.evidence._internal.signing import (
    ALGORITHM,
    REPORT_PAYLOAD_TYPE,
    SigningKey,
    pae,
)
from bench_common.evidence._internal.trust import TrustedKeys
from bench_common.evidence._internal.verification import Verification

CANONICALIZATION = "RFC8785"
LEDGER_LEAF_VERSION = 1
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class LedgerReceipt(Protocol):
    def to_json(self) -> ReceiptDocument: ...


class Appender(Protocol):
    def append(self, entry: bytes, signer: SigningKey | None = None) -> LedgerReceipt: ...


def content_payload(report: Mapping[str, Any]) -> bytes:
    """``P = CF(report without integrity)``: the bytes that are hashed and signed."""
    return canonicalize({k: v for k, v in report.items() if k != "integrity"})


def ledger_leaf(report_id: str, content_hash: str, evidence_hash: str, key_id: str) -> bytes:
    return canonicalize(
        {
            "content_hash": content_hash,
            "evidence_hash": evidence_hash,
            "key_id": key_id,
            "report_id": report_id,
            "v": LEDGER_LEAF_VERSION,
        }
    )


def seal_report(report: Report, signer: SigningKey) -> Report:
    """Return ``report`` with its ``integrity`` member: hashes and signature (``record_in_ledger``
    adds the ledger receipt)."""
    payload = content_payload(report)
    content_hash = sha256_tag(payload)
    evidence_hash = SHA256_PREFIX + items_root(report["evidence"]["items"])
    integrity: Integrity = {
        "canonicalization": CANONICALIZATION,
        "content_hash": content_hash,
        "evidence_hash": evidence_hash,
        "signature": {
            "key_id": signer.key_id,
            "algorithm": ALGORITHM,
            "payload_type": REPORT_PAYLOAD_TYPE,
            "value": signer.sign_envelope(REPORT_PAYLOAD_TYPE, payload),
        },
    }
    return {**report, "integrity": integrity}


def report_leaf(sealed: Report) -> bytes:
    """The ledger entry of a sealed report: its id, hashes and signing key."""
    integrity = sealed["integrity"]
    return ledger_leaf(sealed["id"], integrity["content_hash"], integrity["evidence_hash"],
                       integrity["signature"]["key_id"])  # fmt: skip


def with_receipt(sealed: Report, receipt: LedgerReceipt) -> Report:
    """The report with its ledger receipt added."""
    return {**sealed, "integrity": {**sealed["integrity"], "ledger": receipt.to_json()}}


def record_in_ledger(sealed: Report, ledger: Appender, signer: SigningKey) -> Report:
    """Append a sealed report's leaf to the ledger, the new checkpoint signed by ``signer``
    (the key that signed the report); the report with its receipt added."""
    return with_receipt(sealed, ledger.append(report_leaf(sealed), signer))


def verify_report(report: Any, keys: TrustedKeys | dict[str, Any] | str | bytes) -> Verification:
    """Check ``report`` against ``keys`` (a ``GET /bench/keys`` keyring, or a PEM)."""
    trusted = TrustedKeys.coerce(keys)
    result = Verification()
    if not isinstance(report, dict):
        result.record("format", "a report must be a JSON object")
        return result
    report_id = report.get("id")
    result.report_id = report_id if isinstance(report_id, str) else None
    integrity = report.get("integrity")
    integrity = integrity if isinstance(integrity, dict) else {}
    try:
        payload: bytes | None = content_payload(report)
    except EvidenceError as exc:
        payload = None
        result.record("format", str(exc))
    signature = integrity.get("signature")
    result.signature_present = isinstance(signature, dict) and "value" in signature
    result.signature_valid = result.record(
        "signature", _signature_error(signature, report.get("created_at"), payload, trusted)
    )
    result.content_hash_valid = result.record("content_hash", _content_error(payload, integrity))
    result.evidence_hash_valid = result.record(
        "evidence_hash", _evidence_error(report.get("evidence"), integrity)
    )
    if "ledger" in integrity:
        result.ledger_valid = result.record("ledger", _ledger_error(report, integrity, trusted))
    return result


def _signature_error(
    signature: Any, created_at: Any, payload: bytes | None, keys: TrustedKeys
) -> str | None:
    if not isinstance(signature, dict) or "value" not in signature:
        return "the report carries no signature"
    if signature.get("payload_type") != REPORT_PAYLOAD_TYPE:
        return f"payload_type {signature.get('payload_type')!r} is not {REPORT_PAYLOAD_TYPE}"
    if payload is None:
        return "the report has no canonical form"
    return check_signature(keys, pae(REPORT_PAYLOAD_TYPE, payload), signature, created_at, "value")


def _content_error(payload: bytes | None, integrity: dict[str, Any]) -> str | None:
    if integrity.get("canonicalization") != CANONICALIZATION:
        return f"canonicalization {integrity.get('canonicalization')!r} is not {CANONICALIZATION}"
    if payload is None or integrity.get("content_hash") != sha256_tag(payload):
        return "content_hash does not match the report"
    return None


def _evidence_error(evidence: Any, integrity: dict[str, Any]) -> str | None:
    if not isinstance(evidence, dict):
        return "the report has no evidence section"
    if evidence.get("alg") != EVIDENCE_ALG:
        return f"evidence alg {evidence.get('alg')!r} is not {EVIDENCE_ALG}"
    try:
        root = items_root(evidence.get("items"))
    except EvidenceError as exc:
        return str(exc)
    if evidence.get("merkle_root") != root:
        return "evidence.merkle_root does not match the items"
    if integrity.get("evidence_hash") != SHA256_PREFIX + root:
        return "integrity.evidence_hash does not match the Merkle root"
    return None


def _ledger_error(
    report: dict[str, Any], integrity: dict[str, Any], keys: TrustedKeys
) -> str | None:
    entry = integrity.get("ledger")
    if not isinstance(entry, dict):
        return "integrity.ledger must be an object"
    try:
        checkpoint = verify_checkpoint(entry.get("checkpoint"), keys)
    except EvidenceError as exc:
        return str(exc)
    if entry.get("tree_size") != checkpoint.size:
        return "ledger.tree_size differs from the checkpoint's size"
    proof = _hex_list(entry.get("inclusion_proof"))
    signature = integrity.get("signature")
    key_id = signature.get("key_id") if isinstance(signature, dict) else None
    fields = (report.get("id"), integrity.get("content_hash"), integrity.get("evidence_hash"))
    report_id, content_hash, evidence_hash = fields
    if not (
        proof is not None
        and isinstance(report_id, str)
        and isinstance(content_hash, str)
        and isinstance(evidence_hash, str)
        and isinstance(key_id, str)
    ):
        return "ledger entry is malformed"
    leaf = hash_leaf(ledger_leaf(report_id, content_hash, evidence_hash, key_id))
    index = entry.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        return "ledger.index must be an integer"
    if not verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root):
        return "the inclusion proof does not lead to the checkpoint's root"
    return None


def _hex_list(value: Any) -> list[bytes] | None:
    """Lowercase-hex hashes as bytes, or None if any element is anything else."""
    if not isinstance(value, list) or not all(
        isinstance(h, str) and _HEX_HASH.fullmatch(h) for h in value
    ):
        return None
    return [bytes.fromhex(h) for h in value]
