"""The practice library: initiatives that are done, with what the data says about each, where a
practice spread and how it did each time; "adopt this practice" copies one into another
department as a planned initiative; managers comment on a practice.

/internal/practices lists the practices, searched and filtered in the query string (?q=, kpi=,
theme=, dept=, cost=, effect=; `dept` for the reason given in initiatives.py); ?id=N is one
practice with its adoptions, the adopt form and the comments. Everyone signed in reads;
adopting and commenting are for managers and admins. Adopting into a department the user may
not edit, and editing a comment that is not one's own, are refused on the server (403).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html
from flask import request
from flask_login import current_user

from appdb import initiatives as store
from appdb.accounts import Account
from appdb.initiatives import DONE, MAX_COMMENT, Comment, Initiative, InitiativeError
from dashboards import context
from dashboards.access import edits_initiatives
from dashboards.components.filters import Options, choice, select
from dashboards.components.freshness import utc_time
from dashboards.guard import guarded_callback
from dashboards.internal.initiatives import (
    EDITORS,
    THEMES,
    catalogue,
    cost_words,
    editable_departments,
    evidence,
    measured,
    named,
    page_of,
    spread_table,
    status_badge,
    verdict_badge,
)
from kpis.evidence import IMPROVED, TOO_LITTLE, UNCLEAR, WORSENED
from kpis.initiative_read import Finding
from kpis.read import Definition

PATH = "/internal/practices"
NAME = "Practice library"
PURPOSE = "done initiatives and their evidence, where each spread; adopt one, comment"
ANY = "all"
COSTS: Options = ((ANY, "Any cost"), ("under-10k", "Under $10,000"),
                  ("10k-50k", "$10,000 to $50,000"), ("over-50k", "Over $50,000"))
EFFECTS: dict[str, str] = {"improved": IMPROVED, "unclear": UNCLEAR, "worsened": WORSENED,
                           "too-little": TOO_LITTLE}
EFFECT_OPTIONS: Options = ((ANY, "Any effect"), ("improved", "Improved"),
                           ("unclear", "No clear change"), ("worsened", "Worsened"),
                           ("too-little", "Too little data"))
FILTERS = ("q", "kpi", "theme", "dept", "cost", "effect")
EXCERPT = 300  # characters of a practice's change shown in the list


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    if query.get("id"):
        found = named(query)
        return _practice(account, found) if found and found.status == DONE else _not_here(found)
    return _library(query)


def cost_band(i: Initiative) -> str:
    """The cost filter's band of an initiative: its one-off cost plus a year's running cost."""
    total = (i.cost_once or 0) + (i.cost_yearly or 0)
    return "under-10k" if total < 10_000 else "10k-50k" if total <= 50_000 else "over-50k"


def matches(i: Initiative, found: Sequence[Finding], kpis: dict[str, Definition],
            chosen: dict[str, str]) -> bool:
    """Whether a practice passes the chosen filters (ANY passes everything)."""
    aimed = [k for k, _ in i.kpis]
    text = chosen["q"].casefold()
    wanted_kpi = chosen["kpi"]
    verdicts = {f.verdict for f in found if wanted_kpi in (ANY, f.kpi_id)}
    return all((
        not text or text in f"{i.title}\n{i.change}".casefold(),
        wanted_kpi == ANY or wanted_kpi in aimed,
        chosen["theme"] == ANY or any(kpis[k].domain == chosen["theme"]
                                      for k in aimed if k in kpis),
        chosen["dept"] == ANY or i.department == chosen["dept"],
        chosen["cost"] == ANY or cost_band(i) == chosen["cost"],
        chosen["effect"] == ANY or EFFECTS[chosen["effect"]] in verdicts,
    ))


# ------------------------------------------------------------------------------ the library


def _library(query: dict[str, str]) -> html.Div:
    done = store.listing(context.settings().database_url, status=DONE)
    kpis = catalogue()
    found = measured(i.id for i in done)
    aimed = sorted({k for i in done for k, _ in i.kpis if k in kpis}, key=lambda k: kpis[k].title)
    options = {
        "kpi": ((ANY, "Any KPI"), *((k, kpis[k].title) for k in aimed)),
        "theme": ((ANY, "Any theme"), *THEMES.items()),
        "dept": ((ANY, "Every department"), *((d, d) for d in sorted({i.department
                                                                       for i in done}))),
        "cost": COSTS,
        "effect": EFFECT_OPTIONS,
    }
    chosen = {key: choice(query.get(key), opts, ANY) for key, opts in options.items()}
    chosen["q"] = (query.get("q") or "").strip()[:200]
    shown = [i for i in done if matches(i, found.get(i.id, []), kpis, chosen)]
    return html.Div(className="practices", children=[
        html.H1(NAME),
        html.P("Initiatives that are done, with what the data says about each: learn from "
               "them, and adopt one in your department. Evidence is measured at each publish."),
        dcc.Location(id="practices-url", refresh="callback-nav"),
        html.Div(className="filters practices-filters", role="search",
                 **{"aria-label": "Search and filter the practices"}, children=[
            html.Div(className="filter", children=[
                dbc.Label("Search titles and changes", html_for="practices-q",
                          className="filter-label"),
                dcc.Input(id="practices-q", type="search", value=chosen["q"], debounce=True,
                          className="form-control")]),
            select("practices-kpi", "KPI", options["kpi"], chosen["kpi"]),
            select("practices-theme", "Theme", options["theme"], chosen["theme"]),
            select("practices-dept", "Department", options["dept"], chosen["dept"]),
            select("practices-cost", "Cost (one-off plus a year)", COSTS, chosen["cost"]),
            select("practices-effect", "Measured effect", EFFECT_OPTIONS, chosen["effect"]),
        ]),
        html.P(f"{len(shown)} of {len(done)} practices shown.", id="practices-summary",
               role="status"),
        html.Ul(id="practices-list", className="practices-list", children=[
            html.Li(_card(i, found, kpis)) for i in shown]) if shown else html.P(
            "No practice matches these filters.", className="empty-note"),
    ])


def _card(i: Initiative, found: dict[int, list[Finding]], kpis: dict[str, Definition]
          ) -> html.Article:
    others = [o for o in store.spread(context.settings().database_url, i.id) if o.id != i.id]
    later = measured(o.id for o in others) if others else {}
    change = i.change if len(i.change) <= EXCERPT else i.change[:EXCERPT].rsplit(" ", 1)[0] + "…"
    return html.Article(className="practice-card", id=f"practice-{i.id}", children=[
        html.H2(dcc.Link(i.title, href=f"{PATH}?id={i.id}"), className="h4"),
        html.P(f"{i.department} · ran {i.start_date:%b %Y} to "
               f"{i.end_date:%b %Y} · {cost_words(i)}" if i.end_date else i.department,
               className="practice-meta"),
        html.P(change),
        html.Ul(className="findings", children=[
            html.Li([f"{kpis[f.kpi_id].title if f.kpi_id in kpis else f.kpi_id}: ",
                     verdict_badge(f.verdict)]) for f in found.get(i.id, [])]
            or html.Li("Not measured yet.")),
        html.P(["Also run by: ", *_joined([_copy(o, later.get(o.id, [])) for o in others])],
               className="practice-spread") if others else None,
    ])


def _copy(o: Initiative, found: Sequence[Finding]) -> list:
    """Another department's run of a practice: its status and, once measured, its first
    finding's verdict."""
    verdict = [", ", verdict_badge(found[0].verdict)] if found else []
    return [f"{o.department} (", status_badge(o.status), *verdict, ")"]


