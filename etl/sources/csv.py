"""CSV files (plain or gzip): read every column as text into a temporary raw table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.errors import SourceError
from etl.parsing import quote_ident, quote_literal
from etl.sources_config import CsvSource
from warehouse.checksum import sha256_file


@dataclass(frozen=True)
class Extracted:
    table: str  # temporary table with one VARCHAR column per source column, in file order
    columns: list[str]  # header names as found (DuckDB trims stray spaces)
    rows: int
    file: Path
    sha256: str


def extract(connection: duckdb.DuckDBPyConnection, name: str, source: CsvSource) -> Extracted:
    path = source.resolved_path()
    if not path.is_file():
        raise SourceError(f"source '{name}': file not found: {path}")
    table = quote_ident(f"raw_{name}")
    options = ", ".join([
        "all_varchar = true",
        "header = true",
        f"delim = {quote_literal(source.delimiter)}",
        f"encoding = {quote_literal(source.encoding)}",
    ])
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT * FROM read_csv({quote_literal(str(path))}, {options})"
        )
    except duckdb.Error as exc:
        raise SourceError(f"source '{name}': cannot read {path}: {exc}") from None
    columns = [d[0] for d in connection.execute(f"SELECT * FROM {table} LIMIT 0").description]
    rows = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return Extracted(table=table, columns=columns, rows=rows, file=path, sha256=sha256_file(path))

