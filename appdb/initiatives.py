"""Improvement initiatives: what a department changed, meant to move which KPIs; copies adopted
by other departments; attachments; comments on done ones (the practice library). Every change
is audited. Who may change what is decided by dashboards/access.py, not here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from appdb import models
from appdb.audit import record
from appdb.db import sessions, utc
from appdb.feedback import clean_text

PLANNED, RUNNING, DONE, STOPPED = STATUSES = ("planned", "running", "done", "stopped")
UP, DOWN = DIRECTIONS = ("up", "down")
MAX_TITLE, MAX_CHANGE, MAX_COMMENT, MAX_LINKS = 200, 5000, 2000, 10
MAX_ATTACHMENT_BYTES = 1024 * 1024
# What an attachment may be, told by its first bytes (never by its name alone): a document or
# a process-map image. Office files are zip files holding this marker.
_KINDS = (
    ("application/pdf", (".pdf",), b"%PDF-"),
    ("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",),
     b"PK\x03\x04"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",),
     b"PK\x03\x04"),
)
ATTACHMENT_TYPES = ", ".join(ext for _, exts, _ in _KINDS for ext in exts)
_LINK = re.compile(r"https?://[^\s<>\"']+")


class InitiativeError(ValueError):
    """Refused input; `field` names what was wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Draft:
    """What a person enters for an initiative (validated by `checked`)."""

    title: str
    change: str
    department: str
    owner: str
    start_date: date
    status: str = PLANNED
    kpis: tuple[tuple[str, str], ...] = ()  # (KPI id, "up" or "down")
    end_date: date | None = None
    cost_once: float | None = None
    cost_yearly: float | None = None
    public: bool = False
    owner_public: bool = False
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    id: int
    filename: str
    media_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    text: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True)
class Initiative(Draft):
    id: int = 0
    adopted_from: int | None = None
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    attachments: tuple[Attachment, ...] = field(default=())


def checked(draft: Draft, known_kpis: Iterable[str]) -> Draft:
    """The draft with its text tidied, or InitiativeError naming the first field that is wrong."""
    known = set(known_kpis)
    title = clean_text(draft.title) or ""
    if not 3 <= len(title) <= MAX_TITLE:
        raise InitiativeError("title", f"give a title of 3 to {MAX_TITLE} characters")
    change = clean_text(draft.change) or ""
    if not change or len(change) > MAX_CHANGE:
        raise InitiativeError("change", f"say what changes, in at most {MAX_CHANGE:,} characters")
    for name in ("department", "owner"):
        if not (clean_text(getattr(draft, name)) or ""):
            raise InitiativeError(name, f"name the {name}")
    if draft.status not in STATUSES:
        raise InitiativeError("status", f"{draft.status!r} is not one of {', '.join(STATUSES)}")
    if not isinstance(draft.start_date, date):
        raise InitiativeError("start_date", "give the date the change started (or will start)")
    if draft.status in (DONE, STOPPED) and draft.end_date is None:
        raise InitiativeError("end_date", f"say when it ended (it is {draft.status})")
    if draft.end_date is not None and draft.end_date < draft.start_date:
        raise InitiativeError("end_date", f"{draft.end_date} is before the start, "
                                          f"{draft.start_date}")
    for name in ("cost_once", "cost_yearly"):
        value = getattr(draft, name)
        if value is not None and not 0 <= value < 1e12:
            raise InitiativeError(name, f"{value!r} is not a cost in dollars (0 or more)")
    if not draft.kpis:
        raise InitiativeError("kpis", "choose at least one KPI the change means to move")
    for kpi_id, direction in draft.kpis:
        if kpi_id not in known:
            raise InitiativeError("kpis", f"{kpi_id!r} is not a KPI of the catalogue")
        if direction not in DIRECTIONS:
            raise InitiativeError("kpis", f"{direction!r} for {kpi_id}: say up or down")
    if len({k for k, _ in draft.kpis}) != len(draft.kpis):
        raise InitiativeError("kpis", "a KPI is named twice")
    links = tuple(link.strip() for link in draft.links if link.strip())
    if len(links) > MAX_LINKS:
        raise InitiativeError("links", f"at most {MAX_LINKS} links")
    for link in links:
        if not _LINK.fullmatch(link) or len(link) > 2000:
            raise InitiativeError("links", f"{link!r} is not a web address (http:// or https://)")
    return replace(draft, title=title, change=change, department=draft.department.strip(),
                   owner=draft.owner.strip(), links=links, kpis=tuple(sorted(draft.kpis)))


