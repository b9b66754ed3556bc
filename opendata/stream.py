"""A filtered download, written as it is read: DuckDB's Arrow batches become CSV, JSON or
Parquet bytes one batch at a time, so memory stays flat for any number of rows.

JSON comes out as DuckDB's COPY writes it (the prebuilt file), so a filter that keeps every row
gives the very bytes of the whole file; CSV has the same values, header, timestamps and formula
defusing, with every text quoted (pyarrow's writer quotes by type, COPY only where needed).
Measured against COPY in bench/README.md ("Open data").
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from opendata.exports import neutralised, quoted

BATCH_ROWS = 16_384  # 65,536 was no faster and took 60 MB more at its peak
CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="needed")


def csv_select(columns: Sequence[tuple[str, str]]) -> str:
    """The select list for CSV: formula-like text defused, timestamps as DuckDB prints them."""
    return ", ".join(
        f"CAST({quoted(name)} AS VARCHAR) AS {quoted(name)}" if kind == "datetime"
        else neutralised([(name, kind)]) for name, kind in columns)


def json_select(columns: Sequence[tuple[str, str]]) -> str:
    """One column holding each row as a JSON object, as COPY (FORMAT json) writes it."""
    fields = ", ".join(f"'{name}': {quoted(name)}" for name, _ in columns)
    return f"to_json({{{fields}}})"


def batches(cursor: duckdb.DuckDBPyConnection, sql: str, params: list) -> pa.RecordBatchReader:
    """A reader over sql's rows; the query runs (and fails, if it will) when this is called."""
    return cursor.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)


def csv_bytes(reader: pa.RecordBatchReader, names: Sequence[str]) -> Iterator[bytes]:
    yield (",".join(names) + "\n").encode()  # dictionary names need no quoting
    for batch in reader:
        sink = io.BytesIO()
        pa_csv.write_csv(batch, sink, CSV_OPTIONS)
        yield sink.getvalue()


def json_bytes(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    """A JSON array of row objects, laid out as COPY (FORMAT json, ARRAY true) does."""
    yield b"["
    first = True
    for batch in reader:
        rows = batch.column(0).to_pylist()
        if rows:
            yield (("\n\t" if first else ",\n\t") + ",\n\t".join(rows)).encode()
            first = False
    yield b"\n]\n"


def parquet_bytes(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    """A Parquet file, a row group per batch, handed on as each is written."""
    sink = _Drain()
    with pq.ParquetWriter(sink, reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
            yield sink.take()
    yield sink.take()  # the footer, written on close


class _Drain(io.RawIOBase):
    """A write-only file that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        taken, self._parts = b"".join(self._parts), []
        return taken
