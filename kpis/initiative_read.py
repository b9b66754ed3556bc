"""Read the initiatives and their evidence from a snapshot: what the KPI pages show.

Every function takes a cursor on one snapshot and returns plain values (cacheable by snapshot
id). A snapshot published before initiatives existed reads as having none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb

from kpis.initiative_evidence import TABLE
from warehouse.connect import has_table


@dataclass(frozen=True)
class Finding:
    """One initiative's evidence on one KPI, as measured at the snapshot's publish."""

    initiative_id: int
    kpi_id: str
    direction: str  # the way the initiative means to move it: up or down
    measured_on: str  # the department whose series was compared, or "city-wide"
    verdict: str  # improved, worsened, no clear change, too little data
    effect: float | None
    standard_error: float | None
    seasonal: bool
    words: str


@dataclass(frozen=True)
class PublicInitiative:
    """An initiative the city made public, with its findings on one KPI's page."""

    id: int
    title: str
    change: str
    department: str
    owner: str | None  # None unless the owner agreed to be named
    status: str
    start_date: date
    end_date: date | None
    cost_once: float | None
    cost_yearly: float | None
    finding: Finding


def has_evidence(cursor: duckdb.DuckDBPyConnection) -> bool:
    return has_table(cursor, TABLE) and has_table(cursor, "initiatives")


def findings(cursor: duckdb.DuckDBPyConnection, initiative_ids: Iterable[int]
             ) -> dict[int, list[Finding]]:
    """The findings of some initiatives, by initiative id (by KPI id within one)."""
    ids = list(initiative_ids)
    if not ids or not has_table(cursor, TABLE):
        return {}
    found: dict[int, list[Finding]] = {}
    for row in cursor.execute(f"""
            SELECT initiative_id, kpi_id, direction, measured_on, verdict, effect,
                   standard_error, seasonal, words
            FROM {TABLE} WHERE list_contains(?, initiative_id) ORDER BY initiative_id, kpi_id
            """, [ids]).fetchall():
        found.setdefault(row[0], []).append(Finding(*row))
    return found


def public_initiatives(cursor: duckdb.DuckDBPyConnection, kpi_id: str
                       ) -> list[PublicInitiative]:
    """The public initiatives meant to move a public KPI, with their finding on it, oldest
    start first."""
    if not has_evidence(cursor):
        return []
    rows = cursor.execute(f"""
        SELECT i.initiative_id, i.title, i.change, i.department,
               CASE WHEN i.owner_public THEN i.owner END, i.status, i.start_date, i.end_date,
               i.cost_once, i.cost_yearly,
               e.initiative_id, e.kpi_id, e.direction, e.measured_on, e.verdict, e.effect,
               e.standard_error, e.seasonal, e.words
        FROM initiatives i JOIN {TABLE} e ON e.initiative_id = i.initiative_id
        JOIN kpi.definitions d ON d.kpi_id = e.kpi_id
        WHERE i.public AND d.audience = 'public' AND e.kpi_id = ?
        ORDER BY i.start_date, i.initiative_id
    """, [kpi_id]).fetchall()
    return [PublicInitiative(*row[:10], Finding(*row[10:])) for row in rows]
