"""Records for the store contract suite: runs, results, reports and bundles shaped as the
platform makes them, and GHZ counts as a noisy 100-qubit device returns them."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import mongomock
import numpy as np
import pymongo
from factories import QASM, circuit

from bench_common.results import WorkloadResult
from bench_common.store import MongoStore, Run, RunStatus, Store, open_store
from bench_common.timeutil import format_time

MONGODB_URL = os.environ.get("BENCH_TEST_MONGODB_URL")
STORES = ["sqlite", "mongomock", *(["mongodb"] if MONGODB_URL else [])]
"""SQLite on a real file, MongoStore on mongomock, and on a real MongoDB when
``BENCH_TEST_MONGODB_URL`` names one."""


@dataclass
class Case:
    """A store, and every record it holds at rest as raw bytes (files or BSON documents)."""

    store: Store
    records: Callable[[], list[bytes]]


@contextmanager
def store_case(kind: str, directory: Path) -> Iterator[Case]:
    """An empty store of ``kind`` (one of ``STORES``), removed afterwards."""
    if kind == "sqlite":
        store = open_store(f"sqlite:///{directory / 'store' / 'bench.sqlite3'}")
        files = directory / "store"
        yield Case(store, lambda: [path.read_bytes() for path in sorted(files.iterdir())])
        store.close()
        return
    name = f"qcos_bench_test_{uuid.uuid4().hex[:12]}"
    client: Any = (
        mongomock.MongoClient() if kind == "mongomock"
        else pymongo.MongoClient(MONGODB_URL, serverSelectionTimeoutMS=3000)
    )  # fmt: skip
    database = client[name]
    yield Case(MongoStore(lambda: client, name), lambda: [
        bson.encode(document)
        for collection in database.list_collection_names()
        for document in database[collection].find()
    ])  # fmt: skip
    client.drop_database(name)
    client.close()


START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """The timestamp ``seconds`` after a fixed start."""
    return format_time(START + timedelta(seconds=seconds))


def make_run(
    run_id: str | None = None,
    *,
    tenant_id: str = "tenant-a",
    backend_id: str = "ibm_brisbane",
    queue: str = "simulator",
    status: RunStatus = "queued",
    created: float = 0.0,
    workloads: Sequence[str] = ("bell_state", "ghz_5q"),
) -> Run:
    return Run(
        id=run_id or str(uuid.uuid4()),
        tenant_id=tenant_id,
        backend_id=backend_id,
        provider="ibm",
        execution_mode="simulated",
        queue=queue,
        workloads=list(workloads),
        shots=1024,
        seed=4_294_967_295,
        status=status,
        created_at=at(created),
        updated_at=at(created),
        deadline_at=at(created + 86_400),
    )


def make_result(
    workload_id: str = "bell_state",
    *,
    fidelity: float = 0.9712,
    counts: dict[str, int] | None = None,
) -> WorkloadResult:
    """A completed result with every field set, so a round trip checks each one."""
    return WorkloadResult(
        id=workload_id, type="BELL_STATE", qubits=2, fidelity=fidelity,
        fidelity_ci95=[fidelity - 0.01, min(fidelity + 0.01, 1.0)], execution_time_ms=12.5,
        timing_source="provider", gate_count=2, depth=2, transpiled_gate_count=7,
        transpiled_depth=5, two_qubit_gate_count=1, metrics={"population": 0.985},
        circuits=[circuit({"0x0": 503, "0x3": 506, "0x2": 7, "0x1": 8} if counts is None
                          else counts, executed=QASM + "rz(pi/2) q[1];\n")],
        provider_job_id="prov-1",
        calibration={"timestamp": "2026-02-28T08:00:00Z", "qubits": {"0": {"t1_us": 231.5}}},
    )  # fmt: skip


def report_and_bundle(
    run: Run, results: Sequence[WorkloadResult], created_at: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report and bundle of the contract's shape; the bundle id derives from the run, so
    two finalizations of one run differ only in content."""
    bundle_id = str(uuid.uuid5(uuid.NAMESPACE_URL, run.id))
    items = []
    for result in results:
        content = {"workload_id": result.id, "counts": [c.counts for c in result.circuits]}
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
        items.append({
            "type": "execution_result", "name": f"execution_result/{result.id}",
            "content": content, "hash": f"sha256:{digest}",
        })  # fmt: skip
    bundle = {
        "bundle_id": bundle_id, "job_id": run.id, "tenant_id": run.tenant_id,
        "created_at": created_at, "items": items, "merkle_root": "ab" * 32,
        "signatures": [{"key_id": "k", "algorithm": "ECDSA-P384", "signature": "c2ln"}],
    }  # fmt: skip
    report = {
        "id": run.id, "created_at": created_at, "backend_id": run.backend_id,
        "tenant_id": run.tenant_id, "shots": run.shots, "seed": run.seed,
        "workloads": [result.report_entry() for result in results],
        "summary": {"total_workloads": len(results), "average_fidelity": None},
        "evidence": {"bundle_id": bundle_id, "items": [
            {"type": i["type"], "name": i["name"], "hash": i["hash"]} for i in items
        ]},
        "integrity": {"canonicalization": "RFC8785", "content_hash": "sha256:" + "0" * 64},
    }  # fmt: skip
    return report, bundle


def ghz_counts(rng: np.random.Generator, shots: int, qubits: int, flip: float) -> dict[str, int]:
    """Counts of a GHZ state: all zeros or all ones, each bit read wrongly with ``flip``.

    Keys as Qiskit writes them: lowercase hex with qubit 0 as the least significant bit.
    """
    ones = rng.random(shots) < 0.5
    bits = np.repeat(ones[:, None], qubits, axis=1) ^ (rng.random((shots, qubits)) < flip)
    packed = np.packbits(bits[:, ::-1], axis=1)  # column 0 becomes the top bit
    padding = -qubits % 8
    values = (int.from_bytes(row.tobytes(), "big") >> padding for row in packed)
    return dict(Counter(hex(value) for value in values))
