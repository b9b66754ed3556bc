"""Read the precomputed KPI tables of a snapshot: what the pages show.

Every function takes a cursor on one snapshot (see `WarehouseReader.cursor`) and returns plain
values, so callers can cache them by snapshot id. A snapshot published before KPIs existed has
no `kpi` schema: it reads as an empty catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb

from warehouse.connect import has_table

SPARK_PERIODS = 12  # periods a tile's sparkline shows


@dataclass(frozen=True)
class Definition:
    id: str
    title: str
    description: str
    method: str
    domain: str
    unit: str
    decimals: int
    direction: str
    target: float
    amber: float
    period: str
    audience: str
    owner: str
    breakdowns: tuple[str, ...]
    query: str
    catalogue_version: str


@dataclass(frozen=True)
class Point:
    """One KPI value: a period, and for a breakdown the group it is for."""

    period_start: date
    period_label: str
    value: float
    status: str  # green, amber or red
    previous_value: float | None
    previous_label: str | None
    year_ago_value: float | None
    breakdown_value: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class Tile:
    definition: Definition
    latest: Point | None  # None: no value yet
    spark: tuple[float, ...]  # the latest periods' values, oldest first


@dataclass(frozen=True)
class Lineage:
    catalogue_version: str
    snapshot_id: str
    query: str
    tables: tuple[str, ...]
    run_ids: tuple[str, ...]
    computed_at: str
    rows: int
    note: str


@dataclass(frozen=True)
class CityScore:
    score: float | None  # None: no public KPI has a value
    counted: int  # KPIs averaged
    on_target: int


def has_kpis(cursor: duckdb.DuckDBPyConnection) -> bool:
    return has_table(cursor, "series", schema="kpi")


_DEFINITION = ("kpi_id, title, description, method, domain, unit, decimals, direction, target, "
               "amber, period, audience, owner, breakdowns, query, catalogue_version")
_POINT = ("period_start, period_label, value, status, previous_value, previous_label, "
          "year_ago_value, breakdown_value, score")


def definitions(cursor: duckdb.DuckDBPyConnection, audience: str | None = "public"
                ) -> list[Definition]:
    """The catalogue as this snapshot computed it, in catalogue order (all when audience=None)."""
    if not has_kpis(cursor):
        return []
    rows = cursor.execute(f"SELECT {_DEFINITION} FROM kpi.definitions "
                          "WHERE ? IS NULL OR audience = ? ORDER BY position",
                          [audience, audience]).fetchall()
    return [_definition(row) for row in rows]


def definition(cursor: duckdb.DuckDBPyConnection, kpi_id: str, audience: str | None = "public"
               ) -> Definition | None:
    return next((d for d in definitions(cursor, audience) if d.id == kpi_id), None)


def tiles(cursor: duckdb.DuckDBPyConnection, audience: str | None = "public",
          domain: str | None = None, department: str | None = None) -> list[Tile]:
    """Each KPI's latest city-wide value (or one department's) and sparkline, in catalogue
    order; with a department, only the KPIs broken down by department."""
    chosen = [d for d in definitions(cursor, audience)
              if (domain is None or d.domain == domain)
              and (department is None or "department" in d.breakdowns)]
    if not chosen:
        return []
    rows = cursor.execute(f"""
        SELECT kpi_id, {_POINT}, list(value) OVER (
                   PARTITION BY kpi_id ORDER BY period_start
                   ROWS BETWEEN {SPARK_PERIODS - 1} PRECEDING AND CURRENT ROW) AS spark
        FROM kpi.series
        WHERE list_contains(?, kpi_id) AND breakdown IS NOT DISTINCT FROM ?
          AND breakdown_value IS NOT DISTINCT FROM ?
        QUALIFY is_latest
    """, [[d.id for d in chosen], department and "department", department]).fetchall()
    latest = {row[0]: (_point(row[1:-1]), tuple(row[-1])) for row in rows}
    return [Tile(d, *latest.get(d.id, (None, ()))) for d in chosen]


def series(cursor: duckdb.DuckDBPyConnection, kpi_id: str, breakdown: str | None = None,
           member: str | None = None) -> list[Point]:
    """A KPI's values over time: city-wide, every group of a breakdown, or one group."""
    if not has_kpis(cursor):
        return []
    rows = cursor.execute(f"""
        SELECT {_POINT} FROM kpi.series
        WHERE kpi_id = ? AND breakdown IS NOT DISTINCT FROM ?
          AND (? IS NULL OR breakdown_value = ?)
        ORDER BY breakdown_value NULLS FIRST, period_start
    """, [kpi_id, breakdown, member, member]).fetchall()
    return [_point(row) for row in rows]


def latest_by(cursor: duckdb.DuckDBPyConnection, kpi_id: str, breakdown: str) -> list[Point]:
    """Each group's latest value for one breakdown, best first."""
    if not has_kpis(cursor):
        return []
    rows = cursor.execute(f"""
        SELECT {_POINT} FROM kpi.series s JOIN kpi.definitions d USING (kpi_id)
        WHERE s.kpi_id = ? AND s.breakdown = ? AND s.is_latest
          AND s.period_start = (SELECT max(period_start) FROM kpi.series
                                WHERE kpi_id = ? AND breakdown = ?)
        ORDER BY CASE WHEN d.direction = 'higher' THEN -value ELSE value END,
                 breakdown_value
    """, [kpi_id, breakdown, kpi_id, breakdown]).fetchall()
    return [_point(row) for row in rows]


def judged(points: Iterable[Point]) -> bool:
    """Whether the values are held to the KPI's target: a group's share of a count or a dollar
    total is not (compute leaves its status empty)."""
    return any(p.status for p in points)


def lineage(cursor: duckdb.DuckDBPyConnection, kpi_id: str) -> Lineage | None:
    if not has_kpis(cursor):
        return None
    row = cursor.execute("""
        SELECT catalogue_version, snapshot_id, query, tables, run_ids,
               strftime(computed_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M UTC'), rows, note
        FROM kpi.lineage WHERE kpi_id = ?
    """, [kpi_id]).fetchone()
    if row is None:
        return None
    version, snapshot_id, query, tables, runs, computed, rows, note = row
    return Lineage(version, snapshot_id, query, tuple(tables), tuple(runs), computed, rows, note)


def city_score(cursor: duckdb.DuckDBPyConnection) -> CityScore:
    """Public KPIs' latest city-wide values against their targets, averaged (1 = on target)."""
    if not has_kpis(cursor):
        return CityScore(None, 0, 0)
    score, counted, on_target = cursor.execute("""
        SELECT avg(s.score), count(s.score), count(*) FILTER (WHERE s.status = 'green')
        FROM kpi.series s JOIN kpi.definitions d USING (kpi_id)
        WHERE d.audience = 'public' AND s.breakdown IS NULL AND s.is_latest
          AND s.score IS NOT NULL
    """).fetchone()
    return CityScore(score, counted, on_target)


def _definition(row: tuple) -> Definition:
    *head, breakdowns, query, version = row
    return Definition(*head, tuple(breakdowns or ()), query, version)


def _point(row: tuple) -> Point:
    return Point(*row)


def departments(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    """The departments that KPIs are broken down by, in this snapshot, by name."""
    if not has_kpis(cursor):
        return []
    return [name for (name,) in cursor.execute(
        "SELECT DISTINCT breakdown_value FROM kpi.series WHERE breakdown = 'department' "
        "AND breakdown_value IS NOT NULL ORDER BY 1").fetchall()]
