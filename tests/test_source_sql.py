"""The sql source kind against a real SQLite file written with SQLAlchemy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    update,
)

from etl.errors import SourceError
from etl.sources import sql
from etl.sources.sql import SqlSource, extract
from tests.helpers import free_port

ROWS = 300
CATEGORIES = ["Pothole", "Noise", "Graffiti"]
QUERY = ("SELECT id, opened_at, category, description, cost, priority, closed_at "
         "FROM service_requests ORDER BY id")
COLUMNS = ["id", "opened_at", "category", "description", "cost", "priority", "closed_at"]

metadata = MetaData()
service_requests = Table(
    "service_requests", metadata,
    Column("id", Integer, primary_key=True),
    Column("category", String(40), nullable=False),
    Column("description", Text),
    Column("cost", Float),
    Column("priority", Integer),
    Column("opened_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
)


def request(i: int) -> dict:
    opened = datetime(2024, 1, 1, 8) + timedelta(hours=i, microseconds=i % 3 * 250_000)
    return {
        "id": i,
        "category": CATEGORIES[i % len(CATEGORIES)],
        "description": f"Report #{i}: \"it's\" broken, café" if i % 9 else None,
        "cost": i * 1.25 if i % 7 else None,
        "priority": i % 5 or None,
        "opened_at": opened,
        "closed_at": opened + timedelta(days=2) if i % 4 else None,
    }


def as_stored(value: datetime | None) -> str | None:
    # SQLite has no datetime type: SQLAlchemy stores text, and that text is what a query reads.
    return None if value is None else f"{value:%Y-%m-%d %H:%M:%S.%f}"


def expected_row(i: int) -> tuple:
    r = request(i)
    return (i, str(i), as_stored(r["opened_at"]), r["category"], r["description"],
            None if r["cost"] is None else str(r["cost"]),
            None if r["priority"] is None else str(r["priority"]), as_stored(r["closed_at"]))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "requests.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(service_requests.insert(), [request(i) for i in range(1, ROWS + 1)])
    engine.dispose()
    return path


@pytest.fixture
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def source(url: str, query: str = QUERY, **fields: object) -> SqlSource:
    return SqlSource(kind="sql", url=url, query=query, domain="service_requests", columns={},
                     **fields)


def raw_rows(db: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return db.execute(f"SELECT * EXCLUDE (_origin) FROM {table} ORDER BY _record").fetchall()


@pytest.mark.parametrize(("chunk_rows", "chunks"), [(64, 5), (sql.CHUNK_ROWS, 1)])
def test_query_result_becomes_text_columns_in_query_order(database, db, monkeypatch, caplog,
                                                          chunk_rows, chunks):
    monkeypatch.setattr(sql, "CHUNK_ROWS", chunk_rows)  # 64: five chunks, numbered as one
    caplog.set_level(logging.DEBUG, logger=sql.__name__)
    url = f"sqlite:///{database}"
    extracted = extract(db, "requests", source(url))
    assert [r.levelname for r in caplog.records] == ["DEBUG"] * chunks + ["INFO"]
    assert extracted.table == '"raw_requests"'
    assert extracted.columns == COLUMNS
    assert extracted.rows == ROWS
    described = db.execute(f"DESCRIBE {extracted.table}").fetchall()
    assert [(d[0], d[1]) for d in described] == [
        ("_origin", "VARCHAR"), ("_record", "BIGINT"), *[(c, "VARCHAR") for c in COLUMNS]]
    assert raw_rows(db, extracted.table) == [expected_row(i) for i in range(1, ROWS + 1)]
    assert db.execute(f"SELECT DISTINCT _origin FROM {extracted.table}").fetchall() == [(url,)]
    assert extracted.inputs[0].origin == url
    assert extracted.inputs[0].rows == ROWS


def test_checksum_is_stable_and_follows_the_data(database, db):
    url = f"sqlite:///{database}"
    first = extract(db, "requests", source(url)).inputs[0].sha256
    assert extract(db, "requests", source(url)).inputs[0].sha256 == first
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(update(service_requests).where(service_requests.c.id == 5)
                           .values(description=None))
    engine.dispose()
    assert extract(db, "requests", source(url)).inputs[0].sha256 != first


def test_since_is_bound_when_the_query_uses_it(database, db):
    query = ("SELECT id, opened_at FROM service_requests "
             "WHERE :since IS NULL OR opened_at > :since ORDER BY id")
    since = as_stored(request(250)["opened_at"])
    newer = extract(db, "requests", source(f"sqlite:///{database}", query), since=since)
    assert newer.rows == ROWS - 250
    assert raw_rows(db, newer.table)[0] == (1, "251", as_stored(request(251)["opened_at"]))
    full = extract(db, "requests", source(f"sqlite:///{database}", query), since=None)
    assert full.rows == ROWS


def test_since_is_ignored_by_a_query_without_it(database, db):
    extracted = extract(db, "requests", source(f"sqlite:///{database}"), since="2030-01-01")
    assert extracted.rows == ROWS


def test_url_takes_environment_variables(database, db, monkeypatch):
    monkeypatch.setenv("CITY_DB_FOLDER", str(database.parent))
    extracted = extract(db, "requests", source("sqlite:///${CITY_DB_FOLDER}/requests.db"))
    assert extracted.rows == ROWS
    assert extracted.inputs[0].origin == f"sqlite:///{database}"


def test_a_missing_environment_variable_is_named(db, monkeypatch):
    monkeypatch.delenv("CITY_DB_PASSWORD", raising=False)
    with pytest.raises(SourceError, match="source 'requests': environment variable "
                                          "CITY_DB_PASSWORD is not set"):
        extract(db, "requests", source("postgresql+psycopg://etl:${CITY_DB_PASSWORD}@db/city"))


def test_a_database_that_cannot_be_opened(tmp_path, db):
    url = f"sqlite:///{tmp_path}/no/such/folder/requests.db"
    with pytest.raises(SourceError) as raised:
        extract(db, "requests", source(url))
    assert str(raised.value) == (f"source 'requests': cannot connect to {url}: "
                                 "unable to open database file")


@pytest.mark.parametrize("url", [
    # No PostgreSQL driver is installed here: that is reported; with one, the port is closed.
    "postgresql+psycopg://etl:${CITY_DB_PASSWORD}@127.0.0.1:{port}/city",
    "nosuchdb://etl:${CITY_DB_PASSWORD}@127.0.0.1:{port}/city",
])
def test_an_unreachable_database_never_shows_the_password(db, monkeypatch, caplog, url):
    monkeypatch.setenv("CITY_DB_PASSWORD", "s3cret-pw")
    port = free_port()
    with pytest.raises(SourceError) as raised:
        extract(db, "requests", source(url.replace("{port}", str(port)), timeout_seconds=2))
    message = str(raised.value)
    scheme = url.split(":")[0]
    assert message.startswith(f"source 'requests': cannot connect to "
                              f"{scheme}://etl:***@127.0.0.1:{port}/city: ")
    assert "s3cret-pw" not in message
    assert "s3cret-pw" not in caplog.text


def test_a_url_sqlalchemy_cannot_parse(db):
    with pytest.raises(SourceError, match=r"source 'requests': .* is not a SQLAlchemy URL"):
        extract(db, "requests", source("not a database url"))


def test_a_failing_query_names_the_database_error(database, db):
    url = f"sqlite:///{database}"
    with pytest.raises(SourceError) as raised:
        extract(db, "requests", source(url, "SELECT id FROM no_such_table"))
    assert str(raised.value) == (f"source 'requests': the query failed on {url}: "
                                 "no such table: no_such_table")


def test_a_statement_without_rows_is_refused_and_changes_nothing(database, db):
    url = f"sqlite:///{database}"
    with pytest.raises(SourceError, match="the query returns no rows; it must be a SELECT"):
        extract(db, "requests", source(url, "UPDATE service_requests SET priority = 9"))
    priorities = extract(db, "requests", source(url, "SELECT DISTINCT priority FROM "
                                                     "service_requests WHERE priority = 9"))
    assert priorities.rows == 0


def test_column_names_that_differ_only_in_case_are_refused(database, db):
    with pytest.raises(SourceError, match="column 'ID' clashes with 'id'"):
        extract(db, "requests", source(f"sqlite:///{database}",
                                       'SELECT id, id + 1 AS "ID" FROM service_requests'))


@pytest.mark.parametrize(("value", "text"), [
    (None, None), ("", ""), (42, "42"), (2.5, "2.5"), (Decimal("12.50"), "12.50"),
    (True, "true"), (False, "false"), (b"\xca\xfe", "cafe"),
    (datetime(2024, 3, 9, 14, 5, 7), "2024-03-09 14:05:07"),
    (datetime(2024, 3, 9, 14, 5, 7, 120), "2024-03-09 14:05:07.000120"),
    (datetime(2024, 3, 9, 14, 5, 7, tzinfo=UTC), "2024-03-09 14:05:07"),
    (datetime(2024, 3, 9, 14, 5, 7, tzinfo=timezone(timedelta(hours=-5))), "2024-03-09 19:05:07"),
    (date(2024, 3, 9), "2024-03-09"), (time(14, 5), "14:05:00"),
])
def test_database_values_become_text(value, text):
    assert sql.as_text(value) == text
