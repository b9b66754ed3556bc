"""Tables of the application database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.db import Base


class EtlRun(Base):
    """One ETL run, whatever its outcome, so failed runs are visible too."""

    __tablename__ = "etl_runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))  # cli, schedule, manual
    status: Mapped[str] = mapped_column(String(16), index=True)  # running, published, ...
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "trigger": self.trigger,
            "status": self.status,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_s": (
                round((self.finished_at - self.started_at).total_seconds(), 3)
                if self.finished_at else None
            ),
            "snapshot_id": self.snapshot_id,
            "error": self.error,
            "sources": self.sources,
        }


class Feedback(Base):
    """One answer to "Was this page useful?"; the comment is private and never published."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # UTC
    page: Mapped[str] = mapped_column(String(512))  # a path: /budget, /kpi/x
    kpi_id: Mapped[str | None] = mapped_column(String(128))
    dataset_id: Mapped[str | None] = mapped_column(String(128))
    snapshot_id: Mapped[str | None] = mapped_column(String(64))  # the data version shown
    useful: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)  # at most 2,000 characters
    status: Mapped[str] = mapped_column(
        String(16), default="new", server_default="new")  # new, answered, closed
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


class DownloadCount(Base):
    """Downloads of a dataset's file per day and format; who downloaded is not kept."""

    __tablename__ = "download_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # UTC
    dataset_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    format: Mapped[str] = mapped_column(String(16), primary_key=True)
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    """Someone who signs in to the internal pages. The password is kept only as a hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # viewer, manager or admin
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)  # a manager's
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Something done that must be traceable: a log-in, a failed one, a user added."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str | None] = mapped_column(String(80))  # a user's name; None: the system
    address: Mapped[str | None] = mapped_column(String(64))  # the request's, when there was one
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
