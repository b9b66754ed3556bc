"""Initiatives: what a department changed to move which KPIs, and whether the data says it worked.

/internal/initiatives lists them (filtered by ?dept= and ?status=); ?new=1 is the form for a new
one; ?id=N is one initiative: its fields, the evidence measured at the last publish on each of
its KPIs (with the method in words), each KPI's chart with the starts of the initiatives aiming
at it marked, its attachments, where the practice came from and spread to, "Mark as done" and
the edit form.

Everyone signed in reads every initiative: learning from other departments is the point (the
practice library, dashboards/internal/practices.py, builds on it), and an initiative is no
department's record-level detail. So the department filter's key is `dept`, not `department`,
which the guard reads as a request for that department's detail. Creating and changing one is
for admins and the managers of its department (`access.edits_initiatives`), checked on the
server by the callbacks' scope: a request for another department is refused with 403, whatever
the form showed.

Attachments travel outside Dash, through plain Flask routes under this page's path (so the guard
covers them): POST PATH/<id>/attachments, a multipart form with a CSRF token, for those who may
edit the initiative; GET PATH/attachments/<attachment id> for everyone signed in. The site's
request limit (DASHBOARD_MAX_REQUEST_BYTES, 1 MiB by default) is raised for the upload route
alone to fit a file of the largest size allowed plus the form around it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import Blueprint, Response, redirect, request, send_file
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from appdb import initiatives as store
from appdb.accounts import Account
from appdb.initiatives import (
    ATTACHMENT_TYPES,
    DONE,
    MAX_ATTACHMENT_BYTES,
    STATUSES,
    Draft,
    Initiative,
    InitiativeError,
)
from config.settings import Settings
from dashboards import context
from dashboards.access import ADMIN, MANAGER, edits_initiatives
from dashboards.cache import snapshot_cached
from dashboards.components.filters import Options, choice, select
from dashboards.components.formatting import dollars
from dashboards.components.freshness import utc_time
from dashboards.components.kpi_chart import Mark, series_chart
from dashboards.components.tables import scrolling
from dashboards.guard import guarded_callback
from kpis.evidence import IMPROVED, METHOD, TOO_LITTLE, UNCLEAR, WORSENED
from kpis.initiative_read import Finding, findings
from kpis.read import Definition, definitions, departments, series
from opendata.files_route import json_error
from warehouse.reader import WarehouseReader

PATH = "/internal/initiatives"
NAME = "Initiatives"
PURPOSE = "what departments changed to move their KPIs, and whether the data says it worked"
EDITORS = frozenset({ADMIN, MANAGER})
ALL_VALUES = "all"  # a filter's "any" value
UPLOAD = PATH + "/<int:initiative_id>/attachments"
DOWNLOAD = PATH + "/attachments/<int:attachment_id>"
_UPLOAD_PATH = re.compile(re.escape(PATH) + r"/\d+/attachments")
FORM_ROOM = 64 * 1024  # bytes a multipart form needs around its file
STATUS_WORDS = {"planned": "Planned", "running": "Running", "done": "Done", "stopped": "Stopped"}
VERDICT_WORDS = {IMPROVED: "Improved", WORSENED: "Worsened", UNCLEAR: "No clear change",
                 TOO_LITTLE: "Too little data to tell"}
NO_FINDING = ("Evidence is measured at each publish; this initiative's will appear after the "
              "next one.")
AIM_WORDS = {"up": "Up", "down": "Down"}
THEMES = {"budget": "Budget", "services": "Services", "engagement": "Community"}  # KPI domains
NOT_AIMED = "none"
# The form's fields: the Draft field each fills, its component id and its label (an error
# names the label and links to the field).
FIELDS = (("title", "initiative-title", "Title"),
          ("change", "initiative-change", "What changes, in plain words"),
          ("department", "initiative-department", "Department"),
          ("owner", "initiative-owner", "Owner (a person or a team)"),
          ("owner_public", "initiative-owner-public", "Owner named in public"),
          ("start_date", "initiative-start", "Start date"),
          ("end_date", "initiative-end", "End date (when it ended)"),
          ("cost_once", "initiative-cost-once", "One-off cost (US dollars)"),
          ("cost_yearly", "initiative-cost-yearly", "Yearly cost (US dollars)"),
          ("status", "initiative-status", "Status"),
          ("public", "initiative-public", "Public"),
          ("links", "initiative-links", "Links (one web address a line)"),
          ("kpis", "initiative-kpis", "KPIs it means to move"))
FIELD_IDS = {name: field_id for name, field_id, _ in FIELDS}
FIELD_LABELS = {name: label for name, _, label in FIELDS}
AIM = {"type": "initiative-aim", "kpi": ALL}
FORM_STATES = (*(State(field_id, "value") for _, field_id, _ in FIELDS if field_id !=
                 "initiative-kpis"), State(AIM, "value"), State(AIM, "id"))


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    if query.get("id"):
        found = named(query)
        return _one(account, found, query) if found else _missing()
    if query.get("new"):
        return _new(account)
    return _list(account, query)


# ------------------------------------------------------------------------------ shared parts


def named(query: dict[str, str]) -> Initiative | None:
    """The initiative the query string's `id` names, if there is one."""
    wanted = query.get("id", "")
    if not (isinstance(wanted, str) and wanted.isdigit() and len(wanted) < 10):
        return None
    return store.get(context.settings().database_url, int(wanted))


