"""A public KPI's whole series as rows for a download: city-wide, then every breakdown group.

Small by construction (one row a period a group: a few thousand rows at most), so the rows are
read in one query and cached per snapshot; the route streams them out as CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

import duckdb

from kpis.read import has_kpis

COLUMNS = ("kpi_id", "breakdown", "breakdown_value", "period_start", "period_label", "value",
           "status", "target", "previous_value", "year_ago_value", "catalogue_version",
           "snapshot_id")
# A spreadsheet runs a text cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def series_rows(cursor: duckdb.DuckDBPyConnection, kpi_id: str) -> tuple[tuple, ...] | None:
    """The rows of COLUMNS for a public KPI, city-wide first; None if no public KPI has the id.

    snapshot_id is the snapshot the values were computed in (kpi.lineage): this one."""
    if not has_kpis(cursor):
        return None
    public = cursor.execute("SELECT count(*) FROM kpi.definitions WHERE kpi_id = ? "
                            "AND audience = 'public'", [kpi_id]).fetchone()[0]
    if not public:
        return None
    rows = cursor.execute("""
        SELECT s.kpi_id, s.breakdown, s.breakdown_value, s.period_start, s.period_label,
               s.value, s.status, d.target, s.previous_value, s.year_ago_value,
               s.catalogue_version, l.snapshot_id
        FROM kpi.series s JOIN kpi.definitions d USING (kpi_id)
        LEFT JOIN kpi.lineage l USING (kpi_id)
        WHERE s.kpi_id = ?
        ORDER BY s.breakdown NULLS FIRST, s.breakdown_value, s.period_start
    """, [kpi_id]).fetchall()
    return tuple(rows)


def neutralise(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, made plain text; others unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # every digit, so the file holds exactly the published value
    return neutralise(value)


def csv_chunks(rows: Iterable[tuple]) -> Iterator[str]:
    """The header and the rows as CSV text, a few hundred rows a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, row in enumerate(rows, start=1):
        writer.writerow([_cell(value) for value in row])
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
