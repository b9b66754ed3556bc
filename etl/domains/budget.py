"""Budget lines: what each department was given, had after amendments, and spent.

One row per line, fiscal year and amount kind, so files with any set of year and kind columns
("FY22 Actual Expense", "FY25 Budget", ...) load by unpivoting them.
"""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="budget",
    table="budget_lines",
    columns=(
        Column("fiscal_year", "SMALLINT", "Fiscal year, named for the year it ends in", True,
               minimum=1990, maximum=2100),
        Column("department", "VARCHAR", "Department responsible for the line", True),
        Column("program", "VARCHAR", "Program or service within the department"),
        Column("fund", "VARCHAR", "Fund the money comes from"),
        Column("account_type", "VARCHAR", "Kind of spending (personnel, supplies, ...)"),
        Column("amount_kind", "VARCHAR", "budgeted (adopted), revised (after amendments) or "
               "actual (spent)", True, allowed=("budgeted", "revised", "actual")),
        Column("amount", "DECIMAL(18,2)", "Amount in dollars (negative: a refund or reversal)",
               True),
    ),
)
