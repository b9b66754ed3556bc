"""`python -m etl`: run the ETL, show its status, roll back to an earlier snapshot.

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

    run = commands.add_parser("run", help="load every source and publish a new snapshot")
    run.add_argument("--trigger", choices=pipeline.TRIGGERS, default="cli",
                     help="what started the run, for the run log (default: cli)")
    run.add_argument("--if-no-snapshot", action="store_true",
                     help="do nothing when a snapshot is already published (used by make run)")
    run.set_defaults(command=_run)

    status = commands.add_parser("status", help="the current snapshot and the recent runs")
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
    status.set_defaults(command=_status)

    back = commands.add_parser("rollback", help="make an earlier snapshot current")
    back.add_argument("snapshot_id", nargs="?",
                      help="the snapshot to go back to (default: the previous one)")
    back.set_defaults(command=_rollback)
    return parser


def _run(settings: Settings, args: argparse.Namespace) -> int:
    current = read_manifest(settings.warehouse_dir).current
    if args.if_no_snapshot and current is not None:
        print(current.id)
        return OK
    sources = load_sources(settings.sources_file)  # a bad file fails here, before any work
    with tqdm(total=len(sources), desc="ETL", unit="source", file=sys.stderr,
              disable=not sys.stderr.isatty()) as bar:
        result = pipeline.run(settings, trigger=args.trigger,
                              on_source_done=lambda name: (bar.set_postfix_str(name),
                                                           bar.update()))
    print(result.snapshot_id)
    return OK


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
    return OK


def _rollback(settings: Settings, args: argparse.Namespace) -> int:
    with warehouse_lock(settings.warehouse_dir):
        snapshot = rollback(settings.warehouse_dir, args.snapshot_id)
    print(snapshot.id)
    return OK
