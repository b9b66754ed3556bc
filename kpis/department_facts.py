"""One department's service requests for the internal department view: breakdowns by
district, request type and channel over the data's last twelve months, and the records behind
each number, paged.

Every function takes a cursor on one snapshot; the department and every filter value is bound,
and columns come only from REQUEST_BREAKDOWNS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from kpis.service_facts import REQUEST_BREAKDOWNS
from warehouse.connect import has_table

BY = ("district", "request_type", "channel")  # the department view's breakdowns
PAGE_SIZE = 50
RECORD_COLUMNS = ("request_id", "opened_at", "closed_at", "due_at", "request_type", "district",
                  "channel", "status", "description")
# The last twelve months of the data (not of the calendar: a sample or a late load still shows).
_WINDOW = ("opened_at > (SELECT max(opened_at) FROM service_requests) - INTERVAL 12 MONTH")


@dataclass(frozen=True)
class Group:
    name: str | None  # None: the column is empty on these requests
    requests: int
    open_now: int
    on_time: float | None  # share of closed requests closed by their due date
    median_days: float | None  # to close, of those closed


@dataclass(frozen=True)
class Records:
    total: int
    rows: list[tuple]
    columns: tuple[str, ...] = RECORD_COLUMNS


def has_requests(cursor: duckdb.DuckDBPyConnection) -> bool:
    return has_table(cursor, "service_requests")


def breakdown(cursor: duckdb.DuckDBPyConnection, department: str, by: str) -> list[Group]:
    """The department's requests of the last twelve months by one column, most first."""
    column = _column(by)
    rows = cursor.execute(f"""
        SELECT {column}, count(*), count(*) FILTER (WHERE closed_at IS NULL),
               avg(CASE WHEN closed_at <= due_at THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE closed_at IS NOT NULL AND due_at IS NOT NULL),
               median(date_diff('second', opened_at, closed_at) / 86400.0)
                   FILTER (WHERE closed_at IS NOT NULL)
        FROM service_requests WHERE department = ? AND {_WINDOW}
        GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST
    """, [department]).fetchall()
    return [Group(*row) for row in rows]


def window_start(cursor: duckdb.DuckDBPyConnection) -> datetime | None:
    """The first moment the breakdowns count: twelve months before the newest request."""
    (start,) = cursor.execute(
        "SELECT max(opened_at) - INTERVAL 12 MONTH FROM service_requests").fetchall()[0]
    return start


def records(cursor: duckdb.DuckDBPyConnection, department: str,
            filters: tuple[tuple[str, str | None], ...], page: int = 1) -> Records:
    """The department's requests of the last twelve months matching filters ((column, value)
    pairs; None: the column is empty), newest first, one page of PAGE_SIZE."""
    where = ["department = ?", _WINDOW]
    params: list[object] = [department]
    for key, value in filters:
        column = _column(key)
        if value is None:
            where.append(f"{column} IS NULL")
        else:
            where.append(f"{column} = ?")
            params.append(value)
    condition = " AND ".join(where)
    (total,) = cursor.execute(f"SELECT count(*) FROM service_requests WHERE {condition}",
                              params).fetchall()[0]
    rows = cursor.execute(f"""
        SELECT {', '.join(RECORD_COLUMNS)} FROM service_requests WHERE {condition}
        ORDER BY opened_at DESC, request_id LIMIT ? OFFSET ?
    """, [*params, PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE]).fetchall()
    return Records(total, rows)


def _column(by: str) -> str:
    if by not in REQUEST_BREAKDOWNS or by == "department":
        raise ValueError(f"cannot break a department's requests down by {by!r}")
    return by