def catalogue() -> dict[str, Definition]:
    """Every KPI of the current snapshot's catalogue, public and internal, by id."""
    _, found = snapshot_cached(definitions)(None)
    return {d.id: d for d in found}


def editable_departments(account: Account) -> list[str]:
    """The departments the account may create initiatives for (and adopt practices into)."""
    if account.role == ADMIN:
        _, known = snapshot_cached(departments)()
        return sorted({*known, *store.departments(context.settings().database_url)})
    return sorted(d for d in account.departments if edits_initiatives(account, d))


def measured(ids: Iterable[int]) -> dict[int, list[Finding]]:
    """The findings of the current snapshot for some initiatives, by initiative id."""
    _, found = snapshot_cached(findings)(tuple(sorted(set(ids))))
    return found


def page_of(initiative_id: int) -> str:
    return f"{PATH}?id={initiative_id}"


def status_badge(status: str) -> html.Span:
    return html.Span(STATUS_WORDS.get(status, status), className=f"initiative-status "
                                                                  f"initiative-status-{status}")


def verdict_badge(verdict: str) -> html.Span:
    """The verdict in words; the colour only repeats it."""
    return html.Span(VERDICT_WORDS.get(verdict, verdict), className="verdict verdict-" +
                     re.sub(r"[^a-z]+", "-", verdict))


def cost_words(i: Initiative) -> str:
    parts = [f"{dollars(i.cost_once)} one-off" if i.cost_once is not None else None,
             f"{dollars(i.cost_yearly)} a year" if i.cost_yearly is not None else None]
    return ", ".join(p for p in parts if p) or "Not given"


def aims_words(i: Initiative, kpis: dict[str, Definition]) -> str:
    return "; ".join(f"{kpis[k].title if k in kpis else k} ({AIM_WORDS.get(d, d).lower()})"
                     for k, d in i.kpis)


def evidence(i: Initiative, found: Sequence[Finding], kpis: dict[str, Definition],
             heading_id: str) -> html.Section:
    """Per KPI the initiative aims at: the verdict in words and the finding's sentence."""
    by_kpi = {f.kpi_id: f for f in found}
    items = []
    for kpi_id, direction in i.kpis:
        title = kpis[kpi_id].title if kpi_id in kpis else kpi_id
        finding = by_kpi.get(kpi_id)
        aim = f"meant to go {direction}"
        if finding is None:
            items.append(html.Li([html.Strong(title), f" ({aim}): ", NO_FINDING]))
            continue
        place = "city-wide" if finding.measured_on == "city-wide" else \
            f"{finding.measured_on}'s series"
        items.append(html.Li(className="finding", children=[
            html.Strong(title), f" ({aim}): ", verdict_badge(finding.verdict), " ",
            finding.words, " ", html.Small(f"Measured on {place}.")]))
    return html.Section(**{"aria-labelledby": heading_id}, className="initiative-evidence",
                        children=[html.H2("Evidence from the data", id=heading_id),
                                  html.Ul(items, className="findings"), method()])


