"""How fresh a dataset is, in words: "3 hours ago" in a <time> holding the exact moment, and
whether that is older than the dataset's expected frequency."""

from __future__ import annotations

from datetime import UTC, datetime

from dash import html

from dashboards.components.formatting import published
from opendata.browse import EXPECTED_AGE

UNITS = ((365 * 86400, "year"), (30 * 86400, "month"), (7 * 86400, "week"), (86400, "day"),
         (3600, "hour"), (60, "minute"))


def moment(iso: str) -> datetime:
    """An ISO 8601 timestamp as an aware datetime (UTC when it names no zone)."""
    found = datetime.fromisoformat(iso)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def ago(then: datetime, now: datetime) -> str:
    """'just now', '1 minute ago', '3 hours ago', '2 days ago', ... in the largest whole unit."""
    seconds = (now - then).total_seconds()
    for size, unit in UNITS:
        if seconds >= size:
            number = int(seconds // size)
            return f"{number} {unit}{'' if number == 1 else 's'} ago"
    return "just now"


def updated(iso: str, now: datetime | None = None) -> html.Time:
    """'3 hours ago', in a <time> with the exact moment as its datetime and its title."""
    then = moment(iso)
    return html.Time(ago(then, now or datetime.now(UTC)), dateTime=then.isoformat(),
                     title=published(then.astimezone(UTC).isoformat()))


def is_late(iso: str, frequency: str, now: datetime | None = None) -> bool:
    """Older than the dataset's frequency allows."""
    return (now or datetime.now(UTC)) - moment(iso) > EXPECTED_AGE[frequency]


def utc_time(moment: datetime) -> html.Time:
    """'2026-11-24 06:56:43' in a <time> holding the exact moment (the column says UTC)."""
    moment = moment.astimezone(UTC)
    return html.Time(f"{moment:%Y-%m-%d %H:%M:%S}", dateTime=moment.isoformat(),
                     title=published(moment.isoformat()))
