"""``bench verify`` and ``bench keys`` through the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from factories import signed_report

BENCH = str(Path(sys.executable).with_name("bench"))


def _bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BENCH, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_verify_exit_codes_for_good_tampered_and_unusable_files(tmp_path: Path) -> None:
    report, bundle, keys = signed_report(tmp_path)
    keyring = _write(tmp_path / "keys.json", keys.public_keyring())

    good = _bench("verify", str(_write(tmp_path / "r.json", report)), "--keys", str(keyring))
    assert good.returncode == 0, good.stderr
    answer = json.loads(good.stdout)
    assert answer["status"] == "valid" and answer["ledger_valid"] is True
    assert answer["report_id"] == report["id"]

    report["summary"]["average_fidelity"] = 0.99
    bad = _bench("verify", str(_write(tmp_path / "t.json", report)), "--keys", str(keyring))
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["error"].startswith("signature:")

    (tmp_path / "junk.json").write_text("this is not json {")
    junk = _bench("verify", str(tmp_path / "junk.json"), "--keys", str(keyring))
    assert junk.returncode == 2 and "not valid JSON" in junk.stderr
    assert _bench("verify", str(tmp_path / "missing.json"), "--keys", str(keyring)).returncode == 2
    assert (
        _bench("verify", str(tmp_path / "r.json"), "--keys", str(tmp_path / "junk.json")).returncode
        == 2
    )

    wrapped = _bench(
        "verify", str(_write(tmp_path / "b.json", {"bundle": bundle})), "--keys", str(keyring)
    )
    assert wrapped.returncode == 0 and json.loads(wrapped.stdout)["merkle_root_valid"] is True


def test_verify_without_keys_uses_the_local_keyring(tmp_path: Path) -> None:
    report, _, _ = signed_report(tmp_path)
    path = _write(tmp_path / "r.json", report)
    local = _bench("verify", str(path), env={"BENCH_DATA_DIR": str(tmp_path)})
    assert local.returncode == 0, local.stderr
    elsewhere = _bench("verify", str(path), env={"BENCH_DATA_DIR": str(tmp_path / "empty")})
    assert elsewhere.returncode == 2 and "no local keyring" in elsewhere.stderr


def test_keys_generate_export_and_rotate(tmp_path: Path) -> None:
    pem = tmp_path / "signing.pem"
    env = {"SECRET": "correct horse", "BENCH_DATA_DIR": str(tmp_path / "data")}
    generated = _bench("keys", "generate", "--out", str(pem), "--passphrase-env", "SECRET", env=env)
    assert generated.returncode == 0, generated.stderr
    assert pem.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in pem.read_bytes()

    env |= {
        "BENCH_SIGNING_KEY": str(pem),
        "BENCH_SIGNING_KEY_ID": "ops-2026",
        "BENCH_SIGNING_KEY_PASSPHRASE": "correct horse",
    }
    exported = _bench("keys", "export", env=env)
    assert exported.returncode == 0, exported.stderr
    (entry,) = json.loads(exported.stdout)["keys"]
    assert entry["key_id"] == "ops-2026" and entry["status"] == "active"
    fingerprint = generated.stderr.split("fingerprint_sha256: ")[1].strip()
    assert entry["fingerprint_sha256"] == fingerprint

    wrong = _bench("keys", "export", env=env | {"BENCH_SIGNING_KEY_PASSPHRASE": "wrong"})
    assert wrong.returncode == 2 and "cannot load the signing key" in wrong.stderr

    plain = {"BENCH_DATA_DIR": str(tmp_path / "other")}
    _bench("keys", "export", env=plain)
    assert (tmp_path / "other" / "keys" / "qcos-bench-key.pem").stat().st_mode & 0o777 == 0o600
    rotated = _bench("keys", "rotate", "--key-id", "next", env=plain)
    statuses = {k["key_id"]: k["status"] for k in json.loads(rotated.stdout)["keys"]}
    assert statuses == {"qcos-bench-key": "retired", "next": "active"}
