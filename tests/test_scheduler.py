"""The ETL scheduler: its plan, its job defaults, and real scheduled runs through the pipeline."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from appdb.runs import RunLog
from config.settings import PROJECT_ROOT
from etl.scheduler import (
    JOB_DEFAULTS,
    build_scheduler,
    planned_jobs,
    run_scheduled,
    start_background,
)
from tests.helpers import Workspace
from warehouse.manifest import read_manifest
from warehouse.writer import warehouse_lock

NIGHTLY = {"cron": "0 3 * * *"}
HALF_HOURLY = {"interval_minutes": 30}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace with a three-row population file (fast to load) and no sources yet."""
    (tmp_path / "population.csv").write_text(
        "year,district,population\n2023,North,100\n2023,South,200\n2024,North,110\n")
    (tmp_path / "data").mkdir()  # the run log needs its folder before the first run
    return Workspace(root=tmp_path, sample_dir=tmp_path)


def configure(ws: Workspace, schedules: dict[str, dict | None],
              path: str = "population.csv") -> None:
    """Write sources.yaml: one population source per name, with the given schedule (or none)."""
    def source(schedule: dict | None) -> dict:
        entry = {
            "kind": "csv", "domain": "population", "path": str(ws.root / path),
            "columns": {"year": {"from": "year", "parse": "integer"},
                        "district": {"from": "district"},
                        "population": {"from": "population", "parse": "integer"}},
        }
        return entry | ({"schedule": schedule} if schedule else {})

    config = ws.root / "config"
    config.mkdir(exist_ok=True)
    sources = {name: source(schedule) for name, schedule in schedules.items()}
    (config / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))


def test_the_plan_has_one_job_per_schedule_and_leaves_out_unscheduled_sources(ws):
    configure(ws, {"nightly": NIGHTLY, "also_nightly": {"cron": "0  3 * * *"},
                   "half_hourly": HALF_HOURLY, "by_hand": None})
    before = datetime.now().astimezone()
    jobs = {job.job_id: job for job in planned_jobs(ws.settings)}
    after = datetime.now().astimezone()

    assert set(jobs) == {"cron:0 3 * * *", "interval:30"}
    nightly, half_hourly = jobs["cron:0 3 * * *"], jobs["interval:30"]
    assert nightly.sources == ("nightly", "also_nightly")  # same schedule: one run
    assert nightly.description.startswith("cron '0 3 * * *' (")
    assert (nightly.next_run.hour, nightly.next_run.minute, nightly.next_run.second) == (3, 0, 0)
    assert before < nightly.next_run <= after + timedelta(days=1)
    assert half_hourly.sources == ("half_hourly",)
    assert half_hourly.description == "every 30 min"
    interval = timedelta(minutes=30)
    assert before + interval <= half_hourly.next_run <= after + interval


def test_jobs_coalesce_run_one_at_a_time_and_tolerate_15_minutes_delay(ws):
    configure(ws, {"nightly": NIGHTLY, "half_hourly": HALF_HOURLY})
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 900}
    scheduler = BackgroundScheduler()
    build_scheduler(ws.settings, scheduler)
    scheduler.start(paused=True)  # APScheduler applies the job defaults on start
    try:
        jobs = scheduler.get_jobs()
    finally:
        scheduler.shutdown()
    assert len(jobs) == 2
    for job in jobs:
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 900)


def test_a_background_scheduler_publishes_a_snapshot_with_trigger_schedule(ws):
    configure(ws, {"half_hourly": HALF_HOURLY})
    scheduler = start_background(ws.settings)
    try:
        # interval_minutes is at least 1: make the real job fire within a second instead.
        scheduler.reschedule_job("interval:30", trigger="interval", seconds=1)
        runs = _wait_for_runs(ws)
    finally:
        scheduler.shutdown(wait=True)
    assert runs[-1]["status"] == "published"
    assert {run["trigger"] for run in runs} == {"schedule"}
    current = read_manifest(ws.settings.warehouse_dir).current
    assert current is not None and current.id in {run["snapshot_id"] for run in runs}


def _wait_for_runs(ws: Workspace) -> list[dict]:
    """The run log, oldest first, once it has a finished run (at most 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = RunLog(ws.settings.database_url).recent()[::-1]
        if any(run["status"] != "running" for run in runs):
            return runs
        time.sleep(0.2)
    raise AssertionError("no scheduled run finished within 30 s")


def test_a_job_that_finds_the_warehouse_busy_is_skipped_quietly(ws, caplog):
    configure(ws, {"nightly": NIGHTLY})
    settings = ws.settings
    caplog.set_level(logging.INFO)
    with warehouse_lock(settings.warehouse_dir):
        assert run_scheduled(settings, ("nightly",)) is None
    skipped = [r for r in caplog.records if "skipped: another run is in progress" in r.message]
    assert [r.levelno for r in skipped] == [logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert read_manifest(settings.warehouse_dir).current is None
    assert RunLog(settings.database_url).recent() == []


def test_a_failed_job_logs_its_error_and_returns(ws, caplog):
    configure(ws, {"nightly": NIGHTLY}, path="missing.csv")
    caplog.set_level(logging.INFO)
    assert run_scheduled(ws.settings, ("nightly",)) is None
    errors = [r for r in caplog.records
              if r.levelno == logging.ERROR and r.name == "etl.scheduler"]
    assert len(errors) == 1 and "missing.csv" in errors[0].message
    assert [run["status"] for run in RunLog(ws.settings.database_url).recent()] == ["failed"]


def test_scheduler_list_prints_the_planned_jobs(ws):
    configure(ws, {"nightly": NIGHTLY, "half_hourly": HALF_HOURLY, "by_hand": None})
    result = ws.etl("scheduler", "--list")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["sources", "schedule", "next", "run"]
    assert any(line.startswith("nightly") and "cron '0 3 * * *'" in line for line in lines)
    assert any(line.startswith("half_hourly") and "every 30 min" in line for line in lines)
    assert "by_hand" not in result.stdout


def test_scheduler_with_a_bad_cron_expression_exits_2_naming_the_source(ws):
    configure(ws, {"nightly": {"cron": "every night"}})
    result = ws.etl("scheduler", "--list", check=False)
    assert result.returncode == 2
    assert "source 'nightly': key 'schedule.cron'" in result.stderr


def test_scheduler_without_scheduled_sources_exits_0_with_a_message(ws):
    configure(ws, {"by_hand": None})
    result = subprocess.run([sys.executable, "-m", "etl", "scheduler"], cwd=PROJECT_ROOT,
                            env=ws.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "has a schedule: nothing to run" in result.stdout


def test_scheduler_stops_cleanly_on_sigterm(ws):
    configure(ws, {"nightly": NIGHTLY})
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "scheduler"], cwd=PROJECT_ROOT,
        env=ws.env | {"DASHBOARD_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Signal handlers are in place once APScheduler says it started.
        for line in process.stderr:
            if "Scheduler started" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "SIGTERM: stopping the scheduler" in stderr
