"""Any database SQLAlchemy reaches: a query's result, every value read as text."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Literal

import duckdb
from pydantic import Field
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from appdb.db import engine_for
from config.settings import SettingsError, load_settings
from etl.errors import SourceError
from etl.mapping import SourceBase
from etl.sources import (
    RAW_COLUMNS,
    Extracted,
    Input,
    append_rows,
    create_raw_table,
    substitute_env,
)

log = logging.getLogger(__name__)

CHUNK_ROWS = 10_000  # rows fetched and appended at a time, so a large result never sits whole
APP_DATABASE = "app"  # `url: app`: the application database (DASHBOARD_DATABASE_URL)


class SqlSource(SourceBase):
    kind: Literal["sql"]
    # SQLAlchemy URL; ${NAME} is replaced by the environment variable NAME (keep secrets there).
    # `app` names the application database, wherever the settings put it.
    url: str
    # The query. With a watermark, it may use :since (the newest value already loaded, or NULL).
    query: str
    timeout_seconds: float = Field(default=30, gt=0)


def extract(
    connection: duckdb.DuckDBPyConnection, name: str, source: SqlSource, since: str | None = None
) -> Extracted:
    """Run the query and copy its result, chunk by chunk, into the raw table."""
    url = resolve_url(name, source.url)
    masked = _masked(url)
    engine = _engine(name, url, masked, source.timeout_seconds)
    try:
        with _connect(name, engine, masked) as database:
            table, columns, rows, sha256 = _copy(connection, name, source.query, since,
                                                 database, masked)
    finally:
        engine.dispose()
    log.info("source %s: %d rows from %s", name, rows, masked)
    return Extracted(table=table, columns=columns, rows=rows,
                     inputs=[Input(origin=masked, sha256=sha256, rows=rows)])


def resolve_url(name: str, url: str, environ: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL a source names: `app`, or a URL with ${NAME} substituted."""
    if url.strip() != APP_DATABASE:
        return substitute_env(name, url, "url")
    try:
        database_url = load_settings(environ).database_url
    except SettingsError as exc:
        raise SourceError(f"source '{name}': cannot name the application database: {exc}"
                          ) from None
    # The app creates its tables on first use; do it here too, so a fresh install whose app has
    # stored nothing yet (no feedback given) reads empty tables rather than failing.
    try:
        engine_for(database_url)
    except SQLAlchemyError as exc:
        raise SourceError(f"source '{name}': cannot open the application database "
                          f"{_masked(database_url)}: {_first_line(exc)}") from None
    return database_url


def as_text(value: object) -> str | None:
    """A database value as the raw table's text (a time with an offset in UTC, without it);
    None stays NULL."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # The warehouse keeps times in UTC without an offset (PostgreSQL's timestamptz arrives
        # with one): the same instant, written as the formats of sources.yaml read it.
        if value.utcoffset() is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Not a URL SQLAlchemy can parse: still hide whatever sits between user: and @.
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


# The DBAPI argument bounding the wait for a connection, by driver; other drivers get none, since
# they would reject an unknown argument. SQLite connects to a file: its `timeout` bounds the wait
# for a locked one. libpq and MySQL take whole seconds.
_CONNECT_TIMEOUT: dict[str, tuple[str, Callable[[float], float]]] = {
    "psycopg": ("connect_timeout", _whole_seconds),
    "psycopg2": ("connect_timeout", _whole_seconds),
    "pymysql": ("connect_timeout", _whole_seconds),
    "mysqldb": ("connect_timeout", _whole_seconds),
    "pg8000": ("timeout", float),
    "pysqlite": ("timeout", float),
}


def _engine(name: str, url: str, masked: str, timeout: float) -> Engine:
    try:
        dialect = make_url(url).get_dialect()
    except NoSuchModuleError:  # a kind of ArgumentError, so caught first
        raise SourceError(f"source '{name}': cannot connect to {masked}: unknown database "
                          "dialect or driver") from None
    except ArgumentError:
        raise SourceError(f"source '{name}': {masked} is not a SQLAlchemy URL "
                          "(dialect+driver://user:password@host/database)") from None
    connect_args = {}
    if dialect.driver in _CONNECT_TIMEOUT:
        argument, convert = _CONNECT_TIMEOUT[dialect.driver]
        connect_args[argument] = convert(timeout)
    try:
        # One connection per extract: a pool would only keep it open after the run.
        return create_engine(url, connect_args=connect_args, poolclass=NullPool)
    except ImportError as exc:
        raise SourceError(f"source '{name}': cannot connect to {masked}: its driver is not "
                          f"installed ({exc})") from None


def _connect(name: str, engine: Engine, masked: str) -> Connection:
    try:
        return engine.connect()
    except SQLAlchemyError as exc:
        reason = _scrubbed(_first_line(exc), engine.url.password)
        raise SourceError(f"source '{name}': cannot connect to {masked}: {reason}") from None


def _copy(connection: duckdb.DuckDBPyConnection, name: str, query: str, since: str | None,
          database: Connection, masked: str) -> tuple[str, list[str], int, str]:
    statement = text(query)
    params = {"since": since} if "since" in statement.compile().params else {}
    digest, rows = hashlib.sha256(), 0
    try:
        # A server-side cursor where the driver has one, so rows arrive as they are fetched.
        result = database.execution_options(stream_results=True).execute(statement, params)
        if not result.returns_rows:
            raise SourceError(f"source '{name}': the query returns no rows; it must be a SELECT")
        columns = list(result.keys())
        table = _create_table(connection, name, columns)
        for chunk in result.partitions(CHUNK_ROWS):
            values = [[as_text(value) for value in row] for row in chunk]
            for row in values:
                # One JSON line per row: NULL and '' differ, and cells cannot run together.
                digest.update(json.dumps(row).encode() + b"\n")
            append_rows(connection, table, masked, rows + 1, columns, values)
            rows += len(values)
            log.debug("source %s: %d rows copied", name, rows)
    except SQLAlchemyError as exc:
        raise SourceError(f"source '{name}': the query failed on {masked}: "
                          f"{_scrubbed(_first_line(exc), database.engine.url.password)}"
                          ) from None
    return table, columns, rows, digest.hexdigest()


def _create_table(connection: duckdb.DuckDBPyConnection, name: str, columns: list[str]) -> str:
    seen: dict[str, str] = {c: c for c in RAW_COLUMNS}
    for column in columns:
        # DuckDB names ignore case, so 'ID' and 'id' would be one column.
        if column.lower() in seen:
            raise SourceError(f"source '{name}': the query's column '{column}' clashes with "
                              f"'{seen[column.lower()]}'; give it another alias")
        seen[column.lower()] = column
    return create_raw_table(connection, name, columns)


def _first_line(exc: SQLAlchemyError) -> str:
    # The driver's own message, without SQLAlchemy's "[SQL: ...]" and background-link lines.
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _scrubbed(message: str, secret: str | None) -> str:
    # Some drivers echo their connection string; the password must never reach a message.
    return message.replace(secret, "***") if secret else message
