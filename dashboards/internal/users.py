"""Users (admins only): everyone who signs in, their role and departments; add a user, change
a role or departments, stop or allow someone's sign-in. Every change is in the audit log."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import request
from flask_login import current_user

from appdb.accounts import ROLES, Account, AccountError, UserSummary, add_user, change_user, users
from appdb.audit import record
from dashboards import context
from dashboards.access import ADMINS
from dashboards.components.tables import scrolling
from dashboards.guard import guarded_callback

PATH = "/internal/users"
NAME = "Users"
PURPOSE = "who signs in, with which role and departments (admins)"
ROLES_ALLOWED = ADMINS
ROLE_OPTIONS = [{"value": r, "label": r.capitalize()} for r in ROLES]


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    return html.Div([
        html.H1("Users"),
        html.P("A manager's departments are the department names in the data and, for the "
               "KPIs they answer for, owner names from the KPI catalogue; one a line."),
        html.Div(id="users-list", children=_table(users(context.settings().database_url))),
        _editor(),
        _adder(),
    ])


def _table(found: list[UserSummary]) -> html.Div:
    return scrolling(html.Table(id="users-table", className="table", children=[
        html.Caption("Everyone who may sign in to the internal pages"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "Name", "Role", "Departments", "Signs in", "Added (UTC)")])),
        html.Tbody([html.Tr([
            html.Th(u.account.name, scope="row"), html.Td(u.account.role),
            html.Td(", ".join(u.account.departments) or "–"),
            html.Td("Yes" if u.active else "No (stopped)"),
            html.Td(html.Time(f"{u.created_at:%Y-%m-%d}", dateTime=u.created_at.isoformat())),
        ]) for u in found]),
    ]), "Users")


def _field(label: str, control) -> html.Div:
    return html.Div(className="mb-2", children=[
        dbc.Label(label, html_for=control.id, className="form-label"), control])


def _editor() -> html.Section:
    found = users(context.settings().database_url)
    return html.Section(className="target-form", children=[
        html.H2("Change a user"),
        _field("User", dbc.Select(id="users-edit-name", options=[
            {"value": str(u.account.id), "label": u.account.name} for u in found])),
        _field("Role", dbc.Select(id="users-edit-role", options=ROLE_OPTIONS, value="viewer")),
        _field("Departments (a manager's; one a line)",
               dcc.Textarea(id="users-edit-departments", className="form-control")),
        dbc.Checklist(id="users-edit-active", options=[{"value": "on", "label": "May sign in"}],
                      value=["on"]),
        html.Button("Save the change", id="users-edit-save", type="button",
                    className="btn btn-primary mt-2"),
        html.P(id="users-edit-message", role="status", className="mt-2"),
    ])


def _adder() -> html.Section:
    return html.Section(className="target-form", children=[
        html.H2("Add a user"),
        _field("Name", dcc.Input(id="users-add-name", type="text", className="form-control",
                                 autoComplete="off")),
        _field("Role", dbc.Select(id="users-add-role", options=ROLE_OPTIONS, value="viewer")),
        _field("Departments (a manager's; one a line)",
               dcc.Textarea(id="users-add-departments", className="form-control")),
        _field("First password (at least 12 characters; tell it to them privately)",
               dcc.Input(id="users-add-password", type="password", className="form-control",
                         autoComplete="new-password")),
        html.Button("Add the user", id="users-add-save", type="button",
                    className="btn btn-primary"),
        html.P(id="users-add-message", role="status", className="mt-2"),
    ])


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def register(app: Dash) -> None:
    @guarded_callback(app, Output("users-add-message", "children"),
                      Output("users-edit-message", "children"),
                      Output("users-list", "children"), Output("users-add-password", "value"),
                      Input("users-add-save", "n_clicks"), Input("users-edit-save", "n_clicks"),
                      State("users-add-name", "value"), State("users-add-role", "value"),
                      State("users-add-departments", "value"),
                      State("users-add-password", "value"), State("users-edit-name", "value"),
                      State("users-edit-role", "value"),
                      State("users-edit-departments", "value"),
                      State("users-edit-active", "value"),
                      prevent_initial_call=True, roles=ADMINS)
    def act(_added, _saved, name, role, departments, password, user_id, new_role,
            new_departments, active):
        database_url = context.settings().database_url
        if ctx.triggered_id == "users-add-save":
            said = _add(database_url, name, role, departments, password)
            return said, "", _table(users(database_url)), ""
        said = _change(database_url, user_id, new_role, new_departments, active)
        return "", said, _table(users(database_url)), no_update

    @guarded_callback(app, Output("users-edit-role", "value"),
                      Output("users-edit-departments", "value"),
                      Output("users-edit-active", "value"),
                      Input("users-edit-name", "value"), prevent_initial_call=True,
                      roles=ADMINS)
    def pick(user_id):
        chosen = next((u for u in users(context.settings().database_url)
                       if str(u.account.id) == user_id), None)
        if chosen is None:
            return "viewer", "", []
        return (chosen.account.role, "\n".join(chosen.account.departments),
                ["on"] if chosen.active else [])


def _add(database_url: str, name: str | None, role: str | None, departments: str | None,
         password: str | None) -> str:
    try:
        added = add_user(database_url, (name or "").strip(), password or "", role or "",
                         _lines(departments))
    except AccountError as exc:
        return f"Not added: {exc}."
    record(database_url, "user_added", current_user.account.name, request.remote_addr,
           user=added.name, role=added.role, departments=list(added.departments))
    return f"Added {added.name} ({added.role})."


def _change(database_url: str, user_id: str | None, role: str | None,
            departments: str | None, active: list | None) -> str:
    if not (user_id or "").isdigit():
        return "Choose a user first."
    try:
        changed = change_user(database_url, int(user_id), role or "", _lines(departments),
                              bool(active), current_user.account)
    except AccountError as exc:
        return f"Not changed: {exc}."
    record(database_url, "user_changed", current_user.account.name, request.remote_addr,
           user=changed.name, role=changed.role, departments=list(changed.departments),
           active=bool(active))
    return f"Saved {changed.name}."
