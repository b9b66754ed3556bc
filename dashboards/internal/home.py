"""The internal overview: what each internal page is for, and the user's own scope."""

from __future__ import annotations

from dash import dcc, html

from appdb.accounts import Account
from dashboards.access import EVERYONE, department_path, sees_all

PATH = "/internal/"
NAME = "Overview"
PURPOSE = "this page"


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    from dashboards.internal import PAGES  # the page list names this module too

    scope = ("You see every department's detail." if sees_all(account) else
             "You see the city-wide figures, and the detail of your departments:")
    return html.Div([
        html.H1("Internal performance pages"),
        html.P(scope),
        None if sees_all(account) else html.Ul([
            html.Li(dcc.Link(d, href=department_path(d))) for d in account.departments]),
        html.Ul(className="internal-pages", children=[
            html.Li([dcc.Link(p.NAME, href=p.PATH), ": ", p.PURPOSE])
            for p in PAGES
            if p.PATH != PATH and account.role in getattr(p, "ROLES_ALLOWED", EVERYONE)]),
    ])
