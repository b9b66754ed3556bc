"""Budget: where the money goes, what was planned against what was spent, year by year.

The view is chosen by fiscal year and department, kept in the URL (`?fy=2026&department=Police`).
Amounts come from `kpis.budget_facts`; execution rate, spending per resident and budget growth
from the precomputed KPIs.
"""

from __future__ import annotations

import calendar
from typing import NamedTuple

import dash
from dash import Input, Output, html

from dashboards.cache import snapshot_cached
from dashboards.components.chart import (
    PALETTE,
    accessible_chart,
    base_layout,
    dict_figure,
    target_line,
)
from dashboards.components.feedback import feedback_form
from dashboards.components.filters import choice, select, url_sync
from dashboards.components.formatting import dollars, kpi_value, money, status_word
from dashboards.components.frame import page_title
from dashboards.components.states import safe_layout
from kpis import budget_facts
from kpis.budget_facts import ProgramAmount, YearTotals
from kpis.read import Definition, Point
from kpis.service_facts import KpiPanel, kpi_panel

PATH = "/budget"
ALL = "all"
EXECUTION, PER_RESIDENT, GROWTH = "budget_execution_rate", "spend_per_resident", "budget_growth"
CITY = "Whole city"
INK = "#1b1b1b"
# Above the plot, so on a phone it never runs into the x axis's title and turned labels.
LEGEND_ON_TOP = {"legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
                 "margin": {"l": 64, "r": 16, "t": 56, "b": 56}}

dash.register_page(
    __name__, path=PATH, name="Budget", title=page_title("Budget"), order=1,
    description="Where the city's money goes: the adopted budget by department and program, "
                "and how much of it was spent, year by year.")

# The default year depends on the data, so it is never left out of the URL once chosen.
URL_SYNC = url_sync("budget", {"fy": "budget-fy", "department": "budget-department"},
                    {"fy": "", "department": ALL})


class Choice(NamedTuple):  # not a dataclass: Dash runs page modules outside sys.modules
    year: int
    department: str | None  # None: all departments
    years: list[int]
    departments: list[str]


def _text(value: object) -> str | None:
    """A query-string value as one string (a repeated key arrives as a list)."""
    return value if isinstance(value, str) else None


def _resolve(fy: object, department: object) -> tuple[str, Choice | None]:
    """The snapshot id and the view asked for, bad values replaced by the defaults."""
    snapshot, years = snapshot_cached(budget_facts.fiscal_years)()
    _, names = snapshot_cached(budget_facts.departments)()
    if not years:
        return snapshot.id, None
    year = choice(_text(fy), [(str(y), "") for y in years], str(years[-1]))
    name = choice(_text(department), [(n, n) for n in names], ALL)
    return snapshot.id, Choice(int(year), None if name == ALL else name, years, names)


@safe_layout
def layout(fy: object = None, department: object = None, feedback: object = None,
           **_other: object) -> html.Div:
    snapshot_id, chosen = _resolve(fy, department)
    head = [
        html.H1("Budget"),
        html.P("How much money the city planned to spend, on what, and how much it actually "
               "spent." + fiscal_year_words(), className="lead"),
    ]
    foot = feedback_form(page=PATH, snapshot_id=snapshot_id, status=_text(feedback))
    if chosen is None:
        return html.Div([*head, html.Div(className="empty-state", role="status", children=[
            html.H2("No budget has been published yet"),
            html.P("This page shows the city's budget once budget lines have been loaded."),
        ]), foot])
    return html.Div([
        *head,
        html.Div(className="filters", role="group", **{"aria-label": "Choose what to show"},
                 children=[
            select("budget-fy", "Fiscal year",
                   [(str(y), f"FY{y}") for y in reversed(chosen.years)], str(chosen.year)),
            select("budget-department", "Department",
                   [(ALL, "All departments"), *[(n, n) for n in chosen.departments]],
                   chosen.department or ALL),
        ]),
        html.P(showing(chosen), id="budget-showing", className="visually-hidden",
               role="status", **{"aria-live": "polite"}),
        html.Div(view(chosen), id="budget-view"),
        URL_SYNC,
        foot,
    ])


@dash.callback(Output("budget-view", "children"), Output("budget-showing", "children"),
               Input("budget-fy", "value"), Input("budget-department", "value"),
               prevent_initial_call=True)
