"""The production store: MongoDB through pymongo.

Every insert-if-absent rests on a unique index: the losing writer gets ``DuplicateKeyError``
and reads the winner's value. A report, its bundle and the run's final status share one
``reports`` document (unique on ``run_id`` and on ``bundle_id``), because a standalone
server has no multi-document transaction to write them together. The client is built on
first use in each process, never at import: ``MongoClient`` is not fork-safe.

A document holds at most 16 MiB, and the counts of a wide workload do not fit in one (17
circuits of 100 000 distinct 100-qubit outcomes): counts that the bundle leaves out are
stored one circuit per ``counts`` document, keyed by their hash (written before the result
that names them, so a reader never misses one), and put back when the result is read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from typing import Any, cast

from bson.errors import BSONError
from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from bench_common.documents import Alert, BackendStatusRecord, Bundle, Report, RunStatus
from bench_common.results import WorkloadResult
from bench_common.store.base import (
    ACTIVE_STATUSES,
    Campaign,
    FinishedWorkload,
    Job,
    Lease,
    Run,
    RunFilter,
    RunListing,
    Store,
    StoreError,
)
from bench_common.store.codec import (
    decode,
    durations,
    encode,
    job_from_record,
    listing,
    report_record,
    status_fields,
    stored_finish,
)

Document = dict[str, Any]
ClientFactory = Callable[[], MongoClient[Document]]

ACTIVE = {"$in": list(ACTIVE_STATUSES)}
HIDE_ID = {"_id": False}
KEY_FIELDS = ("key_hash", "tenant_id", "label", "created_at")
INDEXES: dict[str, list[IndexModel]] = {
    "runs": [
        IndexModel([("id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("queue", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("backend_id", ASCENDING), ("finished_at", DESCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("created_at", DESCENDING), ("id", DESCENDING)]),
    ],
    "alerts": [
        IndexModel([("id", ASCENDING)], unique=True),
        IndexModel([("benchmark_id", ASCENDING), ("workload_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("delivered_at", ASCENDING), ("created_at", ASCENDING)]),
    ],
    "campaigns": [
        IndexModel([("id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("created_at", DESCENDING), ("id", DESCENDING)]),
    ],
    "jobs": [IndexModel([("run_id", ASCENDING), ("workload_id", ASCENDING)], unique=True)],
    "counts": [IndexModel([("run_id", ASCENDING)])],
    "leases": [IndexModel([("run_id", ASCENDING), ("workload_id", ASCENDING)], unique=True)],
    "reports": [
        IndexModel([("run_id", ASCENDING)], unique=True),
        IndexModel([("bundle_id", ASCENDING)], unique=True),
    ],
    "api_keys": [IndexModel([("key_hash", ASCENDING)], unique=True)],
    "backend_status": [IndexModel([("backend_id", ASCENDING)], unique=True)],
}


def _job_key(run_id: str, workload_id: str) -> Document:
    return {"run_id": run_id, "workload_id": workload_id}


class MongoStore(Store):
    """The store in one MongoDB database; ``client_factory`` is called once per process."""

    def __init__(self, client_factory: ClientFactory, database: str) -> None:
        self.database = database
        self._client_factory = client_factory
        self._client: tuple[int, MongoClient[Document]] | None = None
        self._client_lock = threading.Lock()
        self._indexed = False

    def _client_here(self) -> MongoClient[Document]:
        """This process's client; a forked child builds its own and leaves the parent's be."""
        with self._client_lock:
            if self._client is None or self._client[0] != os.getpid():
                self._client = (os.getpid(), self._client_factory())
            return self._client[1]

    @contextmanager
    def _db(self) -> Iterator[Database[Document]]:
        """The database, its indexes ensured once; driver errors become ``StoreError``."""
        try:
            database = self._client_here()[self.database]
            if not self._indexed:
                for name, indexes in INDEXES.items():
                    database[name].create_indexes(indexes)
                self._indexed = True
            yield database
        except (PyMongoError, BSONError) as exc:
            raise StoreError(f"MongoDB store {self.database!r}: {exc}") from exc

    # runs
    def create_run(self, run: Run) -> None:
        with self._db() as db:
            try:
                db.runs.insert_one(run.to_dict())
            except DuplicateKeyError as exc:
                raise StoreError(f"run {run.id} already exists") from exc

    def get_run(self, run_id: str, tenant_id: str | None = None) -> Run | None:
        query = {"id": run_id} | ({} if tenant_id is None else {"tenant_id": tenant_id})
        with self._db() as db:
            found = db.runs.find_one(query, HIDE_ID)
        return None if found is None else Run.from_dict(found)

    def delete_run(self, run_id: str) -> None:
        """The run goes last, so an interrupted delete can simply be repeated."""
        with self._db() as db:
            db.jobs.delete_many({"run_id": run_id})
            db.counts.delete_many({"run_id": run_id})
            db.leases.delete_many({"run_id": run_id})
            db.reports.delete_one({"run_id": run_id})
            db.runs.delete_one({"id": run_id})

    def set_run_status(
        self, run_id: str, status: RunStatus, at: str, error: str | None = None
    ) -> bool:
        with self._db() as db:
            updated = db.runs.update_one(
                {"id": run_id, "status": ACTIVE}, {"$set": status_fields(status, at, error)}
            )
        return updated.matched_count == 1

    def active_runs(self) -> list[Run]:
        with self._db() as db:
            found = db.runs.find({"status": ACTIVE}, HIDE_ID).sort(
                [("created_at", ASCENDING), ("id", ASCENDING)]
            )
            return [Run.from_dict(doc) for doc in found]

    def count_active_runs(self, queue: str) -> int:
        with self._db() as db:
            return db.runs.count_documents({"queue": queue, "status": ACTIVE})

    def count_tenant_active_runs(self, tenant_id: str) -> int:
        with self._db() as db:
            return db.runs.count_documents({"tenant_id": tenant_id, "status": ACTIVE})

    def list_runs(self, selection: RunFilter) -> list[RunListing]:
        if selection.limit <= 0:  # limit(0) means no limit in MongoDB
            return []
        query: Document = {"tenant_id": selection.tenant_id}
        if selection.backend_id is not None:
            query["backend_id"] = selection.backend_id
        if selection.status is not None:
            query["status"] = selection.status
        if selection.since is not None:
            query["created_at"] = {"$gte": selection.since}
        if selection.before is not None:
            created, ident = selection.before
            query["$or"] = [{"created_at": {"$lt": created}},
                            {"created_at": created, "id": {"$lt": ident}}]  # fmt: skip
        with self._db() as db:
            runs = [
                Run.from_dict(doc)
                for doc in db.runs.find(query, HIDE_ID)
                .sort([("created_at", DESCENDING), ("id", DESCENDING)])
                .limit(selection.limit)
            ]
            reports = {
                doc["run_id"]: doc["report"]
                for doc in db.reports.find(
                    {"run_id": {"$in": [run.id for run in runs]}}, {"run_id": True, "report": True}
                )
            }
        return [listing(run, reports.get(run.id)) for run in runs]

    def recent_run_durations(self, backend_id: str, limit: int) -> list[float]:
        if limit <= 0:  # limit(0) means no limit in MongoDB
            return []
        with self._db() as db:
            found = (
                db.runs.find(
                    {"backend_id": backend_id, "finished_at": {"$ne": None}},
                    {"created_at": True, "finished_at": True},
                )
                .sort("finished_at", DESCENDING)
                .limit(limit)
            )
            return durations(
                (document["created_at"], document["finished_at"]) for document in found
            )

    def count_runs_by_status(self) -> dict[str, int]:
        with self._db() as db:
            groups = db.runs.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
            return {str(group["_id"]): int(group["n"]) for group in groups}

    def recent_finished_workloads(self, limit: int) -> list[FinishedWorkload]:
        if limit <= 0:  # limit(0) means no limit in MongoDB
            return []
        with self._db() as db:
            jobs = list(
                db.jobs.find(
                    {"result": {"$ne": None}},
                    {"_id": False, "run_id": True, "workload_id": True, "finished_at": True},
                )
                .sort([("finished_at", DESCENDING), ("run_id", ASCENDING),
                       ("workload_id", ASCENDING)])
                .limit(limit)
            )  # fmt: skip
            run_ids = sorted({job["run_id"] for job in jobs})
            backends = {
                run["id"]: run["backend_id"]
                for run in db.runs.find({"id": {"$in": run_ids}}, {"id": True, "backend_id": True})
            }
        return [
            FinishedWorkload(job["run_id"], job["workload_id"], backends[job["run_id"]],
                             job["finished_at"])
            for job in jobs if job["run_id"] in backends
        ]  # fmt: skip

    # jobs
    def get_job(self, run_id: str, workload_id: str) -> Job | None:
        with self._db() as db:
            found = db.jobs.find_one(_job_key(run_id, workload_id), HIDE_ID)
            if found is None:
                return None
            result = found.pop("result", None)
            job = job_from_record(found)
            job.result = None if result is None else self._with_counts(db, run_id, result)
        return job

    def record_submission(
        self, run_id: str, workload_id: str, provider_job_id: str, at: str
    ) -> str:
        key = _job_key(run_id, workload_id)
        with self._db() as db:
            # A job with a provider job id misses the filter; its upsert then hits the
            # unique index, and the earlier id stays.
            with suppress(DuplicateKeyError):
                db.jobs.update_one(
                    key | {"provider_job_id": None},
                    {"$set": {"provider_job_id": provider_job_id, "submitted_at": at}},
                    upsert=True,
                )
            stored = db.jobs.find_one(key, {"provider_job_id": True})
        if stored is None:
            raise StoreError(f"job {workload_id} of run {run_id} vanished while being written")
        return str(stored["provider_job_id"])

    def count_attempt(self, run_id: str, workload_id: str) -> int:
        # Two first attempts racing both upsert; the server retries the loser as an update
        # because the filter is exactly the unique index's key.
        with self._db() as db:
            stored = db.jobs.find_one_and_update(
                _job_key(run_id, workload_id),
                {"$inc": {"attempts": 1}},
                projection={"attempts": True},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        assert stored is not None  # an upsert returning the document after it never misses
        return int(stored["attempts"])

    def put_result(self, run_id: str, result: WorkloadResult, at: str) -> bool:
        stored = result.to_dict(packed=True)
        with self._db() as db:
            for circuit in stored["circuits"]:
                if not circuit["inline"]:
                    with suppress(DuplicateKeyError):
                        db.counts.insert_one({"_id": f"{run_id}/{circuit['counts_sha256']}",
                                              "run_id": run_id,
                                              "data": encode(circuit["counts"])})  # fmt: skip
                    circuit["counts"] = None
            payload = encode(stored)
            try:
                db.jobs.update_one(
                    _job_key(run_id, result.id) | {"result": None},
                    {"$set": {"result": payload, "finished_at": at}},
                    upsert=True,
                )
            except DuplicateKeyError:
                return False  # the job exists with a result
        return True

    def results(self, run_id: str) -> dict[str, WorkloadResult]:
        with self._db() as db:
            found = db.jobs.find(
                {"run_id": run_id, "result": {"$ne": None}}, {"workload_id": True, "result": True}
            ).sort("workload_id", ASCENDING)
            return {
                document["workload_id"]: self._with_counts(db, run_id, document["result"])
                for document in found
            }

    @staticmethod
    def _with_counts(db: Database[Document], run_id: str, payload: bytes) -> WorkloadResult:
        """A stored result with the counts kept apart put back in."""
        stored = decode(payload)
        for circuit in stored["circuits"]:
            if circuit["counts"] is None:
                found = db.counts.find_one({"_id": f"{run_id}/{circuit['counts_sha256']}"})
                if found is None:
                    raise StoreError(f"counts {circuit['counts_sha256']} are missing")
                circuit["counts"] = decode(found["data"])
        return WorkloadResult.from_dict(stored)

    def count_results(self, run_id: str) -> int:
        with self._db() as db:
            return db.jobs.count_documents({"run_id": run_id, "result": {"$ne": None}})

    def workloads_with_results(self, run_id: str) -> set[str]:
        with self._db() as db:
            found = db.jobs.find({"run_id": run_id, "result": {"$ne": None}}, {"workload_id": True})
            return {str(document["workload_id"]) for document in found}

    # leases
    def take_lease(
        self, run_id: str, workload_id: str, holder: str, expires_at: float, now: float
    ) -> Lease:
        key = _job_key(run_id, workload_id)
        claimable = [{"expires_at": {"$lte": now}}, {"guard": True}, {"holder": holder}]
        with self._db() as db:
            # A live lease of another holder misses the filter; the upsert then hits the
            # unique index and the lease stays as it is.
            with suppress(DuplicateKeyError):
                db.leases.update_one(
                    key | {"$or": claimable},
                    {"$set": {"holder": holder, "expires_at": expires_at, "guard": False},
                     "$setOnInsert": {"sends": 0}},
                    upsert=True,
                )  # fmt: skip
            stored = db.leases.find_one(key, HIDE_ID)
        if stored is None:
            raise StoreError(f"lease of {workload_id} of run {run_id} vanished while being taken")
        return Lease(**stored)

    def renew_lease(self, run_id: str, workload_id: str, holder: str, expires_at: float) -> bool:
        with self._db() as db:
            updated = db.leases.update_one(
                _job_key(run_id, workload_id) | {"holder": holder},
                {"$set": {"expires_at": expires_at}},
            )
        return updated.matched_count == 1

    def release_lease(self, run_id: str, workload_id: str, holder: str) -> None:
        with self._db() as db:
            db.leases.delete_one(_job_key(run_id, workload_id) | {"holder": holder})

    def guard_lease(
        self, run_id: str, workload_id: str, holder: str, expires_at: float, now: float
    ) -> bool:
        with self._db() as db:
            try:
                db.leases.update_one(
                    _job_key(run_id, workload_id) | {"expires_at": {"$lte": now}},
                    {"$set": {"holder": holder, "expires_at": expires_at, "guard": True},
                     "$inc": {"sends": 1}},
                    upsert=True,
                )  # fmt: skip
            except DuplicateKeyError:
                return False  # a live lease
        return True

    def leases(self, run_id: str) -> dict[str, Lease]:
        with self._db() as db:
            found = list(db.leases.find({"run_id": run_id}, HIDE_ID))
        return {str(document["workload_id"]): Lease(**document) for document in found}

    # reports and bundles
    def finish_run(
        self, run_id: str, report: Report, bundle: Bundle, status: RunStatus,
        at: str,
    ) -> Report:  # fmt: skip
        """Also completes a call that stored its report but stopped before marking the run."""
        record = report_record(run_id, report, bundle, status, at)
        with self._db() as db:
            # A report exists (or another run holds the bundle id: see stored_finish).
            with suppress(DuplicateKeyError):
                db.reports.insert_one(record)
            stored = db.reports.find_one(
                {"run_id": run_id}, {"status": True, "finished_at": True, "report": True}
            )
            fields, stored_report = stored_finish(stored, record["bundle_id"])
            db.runs.update_one({"id": run_id}, {"$set": fields})
        return stored_report

    def _payload(self, field: str, query: Document) -> Any:
        with self._db() as db:
            found = db.reports.find_one(query, {field: True})
        return None if found is None else decode(found[field])

    def get_report(self, run_id: str) -> Report | None:
        report: Report | None = self._payload("report", {"run_id": run_id})
        return report

    def get_bundle(self, bundle_id: str) -> Bundle | None:
        bundle: Bundle | None = self._payload("bundle", {"bundle_id": bundle_id})
        return bundle

    def get_bundle_for_run(self, run_id: str) -> Bundle | None:
        bundle: Bundle | None = self._payload("bundle", {"run_id": run_id})
        return bundle

    def get_tenant_bundle(self, bundle_id: str, tenant_id: str) -> Bundle | None:
        """The bundle's run id, then that run for this tenant (looked up for an unknown id
        too, so both refusals take the same two small reads), and only then the bundle."""
        with self._db() as db:
            found = db.reports.find_one({"bundle_id": bundle_id}, {"run_id": True})
            run_id = None if found is None else found["run_id"]
            owned = db.runs.find_one({"id": run_id, "tenant_id": tenant_id}, {"_id": True})
            if found is None or owned is None:
                return None
        bundle: Bundle | None = self._payload("bundle", {"bundle_id": bundle_id})
        return bundle

    # campaigns
    def create_campaign(self, campaign: Campaign) -> None:
        with self._db() as db:
            try:
                db.campaigns.insert_one(asdict(campaign))
            except DuplicateKeyError as exc:
                raise StoreError(f"campaign {campaign.id} already exists") from exc

    def delete_campaign(self, campaign_id: str) -> None:
        with self._db() as db:
            db.campaigns.delete_one({"id": campaign_id})

    def get_campaign(self, campaign_id: str, tenant_id: str) -> Campaign | None:
        with self._db() as db:
            found = db.campaigns.find_one({"id": campaign_id, "tenant_id": tenant_id}, HIDE_ID)
        return None if found is None else Campaign(**found)

    def list_campaigns(self, tenant_id: str, limit: int) -> list[Campaign]:
        if limit <= 0:
            return []
        with self._db() as db:
            found = db.campaigns.find({"tenant_id": tenant_id}, HIDE_ID).sort(
                [("created_at", DESCENDING), ("id", DESCENDING)]
            )
            return [Campaign(**doc) for doc in found.limit(limit)]

    # drift alerts
    def put_alert(self, alert: Alert) -> bool:
        with self._db() as db:
            try:
                db.alerts.insert_one({**alert, "delivered_at": None})
            except DuplicateKeyError:
                return False
            return True

    def _alerts(self, query: Document, order: int, limit: int) -> list[Alert]:
        if limit <= 0:
            return []
        with self._db() as db:
            found = db.alerts.find(query, HIDE_ID | {"delivered_at": False})
            alerts: list[Alert] = [
                cast(Alert, doc) for doc in found.sort("created_at", order).limit(limit)
            ]
        return alerts

    def list_alerts(self, tenant_id: str, since: str | None, limit: int) -> list[Alert]:
        query: Document = {"tenant_id": tenant_id}
        if since is not None:
            query["created_at"] = {"$gte": since}
        return self._alerts(query, DESCENDING, limit)

    def undelivered_alerts(self, limit: int) -> list[Alert]:
        return self._alerts({"delivered_at": None}, ASCENDING, limit)

    def mark_alert_delivered(self, alert_id: str, at: str) -> None:
        with self._db() as db:
            db.alerts.update_one({"id": alert_id}, {"$set": {"delivered_at": at}})

    def count_alerts(self) -> int:
        with self._db() as db:
            return db.alerts.count_documents({})

    # api keys
    def add_api_key(self, key_hash: str, tenant_id: str, label: str, at: str) -> None:
        with self._db() as db:
            db.api_keys.update_one(
                {"key_hash": key_hash},
                {"$setOnInsert": {"tenant_id": tenant_id, "label": label, "created_at": at}},
                upsert=True,
            )

    def tenant_for_key(self, key_hash: str) -> str | None:
        with self._db() as db:
            found = db.api_keys.find_one({"key_hash": key_hash}, {"tenant_id": True})
        return None if found is None else str(found["tenant_id"])

    def api_keys(self) -> list[dict[str, str]]:
        with self._db() as db:
            found = db.api_keys.find({}, HIDE_ID).sort([("created_at", 1), ("key_hash", 1)])
            return [{k: str(entry[k]) for k in KEY_FIELDS} for entry in found]

    def revoke_api_key(self, key_hash: str) -> bool:
        with self._db() as db:
            return db.api_keys.delete_one({"key_hash": key_hash}).deleted_count > 0

    # provider status
    def put_backend_status(self, backend_id: str, status: BackendStatusRecord, at: str) -> None:
        with self._db() as db:
            db.backend_status.replace_one(
                {"backend_id": backend_id},
                {"backend_id": backend_id, "status": status | {"checked_at": at}},
                upsert=True,
            )

    def backend_statuses(self) -> dict[str, BackendStatusRecord]:
        with self._db() as db:
            found = list(db.backend_status.find({}, HIDE_ID))
        statuses: dict[str, BackendStatusRecord] = {
            str(entry["backend_id"]): entry["status"] for entry in found
        }
        return statuses

    # health
    def ping(self) -> None:
        with self._db() as db:
            db.command("ping")

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None and self._client[0] == os.getpid():
                self._client[1].close()
            self._client = None
