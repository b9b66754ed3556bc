"""The feedback inbox of the internal pages: residents' feedback read back with its replies and
notes, filtered and paged, and the staff's changes to it (a reply, a note, a new status).

A reply marks the feedback answered; the first one also sets `answered_at`, which the ETL's
`site_feedback` source carries into the warehouse for the `feedback_response_time` KPI. A
later reply, closing or reopening (back to new) keeps that first answer's time, so the KPI
measures how long a resident waited for the city's first answer.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from appdb.db import sessions, utc
from appdb.feedback import ANSWERED, CLOSED, MAX_COMMENT, NEW, clean_text
from appdb.models import Feedback, FeedbackNote

STATUSES = (NEW, ANSWERED, CLOSED)
REPLY, NOTE = "reply", "note"
PER_PAGE = 25
MAX_TEXT = MAX_COMMENT  # a reply or note: as long as the comment it answers may be


class InboxRefused(ValueError):
    """A change that is not made; the message says why, in words for the page."""


@dataclass(frozen=True)
class Filters:
    """What the inbox shows: None is every value."""

    status: str | None = None
    page: str | None = None
    kpi_id: str | None = None
    dataset_id: str | None = None


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    kind: str  # reply or note
    text: str


@dataclass(frozen=True)
class Item:
    id: int
    submitted_at: datetime
    page: str
    kpi_id: str | None
    dataset_id: str | None
    useful: bool | None
    comment: str | None
    status: str
    answered_at: datetime | None
    notes: tuple[Note, ...]

    @property
    def response_time(self) -> timedelta | None:
        """From submitted to (first) answered; None while it is not answered."""
        return None if self.answered_at is None else self.answered_at - self.submitted_at


@dataclass(frozen=True)
class Listing:
    items: list[Item]
    total: int  # items matching the filters, on every page
    page: int  # 1-based, within 1..pages
    pages: int


@dataclass(frozen=True)
class Choices:
    """The values present, for the filters' select boxes."""

    pages: list[str]
    kpi_ids: list[str]
    dataset_ids: list[str]


def choices(database_url: str) -> Choices:
    with sessions(database_url)() as session:
        def present(column) -> list[str]:
            found = session.scalars(select(column).where(column.is_not(None)).distinct()
                                    .order_by(column))
            return list(found)
        return Choices(present(Feedback.page), present(Feedback.kpi_id),
                       present(Feedback.dataset_id))


def counts(database_url: str, filters: Filters) -> dict[str, int]:
    """Feedback by status, for the filters other than status (every status, zero included)."""
    query = _filtered(select(Feedback.status, func.count()), Filters(
        page=filters.page, kpi_id=filters.kpi_id, dataset_id=filters.dataset_id))
    with sessions(database_url)() as session:
        found = {status: n for status, n in session.execute(query.group_by(Feedback.status))}
    return {status: found.get(status, 0) for status in STATUSES}


def listing(database_url: str, filters: Filters, page: int = 1,
            per_page: int = PER_PAGE) -> Listing:
    """One page of the filtered feedback, newest first (a page past the end: the last)."""
    with sessions(database_url)() as session:
        total = session.scalar(_filtered(select(func.count()).select_from(Feedback), filters))
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = session.scalars(_filtered(select(Feedback), filters)
                               .order_by(Feedback.submitted_at.desc(), Feedback.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
        return Listing(_items(session, rows), total, page, pages)


def item(database_url: str, feedback_id: int) -> Item | None:
    with sessions(database_url)() as session:
        row = session.get(Feedback, feedback_id)
        return None if row is None else _items(session, [row])[0]


def median_response(database_url: str, filters: Filters) -> tuple[timedelta | None, int]:
    """The median time from submitted to answered over the filtered feedback that has been
    answered, and how many that is."""
    query = _filtered(select(Feedback.submitted_at, Feedback.answered_at)
                      .where(Feedback.answered_at.is_not(None)), filters)
    with sessions(database_url)() as session:
        # Counted here rather than in SQL: SQLite has no median, and these rows are few.
        waits = [(utc(answered) - utc(sent)).total_seconds()
                 for sent, answered in session.execute(query)]
    return (timedelta(seconds=statistics.median(waits)) if waits else None), len(waits)


def add_note(database_url: str, feedback_id: int, author: str, kind: str,
             text: str | None) -> Item:
    """Add a reply or an internal note; a reply marks the feedback answered (and the first one
    sets answered_at). InboxRefused when the text is empty or too long, or there is no such
    feedback."""
    if kind not in (REPLY, NOTE):
        raise InboxRefused(f"unknown kind {kind!r}")
    cleaned = clean_text(text)
    word = "reply" if kind == REPLY else "note"
    if cleaned is None:
        raise InboxRefused(f"The {word} is empty: write it in the box first.")
    if len(cleaned) > MAX_TEXT:
        raise InboxRefused(f"The {word} has {len(cleaned):,} characters; the most is "
                           f"{MAX_TEXT:,}. Shorten it and send it again.")
    now = datetime.now(UTC)
    with sessions(database_url).begin() as session:
        row = _row(session, feedback_id)
        session.add(FeedbackNote(feedback_id=row.id, at=now, author=author, kind=kind,
                                 text=cleaned))
        if kind == REPLY:
            row.status = ANSWERED
            row.answered_at = row.answered_at or now
    return item(database_url, feedback_id)


def set_status(database_url: str, feedback_id: int, status: str) -> tuple[str, Item]:
    """Change the status; the one it had before, and the feedback now. Marking it answered by
    hand (an answer given another way) sets answered_at if no reply had."""
    if status not in STATUSES:
        raise InboxRefused(f"Choose a status: {', '.join(STATUSES)}.")
    with sessions(database_url).begin() as session:
        row = _row(session, feedback_id)
        before = row.status
        row.status = status
        if status == ANSWERED and row.answered_at is None:
            row.answered_at = datetime.now(UTC)
    return before, item(database_url, feedback_id)


def _filtered(query: Select, filters: Filters) -> Select:
    for column, value in ((Feedback.status, filters.status), (Feedback.page, filters.page),
                          (Feedback.kpi_id, filters.kpi_id),
                          (Feedback.dataset_id, filters.dataset_id)):
        if value is not None:
            query = query.where(column == value)
    return query


def _row(session: Session, feedback_id: int) -> Feedback:
    row = session.get(Feedback, feedback_id)
    if row is None:
        raise InboxRefused(f"There is no feedback #{feedback_id}.")
    return row


def _items(session: Session, rows: list[Feedback]) -> list[Item]:
    notes: dict[int, list[Note]] = {}
    if rows:
        found = session.scalars(select(FeedbackNote)
                                .where(FeedbackNote.feedback_id.in_([r.id for r in rows]))
                                .order_by(FeedbackNote.at, FeedbackNote.id))
        for note in found:
            notes.setdefault(note.feedback_id, []).append(
                Note(utc(note.at), note.author, note.kind, note.text))
    return [Item(r.id, utc(r.submitted_at), r.page, r.kpi_id, r.dataset_id, r.useful,
                 r.comment, r.status, utc(r.answered_at) if r.answered_at else None,
                 tuple(notes.get(r.id, ()))) for r in rows]
