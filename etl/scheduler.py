"""Scheduled ETL runs: one APScheduler 3 job per distinct `schedule:` in sources.yaml.

Sources with the same schedule (the same cron expression, or the same interval) share one
job, so they load in one run and publish one snapshot instead of racing for the warehouse
lock at the same moment. Sources without a schedule are not scheduled. Cron expressions are
read in the server's local time zone. The schedules are read once, at start: restart the
scheduler after changing them.

Jobs run one at a time (a single worker thread), so this process's own jobs queue behind
each other rather than collide; a job that finds the warehouse held by another process (a
CLI run, a rollback) is skipped until its next time.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass, replace
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.settings import Settings
from etl import pipeline
from etl.errors import ConfigError, EtlError
from etl.mapping import Schedule
from etl.sources_config import load_sources
from warehouse.manifest import ManifestError
from warehouse.writer import PublishError, WarehouseBusyError

log = logging.getLogger(__name__)

JOB_DEFAULTS: dict[str, Any] = {
    # A run missed while the process was down or busy runs once, not once per missed time.
    "coalesce": True,
    "max_instances": 1,
    # Still run a job up to 15 minutes late (APScheduler's default of 1 s silently skips a
    # job delayed by a slow run ahead of it or a busy machine).
    "misfire_grace_time": 15 * 60,
}


@dataclass(frozen=True)
class PlannedJob:
    """One scheduled run: which sources it loads, when, and when it next fires."""

    job_id: str
    sources: tuple[str, ...]
    description: str  # e.g. "cron '0 3 * * *' (Etc/UTC)" or "every 15 min"
    trigger: BaseTrigger
    next_run: datetime | None


def planned_jobs(settings: Settings) -> list[PlannedJob]:
    """The jobs sources.yaml asks for, with their next run time; raise ConfigError if bad."""
    jobs: dict[str, PlannedJob] = {}
    for name, source in load_sources(settings.sources_file).items():
        if source.schedule is None:
            continue
        key = _key(source.schedule)
        if key in jobs:
            jobs[key] = replace(jobs[key], sources=(*jobs[key].sources, name))
            continue
        trigger, description = _trigger(settings, name, source.schedule)
        first = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
        jobs[key] = PlannedJob(key, (name,), description, trigger, first)
    return list(jobs.values())


def _key(schedule: Schedule) -> str:
    if schedule.cron is not None:
        return "cron:" + " ".join(schedule.cron.split())
    return f"interval:{schedule.interval_minutes}"


def _trigger(settings: Settings, name: str, schedule: Schedule) -> tuple[BaseTrigger, str]:
    if schedule.interval_minutes is not None:
        return (IntervalTrigger(minutes=schedule.interval_minutes),
                f"every {schedule.interval_minutes} min")
    cron = " ".join(schedule.cron.split())
    try:
        trigger = CronTrigger.from_crontab(cron)
    except ValueError as exc:
        # Same shape as load_sources' messages: file, source, key.
        raise ConfigError(f"{settings.sources_file}:\n  source '{name}': key 'schedule.cron': "
                          f"{cron!r} is not a five-field crontab ({exc})") from None
    return trigger, f"cron '{cron}' ({trigger.timezone})"


def run_scheduled(settings: Settings, sources: tuple[str, ...]) -> pipeline.RunResult | None:
    """A job's body: run and publish these sources; None when skipped or failed.

    Known failures are logged here and swallowed so that the scheduler keeps going (the run
    log records a failed run); anything else reaches APScheduler, which logs its traceback.
    """
    names = ", ".join(sources)
    log.info("scheduled run starting: sources=%s", names)
    try:
        result = pipeline.run(settings, trigger="schedule", sources=list(sources))
    except WarehouseBusyError:
        log.info("scheduled run sources=%s skipped: another run is in progress", names)
        return None
    except (EtlError, PublishError, ManifestError) as exc:
        log.error("scheduled run sources=%s failed: %s", names, str(exc).replace("\n", " "))
        return None
    log.info("scheduled run done: sources=%s run=%s snapshot=%s", names, result.run_id,
             result.snapshot_id)
    return result


def build_scheduler(settings: Settings, scheduler: BaseScheduler) -> list[PlannedJob]:
    """Add the planned jobs to a scheduler that is not started yet; return them."""
    jobs = planned_jobs(settings)
    scheduler.configure(job_defaults=JOB_DEFAULTS,
                        executors={"default": ThreadPoolExecutor(max_workers=1)})
    for job in jobs:
        scheduler.add_job(run_scheduled, job.trigger, args=(settings, job.sources),
                          id=job.job_id, name=f"etl run: {', '.join(job.sources)}")
        log.info("scheduled sources=%s %s next=%s", ", ".join(job.sources), job.description,
                 job.next_run)
    if not jobs:
        log.info("no source in %s has a schedule: nothing to run", settings.sources_file)
    return jobs


def start_background(settings: Settings) -> BackgroundScheduler:
    """Start the scheduler in a daemon thread of this process and return it."""
    scheduler = BackgroundScheduler(daemon=True)
    build_scheduler(settings, scheduler)
    scheduler.start()
    return scheduler


def run_forever(settings: Settings) -> None:
    """Run the jobs until SIGTERM or SIGINT; return at once when no source has a schedule.

    The scheduler runs in its own thread while this (main) thread wakes every second to see
    whether a stop was asked for. APScheduler's BlockingScheduler instead waits in the main
    thread until the next job, hours away for a nightly one, and in repeated trials here it
    then ignored one SIGTERM in every 4 to 12 (none in 40 with this loop): the kernel may hand
    the signal to one of the threads that numpy, pyarrow or polars start, and Python runs its
    handler only when the main thread next executes, which a thread blocked in that wait never
    does.
    """
    scheduler = BackgroundScheduler()
    if not build_scheduler(settings, scheduler):
        return
    stopping: list[str] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        # Only note it: shutting down inside a handler can deadlock on the scheduler's locks.
        stopping.append(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    while not stopping:
        time.sleep(1)
    # A second signal now takes its default effect (ends the process) instead.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    log.info("%s: stopping the scheduler (a run in progress finishes first)", stopping[0])
    scheduler.shutdown(wait=True)
