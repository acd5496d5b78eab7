"""Scheduled benchmarks (e.g. nightly), from a JSON file named by ``BENCH_SCHEDULES``.

```json
{"schedules": [{"name": "nightly-brisbane", "tenant_id": "ops", "cron": "0 2 * * *",
                "request": {"backend_id": "ibm_brisbane", "workloads": ["ghz_5q"], "shots": 4000}}]}
```

Celery beat fires each entry (cron fields in UTC); the run it creates has an id derived from
the schedule's name and the UTC day, so a second firing on the same day, a re-delivered
task or a second beat process never creates a second run.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from celery.schedules import crontab

from bench_common.catalogue import Catalogue
from bench_common.errors import BenchError
from bench_common.service import RunRequest, RunService, check_request
from bench_common.timeutil import now

SCHEDULE_NAMESPACE = uuid.UUID("0d9f6f3e-2b7a-4c1e-9a55-6f1b8e2c4d70")
CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


@dataclass(frozen=True)
class Schedule:
    name: str
    tenant_id: str
    cron: str
    request: RunRequest

    def crontab(self) -> crontab:
        parts = self.cron.split()
        if len(parts) != len(CRON_FIELDS):
            raise ValueError(f"schedule {self.name!r}: cron needs 5 fields, got {self.cron!r}")
        return crontab(**dict(zip(CRON_FIELDS, parts, strict=True)))

    def run_id(self, day: date) -> str:
        return str(uuid.uuid5(SCHEDULE_NAMESPACE, f"{self.name}/{day.isoformat()}"))


def load_schedules(path: Path | None, catalogue: Catalogue) -> dict[str, Schedule]:
    """The schedules in ``path`` by name, each checked like a ``POST /run`` body."""
    if path is None:
        return {}
    entries = json.loads(path.read_text())["schedules"]
    schedules = {entry["name"]: Schedule(**entry) for entry in entries}
    if len(schedules) != len(entries):
        raise ValueError(f"{path}: schedule names must be unique")
    for schedule in schedules.values():
        schedule.crontab()
        request = schedule.request
        try:
            check_request(catalogue, request)
        except BenchError as exc:
            raise ValueError(f"schedule {schedule.name!r}: {exc.message}") from exc
    return schedules


def beat_entries(schedules: dict[str, Schedule], task: str) -> dict[str, dict[str, Any]]:
    return {
        f"schedule-{name}": {"task": task, "schedule": s.crontab(), "kwargs": {"name": name}}
        for name, s in schedules.items()
    }


def start_scheduled_run(service: RunService, schedule: Schedule) -> str | None:
    """Create and dispatch today's run of ``schedule``; None if it exists already."""
    run_id = schedule.run_id(now().date())
    if service.store.get_run(run_id) is not None:
        return None
    request: RunRequest = {**schedule.request, "schedule": schedule.name}
    return service.submit(schedule.tenant_id, request, run_id).run.id
