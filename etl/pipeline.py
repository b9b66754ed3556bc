"""One ETL run: take the lock, stage a snapshot, run each source through extract, clean,
validate and load, then publish (or, for a dry run, throw the staged snapshot away).

A source whose input cannot be read, lacks required columns, or has more bad rows than it
allows fails the whole run: nothing is published. Every run is recorded in the application
database's run log whatever its outcome; a published snapshot also records, in its `meta`
schema, the runs, sources and input checksums that built it.
"""

from __future__ import annotations

import errno
import json
import logging
import shutil
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from alerts.deliver import after_run
from appdb.runs import DRY_RUN, FAILED, PUBLISHED, RunLog
from appdb.targets import rules as target_rules
from config.settings import Settings
from etl.clean import clean
from etl.domains import Domain, all_domains
from etl.errors import ConfigError, DiskFullError, EtlError, SourceError
from etl.load import ensure_table, load, record_quarantine, watermark
from etl.sources.registry import AnySource, extract
from etl.sources_config import load_sources
from etl.validate import top_reasons, validate
from kpis.catalogue import Catalogue, catalogue_path, load_catalogue
from kpis.compute import compute_kpis
from opendata.catalogue import DatasetCatalogue, datasets_path, load_datasets
from opendata.publish import publish_datasets
from warehouse.manifest import read_manifest
from warehouse.writer import (
    clear_staging,
    downloads_dir,
    open_staged,
    publish,
    stage,
    staged_downloads,
    table_fingerprints,
    warehouse_lock,
)

log = logging.getLogger(__name__)

TRIGGERS = ("cli", "schedule", "manual")

# Called as a source moves on: (source name, step, rows so far).
Progress = Callable[[str, str, int], None]


@dataclass(frozen=True)
class RunResult:
    run_id: str
    snapshot_id: str | None  # None for a dry run
    sources: list[dict[str, Any]] = field(default_factory=list)


def new_run_id(now: datetime | None = None) -> str:
    """A sortable id from the UTC start time; it also names the snapshot the run publishes."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def select_sources(sources: dict[str, AnySource], names: list[str] | None = None,
                   domains: list[str] | None = None) -> dict[str, AnySource]:
    """The sources a run loads: all, or those named, or those feeding the named domains."""
    unknown = sorted(set(names or []) - set(sources))
    if unknown:
        raise ConfigError(f"unknown source(s): {', '.join(unknown)} "
                          f"(configured: {', '.join(sources)})")
    known_domains = {s.domain for s in sources.values()}
    unknown = sorted(set(domains or []) - known_domains)
    if unknown:
        raise ConfigError(f"no source feeds domain(s): {', '.join(unknown)} "
                          f"(fed: {', '.join(sorted(known_domains))})")
    return {n: s for n, s in sources.items()
            if (not names or n in names) and (not domains or s.domain in domains)}


def run(
    settings: Settings,
    trigger: str = "cli",
    sources: list[str] | None = None,
    domains: list[str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Run the ETL once; raise EtlError (nothing published) when it fails."""
    warehouse_dir = settings.warehouse_dir
    # The run's alerts go out whether it published or failed, once the lock is released (the
    # stack exits after it), so a slow mail server never holds up the next run.
    with ExitStack() as finished, warehouse_lock(warehouse_dir):
        run_log = RunLog(settings.database_url)
        run_id = new_run_id()
        finished.callback(after_run, settings, run_id)
        abandoned = run_log.mark_abandoned()
        stale = clear_staging(warehouse_dir)
        run_log.start(run_id, trigger)
        log.info("run=%s step=start trigger=%s dry_run=%s abandoned_runs=%d stale_files=%d",
                 run_id, trigger, dry_run, abandoned, len(stale))
        stats: list[dict[str, Any]] = []
        try:
            chosen = select_sources(load_sources(settings.sources_file), sources, domains)
            catalogue = load_catalogue(catalogue_path(settings), missing_ok=True)
            datasets = load_datasets(datasets_path(settings), missing_ok=True)
            snapshot_id = _build(settings, run_id, trigger, chosen, catalogue, datasets, stats,
                                 dry_run, progress or (lambda *_: None))
        except Exception as exc:
            clear_staging(warehouse_dir)  # first, so that a full disk's message counts the room
            failure = disk_full(exc, warehouse_dir) or exc
            error = (str(failure) if isinstance(failure, EtlError)
                     else f"internal error: {exc!r}")
            run_log.finish(run_id, FAILED, error=error, sources=stats)
            log.error("run=%s step=failed error=%s", run_id, error.replace("\n", " "))
            if failure is not exc:
                raise failure from exc
            raise
        run_log.finish(run_id, DRY_RUN if dry_run else PUBLISHED, snapshot_id=snapshot_id,
                       sources=stats)
        log.info("run=%s step=done snapshot=%s", run_id, snapshot_id)
        return RunResult(run_id=run_id, snapshot_id=snapshot_id, sources=stats)


