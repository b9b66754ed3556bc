"""The public Dash app at /: one page a file in this folder, no log-in."""

from __future__ import annotations

from pathlib import Path

from dash import Dash
from flask import Flask

from config.settings import PROJECT_ROOT, Settings
from dashboards.cache import init_cache
from dashboards.components.frame import frame, site_name
from dashboards.prerender import preview
from dashboards.static_assets import tune_static_assets
from warehouse.reader import WarehouseReader

PAGES = Path(__file__).resolve().parent

# Dash's default page has no `lang` attribute, which screen readers and axe need; its scripts
# sit in a <footer>, a second footer landmark beside the site's own.
INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


def create_public_app(server: Flask, reader: WarehouseReader, settings: Settings) -> Dash:
    init_cache(server, settings)
    app = Dash(
        # The parent package's name makes Dash import pages as dashboards.public.<file>.
        "dashboards",
        server=server,
        url_base_pathname="/",
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(PROJECT_ROOT / "assets"),
        title=site_name(settings.city_name),
        index_string=INDEX,
        compress=True,
        # Vendored JavaScript is served on demand (dashboards/static_assets.py), not on every page.
        assets_path_ignore=["vendor", "internal"],
        # Dash would otherwise build every page's layout on a process's first request, only to
        # check callback ids (about 2 s); each page's ids are checked by its tests instead.
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # A function, so every page load shows the data version current at that moment.
    app.layout = lambda: frame(settings.city_name, reader.snapshot())
    tune_static_assets(app)
    _serve_previews(app)
    return app


def _serve_previews(app: Dash) -> None:
    """Put the server-rendered page (dashboards/prerender.py) into every page's HTML."""
    interpolate = app.interpolate_index

    def interpolate_index(**kwargs: str) -> str:
        kwargs["app_entry"] = preview(app, app.layout) + kwargs["app_entry"]
        return interpolate(**kwargs)

    app.interpolate_index = interpolate_index
