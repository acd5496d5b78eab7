"""Signing keys and trusted keyrings.

The server keeps its keys in ``<data dir>/keys``: one PKCS#8 PEM per key (mode 0600) and
``keyring.json``, the public keyring in the ``GET /bench/keys`` format. Rotation retires the
active key (it keeps verifying what it signed, within its validity window) and makes a new
one active. Verifiers use ``TrustedKeys``, built only from a keyring or a PEM they were given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench_common.evidence.canonical import parse_strict
from bench_common.evidence.errors import EvidenceError, KeyringError
from bench_common.evidence.signing import (
    ALGORITHM,
    b64encode,
    fingerprint,
    pae,
    public_pem,
    sign_der,
)
from bench_common.fileutil import locked, write_atomic
from bench_common.timeutil import format_time, now, parse_time

KeyStatus = Literal["active", "retired", "revoked"]
KEY_STATUSES = ("active", "retired", "revoked")
DEFAULT_KEY_ID = "qcos-bench-key"


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey, passphrase: str | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the best available scheme when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key(pem: bytes, passphrase: str | None = None) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise KeyringError(f"cannot load the signing key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
        raise KeyringError("the signing key must be an ECDSA P-384 private key")
    return key


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
class Signer:
    """The active private key and the name it signs under."""

    key_id: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign_envelope(self, payload_type: str, payload: bytes) -> str:
        """Base64 DER signature over ``PAE(payload_type, payload)``."""
        return b64encode(sign_der(self.private_key, pae(payload_type, payload)))

    def sign_raw(self, data: bytes) -> bytes:
        return sign_der(self.private_key, data)


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
        if not isinstance(keyring, dict) or not isinstance(keyring.get("keys"), list):
            raise KeyringError('a keyring is an object {"keys": [...]}')
        return cls([PublicKeyEntry.from_json(entry) for entry in keyring["keys"]])

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


class KeyStore:
    """The server's keys in one directory, with rotation."""

    KEYRING = "keyring.json"

    def __init__(self, directory: Path, entries: list[PublicKeyEntry], signer: Signer) -> None:
        self.directory = directory
        self.entries = entries
        self.signer = signer

    @classmethod
    def open(
        cls,
        directory: Path,
        key_id: str | None = None,
        key_path: Path | None = None,
        passphrase: str | None = None,
    ) -> KeyStore:
        """Load the keys and settle the active one.

        ``key_path`` (a PKCS#8 PEM) becomes active under ``key_id``; otherwise the active key
        of the keyring is kept, unless ``key_id`` names another key, which is then generated
        (mode 0600) and activated, exactly as on the very first start.
        """
        directory.mkdir(parents=True, exist_ok=True)
        with locked(directory / ".lock"):
            entries = cls._read_entries(directory)
            active = next((e.key_id for e in entries if e.status == "active"), None)
            key_id = key_id or active or DEFAULT_KEY_ID
            if key_path is not None:
                private_key = load_private_key(key_path.read_bytes(), passphrase)
            else:
                own = directory / f"{key_id}.pem"
                if not own.exists():
                    write_atomic(own, private_key_pem(generate_private_key()), mode=0o600)
                private_key = load_private_key(own.read_bytes())
            store = cls(directory, entries, Signer(key_id, private_key))
            store._activate(store.signer)
            return store

    @classmethod
    def _read_entries(cls, directory: Path) -> list[PublicKeyEntry]:
        path = directory / cls.KEYRING
        if not path.exists():
            return []
        return list(TrustedKeys.from_bytes(path.read_bytes()).entries.values())

    def _activate(self, signer: Signer) -> None:
        """Make ``signer`` the active key, retiring whichever key was active before."""
        active = [e for e in self.entries if e.status == "active"]
        if any(e.key_id == signer.key_id and e.fingerprint == signer.fingerprint for e in active):
            return
        if any(e.key_id == signer.key_id for e in self.entries):
            raise KeyringError(f"key id {signer.key_id!r} already names a different key")
        moment = now()
        self.entries = [
            replace(e, status="retired", valid_until=moment) if e.status == "active" else e
            for e in self.entries
        ]
        self.entries.append(
            PublicKeyEntry(signer.key_id, signer.public_key, moment, None, "active")
        )
        payload = json.dumps(self.public_keyring(), indent=2).encode()
        write_atomic(self.directory / self.KEYRING, payload)

    def rotate(self, new_key_id: str) -> Signer:
        """Generate a new active key; the old one is retired and keeps verifying."""
        with locked(self.directory / ".lock"):
            self.entries = self._read_entries(self.directory)
            path = self.directory / f"{new_key_id}.pem"
            if path.exists():
                raise KeyringError(f"key id {new_key_id!r} already exists")
            write_atomic(path, private_key_pem(generate_private_key()), mode=0o600)
            self.signer = Signer(new_key_id, load_private_key(path.read_bytes()))
            self._activate(self.signer)
        return self.signer

    @property
    def active_since(self) -> datetime | None:
        """When the active key became valid: nothing it signs may be dated earlier."""
        return next((e.valid_from for e in self.entries if e.key_id == self.signer.key_id), None)

    def public_keyring(self) -> dict[str, Any]:
        """The ``GET /bench/keys`` document."""
        return {"keys": [entry.to_json() for entry in self.entries]}

    def trusted(self) -> TrustedKeys:
        return TrustedKeys(list(self.entries))