def disk_full(exc: BaseException, warehouse_dir: Path) -> DiskFullError | None:
    """A DiskFullError for a write that found the disk full, else None.

    Python says so with errno ENOSPC; DuckDB (IOException, TransactionException, and a
    FatalException at checkpoint) only in its message, which quotes the system's.
    """
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        detail = str(exc)
    elif isinstance(exc, duckdb.Error) and "No space left on device" in str(exc):
        detail = str(exc).splitlines()[0]
    else:
        return None
    current = read_manifest(warehouse_dir).current
    files = downloads_dir(warehouse_dir, current.id) if current else None
    needed = (current.size if current else 0) + (
        sum(p.stat().st_size for p in files.rglob("*") if p.is_file())
        if files and files.exists() else 0)
    free = shutil.disk_usage(warehouse_dir).free
    return DiskFullError(
        f"no space left on the disk holding {warehouse_dir}: {free / 1e6:,.0f} MB free, and a "
        f"run needs room for a new snapshot and its download files (the current ones take "
        f"{needed / 1e6:,.0f} MB) plus DuckDB's working files. Nothing was published; free "
        f"some space (or keep fewer snapshots: DASHBOARD_SNAPSHOT_RETENTION) and run again. "
        f"({detail})")


def _build(settings: Settings, run_id: str, trigger: str, sources: dict[str, AnySource],
           catalogue: Catalogue, datasets: DatasetCatalogue | None,
           stats: list[dict[str, Any]], dry_run: bool, progress: Progress) -> str | None:
    warehouse_dir = settings.warehouse_dir
    parent = read_manifest(warehouse_dir).current
    staged = stage(warehouse_dir, run_id)
    log.info("run=%s step=stage parent=%s file=%s", run_id, parent.id if parent else None,
             staged.name)
    connection = open_staged(staged)
    try:
        domains = all_domains()
        for name, source in sources.items():
            stats.append(_run_source(connection, run_id, name, source, domains[source.domain],
                                     progress))
        _record_lineage(connection, run_id, trigger, parent.id if parent else None, stats)
        started = time.perf_counter()
        outcomes = compute_kpis(connection, catalogue, run_id, run_id,
                                target_rules(settings.database_url))
        log.info("run=%s step=kpis computed=%d without_data=%d seconds=%.2f", run_id,
                 len(outcomes), sum(1 for o in outcomes if o.note),
                 time.perf_counter() - started)
        started = time.perf_counter()
        published = publish_datasets(connection, datasets, staged_downloads(staged), run_id)
        log.info("run=%s step=datasets published=%d without_data=%d seconds=%.2f", run_id,
                 len(published), sum(1 for o in published if o.rows is None),
                 time.perf_counter() - started)
        connection.execute("CHECKPOINT")
        fingerprints = table_fingerprints(connection)
    finally:
        connection.close()
    if dry_run:
        clear_staging(warehouse_dir)
        return None
    publish(warehouse_dir, staged, run_id, run_id, fingerprints, settings.snapshot_retention)
    return run_id


