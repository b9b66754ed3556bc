"""The budget page and its queries, against a real snapshot of the sample city and a real server.

Expected figures are computed with pandas straight from the sample's budget file, not with the
warehouse's SQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboards.components.formatting import dollars, money, status_word
from kpis import budget_facts
from kpis.catalogue import load_catalogue
from kpis.service_facts import kpi_panel
from tests.dash_client import callback, find, render, text
from tests.expected import currency, read_raw
from tests.helpers import KPIS_YAML
from warehouse.reader import WarehouseReader

VIEW = ["budget-view.children", "budget-showing.children"]

# ------------------------------------------------------------------ expected, from the file


def budget_file(sample: Path) -> pd.DataFrame:
    """The sample's budget lines: year, department, program and the three amounts in dollars."""
    raw = read_raw(sample / "budget_lines.csv")

    def dollars_of(column: str) -> pd.Series:
        return raw[column].map(lambda v: float(currency(v)) if v else float("nan"))

    return pd.DataFrame({
        "year": raw["Fiscal Year"].str.removeprefix("FY").astype(int),
        "department": raw["Department"], "program": raw["Program"],
        "adopted": dollars_of("Budgeted Amount"), "revised": dollars_of("Revised Amount"),
        "actual": dollars_of("Actual Amount"),
    })


def year_has_ended(year: int) -> bool:
    """Under the catalogue's fiscal year: a year has ended once its last month is over."""
    start = load_catalogue(KPIS_YAML).fiscal_year_starts
    end = date(year, start, 1) if start > 1 else date(year + 1, 1, 1)
    return date.today() >= end


def execution_status(rate: float) -> str:
    kpi = load_catalogue(KPIS_YAML).get("budget_execution_rate")
    return status_word("green" if rate >= kpi.target else "amber" if rate >= kpi.amber
                       else "red")


# ------------------------------------------------------------------ the queries


def test_the_budget_queries_match_the_source_file(site):
    workspace, _ = site
    budget = budget_file(workspace.sample_dir)
    reader = WarehouseReader(workspace.settings.warehouse_dir)
    try:
        with reader.cursor() as (_, cursor):
            years = budget_facts.fiscal_years(cursor)
            names = budget_facts.departments(cursor)
            city = budget_facts.totals_by_year(cursor)
            police = budget_facts.totals_by_year(cursor, "Police")
            boxes = budget_facts.treemap_rows(cursor, years[-1])
            police_boxes = budget_facts.treemap_rows(cursor, years[-2], "Police")
            growth = kpi_panel(cursor, "budget_growth", "department")
            per_resident = kpi_panel(cursor, "spend_per_resident", "department")
    finally:
        reader.close()

    assert years == sorted(budget["year"].unique())
    assert names == sorted(budget["department"].unique())
    for totals, lines in ((city, budget), (police, budget[budget["department"] == "Police"])):
        sums = lines.groupby("year")[["adopted", "revised", "actual"]].sum()
        assert [t.fiscal_year for t in totals] == list(sums.index)
        for t in totals:
            assert (t.adopted, t.revised, t.actual) == pytest.approx(
                tuple(sums.loc[t.fiscal_year]), abs=0.005)

    latest = budget[budget["year"] == years[-1]]
    expected = latest.groupby(["department", "program"])["adopted"].sum()
    assert {(b.department, b.program): b.amount for b in boxes} == pytest.approx(
        expected.to_dict(), abs=0.005)
    # Largest department first, and largest program first within it.
    order = latest.groupby("department")["adopted"].sum().sort_values(ascending=False)
    assert list(dict.fromkeys(b.department for b in boxes)) == list(order.index)
    assert [b.amount for b in boxes if b.department == order.index[0]] == sorted(
        (b.amount for b in boxes if b.department == order.index[0]), reverse=True)
    police_lines = budget[(budget["year"] == years[-2]) & (budget["department"] == "Police")]
    assert {b.department for b in police_boxes} == {"Police"}
    assert sum(b.amount for b in police_boxes) == pytest.approx(
        police_lines["adopted"].sum(), abs=0.005)

    # The KPI panels: growth has a department breakdown, spending per resident has none.
    adopted = budget.groupby("year")["adopted"].sum()
    assert growth.declared and growth.member is None
    assert growth.trend[-1].period_label == f"FY{years[-1]}"
    assert growth.trend[-1].value == pytest.approx(
        adopted[years[-1]] / adopted[years[-2]] - 1, rel=1e-9)
    police_adopted = budget[budget["department"] == "Police"].groupby("year")["adopted"].sum()
    police_growth = [p for p in growth.groups if p.breakdown_value == "Police"]
    assert police_growth[-1].value == pytest.approx(
        police_adopted[years[-1]] / police_adopted[years[-2]] - 1, rel=1e-9)
    assert not per_resident.declared and per_resident.groups == ()
    assert per_resident.trend


