"""The ETL run log: start, finish and list runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from appdb.db import sessions
from appdb.models import EtlRun

RUNNING, PUBLISHED, DRY_RUN, FAILED, ABANDONED = (
    "running", "published", "dry-run", "failed", "abandoned")


class RunLog:
    def __init__(self, database_url: str) -> None:
        self._sessions = sessions(database_url)

    def start(self, run_id: str, trigger: str) -> None:
        with self._sessions.begin() as session:
            session.add(EtlRun(run_id=run_id, trigger=trigger, status=RUNNING,
                               started_at=datetime.now(UTC), sources=[]))

    def finish(
        self,
        run_id: str,
        status: str,
        *,
        snapshot_id: str | None = None,
        error: str | None = None,
        sources: list[dict[str, Any]] | None = None,
    ) -> None:
        with self._sessions.begin() as session:
            run = session.get(EtlRun, run_id)
            run.status, run.snapshot_id, run.error = status, snapshot_id, error
            run.finished_at = datetime.now(UTC)
            run.sources = sources or []

    def mark_abandoned(self) -> int:
        """Runs still 'running' when a new run holds the lock were killed: say so."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(EtlRun).where(EtlRun.status == RUNNING)
                .values(status=ABANDONED, error="the run stopped before it finished (killed?)")
            )
            return result.rowcount

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(EtlRun).order_by(EtlRun.started_at.desc(), EtlRun.run_id.desc())
                .limit(limit)
            )
            return [run.as_dict() for run in rows]
