"""The evidence core: canonical JSON, hashes, Merkle proofs, signatures, keyrings, ledger.

Importable with no Flask, Celery or Qiskit, so third parties can verify reports offline.
The names in ``__all__`` are the public API (CONTRACT section 6); the modules under
``_internal`` are private, so their layout can change without breaking any importer.
"""

from bench_common.evidence._internal.bundle import (
    EVIDENCE_ALG,
    SHA256_PREFIX,
    build_bundle,
    evidence_section,
    item_hash,
    items_root,
    make_items,
    sign_bundle,
    verify_bundle,
)
from bench_common.evidence._internal.canonical import (
    MAX_JSON_DEPTH,
    canonicalize,
    parse_strict,
)
from bench_common.evidence._internal.checkpoint import (
    Checkpoint,
    parse_checkpoint,
    verify_checkpoint,
)
from bench_common.evidence._internal.errors import (
    CanonicalizationError,
    EvidenceError,
    EvidenceFormatError,
    KeyringError,
    LedgerError,
    NestingTooDeepError,
)
from bench_common.evidence._internal.keystore import (
    KeyStore,
    Signer,
    generate_private_key,
    private_key_pem,
)
from bench_common.evidence._internal.ledger import Ledger, Receipt
from bench_common.evidence._internal.merkle import (
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from bench_common.evidence._internal.report import (
    Appender,
    content_payload,
    ledger_leaf,
    record_in_ledger,
    report_leaf,
    seal_report,
    verify_report,
    with_receipt,
)
from bench_common.evidence._internal.signing import (
    BUNDLE_PAYLOAD_TYPE,
    REPORT_PAYLOAD_TYPE,
    fingerprint,
    pae,
    public_pem,
)
from bench_common.evidence._internal.trust import PublicKeyEntry, TrustedKeys
from bench_common.evidence._internal.verification import BundleVerification, Verification

__all__ = [
    "BUNDLE_PAYLOAD_TYPE",
    "EVIDENCE_ALG",
    "MAX_JSON_DEPTH",
    "REPORT_PAYLOAD_TYPE",
    "SHA256_PREFIX",
    "Appender",
    "BundleVerification",
    "CanonicalizationError",
    "Checkpoint",
    "EvidenceError",
    "EvidenceFormatError",
    "KeyStore",
    "KeyringError",
    "Ledger",
    "LedgerError",
    "NestingTooDeepError",
    "PublicKeyEntry",
    "Receipt",
    "Signer",
    "TrustedKeys",
    "Verification",
    "build_bundle",
    "canonicalize",
    "consistency_proof",
    "content_payload",
    "evidence_section",
    "fingerprint",
    "generate_private_key",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "item_hash",
    "items_root",
    "ledger_leaf",
    "make_items",
    "merkle_root",
    "pae",
    "parse_checkpoint",
    "parse_strict",
    "private_key_pem",
    "public_pem",
    "record_in_ledger",
    "report_leaf",
    "seal_report",
    "sign_bundle",
    "verify_bundle",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_report",
    "with_receipt",
]
