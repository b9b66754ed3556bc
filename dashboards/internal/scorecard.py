"""Scorecard: every KPI, public and internal, against the target in force now: value, target,
status, trend, owner and change since the period before; sortable, filtered by department,
theme and status, exported as CSV or XLSX."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qsl, urlencode

from dash import Dash, Input, Output, State, dcc, html
from flask import Blueprint, Response, request
from flask_login import current_user
from openpyxl import Workbook

from appdb.accounts import Account
from appdb.targets import rules
from config.settings import Settings
from dashboards import context
from dashboards.access import sees_all
from dashboards.cache import snapshot_cached
from dashboards.components.filters import Options, choice, select
from dashboards.components.formatting import kpi_change, kpi_value, status_word
from dashboards.components.kpi_tile import trend_words
from dashboards.components.sparkline import sparkline
from dashboards.components.tables import scrolling
from dashboards.guard import department_scope, guarded_callback
from kpis.read import departments, tiles
from kpis.scorecard import SORTS, STATUSES, ScoreRow, chosen, ordered, score_rows
from warehouse.reader import WarehouseReader

PATH = "/internal/scorecard"
NAME = "Scorecard"
PURPOSE = "every KPI against its target, by department, theme and status, to export"
CITY = "city"  # the department filter's value for the city-wide figures
ALL = "all"  # a theme or status filter's value for no filter
THEMES: Options = ((ALL, "All themes"), ("budget", "Budget"), ("services", "Services"),
                   ("engagement", "Community"))
STATUS_OPTIONS: Options = ((ALL, "Any status"), ("red", "Off target"), ("amber", "Near target"),
                           ("green", "On target"), ("none", "No status"))
COLUMNS = (("title", "KPI"), ("against", "Value"), (None, "Target"),
           ("status", "Status"), (None, "Trend"), ("change", "Change"), ("owner", "Owner"))
FILTERS = ("department", "theme", "status")


def department_options(account: Account, known: list[str]) -> Options:
    allowed = known if sees_all(account) else [d for d in known if d in account.departments]
    return ((CITY, "City-wide"), *((d, d) for d in allowed))


def view(account: Account, query: dict[str, str]) -> tuple[str | None, list[ScoreRow], dict]:
    """The department shown, the rows to show and the choices made, from the query string."""
    _, known = snapshot_cached(departments)()
    department = choice(query.get("department"), department_options(account, known), CITY)
    department = None if department == CITY else department
    _, found = snapshot_cached(tiles)(None, None, department)
    theme = choice(query.get("theme"), THEMES, ALL)
    wanted = choice(query.get("status"), STATUS_OPTIONS, ALL)
    sort = choice(query.get("sort"), [(s, s) for s in SORTS], "status")
    descending = query.get("order") == "desc"
    rows = score_rows(found, rules(context.settings().database_url), department)
    rows = ordered(chosen(rows, None if theme == ALL else theme,
                          None if wanted == ALL else wanted), sort, descending)
    return department, rows, {"department": department or CITY, "theme": theme,
                                      "status": wanted, "sort": sort,
                                      "order": "desc" if descending else "asc"}


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    _, known = snapshot_cached(departments)()
    department, rows, choices = view(account, query)
    shown = _filters(choices)
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUSES}
    return html.Div([
        html.H1("Scorecard"),
        html.P(f"{department or 'City-wide'}: {len(rows)} KPIs shown, {counts['green']} on "
               f"target, {counts['amber']} near target, {counts['red']} off target. Status is "
               "judged by the target in force now, including changes made since the last "
               "publish.", id="scorecard-summary", role="status"),
        html.Div(className="filters", children=[
            select("scorecard-department", "Department",
                   department_options(account, known), choices["department"]),
            select("scorecard-theme", "Theme", THEMES, choices["theme"]),
            select("scorecard-status", "Status", STATUS_OPTIONS, choices["status"]),
        ]),
        html.P(className="exports", children=[
            "Download this view: ",
            html.A("CSV", href=f"{PATH}.csv?{urlencode(shown)}", id="scorecard-csv"), " · ",
            html.A("Excel", href=f"{PATH}.xlsx?{urlencode(shown)}", id="scorecard-xlsx")]),
        score_table(rows, f"KPIs {('of ' + department) if department else 'city-wide'}, "
                          f"sorted by {choices['sort']} ({choices['order']}ending)",
                    [_header(key, label, choices) for key, label in COLUMNS]),
    ])


def score_table(rows: list[ScoreRow], caption: str, headers: list[html.Th] | None = None,
                table_id: str = "scorecard-table") -> html.Div:
    """The scorecard's table of rows (headers: the column headings, plain by default)."""
    headers = headers or [html.Th(label, scope="col") for _, label in COLUMNS]
    return scrolling(html.Table(
        id=table_id, className="table scorecard", children=[
            html.Caption(caption),
            html.Thead(html.Tr(headers)),
            html.Tbody([_row(r) for r in rows] or html.Tr(html.Td(
                "No KPI matches these filters.", colSpan=len(COLUMNS)))),
        ]), "Scorecard table")


