"""Deterministic CSV writing: RFC 4180 quoting only where needed, `\\n` line endings, optional
UTF-8 BOM and gzip, and the mess real files carry (exact duplicate rows, blank lines).

Rows arrive in chunks of Arrow string arrays; each chunk is joined into lines by Arrow kernels and
written as one buffer, so the cost per row stays in C. Files are written under a temporary name
in the target folder and moved into place, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import gzip
import itertools
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

# What follows a row, per row (the mess plan): nothing, a copy of it, or a blank line.
CLEAN, DUPLICATE, EMPTY_LINE, COMMAS_LINE = 0, 1, 2, 3
CLEAN_HEAD = 10  # the first rows of every file stay clean, so line n is record n there
BOM = "\ufeff".encode()


@dataclass(frozen=True)
class Chunk:
    columns: Sequence[pa.Array]  # one string array per column; nulls are written empty
    mess: np.ndarray | None = None  # one of CLEAN, DUPLICATE, ... per row


@dataclass(frozen=True)
class Written:
    name: str
    path: Path
    rows: int  # distinct records
    duplicates: int
    blank_lines: int
    size: int  # bytes on disk


def mess_plan(
    rng: np.random.Generator,
    rows: int,
    duplicate_share: float,
    empty_lines: int = 0,
    comma_lines: int = 0,
) -> np.ndarray:
    """Which rows get a duplicate or a blank line after them, away from the file's first rows."""
    plan = np.zeros(rows, dtype=np.int8)
    candidates = np.arange(min(CLEAN_HEAD, rows), max(rows - 1, 0))
    duplicates = round(rows * duplicate_share)
    wanted = duplicates + empty_lines + comma_lines
    if wanted == 0 or len(candidates) == 0:
        return plan
    chosen = rng.choice(candidates, size=min(wanted, len(candidates)), replace=False)
    plan[chosen[:duplicates]] = DUPLICATE
    plan[chosen[duplicates:duplicates + empty_lines]] = EMPTY_LINE
    plan[chosen[duplicates + empty_lines:]] = COMMAS_LINE
    return plan


_NEEDS_QUOTES = '[",\r\n]'


def quoted(column: pa.Array) -> pa.Array:
    """The column as CSV fields: quoted, quotes doubled, only where it holds , " or a newline."""
    needs = pc.fill_null(pc.match_substring_regex(column, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return column
    escaped = pc.binary_join_element_wise(
        '"', pc.replace_substring(column, '"', '""'), '"', ""
    )
    return pc.if_else(needs, escaped, column)


def render(chunk: Chunk) -> pa.Buffer:
    """The chunk's lines, each ending in a newline, as one buffer."""
    fields = [quoted(c) for c in chunk.columns]
    lines = pc.binary_join_element_wise(
        *fields, ",", null_handling="replace", null_replacement=""
    )
    rows = len(lines)
    if chunk.mess is not None and chunk.mess.any():
        mess = chunk.mess
        blank = pa.array(["", "," * (len(chunk.columns) - 1)], pa.string())
        lines = pa.concat_arrays([lines, blank])
        # Each row is followed by its copy or a blank line: expand rows, then fix the extras.
        repeat = np.where(mess == CLEAN, 1, 2)
        index = np.repeat(np.arange(rows, dtype=np.int64), repeat)
        extra = np.zeros(len(index), dtype=bool)
        extra[np.cumsum(repeat) - 1] = repeat == 2
        kind = mess[index]
        index[extra & (kind == EMPTY_LINE)] = rows
        index[extra & (kind == COMMAS_LINE)] = rows + 1
        lines = lines.take(pa.array(index))
    lines = pc.binary_join_element_wise(lines, "\n", "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
        lines.offset:lines.offset + len(lines) + 1
    ]
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])]


@contextmanager
def atomic_output(path: Path, compress: bool = False) -> Iterator[BinaryIO]:
    """A binary stream that becomes `path` only when the block completes."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(temporary, "wb") as raw:
            if compress:
                # mtime 0 and no file name in the header: the same rows give the same bytes.
                with gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0
                ) as stream:
                    yield stream
            else:
                yield raw
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_csv(
    path: Path,
    header: str,
    chunks: Iterable[Chunk],
    *,
    bom: bool = False,
    compress: bool = False,
) -> Written:
    """Write the header line and the chunks' rows to path (gzip if compress)."""
    rows = duplicates = blanks = 0
    with atomic_output(path, compress) as stream:
        stream.write((BOM if bom else b"") + header.encode() + b"\n")
        for chunk in chunks:
            stream.write(render(chunk))
            rows += len(chunk.columns[0])
            if chunk.mess is not None:
                duplicates += int((chunk.mess == DUPLICATE).sum())
                blanks += int((chunk.mess >= EMPTY_LINE).sum())
    written = Written(path.name, path, rows, duplicates, blanks, path.stat().st_size)
    log.info("wrote %s: %d rows, %d bytes", path, rows, written.size)
    return written


def chunk_bounds(rows: int, size: int, cuts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """[start, stop) ranges of at most size rows, also split at each of cuts."""
    edges = sorted({0, rows, *range(0, rows, size), *(c for c in cuts if 0 < c < rows)})
    return list(itertools.pairwise(edges))
