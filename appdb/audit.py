"""The audit log: log-ins, failed log-ins, users added (and, with the internal pages, runs
started by hand, rollbacks and target changes). Appended to, never changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from appdb.db import sessions
from appdb.models import AuditEvent


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
