"""The frame of every internal page: skip link, header with navigation, the signed-in user and
sign-out, the data version, and the routed page."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from dash import ClientsideFunction, Dash, Input, Output, dcc, html
from flask_wtf.csrf import generate_csrf

from appdb.accounts import Account
from dashboards.access import EVERYONE
from dashboards.components.frame import data_version, site_header
from warehouse.manifest import Snapshot


def frame(city_name: str, account: Account | None, snapshot: Snapshot | None,
          pages: Sequence[ModuleType]) -> html.Div:
    if account is None:
        return html.Div(id="internal-page")  # never shown: the guard lets no one through
    return html.Div([
        dcc.Location(id="internal-url", refresh="callback-nav"),
        dcc.Store(id="internal-title"),
        header(city_name, account, snapshot, pages),
        html.Main(id="main-content", className="container", tabIndex="-1",
                  children=html.Div(id="internal-page", **{"aria-live": "polite"})),
        html.Footer(className="site-footer", children=html.Div(
            className="container", children=html.P(data_version(snapshot)))),
    ])


def header(city_name: str, account: Account, snapshot: Snapshot | None,
           pages: Sequence[ModuleType]) -> html.Header:
    links = [html.Li(dcc.Link(p.NAME, href=p.PATH, className="nav-link"), className="nav-item")
             for p in pages if account.role in getattr(p, "ROLES_ALLOWED", EVERYONE)]
    return site_header(city_name, "/internal/", " Performance (internal)", "Internal", links,
                       html.Div(className="d-flex flex-wrap align-items-baseline gap-3", children=[
        html.P(data_version(snapshot), className="data-version"),
        html.P([f"Signed in as {account.name} ", html.Span(f"({role_words(account)})")],
               className="signed-in", id="signed-in"),
        html.Form(action="/logout", method="POST", className="sign-out", children=[
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button("Sign out", type="submit", className="btn btn-link p-0", id="sign-out"),
        ]),
    ]), "internal-header")


def role_words(account: Account) -> str:
    if account.role == "manager":
        return "manager of " + ", ".join(account.departments)
    return account.role


def for_roles(roles: frozenset[str]) -> html.Div:
    """What a page shows to a role it is not for (its data callbacks refuse them too)."""
    return html.Div(className="empty-state", role="status", children=[
        html.H1("Not for your role"),
        html.P([f"This page is for {' and '.join(sorted(r + 's' for r in roles))}. ",
                dcc.Link("Go to the overview", href="/internal/"), "."]),
    ])


def not_found() -> html.Div:
    return html.Div(className="empty-state", role="status", children=[
        html.H1("Page not found"),
        html.P(["There is no internal page at this address. ",
                dcc.Link("Go to the overview", href="/internal/"), "."]),
    ])


def title_sync(app: Dash) -> None:
    """Name the browser tab after the page shown (from a script file: no inline script)."""
    app.clientside_callback(ClientsideFunction("internal", "title"),
                            Output("internal-title", "modified_timestamp"),
                            Input("internal-title", "data"))
