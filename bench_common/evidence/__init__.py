"""The evidence core: canonical JSON, hashes, Merkle proofs, signatures, keyrings, ledger.

Importable with no Flask, Celery or Qiskit, so third parties can verify reports offline.
The names below are the public API (CONTRACT section 6); everything else may change.
"""

from bench_common.evidence.bundle import (
    build_bundle,
    evidence_section,
    item_hash,
    items_root,
    make_items,
    sign_bundle,
    verify_bundle,
)
from bench_common.evidence.canonical import canonicalize, parse_strict
from bench_common.evidence.checkpoint import Checkpoint, parse_checkpoint, verify_checkpoint
from bench_common.evidence.errors import (
    CanonicalizationError,
    EvidenceError,
    EvidenceFormatError,
    KeyringError,
    LedgerError,
)
from bench_common.evidence.keyring import KeyStore, PublicKeyEntry, Signer, TrustedKeys
from bench_common.evidence.ledger import Ledger, Receipt
from bench_common.evidence.merkle import (
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from bench_common.evidence.report import content_payload, ledger_leaf, seal_report, verify_report
from bench_common.evidence.signing import BUNDLE_PAYLOAD_TYPE, REPORT_PAYLOAD_TYPE, pae
from bench_common.evidence.verification import BundleVerification, Verification

__all__ = [
    "BUNDLE_PAYLOAD_TYPE",
    "REPORT_PAYLOAD_TYPE",
    "BundleVerification",
    "CanonicalizationError",
    "Checkpoint",
    "EvidenceError",
    "EvidenceFormatError",
    "KeyStore",
    "KeyringError",
    "Ledger",
    "LedgerError",
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
    "seal_report",
    "sign_bundle",
    "verify_bundle",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_report",
]
