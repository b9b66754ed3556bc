"""Budget lines: what each department was given, had after amendments, and spent."""

from etl.domains import Column, Domain

MONEY = "DECIMAL(18,2)"

DOMAIN = Domain(
    name="budget",
    table="budget_lines",
    columns=(
        Column("fiscal_year", "SMALLINT", "Fiscal year, named for the year it ends in", True),
        Column("department", "VARCHAR", "Department responsible for the line", True),
        Column("program", "VARCHAR", "Program or service within the department"),
        Column("fund", "VARCHAR", "Fund the money comes from"),
        Column("account_type", "VARCHAR", "Kind of spending (personnel, supplies, ...)"),
        Column("budgeted", MONEY, "Adopted budget, in dollars"),
        Column("revised", MONEY, "Budget after amendments, in dollars"),
        Column("actual", MONEY, "Actual spending to date, in dollars"),
    ),
)
