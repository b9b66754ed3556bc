"""Tables of the application database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
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


class TargetChange(Base):
    """A KPI's target and amber threshold set from a period on; kept forever, never edited, so
    the target in force at any period (and who set it, when, and what it was) can be told."""

    __tablename__ = "kpi_target_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kpi_id: Mapped[str] = mapped_column(String(64), index=True)
    effective_from: Mapped[date] = mapped_column(Date)  # first day of the first period it rules
    target: Mapped[float] = mapped_column(Float)
    amber: Mapped[float] = mapped_column(Float)
    previous_target: Mapped[float] = mapped_column(Float)  # in force for that period before
    previous_amber: Mapped[float] = mapped_column(Float)
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class Subscription(Base):
    """A user's wish to hear when a KPI, or any KPI or source of a department, goes wrong."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # kpi or department
    key: Mapped[str] = mapped_column(String(128))  # the KPI's id or the department's name
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertChannel(Base):
    """Where a user's alerts go: an e-mail address, a webhook address, or both."""

    __tablename__ = "alert_channels"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))


class AlertDelivery(Base):
    """One digest sent (or tried) to one user by one channel after one ETL run."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))  # email or webhook
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class FeedbackNote(Base):
    """A reply to a piece of citizen feedback, or a staff note on it."""

    __tablename__ = "feedback_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # reply or note
    text: Mapped[str] = mapped_column(Text)


class Initiative(Base):
    """A change a department makes to how it works, meant to move some KPIs; a copy adopted
    from another department's keeps the original's id in adopted_from."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    change: Mapped[str] = mapped_column(Text)  # the process change, in plain words
    department: Mapped[str] = mapped_column(String(120), index=True)
    owner: Mapped[str] = mapped_column(String(120))
    owner_public: Mapped[bool] = mapped_column(Boolean, default=False)  # the owner agreed
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    cost_once: Mapped[float | None] = mapped_column(Float)  # US dollars
    cost_yearly: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), index=True)  # planned, running, done, stopped
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    adopted_from: Mapped[int | None] = mapped_column(ForeignKey("initiatives.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InitiativeKpi(Base):
    """A KPI an initiative means to move, and which way."""

    __tablename__ = "initiative_kpis"

    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"), primary_key=True)
    kpi_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # up or down


class InitiativeAttachment(Base):
    """A document or process-map image attached to an initiative (type and size checked)."""

    __tablename__ = "initiative_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PracticeComment(Base):
    """A manager's comment on a practice in the library; only its author edits it."""

    __tablename__ = "practice_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
