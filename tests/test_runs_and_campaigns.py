"""Listing runs (on every store), thresholds and the signed validation block, campaigns."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pipeline import Pipeline, wait_for
from store_cases import at, make_result, make_run, report_and_bundle

from bench_api.app import create_app
from bench_common.evidence import verify_report
from bench_common.service import RunService
from bench_common.settings import Settings
from bench_common.store import RunFilter, Store
from bench_workers.commands import InProcess
from bench_workers.runtime import WorkerRuntime

KEY_A, KEY_B = {"X-API-Key": "key-a"}, {"X-API-Key": "key-b"}
API = "/api/v2/bench"


def test_a_thousand_runs_page_through_with_a_stable_cursor(store: Store) -> None:
    # Timestamps repeat (every three runs share one), so the order must break ties by id.
    mine = [make_run(created=i // 3, backend_id=("ibm_brisbane", "ionq_aria")[i % 2])
            for i in range(1000)]  # fmt: skip
    for i, run in enumerate(mine):
        store.create_run(run)
        store.create_run(make_run(tenant_id="tenant-b", created=i // 3))
    expected = sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)
    seen: list[str] = []
    before = None
    while True:
        page = store.list_runs(RunFilter("tenant-a", 37, before=before))
        if not page:
            break
        seen += [found.run.id for found in page]
        last = page[-1].run
        before = (last.created_at, last.id)
        if len(seen) == 370:  # a newer run arriving mid-way does not disturb the pages
            store.create_run(make_run(created=5000))
    assert seen == [run.id for run in expected]
    assert all(f.run.tenant_id == "tenant-a" for f in store.list_runs(RunFilter("tenant-a", 2000)))


def test_filters_and_the_report_summary(store: Store) -> None:
    done = make_run(created=10, backend_id="ionq_aria")
    queued = make_run(created=20)
    oldest = make_run(created=1)
    for run in (done, queued, oldest):
        store.create_run(run)
    results = [make_result("bell_state"), make_result("ghz_5q")]
    report, bundle = report_and_bundle(done, results, at(30))
    report["summary"] = {"average_fidelity": 0.9}
    report["validation"] = {"passed": False, "checks": []}
    store.finish_run(done.id, report, bundle, "completed", at(30))
    [only] = store.list_runs(RunFilter("tenant-a", 10, backend_id="ionq_aria"))
    assert (only.run.id, only.summary, only.validation_passed) == (
        done.id,
        {"average_fidelity": 0.9},
        False,
    )
    queued_only = store.list_runs(RunFilter("tenant-a", 10, status="queued"))
    assert [f.run.id for f in queued_only] == [queued.id, oldest.id]
    assert [f.run.id for f in store.list_runs(RunFilter("tenant-a", 10, since=at(10)))] == [
        queued.id, done.id,
    ]  # fmt: skip
    assert store.list_runs(RunFilter("tenant-a", 10, since=at(20)))[0].summary is None


@pytest.fixture
def local(tmp_path: Path) -> WorkerRuntime:
    return WorkerRuntime(
        Settings.from_env({}, data_dir=tmp_path, api_keys="key-a:tenant-a,key-b:tenant-b")
    )


def run_here(runtime: WorkerRuntime, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
    service = RunService(runtime.settings, runtime.store, runtime.catalogue, InProcess(runtime))
    run = service.submit(tenant, request).run  # type: ignore[arg-type]
    report = runtime.store.get_report(run.id)
    assert report is not None
    return report  # type: ignore[return-value]


def test_the_api_lists_only_the_callers_runs_newest_first(local: WorkerRuntime) -> None:
    request = {"backend_id": "simulator", "workloads": ["bell_state"], "shots": 20}
    ids = [run_here(local, "tenant-a", request | {"seed": i})["id"] for i in range(7)]
    run_here(
        local, "tenant-b", {"backend_id": "simulator", "workloads": ["bell_state"], "shots": 20}
    )
    client = create_app(local.settings, runtime=local, broker=None).test_client()
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = client.get(f"{API}/runs{query}", headers=KEY_A)
        assert page.status_code == 200, page.json
        listed += page.json["runs"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert [r["benchmark_id"] for r in listed] == ids[::-1]
    first = listed[0]
    assert first["status"] == "completed" and first["summary"]["completed_workloads"] == 1
    assert first["validation"] is None and first["execution_mode"] == "simulated"
    assert len(client.get(f"{API}/runs", headers=KEY_B).json["runs"]) == 1
    bad = client.get(f"{API}/runs?cursor=nonsense", headers=KEY_A)
    assert (bad.status_code, bad.json["code"]) == (400, "VALIDATION_ERROR")
    assert client.get(f"{API}/runs?status=lost", headers=KEY_A).json["code"] == "VALIDATION_ERROR"
    assert client.get(f"{API}/runs", headers={"X-API-Key": "wrong"}).status_code == 401


def test_a_threshold_it_cannot_meet_fails_validation_and_the_block_is_signed(
    local: WorkerRuntime,
) -> None:
    report = run_here(local, "tenant-a", {
        "backend_id": "ibm_brisbane", "workloads": ["bell_state", "ghz_10q"], "shots": 500,
        "seed": 5,
        "thresholds": {"ghz_10q": {"min_fidelity": 0.99}, "bell_state": {"min_fidelity": 0.5}},
    })  # fmt: skip
    validation = report["validation"]
    assert validation["passed"] is False
    checks = {c["workload_id"]: c for c in validation["checks"]}
    ghz = next(r for r in report["workloads"] if r["id"] == "ghz_10q")
    assert checks["ghz_10q"] == {
        "workload_id": "ghz_10q", "metric": "fidelity", "threshold": 0.99,
        "value": ghz["fidelity"], "ci95": ghz["fidelity_ci95"], "passed": False,
    }  # fmt: skip
    assert checks["bell_state"]["passed"] is True  # its interval's lower end is above 0.5
    keys = local.keys.public_keyring()
    assert verify_report(report, keys).status == "valid"
    forged = copy.deepcopy(report)
    forged["validation"]["passed"] = True
    outcome = verify_report(forged, keys)
    assert outcome.status == "invalid" and outcome.content_hash_valid is False


def test_a_check_passes_only_on_the_lower_end_of_the_interval(local: WorkerRuntime) -> None:
    report = run_here(local, "tenant-a", {
        "backend_id": "ibm_brisbane", "workloads": ["bell_state"], "shots": 300, "seed": 9,
    })  # fmt: skip
    row = report["workloads"][0]
    between = (row["fidelity_ci95"][0] + row["fidelity"]) / 2  # above lo, below the estimate
    again = run_here(local, "tenant-a", {
        "backend_id": "ibm_brisbane", "workloads": ["bell_state"], "shots": 300, "seed": 9,
        "thresholds": {"bell_state": {"min_fidelity": between}},
    })  # fmt: skip
    assert again["workloads"][0]["fidelity"] == row["fidelity"] > between
    assert again["validation"]["passed"] is False


@pytest.mark.parametrize(
    "thresholds",
    [{"ghz_50q": {"min_fidelity": 0.5}}, {"bell_state": {"min_fidelity": 1.5}},
     {"bell_state": {"min_fidelity": "high"}}, {"bell_state": {"max_fidelity": 0.5}}],
)  # fmt: skip
def test_bad_thresholds_are_refused_and_record_nothing(
    local: WorkerRuntime, thresholds: dict[str, Any]
) -> None:
    client = create_app(local.settings, runtime=local, broker=None).test_client()
    body = {"backend_id": "simulator", "workloads": ["bell_state"], "thresholds": thresholds}
    answer = client.post(f"{API}/run", headers=KEY_A, json=body)
    assert (answer.status_code, answer.json["code"]) == (400, "VALIDATION_ERROR")
    assert client.get(f"{API}/runs", headers=KEY_A).json["runs"] == []


def test_a_campaign_ends_in_signed_reports_and_a_ranking(pipeline: Pipeline) -> None:
    pipeline.settings = replace(pipeline.settings, api_keys="key-a:tenant-a,key-b:tenant-b")
    pipeline.start_worker()
    client = create_app(pipeline.settings).test_client()
    backends = ["ibm_brisbane", "quantinuum_h2", "rigetti_ankaa"]
    body = {"backend_ids": backends, "workloads": ["bell_state", "ghz_5q"], "shots": 400, "seed": 3}
    answer = client.post(f"{API}/campaigns", headers=KEY_A, json=body)
    assert answer.status_code == 202, answer.json
    campaign_id, ids = answer.json["campaign_id"], answer.json["benchmark_ids"]
    assert list(ids) == backends
    for run_id in ids.values():
        pipeline.wait_for_report(run_id)

    def finished() -> dict[str, Any] | None:
        view = client.get(f"{API}/campaigns/{campaign_id}", headers=KEY_A).json
        return view if view["status"] == "completed" else None

    view = wait_for(finished, 30, "the campaign")
    assert sorted(view["ranking"]) == sorted(backends)
    averages = [view["runs"][b]["summary"]["average_fidelity"] for b in view["ranking"]]
    assert averages == sorted(averages, reverse=True)
    keys = pipeline.runtime.keys.public_keyring()
    for backend, run_id in ids.items():
        report = pipeline.runtime.store.get_report(run_id)
        assert report["backend_id"] == backend and verify_report(report, keys).status == "valid"
    listed = client.get(f"{API}/runs", headers=KEY_A).json["runs"]
    assert {r["campaign_id"] for r in listed} == {campaign_id}
    [entry] = client.get(f"{API}/campaigns", headers=KEY_A).json["campaigns"]
    assert (entry["campaign_id"], entry["status"], entry["backend_ids"]) == (
        campaign_id, "completed", backends,
    )  # fmt: skip
    assert client.get(f"{API}/campaigns/{campaign_id}", headers=KEY_B).status_code == 404


def test_a_campaign_with_one_bad_backend_records_nothing(pipeline: Pipeline) -> None:
    pipeline.settings = replace(pipeline.settings, api_keys="key-a:tenant-a")
    client = create_app(pipeline.settings).test_client()
    answer = client.post(f"{API}/campaigns", headers=KEY_A,
                         json={"backend_ids": ["simulator", "nowhere"]})  # fmt: skip
    assert (answer.status_code, answer.json["code"]) == (400, "INVALID_BACKEND")
    assert client.get(f"{API}/runs", headers=KEY_A).json["runs"] == []
    assert client.get(f"{API}/campaigns", headers=KEY_A).json["campaigns"] == []