def _joined(parts: list[list]) -> list:
    out: list = []
    for number, part in enumerate(parts):
        out += (["; "] if number else []) + part
    return out


def _address(values: dict[str, Any]) -> str:
    query = {k: str(v).strip() for k, v in values.items()
             if isinstance(v, str) and v.strip() and v != ANY}
    return f"?{urlencode(query)}" if query else ""


# ------------------------------------------------------------------------------ one practice


def _not_here(found: Initiative | None) -> html.Div:
    words = ["Only initiatives that are done are in the library. ",
             dcc.Link("See its page", href=page_of(found.id)), "."] if found else \
        ["There is no such practice. "]
    return html.Div(className="empty-state", role="status", children=[
        html.H1("Not in the practice library"),
        html.P([*words, " ", dcc.Link("Back to the library", href=PATH), "."])])


def _practice(account: Account, i: Initiative) -> html.Div:
    kpis = catalogue()
    into = [d for d in editable_departments(account) if d != i.department]
    return html.Div(className="practices", children=[
        dcc.Store(id="practice-id", data=i.id),
        html.H1(i.title),
        html.P([dcc.Link("Practice library", href=PATH), " · ",
                dcc.Link("The initiative's page (charts, files)", href=page_of(i.id))]),
        html.P([f"{i.department} · ran {i.start_date:%-d %B %Y} to "
                f"{i.end_date:%-d %B %Y} · {cost_words(i)}" if i.end_date else i.department],
               className="practice-meta"),
        html.P(i.change, className="initiative-change"),
        evidence(i, measured([i.id]).get(i.id, []), kpis, "practice-evidence-title"),
        html.Section(**{"aria-labelledby": "practice-spread-title"}, children=[
            html.H2("Where it spread, and how it did each time", id="practice-spread-title"),
            html.Div(id="practice-spread", children=spread_table(i.id, kpis,
                                                                  "practice-spread-table"))]),
        _adopt(into) if into else None,
        html.Section(**{"aria-labelledby": "practice-comments-title"}, children=[
            html.H2("Comments", id="practice-comments-title"),
            html.Div(id="practice-comments-section", children=comments_section(account, i.id))]),
    ])


