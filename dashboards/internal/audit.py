"""Audit log: sign-ins, failed sign-ins, sign-outs, ETL runs started by hand, rollbacks, target
and user changes, newest first, by action and by user, 50 a page.

For viewers and admins: a manager is shown a plain refusal instead of the page, and its one
callback refuses managers too. The filters live in the query string (?action=&user=&page=),
so a view of the log can be bookmarked and shared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, dcc, html

from appdb.accounts import Account
from appdb.audit import Event, actions, actors, page
from dashboards import context
from dashboards.access import ADMIN, VIEWER
from dashboards.components.filters import choice, select
from dashboards.components.formatting import count
from dashboards.components.freshness import utc_time
from dashboards.components.tables import scrolling
from dashboards.guard import guarded_callback

PATH = "/internal/audit"
NAME = "Audit log"
PURPOSE = "sign-ins, runs started by hand, rollbacks, target and user changes"
READERS = frozenset({ADMIN, VIEWER})
PER_PAGE = 50
ALL = "all"  # the filters' "any" value

ACTION_WORDS = {
    "login": "Signed in",
    "login_failed": "Failed sign-in",
    "logout": "Signed out",
    "user_added": "User added",
    "etl_run_started": "ETL run started by hand",
    "rollback": "Rollback",
    "target_changed": "Target changed",
    "initiative_created": "Initiative created",
    "initiative_changed": "Initiative changed",
    "initiative_adopted": "Practice adopted",
    "initiative_attachment_added": "Attachment added",
    "practice_commented": "Comment on a practice",
    "practice_comment_edited": "Comment edited",
}


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    if account.role not in READERS:
        return html.Div(className="empty-state", role="status", children=[
            html.H1(NAME), html.P("This page is for viewers and admins.")])
    database_url = context.settings().database_url
    action_options = [(ALL, "Every action"), *((a, action_words(a))
                                               for a in actions(database_url))]
    user_options = [(ALL, "Everyone"), *((name, name) for name in actors(database_url))]
    action = choice(query.get("action"), action_options, ALL)
    user = query.get("user") if isinstance(query.get("user"), str) and query["user"] else ALL
    if user != ALL and user not in {v for v, _ in user_options}:
        user_options.append((user, user))  # a bookmarked name no longer in the log
    number = _page_number(query.get("page"))
    events, total = page(database_url, None if action == ALL else action,
                         None if user == ALL else user, (number - 1) * PER_PAGE, PER_PAGE)
    return html.Div(className="audit", children=[
        html.H1(NAME),
        html.P("Everything done that must be traceable, newest first. Times are in UTC."),
        dcc.Location(id="audit-url", refresh="callback-nav"),
        html.Div(className="filters", role="group", **{"aria-label": "Filter the log"},
                 children=[select("audit-action", "Action", action_options, action),
                           select("audit-user", "User", user_options, user)]),
        html.P(_showing(number, len(events), total), id="audit-showing", role="status"),
        scrolling(html.Table(id="audit-events", className="table table-sm data-table",
                             children=[
            html.Caption("Audit log events, newest first"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                "When (UTC)", "Action", "Who", "From address", "Detail")])),
            html.Tbody([_row(e) for e in events] or html.Tr(html.Td(
                "No event matches.", colSpan=5))),
        ]), "Audit log events"),
        _pager(action, user, number, total),
    ])


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace("_", " ").capitalize())


def detail_words(event: Event) -> str:
    """What the event's detail says, as a sentence."""
    d = event.detail
    if event.action == "login_failed":
        return "The name or the password was wrong."
    if event.action == "user_added":
        departments = d.get("departments") or []
        return f"Added {d.get('user')} as {d.get('role')}" + (
            f" of {', '.join(departments)}" if departments else "") + "."
    if event.action == "etl_run_started":
        return f"Started a run of every source (process {d.get('process')})."
    if event.action == "rollback":
        return f"Made snapshot {d.get('to')} current (it was {d.get('from')})."
    if event.action == "target_changed":
        return (f"KPI {d.get('kpi')} from {d.get('effective_from')}: target "
                f"{_number(d.get('old_target'))} → {_number(d.get('new_target'))}, amber "
                f"{_number(d.get('old_amber'))} → {_number(d.get('new_amber'))}.")
    if event.action in ("initiative_created", "initiative_adopted"):
        return (f"Initiative {d.get('initiative')}, “{d.get('title')}”, for "
                f"{d.get('department')}" + (f", copied from initiative {d['adopted_from']}"
                                            if d.get("adopted_from") else "") + ".")
    if event.action == "initiative_changed":
        changed = "; ".join(f"{field.replace('_', ' ')}: {_number(old)} → {_number(new)}"
                            for field, (old, new) in (d.get("changes") or {}).items())
        return f"Initiative {d.get('initiative')}: {changed}."
    if event.action == "practice_comment_edited":
        return (f"Comment {d.get('comment')} on initiative {d.get('initiative')}: "
                f"“{d.get('old')}” → “{d.get('new')}”.")
    return "; ".join(f"{key.replace('_', ' ')}: {_number(value)}" for key, value in d.items())


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _row(e: Event) -> html.Tr:
    return html.Tr([
        html.Th(utc_time(e.at), scope="row"),
        html.Td(action_words(e.action)),
        html.Td(e.actor or "the system"),
        html.Td(e.address or ""),
        html.Td(detail_words(e)),
    ])


def _page_number(value: Any) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() and int(value) > 0 else 1


def _showing(number: int, shown: int, total: int) -> str:
    if not shown:
        return f"No event on this page ({count(total)} match)." if total else "No event matches."
    first = (number - 1) * PER_PAGE + 1
    return f"Showing {count(first)}–{count(first + shown - 1)} of {count(total)} events."


def _pager(action: str, user: str, number: int, total: int) -> html.Nav | None:
    pages = max(1, -(-total // PER_PAGE))
    if pages == 1 and number == 1:
        return None

    def link(words: str, to: int, link_id: str) -> html.Li:
        return html.Li(dcc.Link(words, href=address(action, user, to), id=link_id),
                       className="list-inline-item")

    return html.Nav(**{"aria-label": "Pages of the audit log"}, children=html.Ul(
        className="audit-pages list-inline", children=[
            link("Newer events", number - 1, "audit-newer") if number > 1 else None,
            html.Li(f"Page {number} of {pages}", className="list-inline-item"),
            link("Older events", number + 1, "audit-older") if number < pages else None,
        ]))


def address(action: str, user: str, number: int = 1) -> str:
    """The page's address showing these filters and page (defaults left out)."""
    query = {k: v for k, v in (("action", action), ("user", user)) if v != ALL}
    if number > 1:
        query["page"] = str(number)
    return PATH + (f"?{urlencode(query)}" if query else "")


def register(app: Dash) -> None:
    @guarded_callback(app, Output("audit-url", "search"), Input("audit-action", "value"),
                      Input("audit-user", "value"), prevent_initial_call=True, roles=READERS)
    def filter_log(action: str | None, user: str | None) -> str:
        # The router draws the page again from the new query string, from the first page.
        found = address(action or ALL, user or ALL)
        return found[len(PATH):]
