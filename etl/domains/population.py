"""Residents by district and year, for per-resident figures."""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="population",
    table="population",
    columns=(
        Column("year", "SMALLINT", "Calendar year", True),
        Column("district", "VARCHAR", "Council district", True),
        Column("population", "INTEGER", "Residents", True),
    ),
    key=("year", "district"),
)
