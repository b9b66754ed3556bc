"""Excel workbooks (.xlsx), from a path or a glob: one sheet, every cell read as text."""

from __future__ import annotations

import datetime as dt
import glob
import logging
import zipfile
import zlib
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import ParseError

import duckdb
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import Field

from etl.errors import SourceError
from etl.mapping import SourceBase, project_path
from etl.parsing import quote_ident
from etl.sources import RAW_COLUMNS, Extracted, Input, append_rows, create_raw_table
from warehouse.checksum import sha256_file

log = logging.getLogger(__name__)

# What openpyxl raises for a file that is not a readable workbook: not a zip (a CSV renamed,
# a truncated download), a zip without the workbook parts, broken XML or compressed data, and
# values its descriptors reject (files from tools that stretch the format).
_UNREADABLE = (zipfile.BadZipFile, InvalidFileException, KeyError, ParseError, zlib.error,
               EOFError, ValueError, TypeError)


class XlsxSource(SourceBase):
    kind: Literal["xlsx"]
    path: str  # a file or a glob; relative to the project folder
    sheet: str | int = 0  # sheet name, or 0-based position
    header_row: int = Field(default=1, ge=1)  # row number of the header


def extract(
    connection: duckdb.DuckDBPyConnection, name: str, source: XlsxSource, since: str | None = None
) -> Extracted:
    """Read the sheet of every matching workbook; `since` is unused (rows are filtered later)."""
    files = _files(name, source.path)
    table = quote_ident(f"raw_{name}")  # created with the first file's header
    inputs, columns = [], None
    for path in files:
        title, rows = _sheet_rows(name, source, path)
        header, data = _header_and_data(f"source '{name}': {path}, sheet {title!r}", rows,
                                        source.header_row)
        if columns is None:
            columns = header
            create_raw_table(connection, name, columns)
        elif header != columns:
            raise SourceError(f"source '{name}': {path} has columns {header}, but {files[0]} "
                              f"has {columns}; every file of a source needs the same header")
        append_rows(connection, table, path, 1, columns, data)
        log.debug("source %s: %d rows from %s, sheet %r", name, len(data), path, title)
        inputs.append(Input(origin=path, sha256=sha256_file(path), rows=len(data)))
    return Extracted(table=table, columns=columns, rows=sum(i.rows for i in inputs),
                     inputs=inputs)


def _files(name: str, configured: str) -> list[str]:
    pattern = str(project_path(configured))
    # A file named like "budget [FY24].xlsx" is read as itself, not as a pattern.
    if not glob.has_magic(pattern) or Path(pattern).is_file():
        return [pattern]
    # "~$..." files are the lock files Excel leaves next to a workbook someone has open.
    files = [f for f in sorted(glob.glob(pattern))
             if Path(f).is_file() and not Path(f).name.startswith("~$")]
    if not files:
        raise SourceError(f"source '{name}': no file matches {pattern}")
    return files


def _sheet_rows(name: str, source: XlsxSource, path: str) -> tuple[str, list[tuple]]:
    """The configured sheet's title and rows, as cell values (formulas as last calculated)."""
    try:
        # Opened by hand so the content decides, not the name (exports often say .xls).
        with open(path, "rb") as handle:
            workbook = load_workbook(handle, read_only=True, data_only=True)
            try:
                sheet = _sheet(name, source.sheet, path, workbook.worksheets)
                # Some writers store a wrong size; without it every stored row is read.
                sheet.reset_dimensions()
                return sheet.title, list(sheet.iter_rows(values_only=True))
            finally:
                workbook.close()
    except FileNotFoundError:
        raise SourceError(f"source '{name}': file not found: {path}") from None
    except _UNREADABLE as exc:
        raise SourceError(f"source '{name}': {path} is not a readable .xlsx workbook "
                          f"({type(exc).__name__}: {exc})") from None


def _sheet(name: str, wanted: str | int, path: str, sheets: list):
    titles = [s.title for s in sheets]
    if isinstance(wanted, int) and 0 <= wanted < len(sheets):
        return sheets[wanted]
    if wanted in titles:
        return sheets[titles.index(wanted)]
    which = f"sheet {wanted!r}" if isinstance(wanted, str) else f"sheet at position {wanted}"
    raise SourceError(f"source '{name}': {path} has no {which} (positions count from 0); "
                      f"its sheets are: {', '.join(map(repr, titles))}")


def _header_and_data(where: str, rows: list[tuple], header_row: int
                     ) -> tuple[list[str], list[list[str | None]]]:
    """The header's column names and the data rows under it as text, all of one width."""
    rows = [_trimmed(row) for row in rows]
    last = max((number for number, row in enumerate(rows, start=1) if row), default=0)
    if not last:
        raise SourceError(f"{where}: the sheet is empty")
    if header_row > last:
        raise SourceError(f"{where}: header_row {header_row} is beyond the last row with "
                          f"values ({last})")
    header, data = rows[header_row - 1], rows[header_row:last]
    if not header:
        raise SourceError(f"{where}: the header row ({header_row}) is empty")
    # A data cell right of the header still gets a column, so nothing is lost.
    width = max(len(row) for row in [header, *data])
    texts = [[_text(v) for v in row] + [None] * (width - len(row)) for row in data]
    return _names(header, width), texts


def _trimmed(row: tuple) -> tuple:
    """A row without its trailing empty cells (rows come at the width their cells are stored)."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def _names(header: tuple, width: int) -> list[str]:
    """Column names from the header cells; an empty one is named by its position."""
    names = [(_text(v) or "").strip() for v in header] + [""] * (width - len(header))
    return _unique([n or f"column_{i}" for i, n in enumerate(names, start=1)])


def _unique(names: list[str]) -> list[str]:
    """Repeated names get _1, _2 (as DuckDB's CSV reader does); DuckDB ignores case in names."""
    seen = {c.lower() for c in RAW_COLUMNS}
    result = []
    for name in names:
        candidate, n = name, 0
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def _text(value: object) -> str | None:
    """A cell's value as the raw table's text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


