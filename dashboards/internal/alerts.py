"""My alerts: the KPIs and departments the signed-in user hears about when they go wrong,
where their alerts go (e-mail, webhook), and the alerts sent to them lately.

A manager subscribes only to their own departments: the guard refuses a request naming any
other with 403. Every change is in the audit log (`alerts_changed`). The rules of who hears
about what are in alerts/audience.py and docs/alerts.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html
from flask import request
from flask_login import current_user

from alerts.addresses import email_problem, webhook_problem
from appdb import subscriptions as subs
from appdb.accounts import Account
from appdb.audit import record
from dashboards import context
from dashboards.access import ADMIN, sees_all, sees_department
from dashboards.cache import snapshot_cached
from dashboards.components.formatting import published
from dashboards.components.tables import scrolling
from dashboards.guard import Scope, guarded_callback
from kpis.read import Definition, definitions, departments

PATH = "/internal/alerts"
NAME = "My alerts"
PURPOSE = "the KPIs and departments you hear about when they go wrong"
CHANNEL_WORDS = {subs.EMAIL: "E-mail", subs.WEBHOOK: "Webhook"}


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    settings = context.settings()
    kpis, known = _choices(account)
    chosen = subs.subscribed(settings.database_url, account.id)
    where = subs.channels(settings.database_url, account.id)
    return html.Div(className="my-alerts", children=[
        html.H1(NAME),
        html.P("After each data load you get one message (a digest) listing what went wrong "
               "among what you chose below: a KPI whose status got worse and is now near or off "
               "target, a department's value of any KPI that did so, and a source the KPIs "
               "read that failed to load or is late."),
        html.Section(**{"aria-labelledby": "alerts-what"}, children=[
            html.H2("What you hear about", id="alerts-what"),
            html.Fieldset(className="alerts-choices", children=[
                html.Legend("KPIs"),
                dbc.Checklist(id="alerts-kpis", className="alerts-checklist",
                              options=[{"label": _kpi_label(d), "value": d.id} for d in kpis],
                              value=chosen[subs.KPI]),
            ]),
            html.Fieldset(className="alerts-choices", children=[
                html.Legend("Departments"),
                html.P("A department's value of every KPI, and the KPIs it owns."
                       + ("" if sees_all(account) else " You can choose your own departments."),
                       className="alerts-hint"),
                dbc.Checklist(id="alerts-departments", className="alerts-checklist",
                              options=[{"label": d, "value": d} for d in known],
                              value=[d for d in chosen[subs.DEPARTMENT] if d in known]),
            ]),
            html.Button("Save what I hear about", id="alerts-save-subscriptions", n_clicks=0,
                        className="btn btn-primary"),
            html.Div(id="alerts-subscriptions-status", role="status",
                     className="alerts-message"),
        ]),
        html.Section(**{"aria-labelledby": "alerts-where"}, children=[
            html.H2("Where your alerts go", id="alerts-where"),
            html.P("Leave a box empty to get no alerts that way.", className="alerts-hint"),
            _field("alerts-email", "E-mail address", where.email, "email",
                   "Such as name@city.gov."),
            _field("alerts-webhook", "Webhook address", where.webhook_url, "url",
                   "An https:// address that receives the digest as signed JSON (plain "
                   "http:// only to 127.0.0.1 or localhost)."),
            *_not_set_up(settings.smtp_host, settings.webhook_secret),
            html.Button("Save where alerts go", id="alerts-save-channels", n_clicks=0,
                        className="btn btn-primary"),
            html.Div(id="alerts-channels-status", role="status", className="alerts-message"),
        ]),
        html.Section(**{"aria-labelledby": "alerts-sent"}, children=[
            html.H2("Alerts sent to you lately", id="alerts-sent"),
            _deliveries(subs.deliveries(settings.database_url, account.id)),
        ]),
        _overview(settings.database_url) if account.role == ADMIN else None,
    ])


def _choices(account: Account) -> tuple[list[Definition], list[str]]:
    """Every KPI (internal ones too), and the departments the account may subscribe to: those
    KPIs are broken down by and those owning KPIs; a manager's own only."""
    _, kpis = snapshot_cached(definitions)(None)
    _, broken_down = snapshot_cached(departments)()
    if not sees_all(account):
        return kpis, list(account.departments)
    return kpis, sorted(set(broken_down) | {d.owner for d in kpis})


def _kpi_label(kpi: Definition) -> str:
    return kpi.title + (" (internal)" if kpi.audience == "internal" else "")


def _field(field_id: str, label: str, value: str | None, mode: str, hint: str) -> html.Div:
    # type="text": a browser's own check of type="email" would hide the value from the server,
    # which then could not say what is wrong with it.
    # The hint is inside the label (dbc.Input takes no aria-describedby), so a screen reader
    # reads it with the box's name.
    return html.Div(className="alerts-field", children=[
        dbc.Label([label, html.Small(hint, className="alerts-hint")], html_for=field_id),
        dbc.Input(id=field_id, type="text", inputMode=mode, value=value or "",
                  autoComplete="email" if mode == "email" else "url"),
    ])