def rerender(fy: str | None, department: str | None) -> tuple[html.Div, str]:
    """A select changed: the charts for the new choice."""
    shown = _safe_view(fy=fy, department=department)
    try:
        words = showing(_resolve(fy, department)[1])
    except Exception:  # the view above already says what went wrong
        words = ""
    return shown, words


@safe_layout
def _safe_view(fy: str | None = None, department: str | None = None) -> html.Div:
    _, chosen = _resolve(fy, department)
    if chosen is None:
        return html.Div(html.P("No budget has been published yet."))
    return view(chosen)


def fiscal_year_words() -> str:
    """How fiscal years are named, read off a fiscal-year KPI's period (none without KPIs)."""
    _, growth = snapshot_cached(kpi_panel)(GROWTH)
    point = growth.trend[-1] if growth.trend else None
    if point is None:
        return ""
    start = point.period_start
    if start.month == 1:
        return " Fiscal years are calendar years."
    first = calendar.month_name[start.month]
    last = calendar.month_name[start.month - 1]
    return (f" Fiscal years run from {first} to {last} and are named for the year they end "
            f"in: {point.period_label} runs from {first} {start.year} to {last} "
            f"{start.year + 1}.")


def showing(chosen: Choice | None) -> str:
    if chosen is None:
        return ""
    return f"Showing FY{chosen.year} for {chosen.department or 'all departments'}."


def view(chosen: Choice) -> html.Div:
    """Everything below the selects: the figures and charts for one year and department."""
    _, totals = snapshot_cached(budget_facts.totals_by_year)(chosen.department)
    _, boxes = snapshot_cached(budget_facts.treemap_rows)(chosen.year, chosen.department)
    _, execution = snapshot_cached(kpi_panel)(EXECUTION, "department")
    _, per_resident = snapshot_cached(kpi_panel)(PER_RESIDENT, "department")
    _, growth = snapshot_cached(kpi_panel)(GROWTH, "department")
    partial = partial_years(totals, execution)
    return html.Div([
        at_a_glance(chosen, totals, execution, partial),
        treemap_chart(chosen, boxes),
        by_year_chart(chosen, totals, partial),
        execution_chart(chosen, execution),
        per_resident_chart(chosen, per_resident),
        growth_chart(chosen, growth),
    ])


# ------------------------------------------------------------------ helpers for the figures

def partial_years(totals: list[YearTotals], execution: KpiPanel) -> set[int]:
    """Years whose actual spending is only to date: the fiscal year has not ended.

    A year has an execution rate once it has ended (the KPI keeps complete years only); without
    KPIs in the snapshot, the latest year with spending is taken to be the current one."""
    spent = [t.fiscal_year for t in totals if t.actual is not None]
    if execution.definition is None:
        return {max(spent)} if spent else set()
    ended = {p.period_label for p in execution.trend}
    return {year for year in spent if f"FY{year}" not in ended}


def department_points(panel: KpiPanel, department: str | None) -> tuple[Point, ...]:
    """The KPI's values for the department (where declared), else the city's."""
    if department is None or not panel.declared:
        return panel.trend
    return tuple(p for p in panel.groups if p.breakdown_value == department)


def for_year(points: tuple[Point, ...], year: int) -> Point | None:
    return next((p for p in points if p.period_label == f"FY{year}"), None)


def whose(chosen: Choice) -> str:
    return f"{chosen.department}'s" if chosen.department else "the city's"


def status_line(point: Point, unit: str, decimals: int, target: float) -> html.P:
    return html.P(className=f"kpi-status status-text-{point.status}", children=[
        html.Span(className=f"status-dot status-{point.status}", **{"aria-hidden": "true"}),
        status_word(point.status),
        html.Span(f" · target {kpi_value(target, unit, decimals)}", className="kpi-target"),
    ])


def money_axis(layout: dict) -> dict:
    """Dollar ticks as $1.5B, $500M."""
    layout["yaxis"].update(tickprefix="$", exponentformat="B", tickformat=None)
    return layout


# ------------------------------------------------------------------ at a glance

