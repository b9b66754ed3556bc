"""The one place DuckDB connections are opened: read-only for the web, read-write for the ETL."""

from __future__ import annotations

from pathlib import Path

import duckdb


def open_read_only(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open a published snapshot; many processes may hold it read-only at once. memory_limit
    (e.g. "128MB") caps DuckDB's memory, mostly its cache of the file's blocks."""
    config = {} if memory_limit is None else {"memory_limit": memory_limit}
    return duckdb.connect(str(path), read_only=True, config=config)


def open_read_write(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a staging snapshot that only the ETL process holding the warehouse lock writes."""
    return duckdb.connect(str(path))


def has_table(connection: duckdb.DuckDBPyConnection, table: str, schema: str = "main") -> bool:
    """Whether the snapshot holds the table (a city may load only some domains, and a snapshot
    published by an older version lacks the schemas added since)."""
    return bool(connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "AND NOT temporary", [schema, table]).fetchone()[0])
