"""CSV files, plain or gzip, from a path or a glob: every column read as text."""

from __future__ import annotations

import codecs
import glob
import gzip
import os
import shutil
import tempfile
from typing import Literal

import duckdb
from pydantic import Field, field_validator

from etl.errors import SourceError
from etl.mapping import SourceBase, project_path
from etl.parsing import quote_ident, quote_literal
from etl.sources import Extracted, Input
from warehouse.checksum import sha256_file

# What DuckDB's reader decodes itself (codec names as Python normalises them); other encodings
# are transcoded to UTF-8 first, since DuckDB's `encodings` extension is a download away.
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}


class CsvSource(SourceBase):
    kind: Literal["csv"]
    path: str  # a file or a glob ("exports/requests-*.csv.gz"); relative to the project folder
    delimiter: str = ","
    # Any Python codec name (utf-8, latin-1, cp1252, ...); a UTF-8 byte order mark is skipped.
    encoding: str = "utf-8"
    header_row: int = Field(default=1, ge=1)  # line number of the header

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, latin-1, cp1252)") from None
        return value


def extract(
    connection: duckdb.DuckDBPyConnection, name: str, source: CsvSource, since: str | None = None
) -> Extracted:
    """Read every matching file; `since` is unused (files are filtered after parsing)."""
    pattern = str(project_path(source.path))
    # A file that exists is itself, even if its name has glob characters ("budget [FY24].csv").
    is_glob = glob.has_magic(pattern) and not os.path.exists(pattern)
    files = sorted(glob.glob(pattern)) if is_glob else [pattern]
    if not files:
        raise SourceError(f"source '{name}': no file matches {pattern}")
    inputs, columns, parts = [], None, []
    for number, path in enumerate(files):
        part = quote_ident(f"part_{name}_{number}")
        _read(connection, name, source, path, part)
        found = [d[0] for d in connection.execute(f"SELECT * FROM {part} LIMIT 0").description]
        if columns is None:
            columns = found
        elif found != columns:
            raise SourceError(f"source '{name}': {path} has columns {found}, but {files[0]} "
                              f"has {columns}; every file of a source needs the same header")
        rows = connection.execute(f"SELECT count(*) FROM {part}").fetchone()[0]
        inputs.append(Input(origin=path, sha256=sha256_file(path), rows=rows))
        # The table keeps the file's order, so its rowid is the row number: a view adds it
        # without copying every row a second time.
        parts.append(f"SELECT {quote_literal(path)} AS _origin, rowid + 1 AS _record, * "
                     f"FROM {part}")
    table = quote_ident(f"raw_{name}")
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {' UNION ALL '.join(parts)}")
    release = (f"DROP VIEW {table}",
               *(f"DROP TABLE {quote_ident(f'part_{name}_{n}')}" for n in range(len(files))))
    return Extracted(table=table, columns=columns, rows=sum(i.rows for i in inputs),
                     inputs=inputs, release=release)


def _read(connection, name: str, source: CsvSource, path: str, into: str) -> None:
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise SourceError(f"source '{name}': {path} is empty (0 bytes): no header, no rows")
    native = DUCKDB_ENCODINGS.get(codecs.lookup(source.encoding).name)
    if native or not os.path.isfile(path):
        _read_with_duckdb(connection, name, source, path, path, native or "utf-8", into)
        return
    with tempfile.TemporaryDirectory(prefix="etl-transcode-") as folder:
        utf8 = os.path.join(folder, "utf8.csv")
        _transcode(name, path, source.encoding, utf8)
        _read_with_duckdb(connection, name, source, path, utf8, "utf-8", into)


def _transcode(name: str, path: str, encoding: str, target: str) -> None:
    """Rewrite a file in another encoding (cp1252, ...) as UTF-8, a block at a time."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding=encoding, newline="") as source, \
                open(target, "w", encoding="utf-8", newline="") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise SourceError(f"source '{name}': cannot read {path} as {encoding}: {exc}") from None


def _read_with_duckdb(connection, name: str, source: CsvSource, path: str, readable: str,
                      encoding: str, into: str) -> None:
    options = ", ".join([
        "all_varchar = true",
        "header = true",
        f"skip = {source.header_row - 1}",
        f"delim = {quote_literal(source.delimiter)}",
        f"encoding = {quote_literal(encoding)}",
    ])
    try:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS "
                           f"SELECT * FROM read_csv({quote_literal(readable)}, {options})")
    except duckdb.IOException as exc:
        if "No files found" in str(exc) or "No such file" in str(exc):
            raise SourceError(f"source '{name}': file not found: {path}") from None
        raise SourceError(f"source '{name}': cannot read {path}: {exc}") from None
    except duckdb.Error as exc:
        raise SourceError(f"source '{name}': cannot read {path}: {exc}") from None
