"""Signed reports and bundles: any single change is detected and the failing check named."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import Run, sign, signed_report

from bench_common.evidence import (
    KeyStore,
    TrustedKeys,
    generate_private_key,
    public_pem,
    verify_bundle,
    verify_report,
)

Path_ = tuple[Any, ...]


def _leaves(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path


def _mutated(value: Any) -> Any:
    """A different value of the same JSON kind where possible."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value[:-1] + ("A" if value[-1:] != "A" else "B") if value else "x"
    return 0


def _set(document: Any, path: Path_, value: Any) -> Any:
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


def _expected_check(path: Path_) -> str:
    if path[0] != "integrity":
        return "signature"
    return {
        "signature": "signature",
        "content_hash": "content_hash",
        "canonicalization": "content_hash",
        "evidence_hash": "evidence_hash",
        "ledger": "ledger",
    }[path[1]]


@pytest.fixture(scope="module")
def sealed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], dict[str, Any], KeyStore]:
    return signed_report(tmp_path_factory.mktemp("evidence"))


def test_the_realistic_report_verifies(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore],
) -> None:
    report, bundle, keys = sealed
    result = verify_report(report, keys.public_keyring())
    assert result.to_dict() == {
        "status": "valid", "report_id": report["id"], "content_hash_valid": True,
        "evidence_hash_valid": True, "signature_present": True, "signature_valid": True,
        "ledger_valid": True, "warnings": [], "error": None,
    }  # fmt: skip
    assert report["workloads"][2]["status"] == "failed"
    assert report["summary"]["completed_workloads"] == 2
    assert [i["type"] for i in report["evidence"]["items"]] == sorted(
        i["type"] for i in report["evidence"]["items"]
    )
    assert verify_bundle(bundle, keys.public_keyring()).valid


def test_changing_any_single_value_fails_and_names_the_check(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore],
) -> None:
    report, _, keys = sealed
    keyring = keys.public_keyring()
    paths = list(_leaves(report))
    assert len(paths) > 100
    for path in paths:
        value = _leaves_value(report, path)
        result = verify_report(_set(report, path, _mutated(value)), keyring)
        assert result.status == "invalid", path
        assert result.error is not None and result.error.startswith(_expected_check(path) + ":"), (
            path, result.error,
        )  # fmt: skip


def _leaves_value(document: Any, path: Path_) -> Any:
    for key in path:
        document = document[key]
    return document


def test_removing_or_adding_members_fails(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore],
) -> None:
    report, _, keys = sealed
    keyring = keys.public_keyring()
    extra = {**report, "note": "added later"}
    assert verify_report(extra, keyring).error.startswith("signature:")  # type: ignore[union-attr]
    trimmed = {k: v for k, v in report.items() if k != "summary"}
    assert verify_report(trimmed, keyring).error.startswith("signature:")  # type: ignore[union-attr]
    unsigned = _set(
        report, ("integrity",), {k: v for k, v in report["integrity"].items() if k != "signature"}
    )
    result = verify_report(unsigned, keyring)
    assert (
        not result.signature_present
        and result.error == "signature: the report carries no signature"
    )


def test_a_key_outside_the_keyring_fails_and_embedded_keys_are_ignored(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore], tmp_path: Path
) -> None:
    report, _, _ = sealed
    stranger = KeyStore.open(tmp_path / "other", "test-key-2026")  # same name, other key
    result = verify_report(report, stranger.public_keyring())
    assert result.error is not None and result.error.startswith("signature:")
    forged = _set(
        report,
        ("integrity", "signature", "public_key_pem"),
        public_pem(generate_private_key().public_key()),
    )
    forged = _set(forged, ("public_key_pem",), forged["integrity"]["signature"]["public_key_pem"])
    assert verify_report(forged, stranger.public_keyring()).signature_valid is False


def test_rotation_keeps_old_reports_valid_and_revocation_stops_them(tmp_path: Path) -> None:
    keys = KeyStore.open(tmp_path / "keys", "key-2026")
    before, _ = sign(tmp_path, keys, run=Run(id="11111111-1111-4111-8111-111111111111"))
    old_signer = keys.signer
    keys.rotate("key-2027")
    after, _ = sign(tmp_path, keys, run=Run(id="22222222-2222-4222-8222-222222222222"))
    keyring = keys.public_keyring()
    assert {k["key_id"]: k["status"] for k in keyring["keys"]} == {
        "key-2026": "retired",
        "key-2027": "active",
    }
    assert after["integrity"]["signature"]["key_id"] == "key-2027"
    assert verify_report(before, keyring).valid
    assert verify_report(after, keyring).valid
    keys.signer = old_signer  # a retired key signing after its window: refused
    late, _ = sign(tmp_path, keys, run=Run(id="33333333-3333-4333-8333-333333333333"))
    assert "no longer valid" in (verify_report(late, keyring).error or "")
    for entry in keyring["keys"]:
        entry["status"] = "revoked" if entry["key_id"] == "key-2026" else entry["status"]
    assert "revoked" in (verify_report(before, keyring).error or "")
    reopened = KeyStore.open(tmp_path / "keys")
    assert reopened.signer.key_id == "key-2027"


def test_a_single_pem_trusts_that_key_under_any_id(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore],
) -> None:
    report, _, keys = sealed
    assert verify_report(report, public_pem(keys.signer.public_key)).valid
    other = public_pem(generate_private_key().public_key())
    assert not verify_report(report, TrustedKeys.from_pem(other)).valid


def test_naming_another_algorithm_or_payload_type_is_invalid(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore],
) -> None:
    report, _, keys = sealed
    for field, value in [("algorithm", "ECDSA-P256"), ("payload_type", "application/json")]:
        result = verify_report(
            _set(report, ("integrity", "signature", field), value), keys.public_keyring()
        )
        assert result.error is not None and result.error.startswith("signature:")


def test_any_change_to_a_bundle_fails(
    sealed: tuple[dict[str, Any], dict[str, Any], KeyStore],
) -> None:
    _, bundle, keys = sealed
    keyring = keys.public_keyring()
    paths = [p for p in _leaves(bundle)]
    for path in paths[:: max(1, len(paths) // 300)]:
        changed = _set(bundle, path, _mutated(_leaves_value(bundle, path)))
        result = verify_bundle(changed, keyring)
        assert not result.valid, path
    reordered = copy.deepcopy(bundle)
    reordered["items"].reverse()
    result = verify_bundle(reordered, keyring)
    assert not result.valid and not result.merkle_root_valid
