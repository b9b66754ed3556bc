"""The home page's headline figures, each read from the current snapshot in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

ACTIVE_DAYS = 30  # a member is active if they did anything on the platform in this many days


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float | None  # None: the table has no rows for it yet
    unit: str  # "usd" or "count"
    period: str  # what the figure covers, in words


def headline_figures(cursor: duckdb.DuckDBPyConnection) -> tuple[Headline, ...]:
    """The headline figures, all from the cursor's snapshot."""
    return (_budget(cursor), _requests_closed(cursor), _active_members(cursor))


def _budget(cursor: duckdb.DuckDBPyConnection) -> Headline:
    year, total = cursor.execute("""
        SELECT fiscal_year, sum(amount) FROM budget_lines
        WHERE amount_kind = 'budgeted'
          AND fiscal_year = (SELECT max(fiscal_year) FROM budget_lines) GROUP BY fiscal_year
    """).fetchone() or (None, None)
    return Headline("budget_total", "Total budget", _number(total), "usd",
                    f"adopted for fiscal year {year}" if year else "no budget loaded")


def _requests_closed(cursor: duckdb.DuckDBPyConnection) -> Headline:
    # The latest month the data covers in full: the newest request's month if it reaches the
    # month's last day, else the month before.
    month, closed = cursor.execute("""
        WITH newest AS (SELECT max(opened_at) AS newest_at FROM service_requests),
        month AS (
            SELECT CASE WHEN CAST(newest_at AS DATE) = last_day(newest_at)
                        THEN date_trunc('month', newest_at)
                        ELSE date_trunc('month', newest_at) - INTERVAL 1 MONTH END AS start
            FROM newest WHERE newest_at IS NOT NULL)
        SELECT CAST(m.start AS DATE), count(r.request_id)
        FROM month m LEFT JOIN service_requests r
          ON r.closed_at >= m.start AND r.closed_at < m.start + INTERVAL 1 MONTH
        GROUP BY m.start
    """).fetchone() or (None, None)
    return Headline("requests_closed", "Service requests closed", _number(closed), "count",
                    f"in {_month_name(month)}" if month else "no service requests loaded")


def _active_members(cursor: duckdb.DuckDBPyConnection) -> Headline:
    end, active = cursor.execute(f"""
        WITH newest AS (SELECT max(occurred_at) AS newest_at FROM engagement_events)
        SELECT CAST(n.newest_at AS DATE), count(DISTINCT e.member_id)
        FROM newest n JOIN engagement_events e
          ON e.occurred_at > n.newest_at - INTERVAL {ACTIVE_DAYS} DAY
         AND e.occurred_at <= n.newest_at
        GROUP BY n.newest_at
    """).fetchone() or (None, None)
    return Headline("active_members", "Active platform members", _number(active), "count",
                    f"in the {ACTIVE_DAYS} days to {_day_name(end)}" if end
                    else "no platform events loaded")


def _number(value: object) -> float | None:
    return None if value is None else float(value)


def _month_name(day: date) -> str:
    return day.strftime("%B %Y")


def _day_name(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"