def _filters(choices: dict[str, str | None]) -> dict[str, str]:
    """The filters that narrow the view, as the query string keeps them."""
    return {k: v for k, v in choices.items()
            if k in FILTERS and v and v not in (ALL, CITY)}


def _header(key: str | None, label: str, choices: dict[str, str]) -> html.Th:
    if key is None:
        return html.Th(label, scope="col")
    active = choices["sort"] == key
    order = "desc" if active and choices["order"] == "asc" else "asc"
    query = _filters(choices) | {"sort": key, "order": order}
    sorted_as = ({"aria-sort": "descending" if choices["order"] == "desc" else "ascending"}
                 if active else {})
    return html.Th(scope="col", **sorted_as, children=dcc.Link(
        [label, html.Span(f" (sort {'descending' if order == 'desc' else 'ascending'})",
                          className="visually-hidden")],
        href=f"{PATH}?{urlencode(query)}", className="sort-link"))


def _row(row: ScoreRow) -> html.Tr:
    d, point = row.tile.definition, row.tile.latest
    change = kpi_change(point.value, point.previous_value, d.unit, d.decimals) if point else None
    return html.Tr(id=f"scorecard-{d.id}", children=[
        html.Th(scope="row", children=[
            dcc.Link(d.title, href=f"/internal/targets?kpi={d.id}"),
            html.Span(" (internal)", className="badge-internal") if d.audience == "internal"
            else None]),
        html.Td([kpi_value(point.value if point else None, d.unit, d.decimals),
                 html.Br(), html.Small(point.period_label if point else "")]),
        html.Td(kpi_value(row.target, d.unit, d.decimals)),
        html.Td(className=f"status-text-{row.status}", children=[
            html.Span(className=f"status-dot status-{row.status}", **{"aria-hidden": "true"}),
            status_word(row.status)]),
        html.Td(sparkline(row.tile.spark, trend_words(row.tile)) if len(row.tile.spark) > 1
                else "–"),
        html.Td(f"{change} since {point.previous_label}" if change and point else "–"),
        html.Td(d.owner),
    ])


def register(app: Dash) -> None:
    @guarded_callback(app, Output("internal-url", "search"),
                      Input("scorecard-department", "value"), Input("scorecard-theme", "value"),
                      Input("scorecard-status", "value"), State("internal-url", "search"),
                      prevent_initial_call=True,
                      scope=department_scope("scorecard-department.value"))
    def filter_view(department: str | None, theme: str | None, status: str | None,
                    search: str | None) -> str:
        kept = {k: v for k, v in parse_qsl((search or "").lstrip("?")) if k in ("sort", "order")}
        picked = _filters({"department": department, "theme": theme, "status": status})
        return "?" + urlencode(picked | kept)


def routes(reader: WarehouseReader, settings: Settings) -> Blueprint:
    """/internal/scorecard.csv and .xlsx: the view the query string names, as a file."""
    files = Blueprint("internal_scorecard", __name__)

    @files.get(PATH + ".<any(csv, xlsx):kind>")
    def export(kind: str) -> Response:
        department, rows, _ = view(current_user.account, request.args.to_dict())
        snapshot = reader.snapshot()
        name = f"scorecard_{_slug(department or 'city')}_{snapshot.id if snapshot else 'none'}"
        table = [EXPORT_HEADER, *(_export_row(r) for r in rows)]
        if kind == "csv":
            text = io.StringIO()
            csv.writer(text).writerows(table)
            body, mimetype = text.getvalue().encode(), "text/csv"
        else:
            body, mimetype = _xlsx(table), XLSX
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f'attachment; filename="{name}.{kind}"',
            "Cache-Control": "private, no-store"})

    return files


EXPORT_HEADER = ("kpi_id", "title", "theme", "audience", "owner", "period", "value", "unit",
                 "target", "amber", "status", "previous_period", "previous_value")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_row(row: ScoreRow) -> tuple:
    d, point = row.tile.definition, row.tile.latest
    return (d.id, d.title, d.domain, d.audience, d.owner,
            point.period_label if point else None, point.value if point else None, d.unit,
            row.target, row.amber, row.status,
            point.previous_label if point else None, point.previous_value if point else None)


def _xlsx(table: list[tuple]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Scorecard")
    for line in table:
        sheet.append(list(line))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
