"""DSSE v1 pre-authentication encoding and ECDSA P-384/SHA-384 signatures.

Signatures are deterministic (RFC 6979): signing the same bytes twice yields the same
value, so a re-run finalizer reproduces its report byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ECDSA-P384"
REPORT_PAYLOAD_TYPE = "application/vnd.qcos-bench.report.v1+json"
BUNDLE_PAYLOAD_TYPE = "application/vnd.qcos-bench.bundle.v1+json"
_ECDSA = ec.ECDSA(hashes.SHA384(), deterministic_signing=True)


class SigningKey(Protocol):
    """What sealing needs from a signer (``keystore.Signer`` is one).

    Sealing and verification share modules; typing them against this protocol keeps those
    modules free of any import of the key store and its private keys.
    """

    @property
    def key_id(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    def sign_envelope(self, payload_type: str, payload: bytes) -> str: ...

    def sign_raw(self, data: bytes) -> bytes: ...


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 PAE: ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sign_der(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return private_key.sign(data, _ECDSA)


def verify_der(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data, _ECDSA)
    except (InvalidSignature, ValueError):
        return False
    return True


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object) -> bytes | None:
    """Strict standard-alphabet base64, or None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def fingerprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def public_pem(public_key: ec.EllipticCurvePublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
