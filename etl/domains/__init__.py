"""The canonical tables every source is mapped onto, one module a domain.

A domain declares its columns (type, meaning, whether required, allowed values, range) and its
row rules; `etl.validate` turns that into a pandera schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # DuckDB type of the canonical column
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None  # the only values it may take
    minimum: float | None = None
    maximum: float | None = None
    not_in_future: bool = False  # a date or time after the run's start is refused


@dataclass(frozen=True)
class RowRule:
    """A rule across columns: `valid` is a polars expression true for a good row."""

    name: str
    reason: str  # what a failing row is told, e.g. "closed before it was opened"
    column: str  # the column a failing row is reported under
    valid: Callable[[], pl.Expr]


@dataclass(frozen=True)
class Domain:
    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique key; empty: only exact duplicate rows are refused
    rules: tuple[RowRule, ...] = ()

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def not_before(later: str, earlier: str) -> Callable[[], pl.Expr]:
    """Valid when `later` is empty or not before `earlier`."""
    return lambda: pl.col(later).is_null() | pl.col(earlier).is_null() | (
        pl.col(later) >= pl.col(earlier))


def all_domains() -> dict[str, Domain]:
    from etl.domains import (
        budget,
        downloads,
        engagement,
        feedback,
        initiative_kpis,
        initiatives,
        permits,
        population,
        service_requests,
        survey,
    )

    modules = (budget, service_requests, permits, engagement, population, survey, feedback,
               downloads, initiatives, initiative_kpis)
    return {m.DOMAIN.name: m.DOMAIN for m in modules}
