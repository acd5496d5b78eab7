"""What an offline verifier trusts: public keys from a keyring or a PEM it was given.

Kept apart from the server's key store so that verification code cannot reach a private key
or the key directory: nothing here reads from disk, and nothing inside a report or bundle is
ever added to the trusted set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench_common.evidence._internal.canonical import parse_strict
from bench_common.evidence._internal.errors import EvidenceError, KeyringError
from bench_common.evidence._internal.signing import ALGORITHM, fingerprint, public_pem
from bench_common.timeutil import format_time, parse_time

KeyStatus = Literal["active", "retired", "revoked"]
KEY_STATUSES = ("active", "retired", "revoked")


def _load_public_pem(pem: str | bytes) -> ec.EllipticCurvePublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyringError(f"cannot load a public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        raise KeyringError("trusted keys must be ECDSA P-384 public keys")
    return key


@dataclass(frozen=True)
class PublicKeyEntry:
    """One key of a keyring in the ``GET /bench/keys`` format."""

    key_id: str
    public_key: ec.EllipticCurvePublicKey
    valid_from: datetime | None
    valid_until: datetime | None
    status: KeyStatus

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def covers(self, moment: datetime | None) -> str | None:
        """None if this key may verify something made at ``moment``, else the reason not."""
        if self.status == "revoked":
            return f"key {self.key_id!r} is revoked"
        if moment is None:
            return "the signed document has no valid created_at timestamp"
        if self.valid_from and moment < self.valid_from:
            return f"key {self.key_id!r} was not yet valid at {format_time(moment)}"
        if self.valid_until and moment > self.valid_until:
            return f"key {self.key_id!r} was no longer valid at {format_time(moment)}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key_pem": public_pem(self.public_key),
            "fingerprint_sha256": self.fingerprint,
            "valid_from": format_time(self.valid_from) if self.valid_from else None,
            "valid_until": format_time(self.valid_until) if self.valid_until else None,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, entry: Any) -> PublicKeyEntry:
        if not isinstance(entry, dict):
            raise KeyringError("each keyring entry must be an object")
        key_id, status = entry.get("key_id"), entry.get("status", "active")
        if not isinstance(key_id, str) or not key_id:
            raise KeyringError("a keyring entry has no key_id")
        if entry.get("algorithm", ALGORITHM) != ALGORITHM:
            raise KeyringError(f"key {key_id!r}: only {ALGORITHM} keys are supported")
        if status not in KEY_STATUSES:
            raise KeyringError(f"key {key_id!r}: unknown status {status!r}")
        public_key = _load_public_pem(entry.get("public_key_pem", ""))
        expected = entry.get("fingerprint_sha256")
        if expected is not None and expected != fingerprint(public_key):
            raise KeyringError(f"key {key_id!r}: fingerprint does not match its public key")
        return cls(
            key_id=key_id,
            public_key=public_key,
            valid_from=_optional_time(entry.get("valid_from"), key_id),
            valid_until=_optional_time(entry.get("valid_until"), key_id),
            status=status,
        )


def _optional_time(value: object, key_id: str) -> datetime | None:
    if value is None:
        return None
    moment = parse_time(value)
    if moment is None:
        raise KeyringError(f"key {key_id!r}: {value!r} is not an RFC 3339 timestamp")
    return moment


class TrustedKeys:
    """The keys a verifier trusts; nothing inside a report or bundle ever gets added."""

    def __init__(self, entries: list[PublicKeyEntry], any_id: PublicKeyEntry | None = None):
        self.entries = {entry.key_id: entry for entry in entries}
        self.any_id = any_id

    @classmethod
    def from_keyring(cls, keyring: Any) -> TrustedKeys:
        """A ``GET /bench/keys`` document. A key id listed twice is refused: which of its
        keys (and validity windows) a verifier trusted would otherwise depend on the order."""
        if not isinstance(keyring, dict) or not isinstance(keyring.get("keys"), list):
            raise KeyringError('a keyring is an object {"keys": [...]}')
        entries = [PublicKeyEntry.from_json(entry) for entry in keyring["keys"]]
        seen: set[str] = set()
        for entry in entries:
            if entry.key_id in seen:
                raise KeyringError(f"key id {entry.key_id!r} is listed more than once")
            seen.add(entry.key_id)
        return cls(entries)

    @classmethod
    def from_pem(cls, pem: str | bytes) -> TrustedKeys:
        """A single PEM trusts that key under any ``key_id`` at any time."""
        entry = PublicKeyEntry("*", _load_public_pem(pem), None, None, "active")
        return cls([], any_id=entry)

    @classmethod
    def from_bytes(cls, data: bytes) -> TrustedKeys:
        """A keyring JSON document or a PEM public key, whichever ``data`` holds."""
        if data.lstrip().startswith(b"-----BEGIN"):
            return cls.from_pem(data)
        try:
            return cls.from_keyring(parse_strict(data))
        except EvidenceError as exc:
            raise KeyringError(f"not a keyring: {exc}") from exc

    @classmethod
    def coerce(cls, keys: TrustedKeys | dict[str, Any] | str | bytes) -> TrustedKeys:
        if isinstance(keys, TrustedKeys):
            return keys
        if isinstance(keys, dict):
            return cls.from_keyring(keys)
        return cls.from_bytes(keys.encode() if isinstance(keys, str) else keys)

    def lookup(self, key_id: object, moment: datetime | None) -> PublicKeyEntry | str:
        """The key to verify with, or the reason there is none."""
        if self.any_id is not None:
            return self.any_id
        entry = self.entries.get(key_id) if isinstance(key_id, str) else None
        if entry is None:
            return f"key {key_id!r} is not in the trusted keyring"
        return entry.covers(moment) or entry
