"""The server's private signing keys on disk, and their rotation.

Keys live in ``<data dir>/keys``: one PKCS#8 PEM per key (mode 0600) and ``keyring.json``,
the public keyring in the ``GET /bench/keys`` format. Rotation retires the active key (it
keeps verifying what it signed, within its validity window) and makes a new one active.
Only sealing and key management use this module; verification never imports it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench_common.evidence._internal.errors import KeyringError
from bench_common.evidence._internal.signing import b64encode, fingerprint, pae, sign_der
from bench_common.evidence._internal.trust import PublicKeyEntry, TrustedKeys
from bench_common.fileutil import locked, private_dir, write_atomic
from bench_common.timeutil import now

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
        private_dir(directory)
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
