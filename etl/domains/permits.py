"""Permits: applications, their processing, and their outcome."""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="permits",
    table="permits",
    columns=(
        Column("permit_id", "VARCHAR", "Permit number", True),
        Column("permit_type", "VARCHAR", "Kind of permit", True),
        Column("district", "VARCHAR", "Council district"),
        Column("applied_on", "DATE", "Date of application", True),
        Column("issued_on", "DATE", "Date issued; empty unless issued"),
        Column("status", "VARCHAR", "Applied, Under review, Issued, Denied or Withdrawn", True),
        Column("valuation", "DECIMAL(18,2)", "Declared value of the work, in dollars"),
        Column("channel", "VARCHAR", "Online or In person"),
    ),
    key=("permit_id",),
)
