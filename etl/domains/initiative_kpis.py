"""The KPIs each improvement initiative means to move, and which way (appdb.initiatives)."""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="initiative_kpis",
    table="initiative_kpis",
    columns=(
        Column("initiative_id", "BIGINT", "Initiative number", True),
        Column("kpi_id", "VARCHAR", "KPI it means to move, as in config/kpis.yaml", True),
        Column("direction", "VARCHAR", "The way it means to move the KPI", True,
               allowed=("up", "down")),
    ),
    key=("initiative_id", "kpi_id"),
)
