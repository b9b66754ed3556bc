"""The one place DuckDB connections are opened: read-only for the web, read-write for the ETL."""

from __future__ import annotations

from pathlib import Path

import duckdb


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a published snapshot; many processes may hold it read-only at once."""
    return duckdb.connect(str(path), read_only=True)


def open_read_write(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a staging snapshot that only the ETL process holding the warehouse lock writes."""
    return duckdb.connect(str(path))