def method() -> html.Details:
    """How the evidence is measured, in the words of kpis/evidence.py."""
    return html.Details(className="evidence-method", children=[
        html.Summary("How the evidence is measured"),
        html.Ol([html.Li(sentence) for sentence in METHOD])])


def spread_table(initiative_id: int, kpis: dict[str, Definition], table_id: str
                 ) -> html.Div | html.P:
    """Where a practice came from and spread to, and how each copy did."""
    line = store.spread(context.settings().database_url, initiative_id)
    if len(line) < 2:
        return html.P("No other department has adopted this practice yet, and it was not "
                      "adopted from another.", id=table_id)
    found = measured(i.id for i in line)
    return scrolling(html.Table(id=table_id, className="table table-sm", children=[
        html.Caption("Every department that ran this practice, the first one first, and what "
                     "the data says each time"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "Department", "Initiative", "Status", "Started", "Evidence")])),
        html.Tbody([html.Tr([
            html.Th(i.department, scope="row"),
            html.Td([dcc.Link(i.title, href=page_of(i.id)),
                     " (this one)" if i.id == initiative_id else "",
                     html.Br() if i.adopted_from else None,
                     html.Small("adopted") if i.adopted_from else None]),
            html.Td(status_badge(i.status)),
            html.Td(f"{i.start_date:%-d %b %Y}"),
            html.Td(_verdicts(found.get(i.id, []), kpis)),
        ]) for i in line]),
    ]), "Where this practice spread")


def _verdicts(found: Sequence[Finding], kpis: dict[str, Definition]) -> list:
    if not found:
        return ["Not measured yet"]
    parts: list = []
    for f in found:
        title = kpis[f.kpi_id].title if f.kpi_id in kpis else f.kpi_id
        parts += ([html.Br()] if parts else []) + [f"{title}: ", verdict_badge(f.verdict)]
    return parts


def _missing() -> html.Div:
    return html.Div(className="empty-state", role="status", children=[
        html.H1("No such initiative"),
        html.P(["It may never have existed. ", dcc.Link("See all initiatives", href=PATH),
                "."])])


# ------------------------------------------------------------------------------ the list


def _list(account: Account, query: dict[str, str]) -> html.Div:
    database_url = context.settings().database_url
    dept_options: Options = ((ALL_VALUES, "Every department"),
                             *((d, d) for d in store.departments(database_url)))
    status_options: Options = ((ALL_VALUES, "Any status"),
                               *((s, STATUS_WORDS[s]) for s in STATUSES))
    dept = choice(query.get("dept"), dept_options, ALL_VALUES)
    status = choice(query.get("status"), status_options, ALL_VALUES)
    shown = store.listing(database_url, None if dept == ALL_VALUES else dept,
                          None if status == ALL_VALUES else status)
    kpis = catalogue()
    found = measured(i.id for i in shown)
    return html.Div(className="initiatives", children=[
        html.H1(NAME),
        html.P("What departments changed to move their KPIs, and what the data says about it "
               "since. Evidence is measured at each publish."),
        dcc.Location(id="initiatives-url", refresh="callback-nav"),
        html.P(dcc.Link("New initiative", href=f"{PATH}?new=1", id="initiatives-new",
                        className="btn btn-primary"))
        if editable_departments(account) else None,
        html.Div(className="filters", role="group", **{"aria-label": "Filter the initiatives"},
                 children=[select("initiatives-dept", "Department", dept_options, dept),
                           select("initiatives-status", "Status", status_options, status)]),
        html.P(f"{len(shown)} initiative{'s' if len(shown) != 1 else ''} shown.",
               id="initiatives-summary", role="status"),
        scrolling(html.Table(id="initiatives-table", className="table", children=[
            html.Caption("Initiatives, the latest start first"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                "Initiative", "Department", "Status", "Started", "KPIs it means to move",
                "Evidence")])),
            html.Tbody([html.Tr([
                html.Th(dcc.Link(i.title, href=page_of(i.id)), scope="row"),
                html.Td(i.department),
                html.Td(status_badge(i.status)),
                html.Td(f"{i.start_date:%-d %b %Y}"),
                html.Td(aims_words(i, kpis)),
                html.Td(_verdicts(found.get(i.id, []), kpis)),
            ]) for i in shown] or html.Tr(html.Td("No initiative matches these filters.",
                                                  colSpan=6))),
        ]), "Initiatives"),
    ])


