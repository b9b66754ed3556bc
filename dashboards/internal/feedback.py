"""Feedback inbox: what residents said through "Was this page useful?", newest first, with
replies, internal notes, status and the time the city took to answer.

Everyone signed in reads it; managers and admins reply, add notes and change the status (the
action callback is guarded to those roles, so a viewer's hand-made request gets 403). Filters
live in the URL through a plain GET form, so a view is a link and works without scripts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import request
from flask_login import current_user

from appdb import feedback_inbox as inbox
from appdb.accounts import Account
from appdb.audit import record
from dashboards.access import ADMIN, MANAGER
from dashboards.components.formatting import count, published
from dashboards.components.freshness import ago
from dashboards.context import settings
from dashboards.guard import guarded_callback

PATH = "/internal/feedback"
NAME = "Feedback inbox"
PURPOSE = "residents' feedback, with replies and notes"

RESPONDERS = frozenset({MANAGER, ADMIN})
STATUS_WORDS = {inbox.NEW: "New", inbox.ANSWERED: "Answered", inbox.CLOSED: "Closed"}
# A filter's "every value" option: not empty, which dbc.Select keeps for its placeholder.
ALL = "all"
# Ids of one item's parts (pattern-matching: "index" is the feedback's id).
TEXT, REPLY, NOTE = "feedback-text", "feedback-reply", "feedback-note"
STATUS, SET_STATUS = "feedback-status", "feedback-set-status"
HISTORY, STATE, MESSAGE = "feedback-history", "feedback-state", "feedback-message"


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    database_url = settings().database_url
    present = inbox.choices(database_url)
    filters = inbox.Filters(
        status=_pick(query.get("status"), inbox.STATUSES),
        page=_pick(query.get("page"), present.pages),
        kpi_id=_pick(query.get("kpi"), present.kpi_ids),
        dataset_id=_pick(query.get("dataset"), present.dataset_ids))
    number = int(query["p"]) if query.get("p", "").isdigit() else 1
    shown = inbox.listing(database_url, filters, number)
    by_status = inbox.counts(database_url, filters)
    median, answered = inbox.median_response(database_url, filters)
    responds = account.role in RESPONDERS
    return html.Div(className="feedback-inbox", children=[
        html.H1(NAME),
        html.P("What residents told the city through “Was this page useful?” at the foot of "
               "the public pages, newest first. Comments are private: they never reach the "
               "warehouse or the open data."),
        None if responds else html.P(
            "You can read the inbox; managers and admins reply and change the status.",
            className="feedback-inbox-readonly"),
        _summary(by_status, median, answered, filters),
        _filter_form(filters, present, by_status),
        _shown_count(shown),
        html.Ol(className="feedback-inbox-list", children=[
            html.Li(_item(entry, responds)) for entry in shown.items])
        if shown.items else html.Div(className="empty-state", role="status", children=[
            html.P("No feedback matches this view.")]),
        _pager(shown, filters),
    ])


def register(app: Dash) -> None:
    guarded_callback(
        app,
        Output({"type": HISTORY, "index": MATCH}, "children"),
        Output({"type": STATE, "index": MATCH}, "children"),
        Output({"type": MESSAGE, "index": MATCH}, "children"),
        Output({"type": TEXT, "index": MATCH}, "value"),
        Output({"type": STATUS, "index": MATCH}, "value"),
        Input({"type": REPLY, "index": MATCH}, "n_clicks"),
        Input({"type": NOTE, "index": MATCH}, "n_clicks"),
        Input({"type": SET_STATUS, "index": MATCH}, "n_clicks"),
        State({"type": TEXT, "index": MATCH}, "value"),
        State({"type": STATUS, "index": MATCH}, "value"),
        roles=RESPONDERS,
        prevent_initial_call=True,
    )(act)


def act(_reply: int | None, _note: int | None, _status: int | None, text: str | None,
        status: str | None) -> tuple[Any, ...]:
    """Reply, add a note or change the status of one feedback, as the button pressed says."""
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not isinstance(pressed.get("index"), int):
        raise PreventUpdate
    feedback_id, button = pressed["index"], pressed.get("type")
    database_url = settings().database_url
    actor = current_user.account.name
    try:
        if button == SET_STATUS:
            before, entry = inbox.set_status(database_url, feedback_id, status or "")
            if before == entry.status:
                said = f"The status was already {STATUS_WORDS[entry.status]}."
            else:
                record(database_url, "feedback_status", actor, request.remote_addr,
                       feedback_id=feedback_id, before=before, after=entry.status)
                said = f"Status changed to {STATUS_WORDS[entry.status]}."
            text_after = no_update
        elif button in (REPLY, NOTE):
            kind = inbox.REPLY if button == REPLY else inbox.NOTE
            entry = inbox.add_note(database_url, feedback_id, actor, kind, text)
            record(database_url, f"feedback_{kind}", actor, request.remote_addr,
                   feedback_id=feedback_id)
            said = "Reply saved; the feedback is marked answered." if kind == inbox.REPLY \
                else "Internal note saved."
            text_after = ""
        else:
            raise PreventUpdate
    except inbox.InboxRefused as refused:
        return no_update, no_update, _message(str(refused), ok=False), no_update, no_update
    return (_history(entry), _state(entry), _message(said, ok=True), text_after, entry.status)


# ---------------------------------------------------------------- the parts of the page


def _summary(by_status: dict[str, int], median: timedelta | None, answered: int,
             filters: inbox.Filters) -> html.Section:
    others = {"page": filters.page, "kpi": filters.kpi_id, "dataset": filters.dataset_id}
    return html.Section(className="feedback-inbox-summary", **{"aria-label": "Summary"},
                        children=[
        html.Ul(className="feedback-inbox-counts", children=[
            html.Li(dcc.Link([html.Span(STATUS_WORDS[s], className=f"feedback-badge "
                                        f"feedback-badge-{s}"),
                              html.Span(count(n), className="feedback-inbox-count")],
                             href=_href(others | {"status": s})))
            for s, n in by_status.items()]),
        html.P(id="feedback-median", className="feedback-inbox-median", children=[
            html.Strong("Median response time in this view: "),
            f"{duration(median)}, over {count(answered)} answered." if median is not None
            else "none answered yet."]),
    ])


def _filter_form(filters: inbox.Filters, present: inbox.Choices,
                 by_status: dict[str, int]) -> html.Form:
    statuses = [(s, f"{STATUS_WORDS[s]} ({count(n)})") for s, n in by_status.items()]
    return html.Form(method="get", action=PATH, className="filters feedback-inbox-filters",
                     role="search", **{"aria-label": "Filter the feedback"}, children=[
        _select("status", "Status", statuses, filters.status, "Every status"),
        _select("page", "Page", [(p, p) for p in present.pages], filters.page, "Every page"),
        _select("kpi", "KPI", [(k, k) for k in present.kpi_ids], filters.kpi_id, "Every KPI"),
        _select("dataset", "Dataset", [(d, d) for d in present.dataset_ids],
                filters.dataset_id, "Every dataset"),
        html.Div(className="feedback-inbox-filter-actions", children=[
            html.Button("Show", type="submit", className="btn btn-primary"),
            html.A("Clear the filters", href=PATH),
        ]),
    ])


def _select(name: str, label: str, options: list[tuple[str, str]], value: str | None,
            every: str) -> html.Div:
    select_id = f"feedback-filter-{name}"
    return html.Div(className="filter", children=[
        dbc.Label(label, html_for=select_id, className="filter-label"),
        dbc.Select(id=select_id, name=name, value=value or ALL, options=[
            {"value": ALL, "label": every}, *({"value": v, "label": t} for v, t in options)]),
    ])


def _shown_count(shown: inbox.Listing) -> html.P:
    if not shown.total:
        return html.P("No feedback in this view.", className="feedback-inbox-shown")
    first = (shown.page - 1) * inbox.PER_PAGE + 1
    last = first + len(shown.items) - 1
    return html.P(f"Showing {count(first)} to {count(last)} of {count(shown.total)}.",
                  className="feedback-inbox-shown", id="feedback-shown")


def _pager(shown: inbox.Listing, filters: inbox.Filters) -> html.Nav | None:
    if shown.pages == 1:
        return None
    keep = {"status": filters.status, "page": filters.page, "kpi": filters.kpi_id,
            "dataset": filters.dataset_id}
    return html.Nav(className="feedback-inbox-pager", **{"aria-label": "Pages of feedback"},
                    children=[
        dcc.Link("Previous page", href=_href(keep | {"p": str(shown.page - 1)}))
        if shown.page > 1 else None,
        html.Span(f"Page {shown.page} of {shown.pages}", **{"aria-current": "page"}),
        dcc.Link("Next page", href=_href(keep | {"p": str(shown.page + 1)}))
        if shown.page < shown.pages else None,
    ])


def _item(entry: inbox.Item, responds: bool) -> html.Article:
    title = f"feedback-{entry.id}-title"
    about = [("Sent", _time(entry.submitted_at)),
             ("Page", html.A(entry.page, href=entry.page))]
    if entry.kpi_id:
        about.append(("KPI", html.A(entry.kpi_id, href=f"/kpi/{entry.kpi_id}")))
    if entry.dataset_id:
        about.append(("Dataset", html.A(entry.dataset_id, href=f"/data/{entry.dataset_id}")))
    about.append(("Useful", {True: "Yes", False: "No", None: "Not answered"}[entry.useful]))
    return html.Article(className="feedback-item", id=f"feedback-{entry.id}",
                        **{"aria-labelledby": title}, children=[
        html.H2(f"Feedback #{entry.id}", id=title, className="feedback-item-title"),
        html.Dl(className="feedback-item-facts", children=[
            part for label, value in about for part in (html.Dt(label), html.Dd(value))]),
        html.Div(_state(entry), id={"type": STATE, "index": entry.id}),
        html.H3("Comment", className="feedback-item-heading"),
        # A child string, never markup: React shows it as text, whatever it holds.
        html.P(entry.comment, className="feedback-item-comment") if entry.comment else
        html.P("No comment: a yes or no answer only.", className="feedback-item-none"),
        html.H3("Replies and notes", className="feedback-item-heading"),
        html.Div(_history(entry), id={"type": HISTORY, "index": entry.id}),
        _actions(entry) if responds else None,
    ])


def _state(entry: inbox.Item) -> html.Dl:
    """The status in words and the response time (redrawn after a change)."""
    if entry.response_time is not None:
        waited = f"Answered {duration(entry.response_time)} after it was sent."
    else:
        waited = f"Not answered yet; sent {ago(entry.submitted_at, datetime.now(UTC))}."
    return html.Dl(className="feedback-item-facts", children=[
        html.Dt("Status"),
        html.Dd(html.Span(STATUS_WORDS.get(entry.status, entry.status),
                          className=f"feedback-badge feedback-badge-{entry.status}")),
        html.Dt("Response time"), html.Dd(waited),
    ])


def _history(entry: inbox.Item) -> html.Ol | html.P:
    if not entry.notes:
        return html.P("None yet.", className="feedback-item-none")
    return html.Ol(className="feedback-notes", children=[
        html.Li(className=f"feedback-note feedback-note-{note.kind}", children=[
            html.P(className="feedback-note-meta", children=[
                html.Strong("Reply" if note.kind == inbox.REPLY else "Internal note"),
                f" by {note.author}, ", _time(note.at)]),
            html.P(note.text, className="feedback-note-text"),
        ]) for note in entry.notes])


def _actions(entry: inbox.Item) -> html.Div:
    return html.Div(className="feedback-actions", children=[
        # The hint is inside the label: dcc.Textarea takes no aria-describedby.
        html.Label(htmlFor=_dom_id(TEXT, entry.id), className="form-label", children=[
            f"Reply or internal note on feedback #{entry.id}",
            html.Span(f" (at most {count(inbox.MAX_TEXT)} characters; a reply marks it "
                      "answered, a note is for staff only)", className="feedback-hint")]),
        dcc.Textarea(id={"type": TEXT, "index": entry.id}, maxLength=inbox.MAX_TEXT, rows=3,
                     className="form-control", value=""),
        html.Div(className="feedback-buttons", children=[
            html.Button("Send reply", id={"type": REPLY, "index": entry.id},
                        className="btn btn-primary", type="button"),
            html.Button("Add internal note", id={"type": NOTE, "index": entry.id},
                        className="btn btn-outline-primary", type="button"),
        ]),
        html.Div(className="feedback-status-change", children=[
            dbc.Label(f"Status of feedback #{entry.id}", html_for=_dom_id(STATUS, entry.id)),
            dbc.Select(id={"type": STATUS, "index": entry.id}, value=entry.status,
                       options=[{"value": s, "label": STATUS_WORDS[s]} for s in inbox.STATUSES]),
            html.Button("Change status", id={"type": SET_STATUS, "index": entry.id},
                        className="btn btn-outline-primary", type="button"),
        ]),
        html.Div(id={"type": MESSAGE, "index": entry.id}, role="status",
                 className="feedback-action-message"),
    ])


def _message(text: str, ok: bool) -> html.P:
    return html.P(text, className="feedback-action-ok" if ok else "feedback-action-problem")


# ---------------------------------------------------------------- words and addresses


def duration(span: timedelta) -> str:
    """'2 days 4 hours', '3 hours 5 minutes', '12 minutes', 'under a minute'."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}"
             for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts[:2]) if parts else "under a minute"


def _time(moment: datetime) -> html.Time:
    iso = moment.astimezone(UTC).isoformat(timespec="seconds")
    return html.Time(published(iso), dateTime=iso)


def _pick(value: str | None, known: list[str] | tuple[str, ...]) -> str | None:
    """A filter's value from the URL, if it is one of the values present; else every value."""
    return value if value in known else None


def _href(params: dict[str, str | None]) -> str:
    kept = {k: v for k, v in params.items() if v}
    return PATH + ("?" + urlencode(kept) if kept else "")


def _dom_id(kind: str, index: int) -> str:
    """The id Dash gives a pattern-matching component in the page (for a label's `for`)."""
    return json.dumps({"index": index, "type": kind}, separators=(",", ":"), sort_keys=True)
