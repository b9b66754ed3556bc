"""A filtered download: the rows API's parameters on a file's address
(`/api/v1/datasets/permits.csv?district=Northgate&applied_on.gte=2024-01-01`) give a file of
just those rows, streamed from DuckDB as it is read (opendata.stream).

CSV, JSON and Parquet are streamed; XLSX, a zip that cannot be, is written to a temporary file
first, and only up to Excel's row limit.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
from flask import Response, send_file

from opendata.exports import EXCEL_MAX_ROWS, MEDIA_TYPES, neutralised
from opendata.publish import dataset_view
from opendata.rows import BadRequest, build
from opendata.stream import batches, csv_bytes, csv_select, json_bytes, json_select, parquet_bytes
from opendata.xlsx import write_xlsx


class TooManyRows(ValueError):
    """The rows asked for do not fit the format; the message says what to take instead."""


def filtered(stack: ExitStack, cursor: duckdb.DuckDBPyConnection, dataset_id: str,
             file_format: str, dictionary: Sequence[Mapping[str, Any]],
             args: Mapping[str, str], download_name: str) -> Response:
    """The response for a filtered download; stack holds the cursor and is closed when the
    response is done. Raises BadRequest or TooManyRows, having closed the stack."""
    with stack.pop_all() as held:
        wanted = build(dataset_view(dataset_id), dictionary, args, paged=False)
        kinds = {column["name"]: column["type"] for column in dictionary}
        columns = [(name, kinds[name]) for name in wanted.columns]
        if file_format == "xlsx":
            return _xlsx(cursor, wanted.sql, wanted.params, columns, download_name)
        body = _body(cursor, file_format, wanted.sql, wanted.params, columns)
        kept = held.pop_all()  # from here the response's end closes the cursor
    response = Response(body, mimetype=MEDIA_TYPES[file_format])
    response.call_on_close(kept.close)  # run when sent, or when the reader hangs up
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


def _body(cursor: duckdb.DuckDBPyConnection, file_format: str, sql: str, params: list,
          columns: Sequence[tuple[str, str]]) -> Iterator[bytes]:
    """The file's bytes; the query runs here, so a value DuckDB rejects fails before any byte."""
    try:
        if file_format == "csv":
            reader = batches(cursor, f"SELECT {csv_select(columns)} FROM ({sql})", params)
            return csv_bytes(reader, [name for name, _ in columns])
        if file_format == "json":
            return json_bytes(batches(cursor, f"SELECT {json_select(columns)} FROM ({sql})",
                                      params))
        return parquet_bytes(batches(cursor, sql, params))
    except (duckdb.ConversionException, duckdb.OutOfRangeException,
            duckdb.InvalidInputException) as exc:
        raise BadRequest(f"a value cannot be compared with its column: "
                         f"{str(exc).splitlines()[0]}") from None


def _xlsx(cursor: duckdb.DuckDBPyConnection, sql: str, params: list,
          columns: Sequence[tuple[str, str]], download_name: str) -> Response:
    (rows,) = cursor.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
    if rows > EXCEL_MAX_ROWS:
        raise TooManyRows(f"{rows:,} rows match, more than Excel's limit of "
                          f"{EXCEL_MAX_ROWS:,}: download them as CSV or Parquet")
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(cursor, f"SELECT {neutralised(columns)} FROM ({sql})", columns, Path(name),
                   params)
        response = send_file(name, mimetype=MEDIA_TYPES["xlsx"], as_attachment=True,
                             download_name=download_name, etag=False)
    except BaseException:
        os.unlink(name)
        raise
    # Linux lets the open file be read to the end after its name is gone.
    os.unlink(name)
    return response