def _address(dept: str | None, status: str | None) -> str:
    query = {k: v for k, v in (("dept", dept), ("status", status)) if v and v != ALL_VALUES}
    return f"?{urlencode(query)}" if query else ""


# ------------------------------------------------------------------------------ the form


def _new(account: Account) -> html.Div:
    allowed = editable_departments(account)
    if not allowed:
        return html.Div(className="empty-state", role="status", children=[
            html.H1("New initiative"),
            html.P(["Admins and the managers of a department create its initiatives; viewers "
                    "read them. ", dcc.Link("See all initiatives", href=PATH), "."])])
    return html.Div(className="initiatives", children=[
        html.H1("New initiative"),
        html.P([dcc.Link("All initiatives", href=PATH), " · Fields marked * are needed. "
                "The evidence is measured at the next publish."]),
        dcc.Location(id="initiative-nav", refresh="callback-nav"),
        form(allowed, None, "initiative-create", "Create the initiative",
             "initiative-new-message"),
    ])


def form(allowed: list[str], initial: Initiative | None, button_id: str, button_label: str,
         message_id: str, message: Any = None) -> html.Form:
    """The initiative's fields (empty, or those of `initial`), a button and a message."""
    values = initial or Draft("", "", allowed[0] if len(allowed) == 1 else "", "",
                              datetime.now(UTC).date())
    aims = dict(values.kpis)
    departments_shown = [{"value": d, "label": d} for d in (
        allowed if values.department in allowed or not values.department
        else [values.department, *allowed])]
    if not values.department:
        departments_shown.insert(0, {"value": "", "label": "Choose the department"})

    def field(name: str, control: Any, needed: bool = False, hint: str | None = None
              ) -> html.Div:
        label = [FIELD_LABELS[name], " *" if needed else "",
                 html.Small(f" {hint}", className="form-text") if hint else None]
        return html.Div(className="mb-3", children=[
            dbc.Label(label, html_for=FIELD_IDS[name], className="form-label"), control])

    def text(name: str, value: str | None, **extra: Any) -> dcc.Input:
        return dcc.Input(id=FIELD_IDS[name], type="text", value=value or "",
                         className="form-control", **extra)

    def day(name: str, value: date | None) -> dcc.Input:
        return dcc.Input(id=FIELD_IDS[name], type="date",
                         value=value.isoformat() if value else "", className="form-control")

    def money(name: str, value: float | None) -> dcc.Input:
        return dcc.Input(id=FIELD_IDS[name], type="number", min=0, step="any", value=value,
                         className="form-control")

    def tick(name: str, checked: bool, words: str) -> dbc.Checklist:
        return dbc.Checklist(id=FIELD_IDS[name], value=["yes"] if checked else [],
                             options=[{"value": "yes", "label": words}])

    return html.Form(id="initiative-form", className="initiative-form", noValidate=True,
                     children=[
        field("title", text("title", values.title, maxLength=store.MAX_TITLE), True),
        field("change", dcc.Textarea(id=FIELD_IDS["change"], value=values.change,
                                     maxLength=store.MAX_CHANGE, className="form-control",
                                     rows=4), True,
              "What the department does differently from now on."),
        field("department", dbc.Select(id=FIELD_IDS["department"], value=values.department,
                                       options=departments_shown), True,
              "The departments you may create initiatives for."),
        field("owner", text("owner", values.owner, maxLength=200), True),
        html.Div(className="mb-3", children=[
            html.Span(FIELD_LABELS["owner_public"], className="form-label d-block",
                      id="initiative-owner-public-label"),
            tick("owner_public", values.owner_public,
                 "The owner agreed to be named on public pages and in the open data")]),
        html.Div(className="initiative-form-row", children=[
            field("start_date", day("start_date", values.start_date), True),
            field("end_date", day("end_date", values.end_date), hint="Needed once done or "
                                                                     "stopped."),
        ]),
        html.Div(className="initiative-form-row", children=[
            field("cost_once", money("cost_once", values.cost_once)),
            field("cost_yearly", money("cost_yearly", values.cost_yearly)),
        ]),
        field("status", dbc.Select(id=FIELD_IDS["status"], value=values.status, options=[
            {"value": s, "label": STATUS_WORDS[s]} for s in STATUSES]), True),
        html.Div(className="mb-3", children=[
            html.Span(FIELD_LABELS["public"], className="form-label d-block"),
            tick("public", values.public, "Show it on the public pages of its KPIs and in the "
                                          "open data")]),
        field("links", dcc.Textarea(id=FIELD_IDS["links"], value="\n".join(values.links),
                                    className="form-control", rows=2)),
        _aims(aims),
        html.Button(button_label, id=button_id, type="button", className="btn btn-primary"),
        html.P(message, id=message_id, role="status", className="form-message mt-2"),
    ])


