"""budget_lines.csv: FY2023-FY2027 budget lines by department, program, fund and account type.

About 2,800 lines (fixed: it does not scale with the request count). The total adopted budget is
about $1.65 billion in FY2023 growing 2-5% a year by department. Revised differs from adopted on
about a third of the lines; actuals are 92-101% of revised for the closed years and about a third
for FY2027, which had run four months (July-October) on the as-of date. The mess: a UTF-8 BOM, a
header with stray spaces, currency strings with negatives in parentheses, ~0.5% exact duplicate
rows right after their original, and a few empty lines and lines of commas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from etl.sample.city import ACCOUNT_MIX, ACCOUNT_TYPES, DEPARTMENTS, FUNDS
from etl.sample.formats import concat, currency, labels, text
from etl.sample.writer import Chunk, Written, mess_plan, write_csv

FILE_NAME = "budget_lines.csv"
HEADER = (
    " Fiscal Year ,Department , Program,Fund,Account Type,  Budgeted Amount,Revised Amount ,"
    "Actual Amount"
)
FISCAL_YEARS = (2023, 2024, 2025, 2026, 2027)
CURRENT_FY = 2027  # July-October 2026 spent on the as-of date
_SECONDARY_FUND_SHARE = 0.25  # of a program's money, for each extra fund it draws on
_DEBT_FUNDS = {"General Fund", "Enterprise Fund", "Capital Fund"}


def _structure(rng: np.random.Generator) -> list[tuple[int, int, int, int, float]]:
    """The lines of the budget: department, program, fund, account type and base weight."""
    lines = []
    for d, department in enumerate(DEPARTMENTS):
        mix = ACCOUNT_MIX[department.mix]
        weights = np.array([p.weight for p in department.programs])
        weights = weights / weights.sum()
        for p in range(len(department.programs)):
            funds = [department.funds[0]]
            # Extra funds: each program draws on some of its department's other funds.
            funds += [f for f in department.funds[1:] if rng.random() < 0.55]
            fund_weights = [1.0] + [_SECONDARY_FUND_SHARE] * (len(funds) - 1)
            for fund, fund_weight in zip(funds, fund_weights, strict=True):
                accounts = {a: s for a, s in mix.items() if _has_account(a, fund, rng)}
                total = sum(accounts.values())
                for account, share in accounts.items():
                    weight = weights[p] * fund_weight * share / total
                    lines.append((d, p, FUNDS.index(fund), ACCOUNT_TYPES.index(account), weight))
    return lines


def _has_account(account: str, fund: str, rng: np.random.Generator) -> bool:
    if account == "Debt Service":
        return fund in _DEBT_FUNDS and rng.random() < 0.6
    if account in ("Equipment", "Transfers"):
        return rng.random() < 0.8
    return True


def amounts(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every line of every fiscal year, amounts in cents, in file order."""
    base = _structure(rng)
    department = np.array([b[0] for b in base])
    program = np.array([b[1] for b in base])
    fund = np.array([b[2] for b in base])
    account = np.array([b[3] for b in base])
    weight = np.array([b[4] for b in base])
    # Normalise the weights so each department's lines add up to its budget.
    dept_total = np.bincount(department, weights=weight)
    budget_m = np.array([d.budget_fy2023 for d in DEPARTMENTS])
    growth = np.array([d.growth for d in DEPARTMENTS])
    base_dollars = weight / dept_total[department] * budget_m[department] * 1e6
    line_drift = rng.normal(0.0, 0.02, len(base))  # some lines grow faster than others

    rows = []
    for fy in FISCAL_YEARS:
        years = fy - FISCAL_YEARS[0]
        alive = np.array([
            DEPARTMENTS[d].programs[p].first_fy <= fy <= DEPARTMENTS[d].programs[p].last_fy
            for d, p in zip(department, program, strict=True)
        ])
        noise = rng.lognormal(0.0, 0.03, len(base))
        dollars = base_dollars * (1 + growth[department] + line_drift) ** years * noise
        # Adopted budgets are whole hundreds of dollars.
        budgeted = np.maximum(np.rint(dollars / 100), 1).astype(np.int64) * 100 * 100
        amended = rng.random(len(base)) < 0.33
        change = rng.normal(0.01, 0.03, len(base))
        revised = np.where(amended, np.rint(budgeted * (1 + change) / 100) * 100, budgeted)
        revised = revised.astype(np.int64)
        if fy == CURRENT_FY:
            spent = rng.uniform(0.30, 0.36, len(base))
            spent = np.where(account == ACCOUNT_TYPES.index("Debt Service"), 0.5, spent)
        else:
            spent = np.where(
                account == ACCOUNT_TYPES.index("Personnel"),
                rng.uniform(0.96, 1.005, len(base)),
                rng.uniform(0.92, 1.01, len(base)),
            )
        actual = np.rint(revised * spent).astype(np.int64)
        # Refunds and reversals: a few small lines end the year below zero.
        reversal = (rng.random(len(base)) < 0.008) & (account != ACCOUNT_TYPES.index("Personnel"))
        refund = -np.rint(rng.uniform(1_000, 80_000, len(base)) * 100).astype(np.int64)
        actual = np.where(reversal, refund, actual)
        rows.append({
            "fy": np.full(alive.sum(), fy), "department": department[alive],
            "program": program[alive], "fund": fund[alive], "account": account[alive],
            "budgeted": budgeted[alive], "revised": revised[alive], "actual": actual[alive],
        })
    table = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    _cancel_some_lines(rng, table)
    return table


def _cancel_some_lines(rng: np.random.Generator, table: dict[str, np.ndarray]) -> None:
    """A handful of closed-year lines were amended to zero (a position or contract cut)."""
    closed = np.flatnonzero((table["fy"] > FISCAL_YEARS[0]) & (table["fy"] < CURRENT_FY))
    smallest = closed[np.argsort(table["budgeted"][closed], kind="stable")[:60]]
    cancelled = rng.choice(smallest, size=6, replace=False)
    table["revised"][cancelled] = 0
    table["actual"][cancelled] = 0
    table["actual"][cancelled[:2]] = -np.array([412_350, 98_020])  # reversed encumbrances


def write(out_dir: Path, seed: int) -> Written:
    rng = np.random.default_rng([seed, 1])
    table = amounts(rng)
    rows = len(table["fy"])
    programs = [p.name for d in DEPARTMENTS for p in d.programs]
    program_offset = np.cumsum([0] + [len(d.programs) for d in DEPARTMENTS])[:-1]
    columns = [
        concat("FY", text(table["fy"])),
        labels([d.name for d in DEPARTMENTS], table["department"]),
        labels(programs, program_offset[table["department"]] + table["program"]),
        labels(FUNDS, table["fund"]),
        labels(ACCOUNT_TYPES, table["account"]),
        currency(table["budgeted"]),
        currency(table["revised"]),
        currency(table["actual"]),
    ]
    mess = mess_plan(rng, rows, duplicate_share=0.005, empty_lines=3, comma_lines=3)
    return write_csv(out_dir / FILE_NAME, HEADER, [Chunk(columns, mess)], bom=True)
