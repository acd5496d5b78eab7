"""The embedded store: one SQLite file shared by the API and every worker process.

WAL lets readers go on while a writer commits. Every write is a ``BEGIN IMMEDIATE``
transaction, so concurrent writers queue on the busy timeout up front instead of failing
when a read lock cannot be upgraded. Connections are per thread and per process: a sqlite3
connection belongs to the thread that opened it and must never be used across ``fork``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_common.documents import Alert, BackendStatusRecord, Bundle, Report, RunStatus
from bench_common.fileutil import locked, open_private
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
    decode_result,
    durations,
    encode,
    job_from_record,
    listing,
    report_record,
    status_fields,
    stored_finish,
)

BUSY_TIMEOUT_SECONDS = 30.0
ACTIVE = "(" + ", ".join(f"'{status}'" for status in ACTIVE_STATUSES) + ")"
RUN_COLUMNS = tuple(Run.__dataclass_fields__)

# MIGRATIONS[v] takes a database from PRAGMA user_version v to v + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            backend_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            execution_mode TEXT NOT NULL,
            queue TEXT NOT NULL,
            workloads TEXT NOT NULL,
            shots INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deadline_at TEXT NOT NULL,
            finished_at TEXT,
            error TEXT
        )""",
        "CREATE INDEX runs_by_tenant ON runs (tenant_id, id)",
        "CREATE INDEX runs_by_status ON runs (status, queue, created_at)",
        "CREATE INDEX runs_by_backend ON runs (backend_id, finished_at)",
        """CREATE TABLE jobs (
            run_id TEXT NOT NULL,
            workload_id TEXT NOT NULL,
            provider_job_id TEXT,
            submitted_at TEXT,
            result BLOB,
            finished_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, workload_id)
        )""",
        """CREATE TABLE reports (
            run_id TEXT PRIMARY KEY,
            bundle_id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            report BLOB NOT NULL,
            bundle BLOB NOT NULL
        )""",
        """CREATE TABLE api_keys (
            key_hash TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            label TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
    ),
    (
        """CREATE TABLE backend_status (
            backend_id TEXT PRIMARY KEY,
            status TEXT NOT NULL
        )""",
    ),
    (
        """CREATE TABLE leases (
            run_id TEXT NOT NULL,
            workload_id TEXT NOT NULL,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL,
            guard INTEGER NOT NULL DEFAULT 0,
            sends INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, workload_id)
        )""",
    ),
    (
        "ALTER TABLE runs ADD COLUMN thresholds TEXT",
        "ALTER TABLE runs ADD COLUMN campaign_id TEXT",
        "CREATE INDEX runs_by_tenant_time ON runs (tenant_id, created_at DESC, id DESC)",
        """CREATE TABLE campaigns (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            runs TEXT NOT NULL
        )""",
        "CREATE INDEX campaigns_by_tenant_time ON campaigns (tenant_id, created_at DESC, id DESC)",
        "ALTER TABLE runs ADD COLUMN schedule TEXT",
        """CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            benchmark_id TEXT NOT NULL,
            workload_id TEXT NOT NULL,
            alert TEXT NOT NULL,
            delivered_at TEXT,
            UNIQUE (benchmark_id, workload_id)
        )""",
        "CREATE INDEX alerts_by_tenant_time ON alerts (tenant_id, created_at DESC)",
    ),
)
JSON_RUN_COLUMNS = ("workloads", "thresholds")

INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in RUN_COLUMNS)})"
)


def _as_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def _run(record: dict[str, Any]) -> Run:
    return Run.from_dict(record | {c: json.loads(record[c] or "null") for c in JSON_RUN_COLUMNS})


def _campaign(record: dict[str, Any]) -> Campaign:
    return Campaign(record["id"], record["tenant_id"], record["created_at"],
                    json.loads(record["runs"]))  # fmt: skip


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switching a new file to WAL takes a lock without waiting on the busy timeout, so
    processes opening it together retry here until the first one has switched it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SQLiteStore(Store):
    """The store in one SQLite file, created with its schema on open."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self.writer_lock = self.path.with_name(f"{self.path.name}.writer-lock")
        self._local = threading.local()
        with self._errors():
            # Created 0600 here, not by SQLite (which follows the umask); SQLite gives the
            # -wal and -shm files the database file's mode.
            os.close(open_private(self.path))
            connection = self._connect(create=True)
            _use_wal(connection)
        self._local.owned = (os.getpid(), connection)
        self._migrate()

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        """Only the opening connection may create the file: a later one finding it gone
        must fail rather than start an empty database."""
        mode = "rwc" if create else "rw"
        connection = sqlite3.connect(
            f"{self.path.as_uri()}?mode={mode}",
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,  # SQLite's busy_timeout
            isolation_level=None,  # transactions are explicit, see _transaction
        )
        connection.row_factory = _as_dict
        # In WAL mode NORMAL never corrupts and survives any process crash; only an OS crash
        # or power cut can roll back the last commits (FULL would fsync every commit).
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def _connection(self) -> sqlite3.Connection:
        owned: tuple[int, sqlite3.Connection] | None = getattr(self._local, "owned", None)
        if owned is None or owned[0] != os.getpid():
            owned = (os.getpid(), self._connect(create=False))
            self._local.owned = owned
        return owned[1]

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Writers queue on an ``flock`` first: the kernel wakes the next one the moment the
        lock is free, where SQLite's own busy handler sleeps for up to 100 ms between tries."""
        with self._errors(), locked(self.writer_lock):
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            finally:
                if connection.in_transaction:
                    connection.rollback()

    def _rows(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        with self._errors():
            return self._connection().execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._transaction() as connection:
            version = connection.execute("PRAGMA user_version").fetchone()["user_version"]
            if version > len(MIGRATIONS):
                raise StoreError(f"{self.path} has schema version {version}, newer than this code")
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    # runs
    def create_run(self, run: Run) -> None:
        with self._transaction() as connection:
            record = run.to_dict()
            connection.execute(
                INSERT_RUN, record | {c: json.dumps(record[c]) for c in JSON_RUN_COLUMNS}
            )

    def get_run(self, run_id: str, tenant_id: str | None = None) -> Run | None:
        rows = self._rows(
            "SELECT * FROM runs WHERE id = :id AND (:tenant IS NULL OR tenant_id = :tenant)",
            {"id": run_id, "tenant": tenant_id},
        )
        return _run(rows[0]) if rows else None

    def delete_run(self, run_id: str) -> None:
        with self._transaction() as connection:
            for table, column in (
                ("jobs", "run_id"), ("leases", "run_id"), ("reports", "run_id"), ("runs", "id"),
            ):  # fmt: skip
                connection.execute(f"DELETE FROM {table} WHERE {column} = ?", (run_id,))

    def set_run_status(
        self, run_id: str, status: RunStatus, at: str, error: str | None = None
    ) -> bool:
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE runs SET status = :status, updated_at = :updated_at, "
                "finished_at = :finished_at, error = :error "
                f"WHERE id = :id AND status IN {ACTIVE}",
                status_fields(status, at, error) | {"id": run_id},
            )
            return cursor.rowcount == 1

    def active_runs(self) -> list[Run]:
        rows = self._rows(f"SELECT * FROM runs WHERE status IN {ACTIVE} ORDER BY created_at, id")
        return [_run(row) for row in rows]

    def count_active_runs(self, queue: str) -> int:
        sql = f"SELECT count(*) AS n FROM runs WHERE queue = ? AND status IN {ACTIVE}"
        return int(self._rows(sql, (queue,))[0]["n"])

    def count_tenant_active_runs(self, tenant_id: str) -> int:
        sql = f"SELECT count(*) AS n FROM runs WHERE tenant_id = ? AND status IN {ACTIVE}"
        return int(self._rows(sql, (tenant_id,))[0]["n"])

    def list_runs(self, selection: RunFilter) -> list[RunListing]:
        created, ident = selection.before or (None, None)
        rows = self._rows(
            "SELECT runs.*, reports.report AS report_blob FROM runs "
            "LEFT JOIN reports ON reports.run_id = runs.id WHERE runs.tenant_id = :tenant "
            "AND (:backend IS NULL OR runs.backend_id = :backend) "
            "AND (:status IS NULL OR runs.status = :status) "
            "AND (:since IS NULL OR runs.created_at >= :since) "
            "AND (:created IS NULL OR runs.created_at < :created "
            "     OR (runs.created_at = :created AND runs.id < :ident)) "
            "ORDER BY runs.created_at DESC, runs.id DESC LIMIT :limit",
            {"tenant": selection.tenant_id, "backend": selection.backend_id,
             "status": selection.status, "since": selection.since, "created": created,
             "ident": ident, "limit": max(selection.limit, 0)},
        )  # fmt: skip
        return [listing(_run(row), row.pop("report_blob")) for row in rows]

    def recent_run_durations(self, backend_id: str, limit: int) -> list[float]:
        rows = self._rows(
            "SELECT created_at, finished_at FROM runs "
            "WHERE backend_id = ? AND finished_at IS NOT NULL "
            "ORDER BY finished_at DESC LIMIT ?",
            (backend_id, max(limit, 0)),  # a negative LIMIT means none in SQLite
        )
        return durations((row["created_at"], row["finished_at"]) for row in rows)

    def count_runs_by_status(self) -> dict[str, int]:
        rows = self._rows("SELECT status, count(*) AS n FROM runs GROUP BY status")
        return {str(row["status"]): int(row["n"]) for row in rows}

    def recent_finished_workloads(self, limit: int) -> list[FinishedWorkload]:
        rows = self._rows(
            "SELECT jobs.run_id, jobs.workload_id, runs.backend_id, jobs.finished_at "
            "FROM jobs JOIN runs ON runs.id = jobs.run_id WHERE jobs.result IS NOT NULL "
            "ORDER BY jobs.finished_at DESC, jobs.run_id, jobs.workload_id LIMIT ?",
            (max(limit, 0),),
        )
        return [FinishedWorkload(**row) for row in rows]

    # jobs
    def get_job(self, run_id: str, workload_id: str) -> Job | None:
        rows = self._rows(
            "SELECT * FROM jobs WHERE run_id = ? AND workload_id = ?", (run_id, workload_id)
        )
        return job_from_record(rows[0]) if rows else None

    def record_submission(
        self, run_id: str, workload_id: str, provider_job_id: str, at: str
    ) -> str:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO jobs (run_id, workload_id, provider_job_id, submitted_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (run_id, workload_id) DO UPDATE SET "
                "provider_job_id = excluded.provider_job_id, submitted_at = excluded.submitted_at "
                "WHERE jobs.provider_job_id IS NULL",
                (run_id, workload_id, provider_job_id, at),
            )
            stored = connection.execute(
                "SELECT provider_job_id FROM jobs WHERE run_id = ? AND workload_id = ?",
                (run_id, workload_id),
            ).fetchone()
            return str(stored["provider_job_id"])

    def count_attempt(self, run_id: str, workload_id: str) -> int:
        with self._transaction() as connection:
            stored = connection.execute(
                "INSERT INTO jobs (run_id, workload_id, attempts) VALUES (?, ?, 1) "
                "ON CONFLICT (run_id, workload_id) DO UPDATE SET attempts = jobs.attempts + 1 "
                "RETURNING attempts",
                (run_id, workload_id),
            ).fetchone()
            return int(stored["attempts"])

    def put_result(self, run_id: str, result: WorkloadResult, at: str) -> bool:
        payload = encode(result.to_dict(packed=True))
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO jobs (run_id, workload_id, result, finished_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, workload_id) DO UPDATE SET "
                "result = excluded.result, finished_at = excluded.finished_at "
                "WHERE jobs.result IS NULL",
                (run_id, result.id, payload, at),
            )
            return cursor.rowcount == 1

    def results(self, run_id: str) -> dict[str, WorkloadResult]:
        rows = self._rows(
            "SELECT workload_id, result FROM jobs "
            "WHERE run_id = ? AND result IS NOT NULL ORDER BY workload_id",
            (run_id,),
        )
        return {row["workload_id"]: decode_result(row["result"]) for row in rows}

    def count_results(self, run_id: str) -> int:
        sql = "SELECT count(*) AS n FROM jobs WHERE run_id = ? AND result IS NOT NULL"
        return int(self._rows(sql, (run_id,))[0]["n"])

    def workloads_with_results(self, run_id: str) -> set[str]:
        sql = "SELECT workload_id FROM jobs WHERE run_id = ? AND result IS NOT NULL"
        return {str(row["workload_id"]) for row in self._rows(sql, (run_id,))}

    # leases
    def take_lease(
        self, run_id: str, workload_id: str, holder: str, expires_at: float, now: float
    ) -> Lease:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO leases (run_id, workload_id, holder, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, workload_id) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at, guard = 0 WHERE leases.expires_at <= ? "
                "OR leases.guard = 1 OR leases.holder = excluded.holder",
                (run_id, workload_id, holder, expires_at, now),
            )
            stored = connection.execute(
                "SELECT * FROM leases WHERE run_id = ? AND workload_id = ?", (run_id, workload_id)
            ).fetchone()
        return Lease(**stored | {"guard": bool(stored["guard"])})

    def renew_lease(self, run_id: str, workload_id: str, holder: str, expires_at: float) -> bool:
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE leases SET expires_at = ? WHERE run_id = ? AND workload_id = ? "
                "AND holder = ?",
                (expires_at, run_id, workload_id, holder),
            )
            return cursor.rowcount == 1

    def release_lease(self, run_id: str, workload_id: str, holder: str) -> None:
        with self._transaction() as connection:
            connection.execute(
                "DELETE FROM leases WHERE run_id = ? AND workload_id = ? AND holder = ?",
                (run_id, workload_id, holder),
            )

    def guard_lease(
        self, run_id: str, workload_id: str, holder: str, expires_at: float, now: float
    ) -> bool:
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO leases (run_id, workload_id, holder, expires_at, guard, sends) "
                "VALUES (?, ?, ?, ?, 1, 1) ON CONFLICT (run_id, workload_id) DO UPDATE SET "
                "holder = excluded.holder, expires_at = excluded.expires_at, guard = 1, "
                "sends = leases.sends + 1 WHERE leases.expires_at <= ?",
                (run_id, workload_id, holder, expires_at, now),
            )
            return cursor.rowcount == 1

    def leases(self, run_id: str) -> dict[str, Lease]:
        rows = self._rows("SELECT * FROM leases WHERE run_id = ?", (run_id,))
        return {
            str(row["workload_id"]): Lease(**row | {"guard": bool(row["guard"])}) for row in rows
        }

    # reports and bundles
    def finish_run(
        self, run_id: str, report: Report, bundle: Bundle, status: RunStatus,
        at: str,
    ) -> Report:  # fmt: skip
        record = report_record(run_id, report, bundle, status, at)
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO reports (run_id, bundle_id, status, finished_at, report, bundle) "
                "VALUES (:run_id, :bundle_id, :status, :finished_at, :report, :bundle) "
                "ON CONFLICT DO NOTHING",
                record,
            )
            stored = connection.execute(
                "SELECT status, finished_at, report FROM reports WHERE run_id = ?", (run_id,)
            ).fetchone()
            fields, stored_report = stored_finish(stored, record["bundle_id"])
            connection.execute(
                "UPDATE runs SET status = :status, finished_at = :finished_at, "
                "updated_at = :updated_at WHERE id = :id",
                fields | {"id": run_id},
            )
        return stored_report

    def _payload(self, column: str, key: str, value: str) -> Any:
        rows = self._rows(f"SELECT {column} FROM reports WHERE {key} = ?", (value,))
        return decode(rows[0][column]) if rows else None

    def get_report(self, run_id: str) -> Report | None:
        report: Report | None = self._payload("report", "run_id", run_id)
        return report

    def get_bundle(self, bundle_id: str) -> Bundle | None:
        bundle: Bundle | None = self._payload("bundle", "bundle_id", bundle_id)
        return bundle

    def get_bundle_for_run(self, run_id: str) -> Bundle | None:
        bundle: Bundle | None = self._payload("bundle", "run_id", run_id)
        return bundle

    def get_tenant_bundle(self, bundle_id: str, tenant_id: str) -> Bundle | None:
        rows = self._rows(
            "SELECT reports.bundle FROM reports JOIN runs ON runs.id = reports.run_id "
            "WHERE reports.bundle_id = ? AND runs.tenant_id = ?",
            (bundle_id, tenant_id),
        )
        bundle: Bundle | None = decode(rows[0]["bundle"]) if rows else None
        return bundle

    # campaigns
    def create_campaign(self, campaign: Campaign) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO campaigns (id, tenant_id, created_at, runs) VALUES (?, ?, ?, ?)",
                (campaign.id, campaign.tenant_id, campaign.created_at, json.dumps(campaign.runs)),
            )

    def delete_campaign(self, campaign_id: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM campaigns WHERE id = ?", (campaign_id,))

    def get_campaign(self, campaign_id: str, tenant_id: str) -> Campaign | None:
        rows = self._rows(
            "SELECT * FROM campaigns WHERE id = ? AND tenant_id = ?", (campaign_id, tenant_id)
        )
        return _campaign(rows[0]) if rows else None

    def list_campaigns(self, tenant_id: str, limit: int) -> list[Campaign]:
        rows = self._rows(
            "SELECT * FROM campaigns WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (tenant_id, max(limit, 0)),
        )
        return [_campaign(row) for row in rows]

    # drift alerts
    def put_alert(self, alert: Alert) -> bool:
        with self._transaction() as connection:
            inserted = connection.execute(
                "INSERT INTO alerts (id, tenant_id, created_at, benchmark_id, workload_id, alert) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (alert["id"], alert["tenant_id"], alert["created_at"], alert["benchmark_id"],
                 alert["workload_id"], json.dumps(alert)),
            )  # fmt: skip
            return inserted.rowcount > 0

    def list_alerts(self, tenant_id: str, since: str | None, limit: int) -> list[Alert]:
        rows = self._rows(
            "SELECT alert FROM alerts WHERE tenant_id = :tenant "
            "AND (:since IS NULL OR created_at >= :since) ORDER BY created_at DESC LIMIT :limit",
            {"tenant": tenant_id, "since": since, "limit": max(limit, 0)},
        )
        return [json.loads(row["alert"]) for row in rows]

    def undelivered_alerts(self, limit: int) -> list[Alert]:
        rows = self._rows(
            "SELECT alert FROM alerts WHERE delivered_at IS NULL ORDER BY created_at LIMIT ?",
            (max(limit, 0),),
        )
        return [json.loads(row["alert"]) for row in rows]

    def mark_alert_delivered(self, alert_id: str, at: str) -> None:
        with self._transaction() as connection:
            connection.execute("UPDATE alerts SET delivered_at = ? WHERE id = ?", (at, alert_id))

    def count_alerts(self) -> int:
        return int(self._rows("SELECT count(*) AS n FROM alerts")[0]["n"])

    # api keys
    def add_api_key(self, key_hash: str, tenant_id: str, label: str, at: str) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO api_keys (key_hash, tenant_id, label, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (key_hash, tenant_id, label, at),
            )

    def tenant_for_key(self, key_hash: str) -> str | None:
        rows = self._rows("SELECT tenant_id FROM api_keys WHERE key_hash = ?", (key_hash,))
        return str(rows[0]["tenant_id"]) if rows else None

    def api_keys(self) -> list[dict[str, str]]:
        return self._rows(
            "SELECT key_hash, tenant_id, label, created_at FROM api_keys "
            "ORDER BY created_at, key_hash"
        )

    def revoke_api_key(self, key_hash: str) -> bool:
        with self._transaction() as connection:
            deleted = connection.execute("DELETE FROM api_keys WHERE key_hash = ?", (key_hash,))
            return deleted.rowcount > 0

    # provider status
    def put_backend_status(self, backend_id: str, status: BackendStatusRecord, at: str) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO backend_status (backend_id, status) VALUES (?, ?) "
                "ON CONFLICT (backend_id) DO UPDATE SET status = excluded.status",
                (backend_id, json.dumps(status | {"checked_at": at})),
            )

    def backend_statuses(self) -> dict[str, BackendStatusRecord]:
        rows = self._rows("SELECT backend_id, status FROM backend_status", ())
        return {str(row["backend_id"]): json.loads(row["status"]) for row in rows}

    # health
    def ping(self) -> None:
        """Open a fresh connection, as a new worker would: it fails once the file is gone,
        where this thread's open connection would still reach the deleted file."""
        with self._errors():
            connection = self._connect(create=False)
            try:
                connection.execute("SELECT count(*) FROM runs").fetchone()
            finally:
                connection.close()

    def close(self) -> None:
        """Close the calling thread's connection; other threads' close as those threads end."""
        owned: tuple[int, sqlite3.Connection] | None = getattr(self._local, "owned", None)
        if owned is not None and owned[0] == os.getpid():
            owned[1].close()
        self._local.owned = None
