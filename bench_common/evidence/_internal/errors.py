"""Typed errors of the evidence core; every one carries a message meant for a person."""

from __future__ import annotations


class EvidenceError(Exception):
    """Root of every error raised by ``bench_common.evidence``."""


class CanonicalizationError(EvidenceError, ValueError):
    """Input that has no canonical form: duplicate keys, NaN/Infinity, unsafe integers, ..."""


class NestingTooDeepError(CanonicalizationError):
    """JSON nested deeper than ``MAX_JSON_DEPTH`` arrays and objects, refused before parsing."""


class EvidenceFormatError(EvidenceError, ValueError):
    """A report, bundle, keyring or note that does not have the contract's shape."""


class KeyringError(EvidenceError):
    """A signing key or keyring that cannot be loaded or used."""


class LedgerError(EvidenceError):
    """The transparency ledger cannot serve a request (bad index, corrupt files)."""