def _aims(aims: dict[str, str]) -> html.Fieldset:
    """One select a KPI of the catalogue, by theme: not aimed at, up or down."""
    kpis = catalogue()
    options = [{"value": NOT_AIMED, "label": "Not aimed at"},
               *({"value": k, "label": w} for k, w in AIM_WORDS.items())]
    domains = sorted({d.domain for d in kpis.values()},
                     key=lambda d: (list(THEMES).index(d) if d in THEMES else len(THEMES), d))
    return html.Fieldset(id=FIELD_IDS["kpis"], className="initiative-aims mb-3", children=[
        html.Legend([FIELD_LABELS["kpis"], " *", html.Small(
            " Choose at least one, and the way the initiative means to move it.",
            className="form-text")], className="form-label"),
        *(html.Div(className="initiative-aims-group", children=[
            html.H3(THEMES.get(domain, domain.capitalize()), className="h6"),
            # The select inside its label: a pattern id is no plain HTML id to point at.
            *(html.Label(className="initiative-aim", children=[
                html.Span([d.title, html.Small(f" ({d.direction} is better)",
                                               className="form-text")]),
                dbc.Select(id={"type": "initiative-aim", "kpi": d.id},
                           value=aims.get(d.id, NOT_AIMED), options=options, size="sm"),
            ]) for d in kpis.values() if d.domain == domain)]) for domain in domains)])


def draft_from(values: Sequence[Any], aim_values: Sequence[Any], aim_ids: Sequence[Any]
               ) -> Draft:
    """A Draft from the form's values (in FIELDS order, without the KPIs), unchecked; an
    InitiativeError for a value that is no date or no number."""
    given = dict(zip([n for n, _, _ in FIELDS if n != "kpis"], values, strict=True))

    def cost(name: str) -> float | None:
        value = given.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InitiativeError(name, "give a number of dollars")
        return float(value)

    aims = tuple((str(i.get("kpi")), str(v))
                 for i, v in zip(aim_ids or (), aim_values or (), strict=False)
                 if isinstance(i, dict) and v and v != NOT_AIMED)
    start = parse_day("start_date", given.get("start_date"))
    if start is None:
        raise InitiativeError("start_date", "give the date the change started (or will start)")
    return Draft(
        title=str(given.get("title") or ""), change=str(given.get("change") or ""),
        department=str(given.get("department") or ""), owner=str(given.get("owner") or ""),
        start_date=start, status=str(given.get("status") or ""), kpis=aims,
        end_date=parse_day("end_date", given.get("end_date")), cost_once=cost("cost_once"),
        cost_yearly=cost("cost_yearly"), public=bool(given.get("public")),
        owner_public=bool(given.get("owner_public")),
        links=tuple(str(given.get("links") or "").splitlines()))