def create(database_url: str, draft: Draft, actor: str, address: str | None = None,
           adopted_from: int | None = None, at: datetime | None = None) -> int:
    """Store a checked draft as a new initiative (entered now, or `at` for an import); its id."""
    now = at or datetime.now(UTC)
    with sessions(database_url).begin() as session:
        row = models.Initiative(**_columns(draft), adopted_from=adopted_from, created_by=actor,
                                created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        _set_kpis(session, row.id, draft.kpis)
        new_id = row.id
    record(database_url, "initiative_adopted" if adopted_from else "initiative_created", actor,
           address, initiative=new_id, title=draft.title, department=draft.department,
           **({"adopted_from": adopted_from} if adopted_from else {}))
    return new_id


def update(database_url: str, initiative_id: int, draft: Draft, actor: str,
           address: str | None = None) -> dict[str, list]:
    """Replace an initiative's fields with a checked draft; what changed, {field: [old, new]}
    (nothing changed: nothing audited)."""
    with sessions(database_url).begin() as session:
        row = session.get(models.Initiative, initiative_id)
        if row is None:
            raise InitiativeError("initiative", f"no initiative {initiative_id}")
        old = _draft(row, _kpis(session, initiative_id))
        changed = {k: [_plain(v), _plain(getattr(draft, k))] for k, v in asdict(old).items()
                   if getattr(draft, k) != v}
        if changed:
            for name, value in _columns(draft).items():
                setattr(row, name, value)
            row.updated_at = datetime.now(UTC)
            _set_kpis(session, initiative_id, draft.kpis)
    if changed:
        record(database_url, "initiative_changed", actor, address, initiative=initiative_id,
               changes=changed)
    return changed


def get(database_url: str, initiative_id: int) -> Initiative | None:
    found = listing(database_url, ids=[initiative_id])
    return found[0] if found else None


def listing(database_url: str, department: str | None = None, status: str | None = None,
            ids: Iterable[int] | None = None) -> list[Initiative]:
    """Initiatives, newest start first: all, or of one department, one status, some ids."""
    query = select(models.Initiative).order_by(models.Initiative.start_date.desc(),
                                               models.Initiative.id.desc())
    if department is not None:
        query = query.where(models.Initiative.department == department)
    if status is not None:
        query = query.where(models.Initiative.status == status)
    if ids is not None:
        query = query.where(models.Initiative.id.in_(list(ids)))
    with sessions(database_url)() as session:
        rows = list(session.scalars(query))
        chosen = [r.id for r in rows]
        aims: dict[int, list[tuple[str, str]]] = {}
        for aim in session.scalars(select(models.InitiativeKpi)
                                   .where(models.InitiativeKpi.initiative_id.in_(chosen))
                                   .order_by(models.InitiativeKpi.kpi_id)):
            aims.setdefault(aim.initiative_id, []).append((aim.kpi_id, aim.direction))
        files: dict[int, list[Attachment]] = {}
        for a in session.execute(select(
                models.InitiativeAttachment.initiative_id, models.InitiativeAttachment.id,
                models.InitiativeAttachment.filename, models.InitiativeAttachment.media_type,
                models.InitiativeAttachment.size, models.InitiativeAttachment.uploaded_by,
                models.InitiativeAttachment.uploaded_at)
                .where(models.InitiativeAttachment.initiative_id.in_(chosen))
                .order_by(models.InitiativeAttachment.id)):
            files.setdefault(a[0], []).append(Attachment(*a[1:6], utc(a[6])))
        return [Initiative(**asdict(_draft(r, aims.get(r.id, []))), id=r.id,
                           adopted_from=r.adopted_from, created_by=r.created_by,
                           created_at=utc(r.created_at), updated_at=utc(r.updated_at),
                           attachments=tuple(files.get(r.id, [])))
                for r in rows]


def departments(database_url: str) -> list[str]:
    """The departments that have initiatives, by name."""
    with sessions(database_url)() as session:
        return list(session.scalars(select(models.Initiative.department).distinct()
                                    .order_by(models.Initiative.department)))


def adopt(database_url: str, initiative_id: int, department: str, actor: str,
          address: str | None = None, start_date: date | None = None) -> int:
    """Copy an initiative into another department as a planned one that keeps the link to it;
    the copy's id."""
    original = get(database_url, initiative_id)
    if original is None:
        raise InitiativeError("initiative", f"no initiative {initiative_id}")
    if department == original.department:
        raise InitiativeError("department", f"{department} runs this initiative already")
    draft = Draft(title=original.title, change=original.change, department=department,
                  owner=actor, start_date=start_date or _first_of_next_month(),
                  status=PLANNED, kpis=original.kpis, cost_once=original.cost_once,
                  cost_yearly=original.cost_yearly, links=original.links)
    return create(database_url, draft, actor, address, adopted_from=initiative_id)


def spread(database_url: str, initiative_id: int) -> list[Initiative]:
    """Where a practice spread: the first initiative of its line and every adoption from it
    (and from those), oldest link first."""
    with sessions(database_url)() as session:
        parent = {i: p for i, p in session.execute(
            select(models.Initiative.id, models.Initiative.adopted_from))}
    if initiative_id not in parent:
        return []
    root = initiative_id
    while parent.get(root) is not None:
        root = parent[root]
    line, frontier = [root], [root]
    while frontier:
        frontier = sorted(i for i, p in parent.items() if p in frontier)
        line += frontier
    found = {i.id: i for i in listing(database_url, ids=line)}
    return [found[i] for i in line]


def add_attachment(database_url: str, initiative_id: int, filename: str, content: bytes,
                   actor: str, address: str | None = None) -> int:
    """Store a file if its type and size are allowed; its id."""
    name = Path(filename or "").name.strip()
    if not name:
        raise InitiativeError("attachment", "the file has no name")
    if not content:
        raise InitiativeError("attachment", f"{name} is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InitiativeError("attachment", f"{name} is {len(content):,} bytes; at most "
                                            f"{MAX_ATTACHMENT_BYTES:,} are allowed")
    media_type = _media_type(name, content)
    with sessions(database_url).begin() as session:
        if session.get(models.Initiative, initiative_id) is None:
            raise InitiativeError("initiative", f"no initiative {initiative_id}")
        row = models.InitiativeAttachment(
            initiative_id=initiative_id, filename=name[:200], media_type=media_type,
            size=len(content), content=content, uploaded_by=actor, uploaded_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        new_id = row.id
    record(database_url, "initiative_attachment_added", actor, address,
           initiative=initiative_id, attachment=new_id, filename=name, bytes=len(content))
    return new_id


def attachment(database_url: str, attachment_id: int) -> tuple[int, Attachment, bytes] | None:
    """(initiative id, what the file is, its bytes), or None."""
    with sessions(database_url)() as session:
        a = session.get(models.InitiativeAttachment, attachment_id)
        if a is None:
            return None
        return a.initiative_id, Attachment(a.id, a.filename, a.media_type, a.size,
                                           a.uploaded_by, utc(a.uploaded_at)), a.content


def add_comment(database_url: str, initiative_id: int, author: str, text: str,
                address: str | None = None) -> int:
    body = _comment_text(text)
    with sessions(database_url).begin() as session:
        if session.get(models.Initiative, initiative_id) is None:
            raise InitiativeError("initiative", f"no initiative {initiative_id}")
        row = models.PracticeComment(initiative_id=initiative_id, author=author, text=body,
                                     created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        new_id = row.id
    record(database_url, "practice_commented", author, address, initiative=initiative_id,
           comment=new_id, text=body)
    return new_id


def edit_comment(database_url: str, comment_id: int, author: str, text: str,
                 address: str | None = None) -> None:
    """Change a comment's text; only its author may (InitiativeError otherwise)."""
    body = _comment_text(text)
    with sessions(database_url).begin() as session:
        row = session.get(models.PracticeComment, comment_id)
        if row is None:
            raise InitiativeError("comment", f"no comment {comment_id}")
        if row.author != author:
            raise InitiativeError("comment", "only its author may edit a comment")
        old, row.text, row.edited_at = row.text, body, datetime.now(UTC)
        initiative_id = row.initiative_id
    record(database_url, "practice_comment_edited", author, address, initiative=initiative_id,
           comment=comment_id, old=old, new=body)


def comments(database_url: str, initiative_id: int) -> list[Comment]:
    """An initiative's comments, oldest first."""
    with sessions(database_url)() as session:
        return [Comment(c.id, c.author, c.text, utc(c.created_at),
                        utc(c.edited_at) if c.edited_at else None)
                for c in session.scalars(select(models.PracticeComment)
                                         .where(models.PracticeComment.initiative_id
                                                == initiative_id)
                                         .order_by(models.PracticeComment.id))]


def import_file(database_url: str, path: Path, known_kpis: Iterable[str],
                actor: str = "sample") -> int:
    """Add the initiatives of a JSON file (a list; see data/sample/initiatives.json) when the
    database has none yet; how many were added. `adopted_from` names another entry's `key`;
    `created_at` (ISO, UTC), when given, is when it was entered."""
    with sessions(database_url)() as session:
        if session.scalar(select(func.count()).select_from(models.Initiative)):
            return 0
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    known = list(known_kpis)
    ids: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        try:
            draft = checked(_from_json(entry), known)
        except (InitiativeError, KeyError, TypeError, ValueError) as exc:
            raise InitiativeError("file", f"{path}, entry {number}: {exc}") from None
        entered = entry.get("created_at")
        ids[entry.get("key", str(number))] = create(
            database_url, draft, actor, adopted_from=ids.get(entry.get("adopted_from")),
            at=datetime.fromisoformat(entered).replace(tzinfo=UTC) if entered else None)
    return len(ids)


def _from_json(entry: dict[str, Any]) -> Draft:
    names = {f.name for f in fields(Draft)}
    values = {k: v for k, v in entry.items() if k in names}
    for name in ("start_date", "end_date"):
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    values["kpis"] = tuple((k["kpi_id"], k["direction"]) for k in entry["kpis"])
    values["links"] = tuple(values.get("links", ()))
    return Draft(**values)


def _comment_text(text: str) -> str:
    body = clean_text(text) or ""
    if not body or len(body) > MAX_COMMENT:
        raise InitiativeError("comment", f"write 1 to {MAX_COMMENT:,} characters")
    return body


def _media_type(name: str, content: bytes) -> str:
    extension = Path(name).suffix.lower()
    for media_type, extensions, magic in _KINDS:
        if extension in extensions:
            if not content.startswith(magic):
                raise InitiativeError("attachment", f"{name} is not a {extension} file (its "
                                                    "content does not match its name)")
            return media_type
    raise InitiativeError("attachment", f"{name}: only {ATTACHMENT_TYPES} files are allowed")


def _columns(draft: Draft) -> dict[str, Any]:
    values = {f.name: getattr(draft, f.name) for f in fields(Draft) if f.name != "kpis"}
    values["links"] = list(draft.links)
    return values


def _draft(row: models.Initiative, kpis: list[tuple[str, str]]) -> Draft:
    return Draft(**{f.name: getattr(row, f.name) for f in fields(Draft)
                    if f.name not in ("kpis", "links")},
                 kpis=tuple(kpis), links=tuple(row.links or ()))


def _kpis(session: Session, initiative_id: int) -> list[tuple[str, str]]:
    return [(a.kpi_id, a.direction) for a in session.scalars(
        select(models.InitiativeKpi).where(models.InitiativeKpi.initiative_id == initiative_id)
        .order_by(models.InitiativeKpi.kpi_id))]


def _set_kpis(session: Session, initiative_id: int, kpis: tuple[tuple[str, str], ...]) -> None:
    session.execute(delete(models.InitiativeKpi)
                    .where(models.InitiativeKpi.initiative_id == initiative_id))
    session.add_all(models.InitiativeKpi(initiative_id=initiative_id, kpi_id=k, direction=d)
                    for k, d in sorted(kpis))


def _plain(value: Any) -> Any:
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _first_of_next_month(today: date | None = None) -> date:
    today = today or datetime.now(UTC).date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)
