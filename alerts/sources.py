"""Sources that went wrong: the one a failed run names, and scheduled sources gone late
(by the judgement the pipeline page shows, etl/health.py).

Each item lists the KPIs reading the source's table (from the snapshot's lineage), which
decides who hears about it (alerts/audience.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from alerts.items import RUN_FAILED, SOURCE_FAILED, SOURCE_LATE, Item
from etl.domains import all_domains
from etl.health import freshness, grace, source_loads
from etl.sources.registry import AnySource
from warehouse.connect import has_table

# Every error a source raises starts by naming it (etl/errors.py SourceError).
NAMED = re.compile(r"^source '([^']+)'")
MAX_ERROR = 1000  # characters of an error kept in a message


def readers(cursor: duckdb.DuckDBPyConnection | None) -> dict[str, tuple[str, ...]]:
    """The KPIs reading each table, from the snapshot's KPI lineage."""
    if cursor is None or not has_table(cursor, "lineage", schema="kpi"):
        return {}
    found: dict[str, list[str]] = {}
    for kpi_id, tables in cursor.execute(
            "SELECT kpi_id, tables FROM kpi.lineage ORDER BY kpi_id").fetchall():
        for table in tables or ():
            found.setdefault(table, []).append(kpi_id)
    return {table: tuple(ids) for table, ids in found.items()}


def failure(error: str, sources: Mapping[str, AnySource],
            read_by: Mapping[str, tuple[str, ...]]) -> Item:
    """What a failed run's error is about: the source it names, else the run as a whole."""
    shown = error if len(error) <= MAX_ERROR else error[:MAX_ERROR] + "…"
    named = NAMED.match(error)
    if named is None or named[1] not in sources:
        return Item(RUN_FAILED, "The data load", error=shown)
    name = named[1]
    return Item(SOURCE_FAILED, name, source=name, kpis=read_by.get(_table(sources[name]), ()),
                error=shown)


def late(sources_file: Path, sources: Mapping[str, AnySource],
         cursor: duckdb.DuckDBPyConnection | None, read_by: Mapping[str, tuple[str, ...]],
         now: datetime, checked_before: datetime | None) -> list[Item]:
    """Scheduled sources late now (judged as the pipeline page judges them, etl/health.py)
    that were not yet late at the check before (the run before this one, finished at
    checked_before): a late source is told once, when it becomes late."""
    if not sources:
        return []
    items = []
    for found in freshness(sources_file, source_loads(cursor) if cursor else {}, now):
        if not found.late or found.source not in sources:
            continue
        late_since = found.due + grace(sources[found.source].schedule, found.due)
        if checked_before is not None and late_since <= checked_before:
            continue
        items.append(Item(SOURCE_LATE, found.source, source=found.source,
                          kpis=read_by.get(found.table, ()),
                          last_loaded=_iso(found.last_load), due_by=_iso(found.due)))
    return items


def _table(source: AnySource) -> str:
    return all_domains()[source.domain].table


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
