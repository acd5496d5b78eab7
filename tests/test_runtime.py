"""A process's runtime follows a key rotation made by another process, without a restart."""

from __future__ import annotations

import os
from pathlib import Path

from bench_common.evidence import KeyStore, verify_report
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_workers.commands import InProcess
from bench_workers.runtime import WorkerRuntime


def finished_report(runtime: WorkerRuntime) -> dict:
    request = {"backend_id": "simulator", "workloads": ["bell_state"], "shots": 50, "seed": 1}
    service = RunService(runtime.settings, runtime.store, runtime.catalogue, InProcess(runtime))
    run = service.submit("tenant-a", request).run
    assert runtime.store.get_run(run.id).status == "completed"
    report = runtime.store.get_report(run.id)
    assert report is not None
    return report


def test_rotation_by_another_process_is_picked_up(tmp_path: Path) -> None:
    runtime = WorkerRuntime(Settings.from_env({}, data_dir=tmp_path))
    before = finished_report(runtime)
    old_key = before["integrity"]["signature"]["key_id"]

    other = KeyStore.open(tmp_path / "keys")  # as `bench keys rotate` does, elsewhere
    other.rotate("rotated-2026")
    keyring = tmp_path / "keys" / KeyStore.KEYRING
    os.utime(keyring, ns=(keyring.stat().st_atime_ns, keyring.stat().st_mtime_ns + 1))

    after = finished_report(runtime)
    assert after["integrity"]["signature"]["key_id"] == "rotated-2026"
    assert "— rotated-2026 " in after["integrity"]["ledger"]["checkpoint"]
    public = runtime.keys.public_keyring()
    statuses = {k["key_id"]: k["status"] for k in public["keys"]}
    assert statuses == {old_key: "retired", "rotated-2026": "active"}
    for report in (before, after):
        outcome = verify_report(report, public)
        assert outcome.status == "valid", outcome.to_dict()
