"""Departments: one department's KPIs against their targets, its service requests broken down
by district, request type and channel, and the records behind each number, paged.

A manager sees only their own departments here (the guard refuses the others with 403)."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import dcc, html

from appdb.accounts import Account
from appdb.targets import rules
from dashboards import context
from dashboards.access import DEPARTMENT, department_in_path, department_path, sees_department
from dashboards.cache import snapshot_cached
from dashboards.components.formatting import count
from dashboards.components.tables import scrolling
from dashboards.internal.scorecard import score_table
from kpis import department_facts as facts
from kpis.read import departments, tiles
from kpis.scorecard import score_rows

PATH = DEPARTMENT.rstrip("/")
NAME = "Departments"
PURPOSE = "one department's KPIs, its requests by district, type and channel, and the records"
RECORDS = "/records"
BY_WORDS = {"district": "District", "request_type": "Request type", "channel": "Channel"}
NONE = "(none)"  # a filter value for requests with the column empty


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    _, known = snapshot_cached(departments)()
    department = department_in_path(path)
    if department is None:
        return _index(account, known)
    if department not in known:
        return html.Div([html.H1("No such department"), html.P(
            f"No KPI is broken down for a department named {department!r} in this data.")])
    if path.rstrip("/").endswith(RECORDS):
        return _records(department, query)
    return _department(department)


def _index(account: Account, known: list[str]) -> html.Div:
    shown = [d for d in known if sees_department(account, d)]
    return html.Div([
        html.H1("Departments"),
        html.P("Each department's KPIs, its requests by district, type and channel, and the "
               "records behind them."),
        html.Ul([html.Li(dcc.Link(d, href=department_path(d))) for d in shown]) if shown else
        html.P("No department is in the published data yet."),
    ])


def _department(department: str) -> html.Div:
    _, found = snapshot_cached(tiles)(None, None, department)
    rows = score_rows(found, rules(context.settings().database_url), department)
    _, has_requests = snapshot_cached(facts.has_requests)()
    return html.Div([
        html.H1(department),
        html.P([dcc.Link("All departments", href=PATH), " · ",
                dcc.Link("This department on the scorecard",
                         href=f"/internal/scorecard?{urlencode({'department': department})}")]),
        html.H2("KPIs"),
        score_table(rows, f"{department}'s value of each KPI broken down by department",
                    table_id="department-kpis"),
        *(_breakdowns(department) if has_requests else
          [html.P("No service requests are in the published data.")]),
    ])


def _breakdowns(department: str) -> list:
    _, start = snapshot_cached(facts.window_start)()
    sections: list = [html.H2("Service requests"), html.P(
        f"The department's requests opened since {start:%d %B %Y} (the data's last twelve "
        "months). Select a number of requests to see the records behind it.")]
    for by, words in BY_WORDS.items():
        _, groups = snapshot_cached(facts.breakdown)(department, by)
        sections += [html.H3(f"By {words.lower()}"), scrolling(html.Table(
                id=f"department-by-{by}", className="table", children=[
                    html.Caption(f"{department}'s requests by {words.lower()}"),
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                        words, "Requests", "Open now", "Closed on time", "Median days to close")])),
                    html.Tbody([_group_row(department, by, g) for g in groups] or html.Tr(
                        html.Td("No requests.", colSpan=5))),
                ]), f"Requests by {words.lower()}")]
    return sections


def _group_row(department: str, by: str, group: facts.Group) -> html.Tr:
    name = group.name if group.name is not None else NONE
    href = department_path(department, RECORDS) + "?" + urlencode({by: name})
    return html.Tr([
        html.Th(name, scope="row"),
        html.Td(dcc.Link([count(group.requests), html.Span(f" requests, {name}: the records",
                                                           className="visually-hidden")],
                         href=href)),
        html.Td(count(group.open_now)),
        html.Td("–" if group.on_time is None else f"{group.on_time:.1%}"),
        html.Td("–" if group.median_days is None else f"{group.median_days:,.1f}"),
    ])


def _records(department: str, query: dict[str, str]) -> html.Div:
    filters = {by: (None if query[by] == NONE else query[by]) for by in BY_WORDS if by in query}
    page = int(query["page"]) if query.get("page", "").isdigit() else 1
    _, found = snapshot_cached(facts.records)(department, tuple(sorted(filters.items())), page)
    first = (page - 1) * facts.PAGE_SIZE + 1
    last = first + len(found.rows) - 1
    described = ", ".join(f"{BY_WORDS[k].lower()} {v or NONE}" for k, v in filters.items())

    def page_link(number: int, words: str) -> dcc.Link:
        kept = {k: query[k] for k in filters} | {"page": number}
        return dcc.Link(words, href=f"{department_path(department, RECORDS)}?{urlencode(kept)}",
                        className="btn btn-outline-primary")

    return html.Div([
        html.H1(f"{department}: requests"),
        html.P(dcc.Link(f"Back to {department}", href=department_path(department))),
        html.P((f"Requests {first:,} to {last:,} of {found.total:,}" if found.rows else
                f"No requests on page {page} ({found.total:,} in all)")
               + (f", {described}" if described else "") + ", newest first.",
               role="status", id="records-summary"),
        scrolling(html.Table(
            id="department-records", className="table table-sm", children=[
                html.Caption(f"{department}'s requests" + (f": {described}" if described else "")),
                html.Thead(html.Tr([html.Th(c.replace("_", " "), scope="col")
                                    for c in found.columns])),
                html.Tbody([html.Tr([html.Td("" if v is None else str(v)) for v in row])
                            for row in found.rows]),
            ]), "Records"),
        html.Nav(**{"aria-label": "Pages of records"}, className="d-flex gap-2", children=[
            page_link(page - 1, "Previous page") if page > 1 else None,
            page_link(page + 1, "Next page") if last < found.total else None,
        ]),
    ])
