"""`python -m deploy.serve` (`make serve`): gunicorn's web workers and exactly one scheduler.

The web workers only read snapshots; the one `python -m etl scheduler` beside them loads and
publishes. A scheduler that dies is started again (after a pause, so a crash loop does not spin);
one that stops because sources.yaml needs fixing (exit 2) or schedules nothing (exit 0) is left
stopped while the site keeps serving. SIGTERM or SIGINT stops both; if gunicorn stops, so does
the scheduler.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from config.log_setup import configure_logging
from config.settings import PROJECT_ROOT, SettingsError, load_settings

log = logging.getLogger("deploy.serve")

GUNICORN = [sys.executable, "-m", "gunicorn", "-c",
            str(PROJECT_ROOT / "deploy" / "gunicorn_conf.py"), "app:server"]
SCHEDULER = [sys.executable, "-m", "etl", "scheduler"]
RESTART_PAUSE = 5.0  # seconds before a scheduler that died is started again
SCHEDULER_DONE = (0, 2)  # nothing scheduled; a configuration error (logged by the scheduler)
POLL = 0.5
# The scheduler's runs yield the cores to the web workers: under load on 2 cores, publishes at
# niceness 10 took as long as at 0 while the pages' median latency fell from about 30 to 18 ms
# (bench/README.md, "Load").
SCHEDULER_NICENESS = 10


def _start(command: list[str], niceness: int = 0) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=PROJECT_ROOT,
                            preexec_fn=(lambda: os.nice(niceness)) if niceness else None)


def _stop(process: subprocess.Popen | None, wait: float = 35.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def supervise() -> int:
    """Run both until a signal or gunicorn's end; gunicorn's exit code (0 after a signal)."""
    stopping: list[str] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    web = _start(GUNICORN)
    scheduler: subprocess.Popen | None = _start(SCHEDULER, SCHEDULER_NICENESS)
    log.info("web pid %d, scheduler pid %d", web.pid, scheduler.pid)
    restart_at: float | None = None
    try:
        while not stopping and web.poll() is None:
            time.sleep(POLL)
            if scheduler is not None and scheduler.poll() is not None:
                code = scheduler.returncode
                if code in SCHEDULER_DONE:
                    log.warning("the scheduler stopped (exit %d) and is not restarted; the "
                                "site keeps serving the published snapshot", code)
                    scheduler = None
                else:
                    log.error("the scheduler died (exit %d); starting it again in %.0f s",
                              code, RESTART_PAUSE)
                    scheduler, restart_at = None, time.monotonic() + RESTART_PAUSE
            if restart_at is not None and time.monotonic() >= restart_at:
                scheduler, restart_at = _start(SCHEDULER, SCHEDULER_NICENESS), None
                log.info("scheduler started again, pid %d", scheduler.pid)
    finally:
        if stopping:
            log.info("%s: stopping the web workers and the scheduler", stopping[0])
        _stop(scheduler)
        _stop(web)
    return 0 if stopping else (web.returncode or 0)


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    log.info("serving on http://%s:%d with %d workers of %d threads", settings.host,
             settings.port, settings.web_workers, settings.web_threads)
    return supervise()


if __name__ == "__main__":
    sys.exit(main())
