"""Target changes made on the internal pages: stored, never edited, read back as rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from appdb.db import sessions, utc
from appdb.models import TargetChange
from kpis.targets import Rules, TargetRule


@dataclass(frozen=True)
class Change:
    kpi_id: str
    effective_from: date
    target: float
    amber: float
    previous_target: float
    previous_amber: float
    changed_by: str
    changed_at: datetime
    note: str | None


def add_change(database_url: str, change: Change) -> None:
    with sessions(database_url).begin() as session:
        session.add(TargetChange(**change.__dict__))


def changes(database_url: str, kpi_id: str | None = None) -> list[Change]:
    """Every change (of one KPI, or of all), oldest first."""
    query = select(TargetChange).order_by(TargetChange.id)
    if kpi_id is not None:
        query = query.where(TargetChange.kpi_id == kpi_id)
    with sessions(database_url)() as session:
        return [Change(c.kpi_id, c.effective_from, c.target, c.amber, c.previous_target,
                       c.previous_amber, c.changed_by, utc(c.changed_at), c.note)
                for c in session.scalars(query)]


def rules(database_url: str) -> Rules:
    """The changes as rules by KPI id, in the order they were set."""
    found: dict[str, list[TargetRule]] = {}
    for change in changes(database_url):
        found.setdefault(change.kpi_id, []).append(
            TargetRule(change.effective_from, change.target, change.amber))
    return found