def at_a_glance(chosen: Choice, totals: list[YearTotals], execution: KpiPanel,
                partial: set[int]) -> html.Section:
    year = next((t for t in totals if t.fiscal_year == chosen.year), None)
    who = chosen.department or "All departments"
    cards = [
        _card("adopted", "Adopted budget", year and year.adopted,
              "as approved before the year began"),
        _card("revised", "Revised budget", year and year.revised,
              "after amendments during the year"),
        _card("actual", "Spent so far" if chosen.year in partial else "Actual spending",
              year and year.actual,
              "to date: the fiscal year has not ended, so this is partial"
              if chosen.year in partial else "in the fiscal year"),
        _execution_card(chosen, year, execution, partial),
    ]
    return html.Section(id="budget-summary", className="mb-4",
                        **{"aria-labelledby": "budget-summary-title"}, children=[
        html.H2(f"FY{chosen.year} at a glance: {who}", id="budget-summary-title"),
        html.Div(cards, className="row g-3"),
    ])


def _card(key: str, label: str, value: float | None, period: str,
          extra: html.P | None = None) -> html.Div:
    return html.Div(className="col-12 col-sm-6 col-lg-3", children=html.Section(
        className="figure-card h-100", id=f"budget-figure-{key}",
        **{"aria-labelledby": f"budget-figure-{key}-label"}, children=[
            html.H3(label, id=f"budget-figure-{key}-label", className="figure-label"),
            html.P("No data" if value is None else money(value), className="figure-value"),
            *([extra] if extra is not None else []),
            html.P(period, className="figure-period"),
        ]))


def _execution_card(chosen: Choice, year: YearTotals | None, execution: KpiPanel,
                    partial: set[int]) -> html.Div:
    d = execution.definition
    point = for_year(department_points(execution, chosen.department), chosen.year)
    if d is not None and point is not None:
        return html.Div(className="col-12 col-sm-6 col-lg-3", children=html.Section(
            className="figure-card h-100", id="budget-figure-execution",
            **{"aria-labelledby": "budget-figure-execution-label"}, children=[
                html.H3("Execution rate", id="budget-figure-execution-label",
                        className="figure-label"),
                html.P(kpi_value(point.value, d.unit, d.decimals), className="figure-value"),
                status_line(point, d.unit, d.decimals, d.target),
                html.P("of the revised budget was spent", className="figure-period"),
            ]))
    if chosen.year in partial and year and year.actual is not None and year.revised:
        words = (f"The year has not ended. So far {year.actual / year.revised:.1%} of the "
                 "revised budget has been spent.")
    elif year is None or year.actual is None:
        words = "No spending has been recorded for this year yet."
    else:
        words = "Not published for this year."
    return html.Div(className="col-12 col-sm-6 col-lg-3", children=html.Section(
        className="figure-card h-100", id="budget-figure-execution",
        **{"aria-labelledby": "budget-figure-execution-label"}, children=[
            html.H3("Execution rate", id="budget-figure-execution-label",
                    className="figure-label"),
            html.P("Not yet" if chosen.year in partial else "No data",
                   className="figure-value"),
            html.P(words, className="figure-period"),
        ]))


# ------------------------------------------------------------------ where the money goes

