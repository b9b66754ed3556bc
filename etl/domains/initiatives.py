"""Improvement initiatives: what a department changed in how it works, from the application
database (appdb.initiatives). In the snapshot, so each publish measures their evidence against
the KPI values of that same snapshot (kpis/initiative_evidence.py).

The owner's name is here; the open-data dataset publishes it only where the owner agreed.
"""

from etl.domains import Column, Domain, RowRule, not_before

DOMAIN = Domain(
    name="initiatives",
    table="initiatives",
    columns=(
        Column("initiative_id", "BIGINT", "Initiative number", True),
        Column("title", "VARCHAR", "Short name of the change", True),
        Column("change", "VARCHAR", "The process change, in plain words", True),
        Column("department", "VARCHAR", "Department that made the change", True),
        Column("owner", "VARCHAR", "Who leads it", True),
        Column("owner_public", "BOOLEAN", "Whether the owner agreed to be named in public",
               True),
        Column("start_date", "DATE", "When the change started (or will start)", True),
        Column("end_date", "DATE", "When it ended, if it did"),
        Column("cost_once", "DOUBLE", "One-off cost in US dollars", minimum=0),
        Column("cost_yearly", "DOUBLE", "Yearly cost in US dollars", minimum=0),
        Column("status", "VARCHAR", "Where it stands", True,
               allowed=("planned", "running", "done", "stopped")),
        Column("public", "BOOLEAN", "Whether it is shown on the public pages", True),
        Column("adopted_from", "BIGINT", "The initiative of another department it copies"),
        Column("created_at", "TIMESTAMP", "When it was entered (UTC)", True,
               not_in_future=True),
    ),
    key=("initiative_id",),
    rules=(RowRule("ends_after_start", "ended before it started", "end_date",
                   not_before("end_date", "start_date")),),
)
