"""Workload leases: the store contract (SQLite and MongoStore on mongomock) and how the
reconciler uses them to find lost workloads without ever sending one twice."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from store_cases import make_result, make_run

from bench_common.settings import Settings
from bench_common.store import Run, Store
from bench_common.timeutil import format_time, now
from bench_workers import jobs
from bench_workers.runtime import WorkerRuntime


def test_a_lease_belongs_to_one_holder_until_it_expires(store: Store) -> None:
    assert store.take_lease("r", "w", "a", 120.0, 100.0).holder == "a"
    held = store.take_lease("r", "w", "b", 130.0, 110.0)
    assert (held.holder, held.expires_at, held.guard) == ("a", 120.0, False)
    assert store.take_lease("r", "w", "a", 140.0, 110.0).expires_at == 140.0  # its own again
    assert not store.renew_lease("r", "w", "b", 150.0)
    assert store.renew_lease("r", "w", "a", 150.0)
    assert store.take_lease("r", "w", "b", 170.0, 151.0).holder == "b"  # expired: taken over
    assert not store.renew_lease("r", "w", "a", 200.0)
    store.release_lease("r", "w", "a")  # not a's any more: nothing happens
    assert store.leases("r")["w"].holder == "b"
    store.release_lease("r", "w", "b")
    assert store.leases("r") == {}


def test_a_guard_is_set_only_over_no_lease_or_an_expired_one(store: Store) -> None:
    assert store.guard_lease("r", "w", "reconciler-1", 130.0, 100.0)
    assert not store.guard_lease("r", "w", "reconciler-2", 130.0, 101.0)  # live: one sender
    lease = store.leases("r")["w"]
    assert (lease.holder, lease.guard, lease.sends) == ("reconciler-1", True, 1)
    # Whichever delivery of the re-sent task starts first takes the guard over at once.
    taken = store.take_lease("r", "w", "task-1", 120.0, 102.0)
    assert (taken.holder, taken.guard, taken.sends) == ("task-1", False, 1)
    assert not store.guard_lease("r", "w", "reconciler-2", 150.0, 110.0)
    assert store.guard_lease("r", "w", "reconciler-2", 180.0, 121.0)  # its worker died
    assert store.leases("r")["w"].sends == 2
    assert store.take_lease("r", "x", "task-2", 120.0, 102.0).sends == 0
    assert sorted(store.leases("r")) == ["w", "x"]
    assert store.leases("other") == {}


def test_workloads_with_results_and_delete_run(store: Store) -> None:
    run = make_run(workloads=["bell_state", "ghz_5q"])
    store.create_run(run)
    store.count_attempt(run.id, "ghz_5q")
    store.put_result(run.id, make_result("bell_state"), format_time(now()))
    assert store.workloads_with_results(run.id) == {"bell_state"}
    store.take_lease(run.id, "ghz_5q", "task", time.time() + 20, time.time())
    store.delete_run(run.id)
    assert store.leases(run.id) == {}


def current(run: Run, age: float = 0.0) -> Run:
    """``run`` accepted ``age`` seconds ago, its deadline a day away."""
    return replace(run, created_at=format_time(now() - timedelta(seconds=age)),
                   deadline_at=format_time(now() + timedelta(days=1)))  # fmt: skip


def runtime_on(tmp_path: Path, **overrides: Any) -> WorkerRuntime:
    return WorkerRuntime(Settings.from_env({}, data_dir=tmp_path / "data", **overrides))


def test_the_reconciler_resends_only_lost_workloads_and_only_once(tmp_path: Path) -> None:
    runtime = runtime_on(tmp_path)
    store = runtime.store
    run = make_run(workloads=["bell_state", "ghz_5q", "ghz_10q", "ghz_50q"])
    store.create_run(run := current(run))
    sent: list[list[str]] = []

    def resend(_: object, lost: list[str]) -> None:
        sent.append(lost)

    # A run just accepted waits for its dispatch: nothing is sent.
    assert jobs.reconcile(runtime, resend) == [] and sent == []
    clock = time.time()
    store.put_result(run.id, make_result("bell_state"), format_time(now()))
    store.take_lease(run.id, "ghz_5q", "alive", clock + 20, clock)  # executing
    store.take_lease(run.id, "ghz_10q", "dead", clock - 1, clock - 21)  # its worker died
    jobs.reconcile(runtime, resend)
    assert sent == [["ghz_10q"]]  # ghz_50q has no lease yet, but the run is young
    jobs.reconcile(runtime, resend)  # the re-send is guarded
    assert sent == [["ghz_10q"]]

    # An old run with a workload nobody ever started: its dispatch was lost.
    store.create_run(old := current(make_run(workloads=["bell_state", "ghz_5q"]), age=60))
    sent.clear()
    jobs.reconcile(runtime, resend)
    assert sent == [["bell_state", "ghz_5q"]]  # the young run's ghz_50q still waits
    lease = store.leases(old.id)["ghz_5q"]
    assert lease.guard and lease.expires_at == pytest.approx(time.time() + 20, abs=2)


def test_a_guard_backs_off_while_a_resent_workload_waits(tmp_path: Path) -> None:
    runtime = runtime_on(tmp_path, dispatch_grace=0.2)
    store = runtime.store
    store.create_run(run := current(make_run(workloads=["bell_state"]), age=60))
    waits = []
    for _ in range(3):
        assert jobs.lost_workloads(runtime, run) == ["bell_state"]
        lease = store.leases(run.id)["bell_state"]
        waits.append(lease.expires_at - time.time())
        assert jobs.lost_workloads(runtime, run) == []
        time.sleep(max(0.0, lease.expires_at - time.time()) + 0.05)
    assert [round(w, 1) for w in waits] == [0.2, 0.4, 0.8]


def test_a_delivery_finding_a_live_lease_waits_for_it(tmp_path: Path) -> None:
    runtime = runtime_on(tmp_path)
    store = runtime.store
    store.create_run(run := current(make_run(workloads=["bell_state"])))
    store.take_lease(run.id, "bell_state", "other", time.time() + 7, time.time())
    with pytest.raises(jobs.RetryLaterError) as wait:
        jobs.advance_workload(runtime, run.id, "bell_state", "me")
    assert 6 < wait.value.countdown < 9
    assert store.get_job(run.id, "bell_state") is None  # it did not start
    store.release_lease(run.id, "bell_state", "other")
    assert jobs.advance_workload(runtime, run.id, "bell_state", "me") == "completed"
    assert store.leases(run.id) == {}  # released once the result is stored
