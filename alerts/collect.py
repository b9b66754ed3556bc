"""Everything a finished run has to tell: the KPIs it made worse (published runs), the source
it failed on (failed runs), and the sources gone late since the run before."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from alerts.changes import worse
from alerts.items import Item
from alerts.sources import failure, late, readers
from appdb.runs import FAILED, PUBLISHED
from appdb.targets import rules
from config.settings import Settings
from etl.errors import ConfigError
from etl.sources.registry import AnySource
from etl.sources_config import load_sources
from kpis.read import definitions
from warehouse.reader import UnknownSnapshotError, WarehouseReader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    items: list[Item]
    owners: dict[str, str]  # KPI id -> owner, to tell who hears about a source


def collect(settings: Settings, run: dict[str, Any], checked_before: datetime | None,
            now: datetime) -> Found:
    """The items of a run from the run log (`RunLog.recent`'s dicts), published or failed."""
    reader = WarehouseReader(settings.warehouse_dir, settings.duckdb_memory_limit)
    try:
        # A failed run published nothing: the current snapshot is still what everyone sees.
        if run["status"] == FAILED and reader.snapshot() is None:
            return _found(settings, run, None, reader, checked_before, now)
        with reader.cursor(run["snapshot_id"]) as (_, cursor):
            return _found(settings, run, cursor, reader, checked_before, now)
    finally:
        reader.close()


def _found(settings: Settings, run: dict[str, Any], cursor: duckdb.DuckDBPyConnection | None,
           reader: WarehouseReader, checked_before: datetime | None, now: datetime) -> Found:
    sources = _sources(settings)
    read_by = readers(cursor)
    items = _kpi_items(settings, run, cursor, reader) if run["status"] == PUBLISHED else []
    if run["status"] == FAILED:
        items.append(failure(run["error"] or "no reason was recorded", sources, read_by))
    items += late(settings.sources_file, sources, cursor, read_by, now, checked_before)
    owners = {d.id: d.owner for d in definitions(cursor, None)} if cursor is not None else {}
    return Found(items, owners)


def _kpi_items(settings: Settings, run: dict[str, Any], after: duckdb.DuckDBPyConnection,
               reader: WarehouseReader) -> list[Item]:
    """The KPIs worse in the run's snapshot than in the one current before it (its parent)."""
    (parent,) = after.execute("SELECT parent_snapshot_id FROM meta.snapshot").fetchone()
    if parent is None:
        log.info("run=%s step=alerts first publish: its KPI statuses are the baseline",
                 run["run_id"])
        return []
    try:
        with reader.cursor(parent) as (_, before):
            return worse(before, after, rules(settings.database_url))
    except UnknownSnapshotError:
        log.warning("run=%s step=alerts the previous snapshot %s is no longer kept: KPI "
                    "statuses not compared", run["run_id"], parent)
        return []


def _sources(settings: Settings) -> dict[str, AnySource]:
    try:
        return load_sources(settings.sources_file)
    except ConfigError as exc:
        # The run itself reports a broken sources.yaml; alerts then name no source.
        log.warning("alerts: %s", str(exc).replace("\n", " "))
        return {}
