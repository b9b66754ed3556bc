"""The budget page's figures from `budget_lines`, each one small aggregate over the table.

Every function takes a cursor on one snapshot and returns plain values, so the page can cache
them by snapshot id (`dashboards.cache.snapshot_cached`). Amounts are dollars as floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.connect import has_table

NO_PROGRAM = "Not assigned to a program"  # budget lines without a program


@dataclass(frozen=True)
class ProgramAmount:
    """One box of the treemap: a department's program and its adopted budget."""

    department: str
    program: str
    amount: float


@dataclass(frozen=True)
class YearTotals:
    """A fiscal year's adopted (budgeted), revised and actual totals; None: no such lines."""

    fiscal_year: int
    adopted: float | None
    revised: float | None
    actual: float | None


def fiscal_years(cursor: duckdb.DuckDBPyConnection) -> list[int]:
    """Fiscal years with an adopted budget, oldest first ([] when no budget is loaded)."""
    if not has_table(cursor, "budget_lines"):
        return []
    rows = cursor.execute("""
        SELECT DISTINCT fiscal_year FROM budget_lines WHERE amount_kind = 'budgeted'
        ORDER BY fiscal_year
    """).fetchall()
    return [int(year) for (year,) in rows]


def departments(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    """Every department with a budget line in any year, alphabetically."""
    if not has_table(cursor, "budget_lines"):
        return []
    rows = cursor.execute(
        "SELECT DISTINCT department FROM budget_lines ORDER BY department").fetchall()
    return [name for (name,) in rows]


def treemap_rows(cursor: duckdb.DuckDBPyConnection, fiscal_year: int,
                 department: str | None = None) -> list[ProgramAmount]:
    """The adopted budget of a year by department and program (one department's, if named),
    largest department first and largest program first within it."""
    rows = cursor.execute(f"""
        SELECT department, coalesce(program, '{NO_PROGRAM}') AS program,
               CAST(sum(amount) AS DOUBLE) AS amount
        FROM budget_lines
        WHERE amount_kind = 'budgeted' AND fiscal_year = ?
          AND (CAST(? AS VARCHAR) IS NULL OR department = ?)
        GROUP BY 1, 2
        ORDER BY sum(sum(amount)) OVER (PARTITION BY department) DESC, department,
                 amount DESC, program
    """, [fiscal_year, department, department]).fetchall()
    return [ProgramAmount(name, program, amount) for name, program, amount in rows]


def totals_by_year(cursor: duckdb.DuckDBPyConnection,
                   department: str | None = None) -> list[YearTotals]:
    """Adopted, revised and actual totals for each fiscal year (one department's, if named)."""
    rows = cursor.execute("""
        SELECT fiscal_year,
               CAST(sum(amount) FILTER (WHERE amount_kind = 'budgeted') AS DOUBLE),
               CAST(sum(amount) FILTER (WHERE amount_kind = 'revised') AS DOUBLE),
               CAST(sum(amount) FILTER (WHERE amount_kind = 'actual') AS DOUBLE)
        FROM budget_lines
        WHERE CAST(? AS VARCHAR) IS NULL OR department = ?
        GROUP BY fiscal_year ORDER BY fiscal_year
    """, [department, department]).fetchall()
    return [YearTotals(int(year), adopted, revised, actual)
            for year, adopted, revised, actual in rows]


