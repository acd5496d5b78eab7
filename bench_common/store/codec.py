"""How records are laid out at rest, shared by ``SQLiteStore`` and ``MongoStore``.

Results, reports and bundles are stored as zlib-compressed compact JSON. Counts dominate
them: a 100 000-shot result on 100 qubits holds up to 100 000 distinct 25-digit hex keys,
about 3 MiB as text, which compresses to about half (the keys are noise) and so stays far
below MongoDB's 16 MiB document limit even with several such results in one bundle.
Key order is kept, so a report reads back exactly as it was written.
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from bench_common.documents import Bundle, Report, RunStatus
from bench_common.packed_counts import PackedCounts
from bench_common.results import WorkloadResult
from bench_common.store.base import ACTIVE_STATUSES, Job, Run, RunListing, StoreError
from bench_common.timeutil import parse_time

COMPRESSION_LEVEL = 1
"""zlib's fastest level: on counts, whose keys are noise, it compresses within 5 % of the
default level 6 in a third of the time (3.2 MB of outcomes: 1.65 MB in 35 ms against
1.58 MB in 110 ms), and a 17-circuit wide workload writes some 50 MB of them."""
PLACEHOLDER_BYTES = 16
"""Random bytes in the nonce of ``encode``'s placeholders."""


def encode(value: object) -> bytes:
    """Compressed compact JSON; NaN and non-JSON values are refused, not stored lossily.

    ``PackedCounts`` are written as CF(counts), which is JSON already and which they write
    far faster than a dict of their outcomes could be made and encoded: each is encoded as
    a placeholder string that no other value can hold (it carries a fresh random nonce),
    then the placeholders are replaced by the counts' text."""
    nonce, spliced = secrets.token_hex(PLACEHOLDER_BYTES), []

    def placeholder(item: object) -> str:
        if not isinstance(item, PackedCounts):
            raise TypeError(f"{type(item).__name__} is not JSON serializable")
        spliced.append(item.canonical())
        return f"{nonce}:{len(spliced) - 1}"

    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                          default=placeholder).encode()  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise StoreError(f"cannot store {type(value).__name__}: {exc}") from exc
    if spliced:
        pieces = re.split(f'"{nonce}:([0-9]+)"'.encode(), text)
        text = b"".join(spliced[int(p)] if i % 2 else p for i, p in enumerate(pieces))
    return zlib.compress(text, COMPRESSION_LEVEL)


def decode(data: bytes) -> Any:
    """A stored document; trusted as the type it was stored as, since only the store wrote it."""
    try:
        value: dict[str, Any] = json.loads(zlib.decompress(data))
    except (zlib.error, ValueError) as exc:
        raise StoreError(f"stored payload is corrupt: {exc}") from exc
    return value


def decode_result(data: bytes) -> WorkloadResult:
    return WorkloadResult.from_dict(decode(data))


def job_from_record(record: Mapping[str, Any]) -> Job:
    """A job from its row or document; fields never written keep the ``Job`` defaults."""
    fields = {name: record[name] for name in Job.__dataclass_fields__ if name in record}
    payload = fields.pop("result", None)
    result = None if payload is None else decode_result(payload)
    return Job(**fields, result=result)


def status_fields(status: RunStatus, at: str, error: str | None) -> dict[str, Any]:
    """What ``set_run_status`` writes: a finished status also stamps ``finished_at``."""
    finished_at = None if status in ACTIVE_STATUSES else at
    return {"status": status, "updated_at": at, "finished_at": finished_at, "error": error}


def report_record(
    run_id: str, report: Report, bundle: Bundle, status: RunStatus, at: str
) -> dict[str, Any]:
    """The one row or document ``finish_run`` inserts.

    Report, bundle and final status travel together so that a single insert-if-absent
    decides the winner on MongoDB as on SQLite: no race or crash can pair one call's report
    with another call's bundle, and a retry can finish marking the run from what is stored.
    """
    if status in ACTIVE_STATUSES:
        raise StoreError(f"a run cannot finish as {status!r}")
    return {
        "run_id": run_id,
        "bundle_id": bundle["bundle_id"],
        "status": status,
        "finished_at": at,
        "report": encode(report),
        "bundle": encode(bundle),
    }


def stored_finish(
    stored: Mapping[str, Any] | None, bundle_id: str
) -> tuple[dict[str, Any], Report]:
    """The run's final fields and the report, both from the stored report record.

    No record for the run after an insert-if-absent means the insert clashed on the bundle
    id, which another run already holds.
    """
    if stored is None:
        raise StoreError(f"bundle {bundle_id} is already stored for another run")
    at = stored["finished_at"]
    fields = {"status": stored["status"], "finished_at": at, "updated_at": at}
    report: Report = decode(stored["report"])
    return fields, report


def durations(spans: Iterable[tuple[str, str]]) -> list[float]:
    """Seconds between stored (start, end) timestamps, in the given order."""
    seconds = []
    for start, end in spans:
        begun, ended = parse_time(start), parse_time(end)
        if begun is not None and ended is not None:
            seconds.append((ended - begun).total_seconds())
    return seconds


def listing(run: Run, report_blob: bytes | None) -> RunListing:
    """A run of ``list_runs`` with its report's summary and validation verdict, if any."""
    if report_blob is None:
        return RunListing(run, None, None)
    report: Report = decode(report_blob)
    validation = report.get("validation")
    return RunListing(run, report["summary"], None if validation is None else validation["passed"])
