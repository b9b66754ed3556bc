"""Residents by district and year, for per-resident figures."""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="population",
    table="population",
    columns=(
        Column("year", "SMALLINT", "Calendar year", True, minimum=1900, maximum=2100),
        Column("district", "VARCHAR", "Council district", True),
        Column("population", "INTEGER", "Residents", True, minimum=0),
    ),
    key=("year", "district"),
)
