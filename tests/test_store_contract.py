"""One contract for every store: SQLite on a real file, MongoStore on mongomock, and
MongoStore on a real server when ``BENCH_TEST_MONGODB_URL`` names one."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import mongomock
import numpy as np
import pytest
from factories import circuit
from store_cases import (
    STORES,
    Case,
    at,
    ghz_counts,
    make_result,
    make_run,
    report_and_bundle,
    store_case,
)

from bench_common.packed_counts import PackedCounts
from bench_common.results import WorkloadResult
from bench_common.store import MongoStore, SQLiteStore, Store, StoreError, open_store
from bench_common.store.codec import decode, encode
from bench_common.store.sqlite import MIGRATIONS

MONGODB_DOCUMENT_LIMIT = 16 * 1024 * 1024
WIDTH_100 = np.array([0xFF] * 12 + [0x0F], dtype=np.uint8)
"""Byte masks that keep 100 bits of a 13-byte packed shot."""
# mongomock takes no locks (its find_one_and_update is a find, an update and another find),
# so only the real stores can show that concurrent writes are atomic.
ATOMIC_STORES = [name for name in STORES if name != "mongomock"]
FORK = multiprocessing.get_context("fork")


@pytest.fixture(params=STORES)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    with store_case(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def ghz_100q() -> WorkloadResult:
    """100 000 shots of GHZ-100 at 2.5 % readout error: about half the keys are distinct."""
    counts = ghz_counts(np.random.default_rng(2026), 100_000, 100, 0.025)
    return replace(make_result("ghz_100q", fidelity=0.0125, counts=counts), qubits=100)


# runs


def test_a_run_round_trips_and_its_id_is_unique(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    assert case.store.get_run(run.id) == run
    with pytest.raises(StoreError):
        case.store.create_run(replace(run, tenant_id="tenant-b"))
    assert case.store.get_run(run.id) == run


def test_a_tenant_sees_only_its_own_runs(case: Case) -> None:
    run = make_run(tenant_id="tenant-a")
    case.store.create_run(run)
    assert case.store.get_run(run.id, "tenant-a") == run
    assert case.store.get_run(run.id, "tenant-b") is None
    assert case.store.get_run(str(uuid.uuid4()), "tenant-a") is None
    assert case.store.get_run(str(uuid.uuid4())) is None


def test_set_run_status_moves_active_runs_and_refuses_finished_ones(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    assert case.store.set_run_status(run.id, "running", at(5))
    running = case.store.get_run(run.id)
    assert running == replace(run, status="running", updated_at=at(5))
    assert case.store.set_run_status(run.id, "failed", at(9), error="deadline passed")
    failed = case.store.get_run(run.id)
    assert failed == replace(
        running, status="failed", updated_at=at(9), finished_at=at(9), error="deadline passed"
    )
    assert not case.store.set_run_status(run.id, "running", at(12))
    assert case.store.get_run(run.id) == failed
    assert not case.store.set_run_status(str(uuid.uuid4()), "running", at(12))


def test_active_runs_are_listed_oldest_first_and_counted_by_queue(case: Case) -> None:
    runs = [
        make_run(created=30, queue="simulator"),
        make_run(created=10, queue="ibm"),
        make_run(created=20, queue="simulator", status="running"),
        make_run(created=5, queue="simulator", status="completed"),
        make_run(created=1, queue="ibm", status="failed"),
    ]
    for run in runs:
        case.store.create_run(run)
    assert [run.id for run in case.store.active_runs()] == [runs[1].id, runs[2].id, runs[0].id]
    assert case.store.count_active_runs("simulator") == 2
    assert case.store.count_active_runs("ibm") == 1
    assert case.store.count_active_runs("braket") == 0
    case.store.set_run_status(runs[2].id, "completed", at(40))
    assert [run.id for run in case.store.active_runs()] == [runs[1].id, runs[0].id]
    assert case.store.count_active_runs("simulator") == 1


def test_active_runs_are_counted_by_tenant(case: Case) -> None:
    runs = [
        make_run(tenant_id="tenant-a", queue="simulator"),
        make_run(tenant_id="tenant-a", queue="ibm", status="running"),
        make_run(tenant_id="tenant-a", status="completed"),
        make_run(tenant_id="tenant-a", status="failed"),
        make_run(tenant_id="tenant-b"),
    ]
    for run in runs:
        case.store.create_run(run)
    assert case.store.count_tenant_active_runs("tenant-a") == 2
    assert case.store.count_tenant_active_runs("tenant-b") == 1
    assert case.store.count_tenant_active_runs("tenant-c") == 0
    case.store.set_run_status(runs[1].id, "completed", at(40))
    case.store.delete_run(runs[0].id)
    assert case.store.count_tenant_active_runs("tenant-a") == 0
    assert case.store.count_tenant_active_runs("tenant-b") == 1


def test_recent_run_durations_are_the_latest_finished_runs_of_a_backend(case: Case) -> None:
    spans = {"a": (0, 40), "b": (10, 25), "c": (20, 100), "d": (30, 31.5)}
    for name, (created, finished) in spans.items():
        run = make_run(created=created, backend_id="ionq_aria")
        case.store.create_run(run)
        if name == "b":  # finished through its report, the others through their status
            report, bundle = report_and_bundle(run, [], at(finished))
            case.store.finish_run(run.id, report, bundle, "completed", at(finished))
        else:
            case.store.set_run_status(run.id, "failed", at(finished))
    case.store.create_run(make_run(created=50, backend_id="ionq_aria"))  # still active
    other = make_run(created=0, backend_id="ibm_heron")
    case.store.create_run(other)
    case.store.set_run_status(other.id, "completed", at(500))
    by_finish = sorted(spans.values(), key=lambda span: span[1], reverse=True)
    expected = [finished - created for created, finished in by_finish]
    assert case.store.recent_run_durations("ionq_aria", 10) == expected
    assert case.store.recent_run_durations("ionq_aria", 2) == expected[:2]
    assert case.store.recent_run_durations("ionq_aria", 0) == []
    assert case.store.recent_run_durations("ibm_heron", 10) == [500.0]
    assert case.store.recent_run_durations("rigetti_ankaa", 10) == []


def test_delete_run_removes_everything_stored_for_it(case: Case) -> None:
    doomed, kept = make_run(), make_run()
    for run in (doomed, kept):
        case.store.create_run(run)
        case.store.record_submission(run.id, "bell_state", f"job-{run.id}", at(1))
        case.store.put_result(run.id, make_result("bell_state"), at(2))
        report, bundle = report_and_bundle(run, [make_result("bell_state")], at(3))
        case.store.finish_run(run.id, report, bundle, "completed", at(3))
    doomed_bundle = case.store.get_bundle_for_run(doomed.id)
    assert doomed_bundle is not None
    case.store.delete_run(doomed.id)
    assert case.store.get_run(doomed.id) is None
    assert case.store.get_job(doomed.id, "bell_state") is None
    assert case.store.results(doomed.id) == {}
    assert case.store.count_results(doomed.id) == 0
    assert case.store.get_report(doomed.id) is None
    assert case.store.get_bundle_for_run(doomed.id) is None
    assert case.store.get_bundle(doomed_bundle["bundle_id"]) is None
    assert case.store.get_run(kept.id) is not None
    assert case.store.count_results(kept.id) == 1
    assert case.store.get_report(kept.id) is not None


# jobs


def test_record_submission_keeps_the_first_provider_job_id(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    assert case.store.get_job(run.id, "ghz_5q") is None
    assert case.store.record_submission(run.id, "ghz_5q", "job-first", at(1)) == "job-first"
    assert case.store.record_submission(run.id, "ghz_5q", "job-second", at(2)) == "job-first"
    job = case.store.get_job(run.id, "ghz_5q")
    assert job is not None
    assert (job.provider_job_id, job.submitted_at, job.result) == ("job-first", at(1), None)
    # A job row that exists already (its attempt was counted) still takes its first id.
    assert case.store.count_attempt(run.id, "bell_state") == 1
    assert case.store.record_submission(run.id, "bell_state", "job-bell", at(3)) == "job-bell"
    bell = case.store.get_job(run.id, "bell_state")
    assert bell is not None
    assert (bell.provider_job_id, bell.attempts) == ("job-bell", 1)


def test_count_attempt_increments_per_workload(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    assert [case.store.count_attempt(run.id, "ghz_5q") for _ in range(3)] == [1, 2, 3]
    assert case.store.count_attempt(run.id, "bell_state") == 1
    case.store.record_submission(run.id, "ghz_5q", "job-1", at(1))
    case.store.put_result(run.id, make_result("ghz_5q"), at(2))
    assert case.store.count_attempt(run.id, "ghz_5q") == 4
    job = case.store.get_job(run.id, "ghz_5q")
    assert job is not None
    assert (job.attempts, job.provider_job_id) == (4, "job-1")


@pytest.mark.parametrize("case", ATOMIC_STORES, indirect=True)
def test_attempts_counted_from_many_threads_are_all_kept(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: case.store.count_attempt(run.id, "ghz_5q"), range(80)))
    assert sorted(counts) == list(range(1, 81))


def test_put_result_stores_the_first_result_only(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    case.store.record_submission(run.id, "bell_state", "job-bell", at(1))
    first, second = make_result("bell_state"), make_result("bell_state", fidelity=0.5)
    assert case.store.put_result(run.id, first, at(2))
    assert not case.store.put_result(run.id, second, at(3))
    ghz = make_result("ghz_5q", fidelity=0.91)
    assert case.store.put_result(run.id, ghz, at(4))
    assert case.store.results(run.id) == {"bell_state": first, "ghz_5q": ghz}
    assert case.store.count_results(run.id) == 2
    job = case.store.get_job(run.id, "bell_state")
    assert job is not None
    assert (job.result, job.finished_at, job.provider_job_id) == (first, at(2), "job-bell")
    failed = WorkloadResult.failure("depth_stress", "DEPTH_STRESS", 10, "provider refused")
    assert case.store.put_result(run.id, failed, at(5))
    assert case.store.results(run.id)["depth_stress"] == failed


# reports and bundles


def test_finish_run_stores_the_first_report_and_marks_the_run(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    assert case.store.get_report(run.id) is None
    assert case.store.get_bundle_for_run(run.id) is None
    report, bundle = report_and_bundle(run, [make_result("bell_state")], at(10))
    assert case.store.finish_run(run.id, report, bundle, "completed", at(11)) == report
    late_report, late_bundle = report_and_bundle(run, [make_result("ghz_5q")], at(20))
    assert case.store.finish_run(run.id, late_report, late_bundle, "failed", at(21)) == report
    assert case.store.get_report(run.id) == report
    assert case.store.get_bundle_for_run(run.id) == bundle
    assert case.store.get_bundle(bundle["bundle_id"]) == bundle
    assert case.store.get_bundle(str(uuid.uuid4())) is None
    finished = case.store.get_run(run.id)
    assert finished is not None
    assert (finished.status, finished.finished_at) == ("completed", at(11))
    assert case.store.active_runs() == []


def test_a_bundle_is_read_for_its_runs_tenant_only_and_decoded_only_then(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_run(tenant_id="tenant-a")
    case.store.create_run(run)
    report, bundle = report_and_bundle(run, [make_result("bell_state")], at(1))
    case.store.finish_run(run.id, report, bundle, "completed", at(1))
    module = sys.modules[type(case.store).__module__]
    real_decode, decoded = module.decode, []
    monkeypatch.setattr(module, "decode", lambda data: decoded.append(1) or real_decode(data))
    assert case.store.get_tenant_bundle(bundle["bundle_id"], "tenant-b") is None
    assert case.store.get_tenant_bundle(str(uuid.uuid4()), "tenant-b") is None
    assert case.store.get_tenant_bundle(run.id, "tenant-a") is None  # a run id is no bundle id
    assert decoded == []  # neither refusal touched a stored payload
    assert case.store.get_tenant_bundle(bundle["bundle_id"], "tenant-a") == bundle
    assert decoded == [1]


def test_a_report_keeps_its_key_order(case: Case) -> None:
    run = make_run()
    case.store.create_run(run)
    report, bundle = report_and_bundle(run, [make_result()], at(1))
    case.store.finish_run(run.id, report, bundle, "completed", at(1))
    stored = case.store.get_report(run.id)
    assert stored is not None
    assert list(stored) == list(report)


def test_finish_run_refuses_an_active_status_and_a_bundle_id_taken(case: Case) -> None:
    first, second = make_run(), make_run()
    for run in (first, second):
        case.store.create_run(run)
    report, bundle = report_and_bundle(first, [], at(1))
    with pytest.raises(StoreError):
        case.store.finish_run(first.id, report, bundle, "running", at(1))
    case.store.finish_run(first.id, report, bundle, "completed", at(1))
    stolen = report_and_bundle(second, [], at(2))[0], bundle
    with pytest.raises(StoreError):
        case.store.finish_run(second.id, *stolen, "completed", at(2))
    assert case.store.get_report(second.id) is None
    assert case.store.get_run(second.id) == second


# api keys, health, size


def test_api_keys_are_stored_as_hashes_only(case: Case) -> None:
    raw = "qcb_" + uuid.uuid4().hex
    key_hash = hashlib.sha256(raw.encode()).hexdigest()
    case.store.add_api_key(key_hash, "tenant-a", "ci", at(0))
    case.store.add_api_key(key_hash, "tenant-b", "moved", at(1))
    assert case.store.tenant_for_key(key_hash) == "tenant-a"
    assert case.store.tenant_for_key(hashlib.sha256(b"other").hexdigest()) is None
    records = case.records()
    assert any(key_hash.encode() in record for record in records)  # the scan sees the keys
    assert not any(raw.encode() in record for record in records)


def test_api_keys_are_listed_and_revoked(case: Case) -> None:
    first, second = (hashlib.sha256(name).hexdigest() for name in (b"one", b"two"))
    case.store.add_api_key(second, "tenant-b", "", at(2))
    case.store.add_api_key(first, "tenant-a", "ci", at(1))
    assert case.store.api_keys() == [
        {"key_hash": first, "tenant_id": "tenant-a", "label": "ci", "created_at": at(1)},
        {"key_hash": second, "tenant_id": "tenant-b", "label": "", "created_at": at(2)},
    ]
    assert case.store.revoke_api_key(first) is True
    assert case.store.revoke_api_key(first) is False
    assert case.store.tenant_for_key(first) is None
    assert case.store.tenant_for_key(second) == "tenant-b"
    assert [k["key_hash"] for k in case.store.api_keys()] == [second]


def test_backend_status_is_replaced_not_accumulated(case: Case) -> None:
    assert case.store.backend_statuses() == {}
    case.store.put_backend_status("ibm_fez", {"status": "online", "queue_depth": 7}, at(0))
    case.store.put_backend_status("ionq_forte", {"status": "offline"}, at(1))
    case.store.put_backend_status("ibm_fez", {"status": "offline", "queue_depth": None}, at(2))
    assert case.store.backend_statuses() == {
        "ibm_fez": {"status": "offline", "queue_depth": None, "checked_at": at(2)},
        "ionq_forte": {"status": "offline", "checked_at": at(1)},
    }


def test_ping_succeeds_on_a_reachable_store(case: Case) -> None:
    case.store.ping()


def test_a_100000_shot_ghz_100q_result_round_trips(case: Case, ghz_100q: WorkloadResult) -> None:
    assert len(ghz_100q.circuits[0].counts) > 40_000
    assert sum(ghz_100q.circuits[0].counts.values()) == 100_000
    top = sorted(ghz_100q.circuits[0].counts, key=ghz_100q.circuits[0].counts.__getitem__)[-2:]
    assert sorted(top) == ["0x0", hex(2**100 - 1)]
    assert len(encode(ghz_100q.to_dict())) < MONGODB_DOCUMENT_LIMIT // 8
    run = make_run(workloads=["ghz_100q"])
    case.store.create_run(run)
    assert case.store.put_result(run.id, ghz_100q, at(1))
    assert case.store.results(run.id) == {"ghz_100q": ghz_100q}
    report, bundle = report_and_bundle(run, [ghz_100q], at(2))
    case.store.finish_run(run.id, report, bundle, "completed", at(2))
    assert case.store.get_bundle_for_run(run.id) == bundle
    assert max(len(record) for record in case.records()) < MONGODB_DOCUMENT_LIMIT


def test_a_workload_whose_counts_exceed_a_document_round_trips_and_deletes(case: Case) -> None:
    """17 circuits of 100 000 distinct 100-bit outcomes (ghz_100q's coherence circuits on a
    noisy device): more than 16 MiB compressed, yet every record stays within a document."""
    rng = np.random.default_rng(11)
    circuits = []
    for index in range(17):  # columnar, as the simulator makes them
        shots = rng.integers(0, 256, size=(100_000, 13), dtype=np.uint8) & WIDTH_100
        counts = PackedCounts.of_shots(shots)
        circuits.append(circuit(counts, name=f"parity_{index:02d}", inline=False))
    wide = replace(make_result("ghz_100q", fidelity=0.0), qubits=100, circuits=circuits)
    assert len(encode(wide.to_dict(packed=True))) > MONGODB_DOCUMENT_LIMIT
    run = make_run(workloads=["ghz_100q"])
    case.store.create_run(run)
    assert case.store.put_result(run.id, wide, at(1))
    assert not case.store.put_result(run.id, replace(wide, fidelity=1.0), at(2))
    assert case.store.results(run.id) == {"ghz_100q": wide}
    job = case.store.get_job(run.id, "ghz_100q")
    assert job is not None and job.result == wide
    documents = isinstance(case.store, MongoStore)  # SQLite's records are its whole files
    assert not documents or max(len(r) for r in case.records()) < MONGODB_DOCUMENT_LIMIT
    case.store.delete_run(run.id)
    assert case.store.results(run.id) == {}
    assert not documents or sum(len(r) for r in case.records()) < 2**20  # counts went too


def test_the_widest_possible_counts_encode_well_inside_a_document() -> None:
    """100 000 shots, every one a distinct random 100-bit string: nothing compresses less."""
    counts = ghz_counts(np.random.default_rng(7), 100_000, 100, 0.5)
    assert len(counts) == 100_000
    result = replace(make_result("ghz_100q", counts=counts), qubits=100)
    encoded = encode(result.to_dict())
    assert len(encoded) < MONGODB_DOCUMENT_LIMIT // 8  # eight such results fit one bundle
    assert decode(encoded) == result.to_dict()


def test_columnar_counts_are_stored_as_their_canonical_text() -> None:
    """The codec writes ``PackedCounts`` as CF(counts) in place of a placeholder; values that
    look like a placeholder stay as they are, and the whole decodes as the dicts would."""
    rng = np.random.default_rng(5)
    counts = PackedCounts.of_shots(rng.integers(0, 256, size=(5_000, 13), dtype=np.uint8))
    lookalike = f"{'0' * 32}:0"
    value = {"counts": counts, "label": lookalike, "more": [counts, {"0x1": 2}, '"x":0']}
    plain = {"counts": dict(counts), "label": lookalike,
             "more": [dict(counts), {"0x1": 2}, '"x":0']}  # fmt: skip
    assert decode(encode(value)) == plain
    assert zlib.decompress(encode(counts)) == counts.canonical()
    with pytest.raises(StoreError):
        encode({"not JSON": object()})


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(StoreError):
        encode({"fidelity": float("nan")})
    with pytest.raises(StoreError):
        decode(b"not zlib")


# SQLite across processes, and when its file is gone


def _together(count: int, target: Callable[..., None], *args: Any) -> list[Any]:
    """What ``target(*args, index, barrier, answers)`` put in ``answers`` in each of
    ``count`` forked processes, all released at once by ``barrier``."""
    barrier, answers = FORK.Barrier(count), FORK.Queue()
    processes = [
        FORK.Process(target=target, args=(*args, index, barrier, answers)) for index in range(count)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [answers.get(timeout=30) for _ in processes]
    except queue.Empty:
        pytest.fail("a process died; see its traceback above")
    finally:
        for process in processes:
            process.join(timeout=30)
    assert [process.exitcode for process in processes] == [0] * count
    return outcomes


def _contend(store: Store, run_id: str, index: int, barrier: Any, answers: Any) -> None:
    run = store.get_run(run_id)  # the inherited store connects anew in this process
    assert run is not None
    barrier.wait()
    won = store.put_result(run_id, make_result("ghz_5q", fidelity=index / 100), at(index))
    provider_job_id = store.record_submission(run_id, "ghz_5q", f"job-{index}", at(index))
    attempt = store.count_attempt(run_id, "ghz_5q")
    report, bundle = report_and_bundle(run, [make_result("ghz_5q")], at(100 + index))
    stored = store.finish_run(run_id, report, bundle, "completed", at(100 + index))
    answers.put((index, won, provider_job_id, attempt, stored))


def test_sqlite_writers_in_many_processes_agree_on_one_winner(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bench.sqlite3")
    run = make_run(workloads=["ghz_5q"])
    store.create_run(run)
    contenders = 6
    outcomes = _together(contenders, _contend, store, run.id)

    winners = [index for index, won, *_ in outcomes if won]
    assert len(winners) == 1
    assert store.results(run.id) == {"ghz_5q": make_result("ghz_5q", fidelity=winners[0] / 100)}
    job = store.get_job(run.id, "ghz_5q")
    assert job is not None
    assert {provider_job_id for _, _, provider_job_id, _, _ in outcomes} == {job.provider_job_id}
    assert job.provider_job_id in {f"job-{index}" for index in range(contenders)}
    assert sorted(attempt for *_, attempt, _ in outcomes) == list(range(1, contenders + 1))
    report = store.get_report(run.id)
    assert report is not None
    assert all(stored == report for *_, stored in outcomes)
    bundle = store.get_bundle_for_run(run.id)
    assert bundle is not None
    assert bundle["created_at"] == report["created_at"]  # one call's pair, never a mix
    finished = store.get_run(run.id)
    assert finished is not None
    assert finished.status == "completed"
    assert finished.finished_at == report["created_at"]


def _open(path: Path, index: int, barrier: Any, answers: Any) -> None:
    barrier.wait()
    try:
        SQLiteStore(path).ping()
        answers.put("opened")
    except StoreError as exc:
        answers.put(str(exc))


def test_sqlite_opened_by_many_processes_at_once_is_created_once(tmp_path: Path) -> None:
    for attempt in range(12):  # first opens collide only now and then
        path = tmp_path / f"bench-{attempt}.sqlite3"
        assert _together(8, _open, path) == ["opened"] * 8
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)


def test_sqlite_in_a_missing_directory_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SQLiteStore(tmp_path / "absent" / "bench.sqlite3")


@pytest.mark.parametrize("remove", ["files", "directory"])
def test_sqlite_whose_file_is_gone_raises_store_error(tmp_path: Path, remove: str) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    store = SQLiteStore(directory / "bench.sqlite3")
    run = make_run()
    store.create_run(run)
    if remove == "files":
        for path in directory.iterdir():
            path.unlink()
    else:
        shutil.rmtree(directory)
    with pytest.raises(StoreError):
        store.ping()
    with ThreadPoolExecutor(max_workers=1) as other_thread, pytest.raises(StoreError):
        other_thread.submit(store.get_run, run.id).result()
    assert not store.path.exists()  # no connection started an empty database in its place


def test_sqlite_connects_anew_in_each_thread_and_each_forked_process(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bench.sqlite3")
    here = id(store._connection())
    assert id(store._connection()) == here
    with ThreadPoolExecutor(max_workers=1) as other_thread:
        assert other_thread.submit(lambda: id(store._connection())).result() != here
    seen: multiprocessing.Queue[int] = FORK.Queue()
    child = FORK.Process(target=lambda: seen.put(id(store._connection())))
    child.start()
    in_child = seen.get(timeout=30)
    child.join(timeout=30)
    assert in_child != here  # the parent's connection object is still in the child's memory


def test_sqlite_schema_is_versioned_and_kept_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite3"
    first = SQLiteStore(path)
    run = make_run()
    first.create_run(run)
    first.close()
    assert SQLiteStore(path).get_run(run.id) == run
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


# MongoDB: lazy, fork-aware clients and an unreachable server


def test_the_mongo_client_is_built_on_first_use_and_again_after_fork() -> None:
    client: Any = mongomock.MongoClient()
    built: list[int] = []

    def factory() -> Any:
        built.append(os.getpid())
        return client

    store = MongoStore(factory, "lazy")
    assert built == []
    store.ping()
    store.ping()
    assert built == [os.getpid()]
    seen: multiprocessing.Queue[list[int]] = FORK.Queue()

    def in_child() -> None:
        store.ping()
        seen.put(built)

    child = FORK.Process(target=in_child)
    child.start()
    child_built = seen.get(timeout=30)
    child.join(timeout=30)
    assert child_built == [os.getpid(), child.pid]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_mongodb_raises_store_error() -> None:
    store = open_store(f"mongodb://127.0.0.1:{_free_port()}/qcos?serverSelectionTimeoutMS=200")
    try:
        with pytest.raises(StoreError):
            store.ping()
        with pytest.raises(StoreError):
            store.get_run(str(uuid.uuid4()))
    finally:
        store.close()


# open_store


def _database(url: str) -> str:
    store = open_store(url)  # a MongoStore connects on first use, so none is reached here
    assert isinstance(store, MongoStore)
    return store.database


def test_open_store_picks_the_store_by_scheme(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "bench.sqlite3"
    for url in (f"sqlite:///{nested}", f"sqlite://{nested}"):  # with and without the 4th /
        store = open_store(url)
        assert isinstance(store, SQLiteStore)
        assert store.path == nested
        store.close()
    assert nested.is_file()
    assert _database("mongodb://db.invalid:27017/bench_prod?authSource=admin") == "bench_prod"
    assert _database("mongodb+srv://cluster.invalid") == "qcos_bench"
    assert _database("mongomock://") == "qcos_bench"
    for bad in ("redis://localhost/0", "sqlite://host/bench.sqlite3", "sqlite:///"):
        with pytest.raises(StoreError):
            open_store(bad)


def test_importing_the_store_loads_no_mongodb_driver() -> None:
    drivers = ("pymongo", "mongomock", "bson")
    code = (
        "import sys, bench_common.store; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {drivers!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
