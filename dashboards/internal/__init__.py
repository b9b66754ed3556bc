"""The internal Dash app at /internal/: performance management for staff who sign in.

Its own Dash app on the same Flask server, with its own routing (not Dash's page registry,
which is global: internal pages must never reach the public navigation or previews). Every
callback is registered through `dashboards.guard.guarded_callback`, and every request under
/internal/ passes `dashboards.guard.guard_internal` first.

Each page is a module of this folder with PATH, NAME, PURPOSE (a phrase for the overview),
optionally ROLES_ALLOWED (the roles that see it: others get a plain refusal and no link),
`layout(account, path, query)`, and optionally `register(app)` for its callbacks and
`routes(reader, settings)` returning a Flask blueprint for its files (served under /internal/,
so the guard covers them too).
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from dash import Dash, Input, Output
from flask import Flask
from flask_login import current_user

from config.settings import PROJECT_ROOT, Settings
from dashboards.access import EVERYONE, INTERNAL
from dashboards.components.frame import site_name
from dashboards.components.states import failed, no_data
from dashboards.guard import guarded_callback, page_scope
from dashboards.internal import (
    alerts,
    audit,
    department,
    feedback,
    home,
    initiatives,
    pipeline,
    practices,
    scorecard,
    targets,
    users,
)
from dashboards.internal.frame import for_roles, frame, not_found, title_sync
from dashboards.public import INDEX
from dashboards.static_assets import tune_static_assets
from warehouse.reader import NoSnapshotError, WarehouseReader

log = logging.getLogger(__name__)

PAGES: tuple[ModuleType, ...] = (home, scorecard, department, targets, initiatives, practices,
                                 pipeline, feedback, audit, alerts, users)


def create_internal_app(server: Flask, reader: WarehouseReader, settings: Settings) -> Dash:
    app = Dash(
        "dashboards.internal",
        server=server,
        url_base_pathname=INTERNAL + "/",
        assets_folder=str(PROJECT_ROOT / "assets"),
        assets_path_ignore=["vendor"],
        title=f"Internal · {site_name(settings.city_name)}",
        index_string=INDEX,
        # The public app's flask-compress already covers the whole server; a second one would
        # compress static files before dashboards/static_assets.py serves its smaller copies.
        compress=False,
        update_title=None,  # the tab keeps the page's name while a callback runs
        suppress_callback_exceptions=True,  # pages are drawn by the router below
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = lambda: frame(settings.city_name, _signed_in(), reader.snapshot(), PAGES)

    @guarded_callback(app, Output("internal-page", "children"),
                      Output("internal-title", "data"),
                      Input("internal-url", "pathname"), Input("internal-url", "search"),
                      scope=page_scope("internal-url.pathname", "internal-url.search"))
    def route(path: str | None, search: str | None) -> tuple[Any, str]:
        return draw(path or INTERNAL + "/", dict(parse_qsl((search or "").lstrip("?"))))

    tune_static_assets(app)  # plotly.js loaded when a chart nears the screen, as on public pages
    title_sync(app)
    for page in PAGES:
        if hasattr(page, "register"):
            page.register(app)
        if hasattr(page, "routes"):
            server.register_blueprint(page.routes(reader, settings))
    return app


def page_for(path: str) -> ModuleType | None:
    """The page module serving path: the longest PATH equal to it or a folder above it."""
    path = path.rstrip("/") or "/"
    found = [p for p in PAGES if path == p.PATH.rstrip("/") or path.startswith(p.PATH + "/")]
    return max(found, key=lambda p: len(p.PATH), default=None)


def draw(path: str, query: dict[str, str]) -> tuple[Any, str]:
    """A page's content and its title, or a plain message when there is none to show."""
    page = page_for(path)
    if page is None:
        return not_found(), "Not found"
    account = current_user.account
    if account.role not in getattr(page, "ROLES_ALLOWED", EVERYONE):
        return for_roles(page.ROLES_ALLOWED), page.NAME
    try:
        return page.layout(account, path, query), page.NAME
    except NoSnapshotError:
        return no_data(), page.NAME
    except Exception:
        # The visitor sees a plain message, the operator the traceback in the log.
        log.exception("internal page %s failed", path)
        return failed(), page.NAME


def _signed_in():
    # Dash builds the layout once when it sets up, in whatever request comes first.
    return current_user.account if current_user.is_authenticated else None
