"""Permits: applications, their processing, and their outcome."""

from etl.domains import Column, Domain, RowRule, not_before

DOMAIN = Domain(
    name="permits",
    table="permits",
    columns=(
        Column("permit_id", "VARCHAR", "Permit number", True),
        Column("permit_type", "VARCHAR", "Kind of permit", True),
        Column("district", "VARCHAR", "Council district"),
        Column("applied_on", "DATE", "Date of application", True, not_in_future=True),
        Column("issued_on", "DATE", "Date issued; empty unless issued", not_in_future=True),
        Column("status", "VARCHAR", "Where it stands", True,
               allowed=("Applied", "Under review", "Issued", "Denied", "Withdrawn")),
        Column("valuation", "DECIMAL(18,2)", "Declared value of the work, in dollars", minimum=0),
        Column("channel", "VARCHAR", "How it was applied for", allowed=("Online", "In person")),
    ),
    key=("permit_id",),
    rules=(
        RowRule("issued_after_applied", "issued before it was applied for", "issued_on",
                not_before("issued_on", "applied_on")),
    ),
)
