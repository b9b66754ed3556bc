"""One ETL run: take the lock, stage a snapshot, load every source into it, publish it.

Every run is recorded in the application database's run log, whatever its outcome; a
published snapshot also records, in its `meta` schema, the run and source loads that built it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from appdb.runs import FAILED, PUBLISHED, RunLog
from config.settings import Settings
from etl.clean import load
from etl.domains import all_domains
from etl.errors import EtlError
from etl.sources.csv import extract
from etl.sources_config import CsvSource, load_sources
from warehouse.manifest import read_manifest
from warehouse.writer import (
    clear_staging,
    open_staged,
    publish,
    stage,
    table_fingerprints,
    warehouse_lock,
)

log = logging.getLogger(__name__)

TRIGGERS = ("cli", "schedule", "manual")


@dataclass(frozen=True)
class RunResult:
    run_id: str
    snapshot_id: str
    sources: list[dict[str, Any]]


def new_run_id(now: datetime | None = None) -> str:
    """A sortable id from the UTC start time; it also names the snapshot the run publishes."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def run(
    settings: Settings,
    trigger: str = "cli",
    on_source_done: Callable[[str], None] | None = None,
) -> RunResult:
    """Run the ETL once; raise EtlError (nothing published) when it fails."""
    warehouse_dir = settings.warehouse_dir
    with warehouse_lock(warehouse_dir):
        run_log = RunLog(settings.database_url)
        run_id = new_run_id()
        abandoned = run_log.mark_abandoned()
        stale = clear_staging(warehouse_dir)
        run_log.start(run_id, trigger)
        log.info("run=%s step=start trigger=%s abandoned_runs=%d stale_files=%d",
                 run_id, trigger, abandoned, len(stale))
        stats: list[dict[str, Any]] = []
        try:
            sources = load_sources(settings.sources_file)
            snapshot_id = _build_and_publish(settings, run_id, trigger, sources, stats,
                                             on_source_done)
        except Exception as exc:
            error = str(exc) if isinstance(exc, EtlError) else f"internal error: {exc!r}"
            run_log.finish(run_id, FAILED, error=error, sources=stats)
            log.error("run=%s step=failed error=%s", run_id, error.replace("\n", " "))
            clear_staging(warehouse_dir)
            raise
        run_log.finish(run_id, PUBLISHED, snapshot_id=snapshot_id, sources=stats)
        log.info("run=%s step=done snapshot=%s", run_id, snapshot_id)
        return RunResult(run_id=run_id, snapshot_id=snapshot_id, sources=stats)


def _build_and_publish(
    settings: Settings,
    run_id: str,
    trigger: str,
    sources: dict[str, CsvSource],
    stats: list[dict[str, Any]],
    on_source_done: Callable[[str], None] | None,
) -> str:
    warehouse_dir = settings.warehouse_dir
    parent = read_manifest(warehouse_dir).current
    staged = stage(warehouse_dir, run_id)
    log.info("run=%s step=stage parent=%s file=%s", run_id, parent.id if parent else None,
             staged.name)
    connection = open_staged(staged)
    try:
        domains = all_domains()
        created: set[str] = set()
        for name, source in sources.items():
            domain = domains[source.domain]
            if domain.name not in created:
                connection.execute(domain.ddl())
                created.add(domain.name)
            stats.append(_load_source(connection, run_id, name, source, domain))
            if on_source_done:
                on_source_done(name)
        _record_lineage(connection, run_id, trigger, parent.id if parent else None, stats)
        connection.execute("CHECKPOINT")
        fingerprints = table_fingerprints(connection)
    finally:
        connection.close()
    publish(warehouse_dir, staged, run_id, run_id, fingerprints, settings.snapshot_retention)
    return run_id


def _load_source(connection: duckdb.DuckDBPyConnection, run_id: str, name: str,
                 source: CsvSource, domain) -> dict[str, Any]:
    started = time.perf_counter()
    raw = extract(connection, name, source)
    log.info("run=%s step=extract source=%s file=%s rows=%d", run_id, name, raw.file, raw.rows)
    loaded = load(connection, name, source, domain, raw)
    connection.execute(f"DROP TABLE {raw.table}")
    seconds = round(time.perf_counter() - started, 3)
    log.info("run=%s step=load source=%s table=%s loaded=%d blank=%d duplicates=%d seconds=%.2f",
             run_id, name, domain.table, loaded.rows_loaded, loaded.blank_rows,
             loaded.duplicate_rows, seconds)
    return {
        "source": name,
        "domain": domain.name,
        "table": domain.table,
        "file": str(raw.file),
        "sha256": raw.sha256,
        "rows_read": raw.rows,
        **asdict(loaded),
        "seconds": seconds,
    }


def _record_lineage(connection: duckdb.DuckDBPyConnection, run_id: str, trigger: str,
                    parent_id: str | None, stats: list[dict[str, Any]]) -> None:
    """Write into the snapshot which run built it and from which files."""
    connection.execute("""
        CREATE SCHEMA IF NOT EXISTS meta;
        CREATE OR REPLACE TABLE meta.snapshot (
            snapshot_id VARCHAR, parent_snapshot_id VARCHAR, run_id VARCHAR, trigger VARCHAR,
            built_at TIMESTAMPTZ);
        CREATE TABLE IF NOT EXISTS meta.source_loads (
            run_id VARCHAR, source VARCHAR, domain VARCHAR, table_name VARCHAR, file VARCHAR,
            sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT, blank_rows BIGINT,
            duplicate_rows BIGINT, seconds DOUBLE);
    """)
    connection.execute("INSERT INTO meta.snapshot VALUES (?, ?, ?, ?, now())",
                       [run_id, parent_id, run_id, trigger])
    for s in stats:
        connection.execute(
            "INSERT INTO meta.source_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, s["source"], s["domain"], s["table"], Path(s["file"]).name, s["sha256"],
             s["rows_read"], s["rows_loaded"], s["blank_rows"], s["duplicate_rows"], s["seconds"]],
        )