def treemap_chart(chosen: Choice, boxes: list[ProgramAmount]) -> html.Section:
    shown = [b for b in boxes if b.amount > 0]  # a treemap cannot draw a negative box
    left_out = len(boxes) - len(shown)
    title = (f"Where {chosen.department}'s money goes in FY{chosen.year}" if chosen.department
             else f"Where the money goes in FY{chosen.year}")
    total = sum(b.amount for b in shown)
    by_department: dict[str, float] = {}
    for b in shown:
        by_department[b.department] = by_department.get(b.department, 0.0) + b.amount
    if not shown:
        summary = ""
    elif chosen.department:
        top = max(shown, key=lambda b: b.amount)
        summary = (f"{chosen.department}'s adopted budget for FY{chosen.year} is "
                   f"{money(total)} across {len(shown)} programs; the largest is {top.program} "
                   f"with {money(top.amount)} ({top.amount / total:.1%}).")
    else:
        name, amount = max(by_department.items(), key=lambda item: item[1])
        top = max(shown, key=lambda b: b.amount)
        summary = (f"The adopted budget for FY{chosen.year} is {money(total)} across "
                   f"{len(by_department)} departments; the largest is {name} with "
                   f"{money(amount)} ({amount / total:.1%}), and the largest program is "
                   f"{top.program} ({top.department}) with {money(top.amount)}.")
    root = chosen.department or "All departments"
    ids, labels, parents, values, text = [root], [root], [""], [total], [money(total)]
    if not chosen.department:
        for name, amount in by_department.items():
            ids.append(name), labels.append(name), parents.append(root)
            values.append(amount), text.append(money(amount))
    for b in shown:
        ids.append(f"{b.department} / {b.program}"), labels.append(b.program)
        parents.append(b.department if not chosen.department else root)
        values.append(b.amount), text.append(money(b.amount))
    layout = base_layout("", "", height=480)
    layout.update(margin={"l": 4, "r": 4, "t": 28, "b": 4}, treemapcolorway=list(PALETTE[:7]))
    figure = dict_figure([{
        "type": "treemap", "ids": ids, "labels": labels, "parents": parents, "values": values,
        "text": text, "branchvalues": "total", "maxdepth": 3, "textinfo": "label+text",
        "hovertemplate": "%{label}: %{text} (%{percentRoot:.1%} of the total)<extra></extra>",
    }], layout)
    section = accessible_chart(
        "budget-treemap", title, summary, figure, ["Department", "Program", "Adopted budget"],
        [(b.department, b.program, dollars(b.amount)) for b in shown])
    if left_out:
        section.children.append(html.P(
            f"{left_out} program{'s' if left_out > 1 else ''} with a zero or negative adopted "
            "amount cannot be drawn as a box and are left out.", className="empty-note"))
    return section


# ------------------------------------------------------------------ budget against actual

def by_year_chart(chosen: Choice, totals: list[YearTotals], partial: set[int]) -> html.Section:
    title = (f"{chosen.department}: budget and spending by fiscal year" if chosen.department
             else "Budget and spending by fiscal year")
    labels = [f"FY{t.fiscal_year}" for t in totals]
    traces = []
    series = (("Adopted budget", "adopted", PALETTE[0], ""),
              ("Revised budget", "revised", PALETTE[4], ""),
              ("Actual spending", "actual", PALETTE[1], "/"))
    for name, field, colour, hatch in series:
        values = [getattr(t, field) for t in totals]
        notes = [money(v) + (" so far" if field == "actual" and t.fiscal_year in partial else "")
                 if v is not None else "No data" for t, v in zip(totals, values, strict=True)]
        traces.append({
            "type": "bar", "name": name, "x": labels, "y": values, "customdata": notes,
            "marker": {"color": colour, "pattern": {"shape": [
                hatch if field == "actual" and t.fiscal_year in partial else ""
                for t in totals]}},
            "hovertemplate": f"{name}: %{{customdata}}<extra></extra>"})
    layout = money_axis(base_layout("Fiscal year", "Amount (US dollars)"))
    layout.update(barmode="group", **LEGEND_ON_TOP)
    layout["xaxis"].update(type="category", automargin=True)
    figure = dict_figure(traces, layout)
    rows = [(f"FY{t.fiscal_year}" + (" (to date)" if t.fiscal_year in partial else ""),
             *[dollars(v) if v is not None else "No data"
               for v in (t.adopted, t.revised, t.actual)]) for t in totals]
    section = accessible_chart(
        "budget-by-year", title, _by_year_summary(chosen, totals, partial), figure,
        ["Fiscal year", "Adopted budget", "Revised budget", "Actual spending"], rows)
    if partial & {t.fiscal_year for t in totals}:
        years = ", ".join(f"FY{y}" for y in sorted(partial))
        section.children.append(html.P(
            f"{years} has not ended: its actual spending is what has been spent so far "
            "(hatched bar), not the year's total.", className="budget-partial-note"))
    return section


def _by_year_summary(chosen: Choice, totals: list[YearTotals], partial: set[int]) -> str:
    who = chosen.department or "The city"
    full = [t for t in totals if t.actual is not None and t.revised
            and t.fiscal_year not in partial]
    parts = []
    if full:
        last = full[-1]
        parts.append(f"In FY{last.fiscal_year}, the latest year that has ended, {who} spent "
                     f"{money(last.actual)} of a revised budget of {money(last.revised)} "
                     f"({last.actual / last.revised:.1%}).")
    adopted = [t for t in totals if t.adopted is not None]
    if len(adopted) > 1:
        first, last = adopted[0], adopted[-1]
        verb = "grew" if last.adopted >= first.adopted else "fell"
        parts.append(f"The adopted budget {verb} from {money(first.adopted)} in "
                     f"FY{first.fiscal_year} to {money(last.adopted)} in FY{last.fiscal_year}.")
    return " ".join(parts) or f"{who} has budget figures for one fiscal year only."


