"""A dataset's download files, written once at publish: CSV, JSON, Parquet and XLSX.

DuckDB writes CSV, JSON and Parquet itself (`COPY ... TO`, the fastest way measured here),
and the XML of the XLSX sheet (`opendata.xlsx`); memory stays flat for any size.
Text cells a spreadsheet would read as a formula (starting with =, +, -, @, tab or carriage
return) get a leading apostrophe in CSV and XLSX, as OWASP advises against CSV injection;
JSON and Parquet keep the values as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kpis.series_export import FORMULA_STARTS
from opendata.xlsx import write_xlsx
from warehouse.checksum import sha256_file

FORMATS = ("csv", "json", "parquet", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXCEL_MAX_ROWS = 1_048_575  # a sheet's 1,048,576 rows, less the header
# The same characters as the KPI downloads defuse, as a regular expression for DuckDB.
FORMULA_START = "^[" + "".join(re.escape(c) for c in FORMULA_STARTS) + "]"


@dataclass(frozen=True)
class ExportFile:
    format: str
    file_name: str | None  # None: not made (note says why)
    bytes: int | None
    sha256: str | None
    note: str | None = None


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def neutralised(columns: Sequence[tuple[str, str]]) -> str:
    """A select list that defuses formula-like text: columns are (name, dictionary type)."""
    def item(name: str, kind: str) -> str:
        column = quoted(name)
        if kind != "string":
            return column
        return (f"CASE WHEN regexp_matches({column}, '{FORMULA_START}') "
                f"THEN '''' || {column} ELSE {column} END AS {column}")

    return ", ".join(item(name, kind) for name, kind in columns)


def write_exports(connection: duckdb.DuckDBPyConnection, relation: str,
                  columns: Sequence[tuple[str, str]], rows: int, folder: Path,
                  stem: str) -> list[ExportFile]:
    """Write `relation` (a view or table name, quoted) in every format into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = f"SELECT {neutralised(columns)} FROM {relation}"
    made = []
    for fmt, query, options in (
            ("csv", safe, "FORMAT csv, HEADER true"),
            ("json", f"SELECT * FROM {relation}", "FORMAT json, ARRAY true"),
            ("parquet", f"SELECT * FROM {relation}", "FORMAT parquet, COMPRESSION zstd")):
        path = folder / f"{stem}.{fmt}"
        connection.execute(f"COPY ({query}) TO '{_literal(path)}' ({options})")
        made.append(_described(fmt, path))
    if rows > EXCEL_MAX_ROWS:
        made.append(ExportFile("xlsx", None, None, None,
                               f"{rows:,} rows is more than Excel's limit of "
                               f"{EXCEL_MAX_ROWS:,}: download the CSV or the Parquet file"))
    else:
        path = folder / f"{stem}.xlsx"
        write_xlsx(connection, safe, columns, path)
        made.append(_described("xlsx", path))
    return made


def _described(fmt: str, path: Path) -> ExportFile:
    return ExportFile(fmt, path.name, path.stat().st_size, sha256_file(path))


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