def _run_source(connection: duckdb.DuckDBPyConnection, run_id: str, name: str,
                source: AnySource, domain: Domain, progress: Progress) -> dict[str, Any]:
    started = time.perf_counter()
    # "In the future" means after this source was read: a row written to a live database
    # while the run goes on is not from the future.
    now = datetime.now(UTC).replace(tzinfo=None)
    ensure_table(connection, domain)
    since = watermark(connection, name, source, domain)
    progress(name, "extract", 0)
    raw = extract(connection, name, source, since)
    log.info("run=%s step=extract source=%s kind=%s rows=%d since=%s inputs=%d", run_id, name,
             source.kind, raw.rows, since, len(raw.inputs))
    progress(name, "clean", raw.rows)
    cleaned = clean(connection, name, source, domain, raw, since)
    # The cleaned table holds all that follows needs: free the raw text (a whole file) now.
    for statement in raw.release_statements():
        connection.execute(statement)
    progress(name, "validate", raw.rows)
    validated = validate(connection, name, source, domain, cleaned, now)
    reasons = top_reasons(connection, validated)
    log.info("run=%s step=validate source=%s rows=%d bad=%d blank=%d skipped=%d", run_id, name,
             validated.rows, validated.bad_rows, cleaned.blank_rows, cleaned.skipped_rows)
    if validated.rows and validated.bad_rows / validated.rows > source.max_bad_share:
        raise SourceError(_too_many_bad(name, source, validated.bad_rows, validated.rows,
                                        reasons))
    record_quarantine(connection, run_id, name, validated)
    loaded = load(connection, name, source, domain, validated)
    connection.execute(f"DROP VIEW {validated.good}")
    for table in (cleaned.table, validated.problems):
        connection.execute(f"DROP TABLE {table}")
    seconds = round(time.perf_counter() - started, 3)
    progress(name, "loaded", raw.rows)
    log.info("run=%s step=load source=%s table=%s mode=%s loaded=%d quarantined=%d seconds=%.2f",
             run_id, name, domain.table, source.mode, loaded, validated.bad_rows, seconds)
    return {
        "source": name,
        "kind": source.kind,
        "domain": domain.name,
        "table": domain.table,
        "mode": source.mode,
        "since": since,
        "rows_read": raw.rows,
        "blank_rows": cleaned.blank_rows,
        "skipped_rows": cleaned.skipped_rows,
        "rows_quarantined": validated.bad_rows,
        "rows_loaded": loaded,
        "seconds": seconds,
        "inputs": [{"origin": i.origin, "sha256": i.sha256, "rows": i.rows} for i in raw.inputs],
        "reasons": [{"column": c, "reason": r, "rows": n} for c, r, n, *_ in reasons],
    }


def _too_many_bad(name: str, source: AnySource, bad: int, rows: int, reasons) -> str:
    examples = "; ".join(
        f"column '{column}' {reason} ({count:,} rows; first: row {record} of {origin}, "
        f"value {value!r})" for column, reason, count, origin, record, value in reasons)
    return (f"source '{name}': {bad:,} of {rows:,} rows ({bad / rows:.1%}) failed validation, "
            f"more than the {source.max_bad_share:.0%} allowed (max_bad_share). "
            f"Commonest reasons: {examples}")


def _record_lineage(connection: duckdb.DuckDBPyConnection, run_id: str, trigger: str,
                    parent_id: str | None, stats: list[dict[str, Any]]) -> None:
    """Write into the snapshot which run built it, from which sources and inputs."""
    connection.execute("""
        CREATE SCHEMA IF NOT EXISTS meta;
        CREATE OR REPLACE TABLE meta.snapshot (
            snapshot_id VARCHAR, parent_snapshot_id VARCHAR, run_id VARCHAR, trigger VARCHAR,
            built_at TIMESTAMPTZ);
        CREATE TABLE IF NOT EXISTS meta.runs (
            run_id VARCHAR, trigger VARCHAR, built_at TIMESTAMPTZ, sources JSON);
        CREATE TABLE IF NOT EXISTS meta.source_loads (
            run_id VARCHAR, source VARCHAR, kind VARCHAR, domain VARCHAR, table_name VARCHAR,
            mode VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
            blank_rows BIGINT, skipped_rows BIGINT, seconds DOUBLE);
        CREATE TABLE IF NOT EXISTS meta.inputs (
            run_id VARCHAR, source VARCHAR, origin VARCHAR, sha256 VARCHAR, rows BIGINT);
    """)
    connection.execute("INSERT INTO meta.snapshot VALUES (?, ?, ?, ?, now())",
                       [run_id, parent_id, run_id, trigger])
    connection.execute("INSERT INTO meta.runs VALUES (?, ?, now(), ?)",
                       [run_id, trigger, json.dumps(stats)])
    for s in stats:
        connection.execute(
            "INSERT INTO meta.source_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, s["source"], s["kind"], s["domain"], s["table"], s["mode"], s["rows_read"],
             s["rows_loaded"], s["rows_quarantined"], s["blank_rows"], s["skipped_rows"],
             s["seconds"]])
        connection.executemany("INSERT INTO meta.inputs VALUES (?, ?, ?, ?, ?)",
                               [[run_id, s["source"], i["origin"], i["sha256"], i["rows"]]
                                for i in s["inputs"]])