# ------------------------------------------------------------------ KPIs

def execution_chart(chosen: Choice, panel: KpiPanel) -> html.Section:
    d = panel.definition
    who = chosen.department or "Whole city"
    title = f"Budget execution rate: {who}"
    if d is None:
        return accessible_chart("budget-execution", title, "", {}, [], [])
    points = department_points(panel, chosen.department)
    figure = _kpi_bars(points, d, "Share of the revised budget spent")
    latest = points[-1] if points else None
    summary = (f"In {latest.period_label}, {whose(chosen)} spending was "
               f"{kpi_value(latest.value, d.unit, d.decimals)} of its revised budget: "
               f"{status_word(latest.status).lower()} (the target is "
               f"{kpi_value(d.target, d.unit, d.decimals)}). Only years that have ended are "
               "shown." if latest else "")
    return accessible_chart(
        "budget-execution", title, summary, figure, ["Fiscal year", "Execution rate", "Status"],
        [(p.period_label, kpi_value(p.value, d.unit, d.decimals), status_word(p.status))
         for p in points])


def per_resident_chart(chosen: Choice, panel: KpiPanel) -> html.Section:
    d = panel.definition
    title = "Spending per resident: whole city"
    if d is None:
        return accessible_chart("budget-per-resident", title, "", {}, [], [])
    points = panel.trend  # published for the whole city only
    figure = _kpi_bars(points, d, "Dollars spent per resident")
    latest = points[-1] if points else None
    summary = (f"In {latest.period_label} the city spent "
               f"{kpi_value(latest.value, d.unit, d.decimals)} per resident: "
               f"{status_word(latest.status).lower()} (the target is at most "
               f"{kpi_value(d.target, d.unit, d.decimals)})." if latest else "")
    section = accessible_chart(
        "budget-per-resident", title, summary, figure,
        ["Fiscal year", "Spending per resident", "Status"],
        [(p.period_label, kpi_value(p.value, d.unit, d.decimals), status_word(p.status))
         for p in points])
    if chosen.department and not panel.declared:
        section.children.insert(1, html.P(
            "Spending per resident is published for the whole city only, not by department.",
            className="budget-city-only"))
    return section


def growth_chart(chosen: Choice, panel: KpiPanel) -> html.Section:
    d = panel.definition
    if d is None:
        return accessible_chart("budget-growth", "Year-on-year change in the adopted budget",
                                "", {}, [], [])
    if chosen.department and panel.declared:
        return _growth_of_department(chosen, panel)
    return _growth_by_department(chosen, panel)


def _growth_by_department(chosen: Choice, panel: KpiPanel) -> html.Section:
    d = panel.definition
    title = f"Year-on-year change in the adopted budget, FY{chosen.year}, by department"
    city = for_year(panel.trend, chosen.year)
    groups = sorted((p for p in panel.groups if p.period_label == f"FY{chosen.year}"),
                    key=lambda p: p.value, reverse=True)
    bars = ([(CITY, city)] if city else []) + [(p.breakdown_value, p) for p in groups]
    if not bars:
        section = accessible_chart("budget-growth", title, "", {}, [], [])
        section.children[-1] = html.P(
            f"No change can be shown for FY{chosen.year}: there is no adopted budget for the "
            "year before it.", className="empty-note")
        return section
    layout = base_layout("Change on the year before (%)", "", y_format=None,
                         height=80 + 26 * len(bars))
    layout["xaxis"].update(tickformat=".0%", zeroline=True, zerolinecolor=INK)
    layout["yaxis"].update(autorange="reversed", automargin=True, rangemode=None)
    layout.update(hovermode="closest", showlegend=False)
    figure = dict_figure([{
        "type": "bar", "y": [name for name, _ in bars], "x": [p.value for _, p in bars],
        "orientation": "h",
        "marker": {"color": [INK if name == CITY else PALETTE[0] for name, _ in bars]},
        "customdata": [f"{kpi_value(p.value, d.unit, d.decimals)} ({status_word(p.status)})"
                       for _, p in bars],
        "hovertemplate": "%{y}: %{customdata}<extra></extra>"}], layout)
    target_line(figure, d.target, f"Target {kpi_value(d.target, d.unit, d.decimals)}",
                axis="x")
    parts = []
    if city:
        parts.append(f"The city's adopted budget for FY{chosen.year} is "
                     f"{_change_words(city.value, d.decimals)} FY{chosen.year - 1}'s: "
                     f"{status_word(city.status).lower()} (the target is a rise of at most "
                     f"{kpi_value(d.target, d.unit, d.decimals)}).")
    if groups:
        high, low = groups[0], groups[-1]
        parts.append(f"The largest change is {high.breakdown_value} "
                     f"({_signed(high.value, d.decimals)}), the smallest "
                     f"{low.breakdown_value} ({_signed(low.value, d.decimals)}); "
                     f"{sum(p.status == 'green' for p in groups)} of {len(groups)} departments "
                     "are on target.")
    return accessible_chart(
        "budget-growth", title, " ".join(parts), figure, ["Department", "Change", "Status"],
        [(name, _signed(p.value, d.decimals), status_word(p.status)) for name, p in bars])


