"""Engine and session factory for the application database."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, sessionmaker

_TABLES_LOCK = 7_304_811  # an arbitrary key, naming the lock held while creating tables


class Base(DeclarativeBase):
    pass


@cache
def engine_for(url: str) -> Engine:
    """One engine per URL per process, with its tables created."""
    # pre_ping: a connection the database server dropped (a restart, a failover) is replaced
    # when next taken from the pool instead of failing the request that took it.
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    from appdb import models  # noqa: F401  (registers the tables on Base)

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Web workers start together: one at a time creates the tables, or two would race
            # to create the same one and one would fail.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TABLES_LOCK})
        Base.metadata.create_all(connection)
    return engine


def sessions(url: str) -> sessionmaker:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def _sqlite_pragmas(connection, _record) -> None:
    # WAL lets the web processes read the run log while the ETL process writes it;
    # busy_timeout makes a writer wait for a moment instead of failing at once.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def utc(moment: datetime) -> datetime:
    """A time read back from the database, in UTC: SQLite gives back naive datetimes, and
    every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
