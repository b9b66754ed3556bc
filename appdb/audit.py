"""The audit log: log-ins, failed log-ins, users added (and, with the internal pages, runs
started by hand, rollbacks and target changes). Appended to, never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from appdb.db import sessions
from appdb.models import AuditEvent


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime  # UTC
    action: str
    actor: str | None
    address: str | None
    detail: dict[str, Any]


def record(database_url: str, action: str, actor: str | None = None,
           address: str | None = None, **detail: Any) -> None:
    """Add one event."""
    with sessions(database_url).begin() as session:
        session.add(AuditEvent(at=datetime.now(UTC), action=action, actor=actor,
                               address=address, detail=detail))


def events(database_url: str, limit: int = 1000) -> list[tuple[str, str, str | None, dict]]:
    """The newest events first: (action, ISO time, actor, detail)."""
    with sessions(database_url)() as session:
        rows = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
        return [(e.action, e.at.isoformat(), e.actor, e.detail) for e in rows.scalars()]


def page(database_url: str, action: str | None = None, actor: str | None = None,
         offset: int = 0, limit: int = 50) -> tuple[list[Event], int]:
    """One page of events, newest first, of one action and one actor when given; and how many
    events match in all."""
    wanted = select(AuditEvent)
    if action:
        wanted = wanted.where(AuditEvent.action == action)
    if actor:
        wanted = wanted.where(AuditEvent.actor == actor)
    with sessions(database_url)() as session:
        total = session.scalar(select(func.count()).select_from(wanted.subquery()))
        rows = session.scalars(wanted.order_by(AuditEvent.id.desc()).offset(offset).limit(limit))
        return [_event(e) for e in rows], total or 0


def actions(database_url: str) -> list[str]:
    """Every action the log holds, in alphabetical order."""
    with sessions(database_url)() as session:
        return list(session.scalars(select(AuditEvent.action).distinct()
                                    .order_by(AuditEvent.action)))


def actors(database_url: str, limit: int = 500) -> list[str]:
    """Every actor named in the log (the system's events have none), in alphabetical order."""
    with sessions(database_url)() as session:
        return list(session.scalars(select(AuditEvent.actor).where(AuditEvent.actor.is_not(None))
                                    .distinct().order_by(AuditEvent.actor).limit(limit)))


def _event(e: AuditEvent) -> Event:
    # SQLite gives back naive times; they were written in UTC.
    at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
    return Event(e.id, at, e.action, e.actor, e.address, dict(e.detail or {}))