def _adopt(into: list[str]) -> html.Section:
    return html.Section(className="practice-adopt", **{
        "aria-labelledby": "practice-adopt-title"}, children=[
        html.H2("Adopt this practice", id="practice-adopt-title"),
        html.P("Copies it into a department as a planned initiative starting next month, "
               "linked to this one; change its details on its page afterwards."),
        select("practice-adopt-department", "Into the department", [(d, d) for d in into],
               into[0]),
        html.Button("Adopt this practice", id="practice-adopt", type="button",
                    className="btn btn-primary mt-2"),
        html.P(id="practice-adopt-message", role="status", className="form-message mt-2"),
    ])


def comments_section(account: Account, practice_id: int, said: Any = None,
                     edit_said: Any = None, text: str = "") -> list:
    """The comments, oldest first, and for managers and admins the forms to add one and to
    edit one of their own (drawn again after each)."""
    found = store.comments(context.settings().database_url, practice_id)
    listed = html.Ol(id="practice-comments", className="practice-comments", children=[
        _comment(c) for c in found]) if found else html.P("No comment yet.",
                                                          id="practice-comments")
    if account.role not in EDITORS:
        return [listed, html.P("Managers and admins comment on practices.",
                               className="text-muted")]
    own = [c for c in found if c.author == account.name]
    return [
        listed,
        html.Div(className="mb-2", children=[
            dbc.Label(f"Your comment (plain text, at most {MAX_COMMENT:,} characters)",
                      html_for="practice-comment-text"),
            dcc.Textarea(id="practice-comment-text", value=text, maxLength=MAX_COMMENT,
                         className="form-control", rows=3)]),
        html.Button("Add the comment", id="practice-comment-add", type="button",
                    className="btn btn-secondary"),
        html.P(said, id="practice-comment-message", role="status", className="form-message"),
        # Always in the page (hidden while there is nothing to edit): one callback serves both.
        html.Div(hidden=not own, className="practice-comment-edit", children=[
            html.H3("Edit one of your comments", className="h5"),
            select("practice-comment-edit-id", "Your comment",
                   [(str(c.id), f"{c.created_at:%Y-%m-%d %H:%M}: {c.text[:40]}") for c in own],
                   str(own[-1].id) if own else ""),
            html.Div(className="mb-2", children=[
                dbc.Label("Its new text", html_for="practice-comment-edit-text"),
                dcc.Textarea(id="practice-comment-edit-text", value=own[-1].text if own else "",
                             maxLength=MAX_COMMENT, className="form-control", rows=3)]),
            html.Button("Save the comment", id="practice-comment-edit", type="button",
                        className="btn btn-secondary"),
            html.P(edit_said, id="practice-comment-edit-message", role="status",
                   className="form-message"),
        ]),
    ]


