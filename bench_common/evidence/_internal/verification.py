"""Verification outcomes, in the field names of ``POST /verify``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Verification:
    """Result of checking a report; ``error`` names the first check that failed."""

    report_id: str | None = None
    content_hash_valid: bool = False
    evidence_hash_valid: bool = False
    signature_present: bool = False
    signature_valid: bool = False
    ledger_valid: bool | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def status(self) -> str:
        return "valid" if self.error is None else "invalid"

    @property
    def valid(self) -> bool:
        return self.error is None

    def record(self, check: str, reason: str | None) -> bool:
        """Note the outcome of ``check`` (None = passed); keep the first failure."""
        if reason is not None and self.error is None:
            self.error = f"{check}: {reason}"
        return reason is None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **asdict(self)}

    def __getitem__(self, name: str) -> Any:
        return self.to_dict()[name]


@dataclass
class BundleVerification(Verification):
    """Result of checking a bundle: the report fields plus its own two."""

    merkle_root_valid: bool = False
    items_valid: bool = False
