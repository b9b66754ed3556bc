"""The canonical tables every source is mapped onto, one module a domain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # DuckDB type of the canonical column
    description: str
    required: bool = False


@dataclass(frozen=True)
class Domain:
    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique key; empty: exact duplicate rows are dropped instead

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def ddl(self) -> str:
        body = ", ".join(f'"{c.name}" {c.sql_type}' for c in self.columns)
        return f'CREATE OR REPLACE TABLE "{self.table}" ({body})'


def all_domains() -> dict[str, Domain]:
    from etl.domains import budget, engagement, permits, population, service_requests

    modules = (budget, service_requests, permits, engagement, population)
    return {m.DOMAIN.name: m.DOMAIN for m in modules}
