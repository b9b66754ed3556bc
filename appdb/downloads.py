"""Counting dataset downloads: per day, dataset and format, never who downloaded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from appdb.db import sessions
from appdb.models import DownloadCount


def count_download(database_url: str, dataset_id: str, file_format: str) -> None:
    """Add one to today's count for this dataset and format."""
    today = datetime.now(UTC).date()
    key = (DownloadCount.day == today, DownloadCount.dataset_id == dataset_id,
           DownloadCount.format == file_format)
    increment = update(DownloadCount).where(*key).values(downloads=DownloadCount.downloads + 1)
    try:
        with sessions(database_url).begin() as session:
            if not session.execute(increment).rowcount:
                session.add(DownloadCount(day=today, dataset_id=dataset_id,
                                          format=file_format, downloads=1))
    except IntegrityError:  # another process made today's row first: add to it
        with sessions(database_url).begin() as session:
            session.execute(increment)


def download_counts(database_url: str) -> list[tuple[str, str, str, int]]:
    """Every count: (ISO day, dataset id, format, downloads), oldest first."""
    with sessions(database_url)() as session:
        rows = session.execute(select(DownloadCount).order_by(
            DownloadCount.day, DownloadCount.dataset_id, DownloadCount.format)).scalars()
        return [(r.day.isoformat(), r.dataset_id, r.format, r.downloads) for r in rows]