def _not_set_up(smtp_host: str, webhook_secret: str) -> list[html.P]:
    missing = [words for words, ready in (("e-mail", smtp_host), ("webhooks", webhook_secret))
               if not ready]
    return [html.P(f"This server does not send {' or '.join(missing)} yet: what you set here is "
                   "kept and used once an administrator sets it up.", className="alerts-hint")
            ] if missing else []


def _deliveries(found: Sequence[subs.Delivery]) -> html.Div | html.P:
    if not found:
        return html.P("None yet.", id="alerts-deliveries-none")
    return scrolling(html.Table(
        id="alerts-deliveries", className="table", children=[
            html.Caption("Your latest alerts, newest first"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                "Sent", "By", "Data load", "Items", "Result")])),
            html.Tbody([html.Tr([
                html.Th(published(d.at.isoformat()), scope="row"),
                html.Td(CHANNEL_WORDS.get(d.channel, d.channel)),
                html.Td(d.run_id),
                html.Td(str(d.items)),
                html.Td("Sent" if d.ok else f"Not sent: {d.error}",
                        className="alerts-ok" if d.ok else "alerts-failed"),
            ]) for d in found]),
        ]), "Your latest alerts")


def _overview(database_url: str) -> html.Section:
    rows = subs.overview(database_url)
    return html.Section(**{"aria-labelledby": "alerts-everyone"}, children=[
        html.H2("Everyone's alerts", id="alerts-everyone"),
        scrolling(html.Table(
            id="alerts-overview", className="table", children=[
                html.Caption("Subscriptions of each active user (shown to administrators)"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "User", "KPIs", "Departments", "E-mail", "Webhook")])),
                html.Tbody([html.Tr([
                    html.Th(o.name, scope="row"), html.Td(str(o.kpis)),
                    html.Td(str(o.departments)), html.Td("Yes" if o.email else "No"),
                    html.Td("Yes" if o.webhook else "No")]) for o in rows]),
            ]), "Everyone's alerts"),
    ])


def own_departments(key: str) -> Scope:
    """Refuse when the input `key` (a list) names a department the account may not see."""
    def check(account: Account, values: dict[str, Any]) -> str | None:
        chosen = values.get(key) or []
        if not isinstance(chosen, list) or not all(isinstance(d, str) for d in chosen):
            return "departments must be a list of names"
        refused = [d for d in chosen if not sees_department(account, d)]
        if refused:
            return (f"you may subscribe only to your own departments, not to "
                    f"{', '.join(refused)}")
        return None
    return check


def register(app: Dash) -> None:
    @guarded_callback(app, Output("alerts-subscriptions-status", "children"),
                      Input("alerts-save-subscriptions", "n_clicks"),
                      State("alerts-kpis", "value"), State("alerts-departments", "value"),
                      prevent_initial_call=True,
                      scope=own_departments("alerts-departments.value"))
    def save_subscriptions(_clicks: int, kpis: list[str] | None,
                           chosen: list[str] | None) -> html.P:
        account: Account = current_user.account
        known_kpis, known = _choices(account)
        kpis, chosen = list(kpis or []), list(chosen or [])
        unknown = sorted(set(kpis) - {d.id for d in known_kpis}) + \
            sorted(set(chosen) - set(known))
        if unknown:
            return _problem(f"Not saved: there is no KPI or department {', '.join(unknown)}.")
        database_url = context.settings().database_url
        kpis_added, kpis_removed = subs.replace_subscriptions(
            database_url, account.id, subs.KPI, kpis)
        added, removed = subs.replace_subscriptions(
            database_url, account.id, subs.DEPARTMENT, chosen)
        record(database_url, "alerts_changed", account.name, request.remote_addr,
               kpis_added=kpis_added, kpis_removed=kpis_removed, departments_added=added,
               departments_removed=removed)
        return _done(f"Saved: you hear about {_count(len(kpis), 'KPI')} and "
                     f"{_count(len(chosen), 'department')}.")

    @guarded_callback(app, Output("alerts-channels-status", "children"),
                      Input("alerts-save-channels", "n_clicks"),
                      State("alerts-email", "value"), State("alerts-webhook", "value"),
                      prevent_initial_call=True)
    def save_channels(_clicks: int, email: str | None, webhook: str | None) -> html.Div:
        account: Account = current_user.account
        email, webhook = (email or "").strip() or None, (webhook or "").strip() or None
        problems = [p for p in (email and email_problem(email),
                                webhook and webhook_problem(webhook)) if p]
        if problems:
            return html.Div([_problem("Not saved: " + p) for p in problems])
        database_url = context.settings().database_url
        subs.set_channels(database_url, account.id, subs.Channels(email, webhook))
        # The webhook's address may hold its receiver's token: only its host is logged.
        record(database_url, "alerts_changed", account.name, request.remote_addr,
               email=email, webhook_host=urlsplit(webhook).hostname if webhook else None)
        ways = [w for w, on in (("e-mail", email), ("webhook", webhook)) if on]
        return html.Div(_done("Saved: your alerts go by " + " and ".join(ways) + "." if ways
                              else "Saved: you get no alerts until you give an address."))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _done(text: str) -> html.P:
    return html.P(text, className="alerts-done")


def _problem(text: str) -> html.P:
    return html.P(text, className="alerts-problem", role="alert")
