"""Evidence items, their Merkle root, and signed V3 evidence bundles (CONTRACT section 6)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bench_common.documents import Bundle, BundleSignature, EvidenceItem, EvidenceSection
from bench_common.evidence._internal.canonical import canonicalize
from bench_common.evidence._internal.errors import EvidenceError, EvidenceFormatError
from bench_common.evidence._internal.merkle import merkle_root
from bench_common.evidence._internal.signing import (
    ALGORITHM,
    BUNDLE_PAYLOAD_TYPE,
    SigningKey,
    b64decode,
    pae,
    verify_der,
)
from bench_common.evidence._internal.trust import TrustedKeys
from bench_common.evidence._internal.verification import BundleVerification
from bench_common.timeutil import parse_time

SHA256_PREFIX = "sha256:"
"""Tags a lowercase-hex SHA-256 digest in reports and bundles, so the hash is self-describing."""
EVIDENCE_ALG = "rfc9162-sha256"
"""Names the evidence Merkle construction (RFC 9162 over SHA-256) in a report's evidence."""
_HASH = re.compile(re.escape(SHA256_PREFIX) + "[0-9a-f]{64}")


def sha256_tag(data: bytes) -> str:
    return SHA256_PREFIX + hashlib.sha256(data).hexdigest()


def item_hash(content: Any) -> str:
    return sha256_tag(canonicalize(content))


def make_items(raw: Iterable[tuple[str, str, Any]]) -> list[EvidenceItem]:
    """Bundle items from (type, name, content), hashed and in the contract's order."""
    items: list[EvidenceItem] = [
        {"type": kind, "name": name, "content": content, "hash": item_hash(content)}
        for kind, name, content in raw
    ]
    items.sort(key=lambda item: (item["type"], item["name"]))
    items_root(items)  # refuses duplicate names before anything is signed
    return items


def items_root(items: Any) -> str:
    """Lowercase hex Merkle root over ``CF({hash, type})`` leaves of an ordered item list."""
    if not isinstance(items, list):
        raise EvidenceFormatError("evidence items must be a list")
    names: set[str] = set()
    previous: tuple[str, str] | None = None
    leaves = []
    for item in items:
        if not isinstance(item, dict):
            raise EvidenceFormatError("each evidence item must be an object")
        kind, name, digest = item.get("type"), item.get("name"), item.get("hash")
        if not (isinstance(kind, str) and isinstance(name, str) and isinstance(digest, str)):
            raise EvidenceFormatError("each evidence item needs string type, name and hash")
        if not _HASH.fullmatch(digest):
            raise EvidenceFormatError(f"item {name!r}: hash must be {SHA256_PREFIX}<64 hex digits>")
        if name in names:
            raise EvidenceFormatError(f"evidence item name {name!r} appears twice")
        if previous is not None and (kind, name) < previous:
            raise EvidenceFormatError("evidence items are not ordered by type, then name")
        names.add(name)
        previous = (kind, name)
        leaves.append(canonicalize({"hash": digest, "type": kind}))
    return merkle_root(leaves).hex()


def build_bundle(
    bundle_id: str, job_id: str, tenant_id: str, created_at: str, items: list[EvidenceItem]
) -> Bundle:
    """An unsigned bundle over items made by ``make_items``."""
    return {
        "bundle_id": bundle_id,
        "job_id": job_id,
        "tenant_id": tenant_id,
        "created_at": created_at,
        "items": items,
        "merkle_root": items_root(items),
        "signatures": [],
    }


def evidence_section(bundle: Bundle) -> EvidenceSection:
    """The report's ``evidence`` member: the bundle's items without their content."""
    return {
        "bundle_id": bundle["bundle_id"],
        "alg": EVIDENCE_ALG,
        "merkle_root": bundle["merkle_root"],
        "items": [
            {"type": item["type"], "name": item["name"], "hash": item["hash"]}
            for item in bundle["items"]
        ],
    }


def bundle_payload(bundle: Mapping[str, Any]) -> bytes:
    return canonicalize({k: v for k, v in bundle.items() if k != "signatures"})


def sign_bundle(bundle: Bundle, signer: SigningKey) -> Bundle:
    signature = signer.sign_envelope(BUNDLE_PAYLOAD_TYPE, bundle_payload(bundle))
    entry: BundleSignature = {"key_id": signer.key_id, "algorithm": ALGORITHM,
                              "signature": signature}  # fmt: skip
    return {**bundle, "signatures": [entry]}


def verify_bundle(bundle: Any, keys: TrustedKeys | dict[str, Any]) -> BundleVerification:
    """Check a bundle: signature over its canonical bytes, every item hash, the Merkle root."""
    trusted = TrustedKeys.coerce(keys)
    result = BundleVerification()
    if not isinstance(bundle, dict):
        result.record("format", "a bundle must be a JSON object")
        return result
    job_id = bundle.get("job_id")
    result.report_id = job_id if isinstance(job_id, str) else None
    signatures = bundle.get("signatures")
    result.signature_present = isinstance(signatures, list) and len(signatures) > 0
    result.signature_valid = result.record("signature", _bundle_signature(bundle, trusted))
    items = bundle.get("items")
    item_error = _item_hashes(items)
    result.items_valid = result.record("items", item_error)
    result.content_hash_valid = result.items_valid
    try:
        root_ok = items_root(items) == bundle.get("merkle_root")
        root_error = None if root_ok else "merkle_root does not match the items"
    except EvidenceError as exc:
        root_error = str(exc)
    result.merkle_root_valid = result.record("merkle_root", root_error)
    result.evidence_hash_valid = result.merkle_root_valid
    return result


def _bundle_signature(bundle: dict[str, Any], keys: TrustedKeys) -> str | None:
    signatures = bundle.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        return "the bundle carries no signature"
    try:
        payload = pae(BUNDLE_PAYLOAD_TYPE, bundle_payload(bundle))
    except EvidenceError as exc:
        return str(exc)
    reasons = []
    for entry in signatures:
        if not isinstance(entry, dict):
            reasons.append("a signature entry is not an object")
            continue
        reason = check_signature(keys, payload, entry, bundle.get("created_at"), "signature")
        if reason is None:
            return None
        reasons.append(reason)
    return "; ".join(reasons)


def check_signature(
    keys: TrustedKeys, signed: bytes, entry: dict[str, Any], created_at: Any, value_field: str
) -> str | None:
    """None if ``entry`` holds a valid signature of ``signed`` by a trusted key, else why not.

    ``entry`` has ``key_id``, ``algorithm`` and the base64 signature under ``value_field``.
    """
    if entry.get("algorithm") != ALGORITHM:
        return f"algorithm {entry.get('algorithm')!r} is not {ALGORITHM}"
    found = keys.lookup(entry.get("key_id"), parse_time(created_at))
    if isinstance(found, str):
        return found
    signature = b64decode(entry.get(value_field))
    if signature is None:
        return "signature value is not base64"
    if not verify_der(found.public_key, signature, signed):
        return "signature does not match the canonical bytes"
    return None


def _item_hashes(items: Any) -> str | None:
    if not isinstance(items, list):
        return "items must be a list"
    for item in items:
        if not isinstance(item, dict) or "content" not in item:
            return "each item must be an object with content"
        try:
            if item_hash(item["content"]) != item.get("hash"):
                return f"item {item.get('name')!r}: content does not match its hash"
        except EvidenceError as exc:
            return f"item {item.get('name')!r}: {exc}"
    return None
