"""Ledger checkpoints as C2SP signed notes.

Text: ``<origin>\\n<size>\\n<base64 root>\\n``, a blank line, then one line per signature:
``— <key_id> <base64(first 4 bytes of the key fingerprint ‖ DER ECDSA P-384 signature)>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench_common.evidence._internal.errors import EvidenceFormatError
from bench_common.evidence._internal.merkle import HASH_SIZE
from bench_common.evidence._internal.signing import SigningKey, b64decode, b64encode, verify_der
from bench_common.evidence._internal.trust import TrustedKeys

SIGNATURE_PREFIX = "— "
KEY_HASH_SIZE = 4


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64encode(self.root)}\n"

    def sign(self, signer: SigningKey) -> str:
        """The signed note text."""
        body = self.body()
        key_hash = bytes.fromhex(signer.fingerprint)[:KEY_HASH_SIZE]
        blob = b64encode(key_hash + signer.sign_raw(body.encode()))
        return f"{body}\n{SIGNATURE_PREFIX}{signer.key_id} {blob}\n"


def parse_checkpoint(note: object) -> tuple[Checkpoint, str, list[tuple[str, bytes]]]:
    """The checkpoint, its signed body and its (key name, signature blob) lines."""
    if not isinstance(note, str) or "\n\n" not in note:
        raise EvidenceFormatError("a checkpoint is a signed note: body, blank line, signatures")
    body, signature_text = note.split("\n\n", 1)
    body += "\n"
    lines = body.split("\n")[:-1]
    if len(lines) < 3 or not lines[0]:
        raise EvidenceFormatError("a checkpoint body needs origin, size and root lines")
    size_text, root = lines[1], b64decode(lines[2])
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise EvidenceFormatError(f"checkpoint size {size_text!r} is not a decimal number")
    if root is None or len(root) != HASH_SIZE:
        raise EvidenceFormatError("checkpoint root is not a base64 SHA-256 hash")
    signatures = []
    for line in signature_text.rstrip("\n").split("\n"):
        name, _, blob_text = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        blob = b64decode(blob_text)
        if not line.startswith(SIGNATURE_PREFIX) or blob is None or len(blob) <= KEY_HASH_SIZE:
            raise EvidenceFormatError(f"malformed checkpoint signature line {line!r}")
        signatures.append((name, blob))
    return Checkpoint(lines[0], int(size_text), root), body, signatures


def verify_checkpoint(note: object, keys: TrustedKeys) -> Checkpoint:
    """The checkpoint, if a trusted, unrevoked key signed it; raise otherwise."""
    checkpoint, body, signatures = parse_checkpoint(note)
    reasons = []
    for name, blob in signatures:
        found = keys.lookup(name, None) if keys.any_id else keys.entries.get(name)
        if found is None or isinstance(found, str) or found.status == "revoked":
            reasons.append(f"key {name!r} is not trusted for checkpoints")
            continue
        key_hash_ok = blob[:KEY_HASH_SIZE] == bytes.fromhex(found.fingerprint)[:KEY_HASH_SIZE]
        if key_hash_ok and verify_der(found.public_key, blob[KEY_HASH_SIZE:], body.encode()):
            return checkpoint
        reasons.append(f"signature by {name!r} does not verify")
    raise EvidenceFormatError("checkpoint: " + ("; ".join(reasons) or "no signature"))
