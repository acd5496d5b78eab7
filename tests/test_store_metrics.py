"""The store's scrape-time figures for ``GET /metrics``: runs by status and the latest stored
workload results, on SQLite and on MongoStore over mongomock."""

from __future__ import annotations

from store_cases import at, make_result, make_run

from bench_common.store import Store
from bench_common.store.base import FinishedWorkload


def test_runs_are_counted_by_status(store: Store) -> None:
    assert store.count_runs_by_status() == {}
    runs = [make_run(created=i) for i in range(5)]
    for run in runs:
        store.create_run(run)
    store.set_run_status(runs[0].id, "running", at(10))
    store.set_run_status(runs[1].id, "failed", at(11), "deadline passed")
    store.set_run_status(runs[2].id, "completed", at(12))
    assert store.count_runs_by_status() == {"queued": 2, "running": 1, "failed": 1, "completed": 1}


def test_the_latest_stored_results_come_newest_first_with_their_backend(store: Store) -> None:
    on_ibm = make_run(backend_id="ibm_brisbane", workloads=["bell_state", "ghz_5q"])
    on_sim = make_run(backend_id="simulator", workloads=["bell_state"])
    for run in (on_ibm, on_sim):
        store.create_run(run)
    assert store.recent_finished_workloads(10) == []
    store.record_submission(on_ibm.id, "ghz_5q", "provider-job-1", at(1))  # no result yet
    store.put_result(on_ibm.id, make_result("bell_state"), at(5))
    store.put_result(on_sim.id, make_result("bell_state"), at(7))
    store.put_result(on_ibm.id, make_result("ghz_5q"), at(9))
    store.put_result(on_ibm.id, make_result("ghz_5q", fidelity=0.5), at(20))  # kept: the first

    assert store.recent_finished_workloads(10) == [
        FinishedWorkload(on_ibm.id, "ghz_5q", "ibm_brisbane", at(9)),
        FinishedWorkload(on_sim.id, "bell_state", "simulator", at(7)),
        FinishedWorkload(on_ibm.id, "bell_state", "ibm_brisbane", at(5)),
    ]
    assert [w.workload_id for w in store.recent_finished_workloads(2)] == ["ghz_5q", "bell_state"]
    assert store.recent_finished_workloads(0) == []
    assert store.recent_finished_workloads(-1) == []
