"""`python -m etl`: run the ETL, check sources, show status, roll back to an earlier snapshot.

Exit codes: 0 done, 1 the run or rollback failed (nothing published), 2 bad configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tabulate import tabulate
from tqdm import tqdm

from appdb.runs import RunLog
from config.log_setup import configure_logging
from config.settings import Settings, SettingsError, load_settings
from etl import pipeline
from etl.errors import ConfigError, EtlError
from etl.scheduler import planned_jobs, run_forever
from etl.sources_config import load_sources
from warehouse.manifest import ManifestError, read_manifest
from warehouse.writer import PublishError, WarehouseBusyError, rollback, warehouse_lock

OK, FAILED, BAD_CONFIG = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_CONFIG
    configure_logging(settings.log_level)
    try:
        return args.command(settings, args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return BAD_CONFIG
    except (EtlError, PublishError, WarehouseBusyError, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="load the sources and publish a new snapshot")
    _add_selection(run)
    run.add_argument("--dry-run", action="store_true",
                     help="do everything but publish: check what a run would load")
    run.add_argument("--trigger", choices=pipeline.TRIGGERS, default="cli",
                     help="what started the run, for the run log (default: cli)")
    run.add_argument("--if-no-snapshot", action="store_true",
                     help="do nothing when a snapshot is already published (used by make run)")
    run.set_defaults(command=_run)

    check = commands.add_parser(
        "validate", help="check the configuration and every source, publishing nothing")
    _add_selection(check)
    check.set_defaults(command=_validate)

    status = commands.add_parser("status", help="the current snapshot and the recent runs")
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
    status.set_defaults(command=_status)

    back = commands.add_parser("rollback", help="make an earlier snapshot current")
    back.add_argument("snapshot_id", nargs="?",
                      help="the snapshot to go back to (default: the previous one)")
    back.set_defaults(command=_rollback)

    sched = commands.add_parser("scheduler",
                                help="run the sources on their schedules until stopped")
    sched.add_argument("--list", action="store_true",
                       help="only print the planned jobs and their next run times")
    sched.set_defaults(command=_scheduler)
    return parser


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", metavar="NAME",
                        help="only this source (repeat for several)")
    parser.add_argument("--domain", action="append", metavar="NAME",
                        help="only the sources feeding this domain (repeat for several)")


def _run(settings: Settings, args: argparse.Namespace) -> int:
    current = read_manifest(settings.warehouse_dir).current
    if args.if_no_snapshot and current is not None:
        print(current.id)
        return OK
    # A bad configuration or selection fails here, before the lock is taken.
    pipeline.select_sources(load_sources(settings.sources_file), args.source, args.domain)
    with _ProgressBars() as bars:
        result = pipeline.run(settings, trigger=args.trigger, sources=args.source,
                              domains=args.domain, dry_run=args.dry_run, progress=bars.update)
    print(_summary(result.sources), file=sys.stderr)
    print(result.snapshot_id or "dry run: nothing published")
    return OK


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    args.dry_run, args.trigger, args.if_no_snapshot = True, "manual", False
    return _run(settings, args)


class _ProgressBars:
    """One bar a source, counting the rows read, on a terminal only."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}
        self.enabled = sys.stderr.isatty()

    def update(self, source: str, step: str, rows: int) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(source)
        if bar is None:
            # Sources run one after another, so one bar is live at a time, each on its line.
            bar = self.bars[source] = tqdm(desc=source, unit=" rows", file=sys.stderr)
        bar.set_postfix_str(step)
        bar.update(rows - bar.n)
        if step == "loaded":
            bar.close()  # its elapsed time and rate stay as they were when the source ended

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *_: object) -> None:
        for bar in self.bars.values():
            bar.close()


def _summary(sources: list[dict[str, Any]]) -> str:
    rows = [[s["source"], s["kind"], s["table"], s["mode"], s["rows_read"], s["rows_loaded"],
             s["rows_quarantined"], s["blank_rows"], s["seconds"]] for s in sources]
    return tabulate(rows, headers=["source", "kind", "table", "mode", "read", "loaded",
                                   "quarantined", "blank", "seconds"], intfmt=",")


def _status(settings: Settings, args: argparse.Namespace) -> int:
    manifest = read_manifest(settings.warehouse_dir)
    runs = RunLog(settings.database_url).recent(args.limit)
    current = manifest.current
    report: dict[str, Any] = {
        "current_snapshot": current.id if current else None,
        "published_at": current.published_at if current else None,
        "snapshots": [
            {"id": s.id, "published_at": s.published_at, "size": s.size, "sha256": s.sha256,
             "current": s == current}
            for s in reversed(manifest.snapshots)
        ],
        "runs": runs,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return OK
    print(f"Current snapshot: {report['current_snapshot'] or 'none'}"
          f"{f' (published {current.published_at})' if current else ''}")
    print(f"Kept snapshots: {', '.join(s['id'] for s in report['snapshots']) or 'none'}\n")
    rows = [
        [r["run_id"], r["trigger"], r["status"], r["started_at"], r["duration_s"],
         sum(s.get("rows_loaded", 0) for s in r["sources"]), (r["error"] or "")[:60]]
        for r in runs
    ]
    print(tabulate(rows, headers=["run", "trigger", "status", "started (UTC)", "seconds",
                                  "rows loaded", "error"]) if rows else "No runs yet.")
    if runs and runs[0]["sources"]:
        print(f"\nSources of run {runs[0]['run_id']}:")
        print(_summary(runs[0]["sources"]))
    return OK


def _rollback(settings: Settings, args: argparse.Namespace) -> int:
    with warehouse_lock(settings.warehouse_dir):
        snapshot = rollback(settings.warehouse_dir, args.snapshot_id)
    print(snapshot.id)
    return OK


def _scheduler(settings: Settings, args: argparse.Namespace) -> int:
    rows = [[", ".join(j.sources), j.description, f"{j.next_run:%Y-%m-%d %H:%M:%S %Z}"]
            for j in planned_jobs(settings)]
    print(tabulate(rows, headers=["sources", "schedule", "next run"]) if rows else
          f"No source in {settings.sources_file} has a schedule: nothing to run.", flush=True)
    if not args.list:
        run_forever(settings)
    return OK