def parse_day(name: str, value: Any) -> date | None:
    """A form's date (YYYY-MM-DD, as a date input gives it), None if empty."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InitiativeError(name, "give a date as YYYY-MM-DD") from None


def refused(error: InitiativeError) -> list:
    """A form error naming the field, linked to it."""
    label = FIELD_LABELS.get(error.field, error.field.replace("_", " ").capitalize())
    where = html.A(label, href=f"#{FIELD_IDS[error.field]}") if error.field in FIELD_IDS \
        else label
    return [html.Strong("Not saved. "), where, f": {error.message}."]


# ------------------------------------------------------------------------------ one initiative


def _one(account: Account, i: Initiative, query: dict[str, str]) -> html.Div:
    return html.Div(className="initiatives", children=[
        dcc.Store(id="initiative-id", data=i.id),
        html.Div(id="initiative-body", children=body(account, i, query)),
    ])


def body(account: Account, i: Initiative, query: dict[str, str] | None = None,
         saved: Any = None, done: Any = None) -> list:
    """Everything shown of one initiative (drawn again after a change)."""
    query = query or {}
    kpis = catalogue()
    found = measured([i.id]).get(i.id, [])
    editor = edits_initiatives(account, i.department)
    return [
        html.H1(i.title),
        html.P([dcc.Link("All initiatives", href=PATH),
                *([" · ", dcc.Link("In the practice library",
                                   href=f"/internal/practices?id={i.id}")]
                  if i.status == DONE else [])]),
        _facts(i),
        html.H2("What changes"),
        html.P(i.change, className="initiative-change"),
        evidence(i, found, kpis, "initiative-evidence-title"),
        _charts(i, kpis),
        _attachments(i, editor, query),
        html.Section(**{"aria-labelledby": "initiative-spread-title"}, children=[
            html.H2("Where the practice came from and spread", id="initiative-spread-title"),
            spread_table(i.id, kpis, "initiative-spread")]),
        _mark_done(i, done) if editor else None,
        html.Section(**{"aria-labelledby": "initiative-edit-title"}, children=[
            html.H2("Change this initiative", id="initiative-edit-title"),
            form(editable_departments(account), i, "initiative-save", "Save the changes",
                 "initiative-edit-message", saved)]) if editor else html.P(
            f"Admins and the managers of {i.department} change this initiative.",
            className="text-muted"),
    ]


def _facts(i: Initiative) -> html.Dl:
    def fact(term: str, *detail: Any) -> list:
        return [html.Dt(term), html.Dd(list(detail))]

    return html.Dl(className="initiative-facts", id="initiative-facts", children=[
        *fact("Department", i.department),
        *fact("Status", status_badge(i.status)),
        *fact("Owner", i.owner, html.Small(" (named in public)" if i.owner_public else
                                           " (not named in public)")),
        *fact("Started", f"{i.start_date:%-d %B %Y}"),
        *fact("Ended", f"{i.end_date:%-d %B %Y}" if i.end_date else "Not ended"),
        *fact("Cost", cost_words(i)),
        *fact("Public", "Yes: on the public pages of its KPIs and in the open data"
              if i.public else "No: internal pages only"),
        *(fact("Adopted from", dcc.Link("the original initiative", href=page_of(
            i.adopted_from))) if i.adopted_from else []),
        *(fact("Links", html.Ul([html.Li(html.A(link, href=link, rel="noopener noreferrer"))
                                 for link in i.links])) if i.links else []),
        *fact("Created by", i.created_by or "–"),
    ])


def _charts(i: Initiative, kpis: dict[str, Definition]) -> html.Section:
    everyone = store.listing(context.settings().database_url)
    charts = []
    for kpi_id, _ in i.kpis:
        d = kpis.get(kpi_id)
        if d is None:
            charts.append(html.P(f"{kpi_id} is no longer in the KPI catalogue."))
            continue
        _, points = snapshot_cached(series)(kpi_id)
        marks = [Mark(other.start_date, other.title, page_of(other.id)) for other in everyone
                 if kpi_id in dict(other.kpis)]
        charts.append(series_chart(d, points, marks, chart_id=f"initiative-chart-{kpi_id}"))
    return html.Section(className="initiative-charts", children=[
        html.P("Each chart marks where the initiatives aiming at its KPI started (this one "
               "and the others).", className="text-muted"), *charts])


def _attachments(i: Initiative, editor: bool, query: dict[str, str]) -> html.Section:
    said = None
    if query.get("attached"):
        said = html.P(f"Added {query['attached']}.", role="status", id="initiative-upload-said")
    elif query.get("upload_error"):
        said = html.P([html.Strong("Not added. "), query["upload_error"]], role="alert",
                      id="initiative-upload-said", className="form-error")
    listed = scrolling(html.Table(id="initiative-attachments-table", className="table table-sm",
                                  children=[
        html.Caption("Files attached to this initiative"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "File", "Size", "Added by", "When (UTC)")])),
        html.Tbody([html.Tr([
            html.Th(html.A(a.filename, href=f"{PATH}/attachments/{a.id}", download=a.filename),
                    scope="row"),
            html.Td(f"{a.size / 1024:,.0f} kB" if a.size >= 1024 else f"{a.size} bytes"),
            html.Td(a.uploaded_by), html.Td(utc_time(a.uploaded_at)),
        ]) for a in i.attachments]),
    ]), "Attachments") if i.attachments else html.P("No file attached yet.")
    upload = html.Form(
        id="initiative-upload", action=f"{PATH}/{i.id}/attachments", method="POST",
        encType="multipart/form-data", className="initiative-upload", children=[
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            dbc.Label(["Add a file ", html.Small(
                f"({ATTACHMENT_TYPES}; at most {MAX_ATTACHMENT_BYTES // 1024:,} kB)",
                className="form-text")], html_for="initiative-file"),
            # dbc.Input renders a plain <input type="file">, sent by the browser's own form.
            dbc.Input(id="initiative-file", type="file", name="file"),
            html.Button("Upload", type="submit", id="initiative-upload-send",
                        className="btn btn-secondary mt-2"),
        ]) if editor else None
    return html.Section(id="initiative-attachments", className="initiative-attachments",
                        **{"aria-labelledby": "initiative-attachments-title"}, children=[
        html.H2("Attachments", id="initiative-attachments-title"), said, listed, upload])


def _mark_done(i: Initiative, said: Any) -> html.Section:
    already = i.status == DONE
    return html.Section(className="initiative-done", **{
        "aria-labelledby": "initiative-done-title"}, children=[
        html.H2("Mark as done", id="initiative-done-title"),
        html.P(f"Done since {i.end_date:%-d %B %Y}. The end date can be changed below."
               if already and i.end_date else
               "Sets the status to done, with the day it ended. Done initiatives join the "
               "practice library."),
        html.Div(className="initiative-form-row", children=[
            html.Div(className="mb-2", children=[
                dbc.Label("Ended on", html_for="initiative-done-date"),
                dcc.Input(id="initiative-done-date", type="date", className="form-control",
                          value=(i.end_date or datetime.now(UTC).date()).isoformat())]),
        ]),
        html.Button("Mark as done", id="initiative-done", type="button", disabled=already,
                    className="btn btn-secondary"),
        html.P(said, id="initiative-done-message", role="status", className="form-message"),
    ])


# ------------------------------------------------------------------------------ callbacks


def _create_scope(account: Account, values: dict[str, Any]) -> str | None:
    department = values.get("initiative-department.value")
    if isinstance(department, str) and department and \
            not edits_initiatives(account, department):
        return f"only admins and managers of {department} create its initiatives"
    return None


def _edit_scope(account: Account, values: dict[str, Any]) -> str | None:
    initiative_id = values.get("initiative-id.data")
    found = store.get(context.settings().database_url, initiative_id) \
        if isinstance(initiative_id, int) else None
    if found is None:
        return "no such initiative"
    if not edits_initiatives(account, found.department):
        return f"only admins and managers of {found.department} change its initiatives"
    return _create_scope(account, values)  # and a department it is moved to


def _as_draft(i: Initiative) -> Draft:
    return Draft(**{f.name: getattr(i, f.name) for f in fields(Draft)})


def register(app: Dash) -> None:
    @guarded_callback(app, Output("initiatives-url", "search"),
                      Input("initiatives-dept", "value"), Input("initiatives-status", "value"),
                      prevent_initial_call=True)
    def filter_list(dept: str | None, status: str | None) -> str:
        return _address(dept, status)

    @guarded_callback(app, Output("initiative-new-message", "children"),
                      Output("initiative-nav", "search"),
                      Input("initiative-create", "n_clicks"), *FORM_STATES,
                      prevent_initial_call=True, roles=EDITORS, scope=_create_scope)
    def create(_clicks, *values):
        settings = context.settings()
        try:
            draft = store.checked(draft_from(values[:-2], values[-2], values[-1]), catalogue())
        except InitiativeError as exc:
            return refused(exc), no_update
        new_id = store.create(settings.database_url, draft, current_user.account.name,
                              request.remote_addr)
        return f"Created: {draft.title}.", f"?id={new_id}"

    @guarded_callback(app, Output("initiative-edit-message", "children"),
                      Output("initiative-done-message", "children"),
                      Output("initiative-body", "children"),
                      Input("initiative-save", "n_clicks"), Input("initiative-done", "n_clicks"),
                      State("initiative-id", "data"), *FORM_STATES,
                      State("initiative-done-date", "value"),
                      prevent_initial_call=True, roles=EDITORS, scope=_edit_scope)
    def change(_saved, _done, initiative_id, *values):
        settings = context.settings()
        account = current_user.account
        stored = store.get(settings.database_url, initiative_id)
        marking = ctx.triggered_id == "initiative-done"
        try:
            if marking:
                ended = parse_day("end_date", values[-1])
                if ended is None:
                    raise InitiativeError("end_date", "give the day it ended")
                draft = replace(_as_draft(stored), status=DONE, end_date=ended)
            else:
                draft = draft_from(values[:-3], values[-3], values[-2])
            draft = store.checked(draft, [*catalogue(), *(k for k, _ in stored.kpis)])
        except InitiativeError as exc:
            said = refused(exc)
            return (no_update, said, no_update) if marking else (said, no_update, no_update)
        changed = store.update(settings.database_url, stored.id, draft, account.name,
                               request.remote_addr)
        words = (f"Saved: {', '.join(FIELD_LABELS[k].split(' (')[0].lower() for k in changed)}."
                 if changed else "Nothing had changed.")
        fresh = store.get(settings.database_url, stored.id)
        if marking:
            return no_update, no_update, body(account, fresh, done=f"Marked as done, ended "
                                                                  f"{draft.end_date:%-d %B %Y}.")
        return no_update, no_update, body(account, fresh, saved=words)


# ------------------------------------------------------------------------------ files


def routes(reader: WarehouseReader, settings: Settings) -> Blueprint:
    """Attachments: upload (editors of the initiative's department) and download (everyone
    signed in)."""
    files = Blueprint("internal_initiatives", __name__)
    room = max(settings.max_request_bytes, MAX_ATTACHMENT_BYTES + FORM_ROOM)

    @files.before_app_request
    def room_for_an_attachment() -> None:
        # Registered before the site's size check (dashboards/security.py), which reads this.
        if request.method == "POST" and _UPLOAD_PATH.fullmatch(request.path):
            request.max_content_length = room

    @files.post(UPLOAD)
    def upload(initiative_id: int) -> Response:
        account = current_user.account
        found = store.get(settings.database_url, initiative_id)
        if found is None:
            return json_error(404, "no such initiative")
        if not edits_initiatives(account, found.department):
            return json_error(403, f"only admins and managers of {found.department} add "
                                   "files to its initiatives")
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            return _back(initiative_id, upload_error="The form had expired. Please try again.")
        sent = request.files.get("file")
        if sent is None or not sent.filename:
            return _back(initiative_id, upload_error="Choose a file first.")
        try:
            store.add_attachment(settings.database_url, initiative_id, sent.filename,
                                 sent.read(), account.name, request.remote_addr)
        except InitiativeError as exc:
            return _back(initiative_id, upload_error=exc.message[:300])
        return _back(initiative_id, attached=sent.filename[:200])

    @files.get(DOWNLOAD)
    def download(attachment_id: int) -> Response:
        found = store.attachment(settings.database_url, attachment_id)
        if found is None:
            return json_error(404, "no such attachment")
        _, meta, content = found
        answer = send_file(io.BytesIO(content), mimetype=meta.media_type, as_attachment=True,
                           download_name=meta.filename, etag=False, conditional=False)
        answer.headers["Cache-Control"] = "private, no-store"
        return answer

    return files


def _back(initiative_id: int, **said: str) -> Response:
    """Back to the initiative's page, saying how the upload went."""
    return redirect(f"{page_of(initiative_id)}&{urlencode(said)}#initiative-attachments",
                    code=303)