def _growth_of_department(chosen: Choice, panel: KpiPanel) -> html.Section:
    d = panel.definition
    title = f"Year-on-year change in the adopted budget: {chosen.department}"
    own = {p.period_label: p for p in department_points(panel, chosen.department)}
    city = {p.period_label: p for p in panel.trend}
    labels = [label for label in city if label in own]
    traces = [{"type": "bar", "name": name, "x": labels, "y": [points[x].value for x in labels],
               "marker": {"color": colour},
               "customdata": [f"{_signed(points[x].value, d.decimals)} "
                              f"({status_word(points[x].status)})" for x in labels],
               "hovertemplate": f"{name}: %{{customdata}}<extra></extra>"}
              for name, points, colour in ((chosen.department, own, PALETTE[0]),
                                           (CITY, city, INK))]
    layout = base_layout("Fiscal year", "Change on the year before (%)", y_format=".0%")
    layout["xaxis"].update(type="category", automargin=True)
    layout.update(barmode="group", **LEGEND_ON_TOP)
    figure = dict_figure(traces, layout)
    target_line(figure, d.target, f"Target {kpi_value(d.target, d.unit, d.decimals)}")
    point = own.get(f"FY{chosen.year}") or (own[labels[-1]] if labels else None)
    summary = (f"{chosen.department}'s adopted budget for {point.period_label} is "
               f"{_change_words(point.value, d.decimals)} the year before's: "
               f"{status_word(point.status).lower()} (the target is a rise of at most "
               f"{kpi_value(d.target, d.unit, d.decimals)})." if point else "")
    return accessible_chart(
        "budget-growth", title, summary, figure,
        ["Fiscal year", chosen.department, CITY, f"Status ({chosen.department})"],
        [(x, _signed(own[x].value, d.decimals), _signed(city[x].value, d.decimals),
          status_word(own[x].status)) for x in labels])


def _kpi_bars(points: tuple[Point, ...], d: Definition, y_title: str) -> dict:
    """A KPI's values by fiscal year as bars, with its target as a dashed line."""
    layout = base_layout("Fiscal year", y_title,
                         y_format=".0%" if d.unit == "percent" else None)
    if d.unit == "usd":
        layout["yaxis"].update(tickprefix="$", tickformat=",.0f")
    layout["xaxis"].update(type="category", automargin=True)
    layout.update(showlegend=False)
    figure = dict_figure([{
        "type": "bar", "x": [p.period_label for p in points], "y": [p.value for p in points],
        "marker": {"color": PALETTE[0]},
        "customdata": [f"{kpi_value(p.value, d.unit, d.decimals)} ({status_word(p.status)})"
                       for p in points],
        "hovertemplate": "%{x}: %{customdata}<extra></extra>"}], layout)
    target_line(figure, d.target, f"Target {kpi_value(d.target, d.unit, d.decimals)}")
    return figure


def _signed(value: float, decimals: int) -> str:
    """+4.9%, -1.2%: a change with its sign."""
    return f"{value * 100:+.{decimals}f}%"


def _change_words(value: float, decimals: int) -> str:
    size = f"{abs(value) * 100:.{decimals}f}%"
    return f"{size} larger than" if value >= 0 else f"{size} smaller than"