# ------------------------------------------------------------------ the page


def test_the_budget_page_shows_the_file_figures_and_restores_the_view_from_the_url(site):
    workspace, server = site
    budget = budget_file(workspace.sample_dir)
    years = sorted(budget["year"].unique())
    latest = years[-1]
    by_year = budget.groupby("year")[["adopted", "revised", "actual"]].sum()

    page = render(server, "/budget")
    words = text(page)
    assert "Budget" in words and f"FY{latest} at a glance: All departments" in words
    assert find(page, "budget-fy")["props"]["value"] == str(latest)
    assert find(page, "budget-department")["props"]["value"] == "all"
    assert money(by_year.loc[latest, "adopted"]) in words
    assert f"Where the money goes in FY{latest}" in words
    # Every year's adopted budget in the "Show the data" table of budget against actual.
    for year in years:
        assert dollars(by_year.loc[year, "adopted"]) in words
    # The latest year's spending is partial while the year runs, and the page says so.
    assert ("has not ended" in words) == (not year_has_ended(latest))
    ended = [y for y in years if year_has_ended(y)]
    if ended:
        rate = by_year.loc[ended[-1], "actual"] / by_year.loc[ended[-1], "revised"]
        assert f"{rate * 100:.1f}%" in words and execution_status(rate) in words
    for section in ("budget-summary", "budget-treemap", "budget-by-year", "budget-execution",
                    "budget-per-resident", "budget-growth", "feedback"):
        assert find(page, section) is not None, section

    # The query string chooses the view.
    year = years[-3]
    page = render(server, "/budget", f"?fy={year}&department=Police")
    words = text(page)
    police = budget[(budget["department"] == "Police") & (budget["year"] == year)]
    assert find(page, "budget-fy")["props"]["value"] == str(year)
    assert find(page, "budget-department")["props"]["value"] == "Police"
    assert f"FY{year} at a glance: Police" in words
    assert f"Where Police's money goes in FY{year}" in words
    assert money(police["adopted"].sum()) in words
    assert "Spending per resident is published for the whole city only" in words
    other_program = budget.loc[budget["department"] == "Fire", "program"].iloc[0]
    assert other_program not in words

    # Bad or repeated values fall back to the defaults, never to an error.
    for search in ("?fy=1999&department=Nowhere", "?fy=abc&department=",
                   f"?fy={year}&fy={latest}&department=Police&department=Fire",
                   "?fy=2026%27%3B--&department=%3Cscript%3E"):
        page = render(server, "/budget", search)
        words = text(page)
        assert f"FY{latest} at a glance: All departments" in words, search
        assert "could not be shown" not in words, search


def test_changing_a_budget_select_re_renders_the_charts(site):
    workspace, server = site
    budget = budget_file(workspace.sample_dir)
    year = sorted(budget["year"].unique())[1]
    fire = budget[(budget["department"] == "Fire") & (budget["year"] == year)]

    answer = callback(server, VIEW, {"budget-fy.value": str(year),
                                     "budget-department.value": "Fire"})
    words = text(answer["budget-view.children"])
    assert f"Where Fire's money goes in FY{year}" in words
    assert money(fire["adopted"].sum()) in words
    for program, amount in fire.groupby("program")["adopted"].sum().items():
        assert program in words and dollars(amount) in words
    assert answer["budget-showing.children"] == f"Showing FY{year} for Fire."

    answer = callback(server, VIEW, {"budget-fy.value": None, "budget-department.value": "all"})
    latest = budget["year"].max()
    assert f"FY{latest} at a glance: All departments" in text(answer["budget-view.children"])