def _comment(c: Comment) -> html.Li:
    return html.Li(className="practice-comment", id=f"practice-comment-{c.id}", children=[
        html.P(className="practice-comment-meta", children=[
            html.Strong(c.author), " · ", utc_time(c.created_at), " UTC",
            *([" · edited ", utc_time(c.edited_at), " UTC"] if c.edited_at else [])]),
        html.P(c.text, className="practice-comment-text"),
    ])


# ------------------------------------------------------------------------------ callbacks


def _practice_of(values: dict[str, Any]) -> Initiative | None:
    practice_id = values.get("practice-id.data")
    return store.get(context.settings().database_url, practice_id) \
        if isinstance(practice_id, int) else None


def _adopt_scope(account: Account, values: dict[str, Any]) -> str | None:
    if _practice_of(values) is None:
        return "no such practice"
    department = values.get("practice-adopt-department.value")
    if not isinstance(department, str) or not edits_initiatives(account, department):
        return f"only admins and managers of {department} adopt practices into it"
    return None


def _comment_scope(account: Account, values: dict[str, Any]) -> str | None:
    practice = _practice_of(values)
    if practice is None:
        return "no such practice"
    chosen = values.get("practice-comment-edit-id.value")
    if chosen in (None, ""):
        return None
    own = {str(c.id) for c in store.comments(context.settings().database_url, practice.id)
           if c.author == account.name}
    return None if chosen in own else "only its author may edit a comment"


def register(app: Dash) -> None:
    @guarded_callback(app, Output("practices-url", "search"),
                      *(Input(f"practices-{key}", "value") for key in FILTERS),
                      prevent_initial_call=True)
    def filter_library(*values):
        return _address(dict(zip(FILTERS, values, strict=True)))

    @guarded_callback(app, Output("practice-adopt-message", "children"),
                      Output("practice-spread", "children"),
                      Input("practice-adopt", "n_clicks"), State("practice-id", "data"),
                      State("practice-adopt-department", "value"),
                      prevent_initial_call=True, roles=EDITORS, scope=_adopt_scope)
    def adopt(_clicks, practice_id, department):
        settings = context.settings()
        try:
            new_id = store.adopt(settings.database_url, practice_id, department,
                                 current_user.account.name, request.remote_addr)
        except InitiativeError as exc:
            return f"Not adopted: {exc.message}.", spread_table(practice_id, catalogue(),
                                                                "practice-spread-table")
        return ([f"Adopted into {department} as a planned initiative. ",
                 dcc.Link("Open the new initiative", href=page_of(new_id),
                          id="practice-adopted-link"), " to set its owner, dates and cost."],
                spread_table(practice_id, catalogue(), "practice-spread-table"))

    @guarded_callback(app, Output("practice-comments-section", "children"),
                      Input("practice-comment-add", "n_clicks"),
                      Input("practice-comment-edit", "n_clicks"),
                      State("practice-id", "data"), State("practice-comment-text", "value"),
                      State("practice-comment-edit-id", "value"),
                      State("practice-comment-edit-text", "value"),
                      prevent_initial_call=True, roles=EDITORS, scope=_comment_scope)
    def comment(_added, _edited, practice_id, text, comment_id, new_text):
        database_url = context.settings().database_url
        account = current_user.account
        try:
            if ctx.triggered_id == "practice-comment-edit":
                if not (comment_id or "").isdigit():
                    raise InitiativeError("comment", "choose one of your comments first")
                store.edit_comment(database_url, int(comment_id), account.name,
                                   new_text or "", request.remote_addr)
                return comments_section(account, practice_id, edit_said="Saved the comment.")
            store.add_comment(database_url, practice_id, account.name, text or "",
                              request.remote_addr)
        except InitiativeError as exc:
            said = f"Not saved: {exc.message}."
            return (comments_section(account, practice_id, edit_said=said, text=text or "")
                    if ctx.triggered_id == "practice-comment-edit"
                    else comments_section(account, practice_id, said=said, text=text or ""))
        return comments_section(account, practice_id, said="Added your comment.")

    @guarded_callback(app, Output("practice-comment-edit-text", "value"),
                      Input("practice-comment-edit-id", "value"), State("practice-id", "data"),
                      prevent_initial_call=True, roles=EDITORS, scope=_comment_scope)
    def pick(comment_id, practice_id):
        found = store.comments(context.settings().database_url, practice_id)
        return next((c.text for c in found if str(c.id) == comment_id), "")
