"""Scheduled benchmarks: the schedule file, beat's entries, and one run per schedule and day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from celery.schedules import crontab
from pipeline import Pipeline, call_task, wait_for

from bench_common.catalogue import CATALOGUE
from bench_common.queues import SCHEDULED_RUN
from bench_common.settings import Settings
from bench_workers.celery_app import make_app
from bench_workers.schedules import load_schedules

NIGHTLY = {
    "name": "nightly-brisbane",
    "tenant_id": "ops",
    "cron": "0 2 * * *",
    "request": {"backend_id": "ibm_brisbane", "workloads": ["bell_state"], "shots": 200},
}


def write(path: Path, *entries: dict) -> Path:
    path.write_text(json.dumps({"schedules": list(entries)}))
    return path


def test_schedules_become_beat_entries(tmp_path: Path) -> None:
    settings_file = write(tmp_path / "schedules.json", NIGHTLY)
    pipeline_settings = Settings.from_env({}, data_dir=tmp_path, schedules_file=settings_file)
    entry = make_app(pipeline_settings).conf.beat_schedule["schedule-nightly-brisbane"]
    assert entry["task"] == SCHEDULED_RUN
    assert entry["kwargs"] == {"name": "nightly-brisbane"}
    assert entry["schedule"] == crontab(minute="0", hour="2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cron": "0 2 * *"}, "5 fields"),
        ({"request": {"backend_id": "nowhere"}}, "Unknown backend"),
        ({"request": {"backend_id": "simulator", "shots": 0}}, "shots"),
    ],
)
def test_a_bad_schedule_is_refused_with_its_name(
    tmp_path: Path, change: dict, message: str
) -> None:
    path = write(tmp_path / "schedules.json", NIGHTLY | change)
    with pytest.raises(ValueError, match=message) as refused:
        load_schedules(path, CATALOGUE)
    assert "nightly-brisbane" in str(refused.value)


def test_run_ids_are_one_per_schedule_and_day(tmp_path: Path) -> None:
    [schedule] = load_schedules(write(tmp_path / "s.json", NIGHTLY), CATALOGUE).values()
    day = date(2026, 11, 25)
    assert schedule.run_id(day) == schedule.run_id(date(2026, 11, 25))
    assert schedule.run_id(day) != schedule.run_id(date(2026, 11, 26))


def test_firing_twice_a_day_creates_one_run_that_ends_signed(pipeline: Pipeline) -> None:
    path = write(pipeline.settings.data_dir / "schedules.json", NIGHTLY)
    pipeline.settings = replace(pipeline.settings, schedules_file=path)
    pipeline.start_worker()
    app = make_app(pipeline.settings)
    first = call_task(app, SCHEDULED_RUN, name="nightly-brisbane")
    again = call_task(app, SCHEDULED_RUN, name="nightly-brisbane")
    assert first is not None and again is None
    report = pipeline.wait_for_report(first)
    assert report["tenant_id"] == "ops" and report["backend_id"] == "ibm_brisbane"
    store = pipeline.runtime.store
    wait_for(lambda: store.get_run(first).status == "completed", 30, "the run to complete")
    assert [r.id for r in store.active_runs()] == []
