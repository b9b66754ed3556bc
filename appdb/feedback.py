"""Citizen feedback on a page: check one submission and store it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from appdb.db import sessions
from appdb.models import Feedback

MAX_COMMENT = 2_000
MAX_PAGE = 512
MAX_ID = 128
NEW, ANSWERED, CLOSED = "new", "answered", "closed"

# Refusal reasons, also the `feedback=` word the page shows a message for.
EMPTY, TOO_LONG, INVALID = "empty", "too-long", "invalid"

_ID = re.compile(r"[A-Za-z0-9_.:-]+")
_PAGE = re.compile(r"/[A-Za-z0-9_.~!$&'()*+,;=:@%/-]*")  # a URL path, no query or fragment
# Control characters other than tab and newline: no use in a comment, and PostgreSQL
# refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FeedbackRefused(ValueError):
    """A submission that is not stored; `reason` is EMPTY, TOO_LONG or INVALID."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Submission:
    page: str
    kpi_id: str | None
    dataset_id: str | None
    snapshot_id: str | None
    useful: bool | None
    comment: str | None


def check_submission(
    page: str | None,
    *,
    kpi_id: str | None = None,
    dataset_id: str | None = None,
    snapshot_id: str | None = None,
    useful: str | None = None,
    comment: str | None = None,
) -> Submission:
    """The submission as it will be stored, from the form's text values, or FeedbackRefused."""
    page = (page or "").strip()
    if len(page) > MAX_PAGE or not _PAGE.fullmatch(page) or page.startswith("//"):
        raise FeedbackRefused(INVALID, "page must be a path starting with /")
    choice = (useful or "").strip().lower()
    if choice not in {"yes", "no", ""}:
        raise FeedbackRefused(INVALID, "useful must be yes or no")
    answer = {"yes": True, "no": False}.get(choice)
    text = clean_text(comment)
    if text is not None and len(text) > MAX_COMMENT:
        raise FeedbackRefused(TOO_LONG, f"the comment is longer than {MAX_COMMENT:,} characters")
    if answer is None and text is None:
        raise FeedbackRefused(EMPTY, "neither an answer nor a comment")
    return Submission(
        page=page,
        kpi_id=_identifier("kpi_id", kpi_id),
        dataset_id=_identifier("dataset_id", dataset_id),
        snapshot_id=_identifier("snapshot_id", snapshot_id),
        useful=answer,
        comment=text,
    )


def store_feedback(database_url: str, submission: Submission) -> int:
    """Store one checked submission as a new row; its id."""
    row = Feedback(
        submitted_at=datetime.now(UTC), page=submission.page, kpi_id=submission.kpi_id,
        dataset_id=submission.dataset_id, snapshot_id=submission.snapshot_id,
        useful=submission.useful, comment=submission.comment, status=NEW,
    )
    with sessions(database_url).begin() as session:
        session.add(row)
        session.flush()
        return row.id


def clean_text(comment: str | None) -> str | None:
    """Text as the visitor saw it: newlines as one character, no control characters, trimmed
    (None when nothing is left)."""
    # Browsers send a textarea's newlines as CRLF, while its maxlength counts them as one
    # character: count them the way the visitor saw them.
    text = (comment or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).strip()
    return text or None


def _identifier(name: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_ID or not _ID.fullmatch(value):
        raise FeedbackRefused(INVALID, f"{name} is not an identifier")
    return value
