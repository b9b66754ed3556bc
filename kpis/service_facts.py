"""The services page's figures: request and permit volumes (one aggregate each over the raw
table, small results) and KPI panels read from the precomputed `kpi` tables.

Every function takes a cursor on one snapshot and returns plain values, so the page can cache
them by snapshot id (`dashboards.cache.snapshot_cached`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from kpis import read
from kpis.read import Definition, Point
from warehouse.connect import has_table

# The service_requests columns a page may break volumes down by (never user text in SQL).
REQUEST_BREAKDOWNS = ("department", "district", "channel", "request_type")
PERMIT_BREAKDOWNS = ("district", "channel")  # the columns permits share with that list


@dataclass(frozen=True)
class MonthlyCount:
    """Requests made in a month by one group of a breakdown, and through one channel."""

    month: date
    group: str | None  # None: the breakdown's column is empty on these requests
    channel: str | None
    requests: int


@dataclass(frozen=True)
class RequestVolumes:
    data_end: datetime | None  # when the newest request was made; None: no requests
    rows: tuple[MonthlyCount, ...]  # by month, group, channel


@dataclass(frozen=True)
class MonthlyPermits:
    month: date
    group: str | None  # the breakdown's value; None city-wide or when it is empty
    applied: int
    issued: int


@dataclass(frozen=True)
class KpiPanel:
    """One KPI as a page shows it: its trend and each group's values for one breakdown."""

    definition: Definition | None  # None: not in this snapshot's public catalogue
    declared: bool  # the KPI is published by the breakdown asked for
    trend: tuple[Point, ...]  # the group's values over time when asked and declared, else city's
    member: str | None  # the group the trend is for; None: city-wide
    groups: tuple[Point, ...]  # every group's values over time; () when not declared


def request_volumes(cursor: duckdb.DuckDBPyConnection, by: str) -> RequestVolumes:
    """Requests made per month by each group of `by` and each channel, in one aggregate."""
    column = _column(by, REQUEST_BREAKDOWNS)
    if not has_table(cursor, "service_requests"):
        return RequestVolumes(None, ())
    rows = cursor.execute(f"""
        SELECT CAST(date_trunc('month', opened_at) AS DATE) AS month,
               CAST({column} AS VARCHAR) AS grp, channel, count(*) AS requests,
               max(max(opened_at)) OVER () AS data_end
        FROM service_requests
        GROUP BY ALL
        ORDER BY month, grp NULLS LAST, channel NULLS LAST
    """).fetchall()
    data_end = rows[0][4] if rows else None
    return RequestVolumes(data_end, tuple(MonthlyCount(month, grp, channel, int(requests))
                                          for month, grp, channel, requests, _ in rows))


def permit_volumes(cursor: duckdb.DuckDBPyConnection, by: str | None = None
                   ) -> list[MonthlyPermits]:
    """Permits applied for and issued per month (per group of `by`), in one aggregate."""
    column = "CAST(NULL AS VARCHAR)" if by is None else _column(by, PERMIT_BREAKDOWNS)
    if not has_table(cursor, "permits"):
        return []
    rows = cursor.execute(f"""
        SELECT month, grp, count(*) FILTER (WHERE kind = 'applied'),
               count(*) FILTER (WHERE kind = 'issued')
        FROM (
            SELECT kind, CAST(date_trunc('month', day) AS DATE) AS month,
                   CAST({column} AS VARCHAR) AS grp
            FROM permits
            UNPIVOT (day FOR kind IN (applied_on AS 'applied', issued_on AS 'issued')))
        GROUP BY ALL
        ORDER BY month, grp NULLS LAST
    """).fetchall()
    return [MonthlyPermits(month, grp, int(applied), int(issued))
            for month, grp, applied, issued in rows]


def kpi_panel(cursor: duckdb.DuckDBPyConnection, kpi_id: str, by: str | None = None,
              member: str | None = None) -> KpiPanel:
    """A public KPI's trend (one group's where `by` is declared and `member` named, else the
    city's) and, where the KPI declares `by`, every group's values."""
    definition = read.definition(cursor, kpi_id)
    if definition is None:
        return KpiPanel(None, False, (), None, ())
    declared = by is not None and by in definition.breakdowns
    groups = tuple(read.series(cursor, kpi_id, by)) if declared else ()
    if declared and member is not None:
        trend = tuple(p for p in groups if p.breakdown_value == member)
    else:
        trend, member = tuple(read.series(cursor, kpi_id)), None
    return KpiPanel(definition, declared, trend, member, groups)


def _column(by: str, allowed: tuple[str, ...]) -> str:
    if by not in allowed:
        raise ValueError(f"cannot break down by {by!r}; one of {', '.join(allowed)}")
    return by
