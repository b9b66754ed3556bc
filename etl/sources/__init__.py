"""Source kinds, one module each. Every kind reads its source into a raw table in DuckDB.

The contract every `extract(connection, name, source)` keeps: a temporary table (or view)
whose columns are the source's own column names, all VARCHAR, in source order, plus `_origin`
(the file or URL a row came from) and `_record` (the row's 1-based number within its origin,
header excluded); and an `Extracted` describing it. It raises SourceError naming the source
and what failed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from etl.errors import SourceError
from etl.parsing import quote_ident


@dataclass(frozen=True)
class Input:
    origin: str  # file path or URL
    sha256: str  # of the file, or of the fetched pages in order
    rows: int


@dataclass(frozen=True)
class Extracted:
    table: str  # quoted name of the temporary raw table (or view)
    columns: list[str]  # the source's column names, in order (without _origin and _record)
    rows: int
    inputs: list[Input] = field(default_factory=list)
    # Statements that free what extract made, once the source is loaded (default: drop table).
    release: tuple[str, ...] = ()

    def release_statements(self) -> tuple[str, ...]:
        return self.release or (f"DROP TABLE IF EXISTS {self.table}",)


RAW_COLUMNS = ("_origin", "_record")


def create_raw_table(connection: duckdb.DuckDBPyConnection, name: str, columns: list[str]
                     ) -> str:
    """Create (or empty) the raw table of a source; its quoted name."""
    table = quote_ident(f"raw_{name}")
    body = "".join(f", {quote_ident(c)} VARCHAR" for c in columns)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} "
                       f"(_origin VARCHAR, _record BIGINT{body})")
    return table


def append_rows(connection: duckdb.DuckDBPyConnection, table: str, origin: str, first: int,
                columns: list[str], rows: Sequence[Sequence[str | None]]) -> None:
    """Append text rows through Arrow: one columnar insert per batch, not one per row."""
    arrays = [pa.array([origin] * len(rows), pa.string()),
              pa.array(range(first, first + len(rows)), pa.int64())]
    arrays += [pa.array([row[i] for row in rows], pa.string()) for i in range(len(columns))]
    batch = pa.Table.from_arrays(arrays, names=[*RAW_COLUMNS, *(f"c{i}" for i in
                                                                range(len(columns)))])
    connection.register("_raw_batch", batch)
    try:
        connection.execute(f"INSERT INTO {table} SELECT * FROM _raw_batch")
    finally:
        connection.unregister("_raw_batch")


def substitute_env(name: str, template: str, where: str) -> str:
    """Replace ${NAME} by the environment variable NAME (secrets stay out of the config)."""
    def variable(match: re.Match[str]) -> str:
        try:
            return os.environ[match[1]]
        except KeyError:
            raise SourceError(f"source '{name}': environment variable {match[1]} is not set "
                              f"(named in its {where})") from None

    return re.sub(r"\$\{(\w+)\}", variable, template)
