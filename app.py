"""The web application: create_app() composes the Flask server, the Dash apps and the routes.

`python app.py` serves it on HOST:PORT; `gunicorn app:server` serves the same in production.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask, jsonify

from config.log_setup import configure_logging
from config.settings import Settings, load_settings, secret_key
from dashboards import context
from dashboards.components.feedback import focus_the_message
from dashboards.embed_route import kpi_embed
from dashboards.feedback_route import register_feedback
from dashboards.internal import create_internal_app
from dashboards.kpi_download import kpi_download
from dashboards.login_route import register_login
from dashboards.public import create_public_app
from dashboards.security import register_security
from opendata.api import open_data_api
from opendata.files_route import dataset_files
from opendata.metadata_routes import metadata_routes
from opendata.openapi_routes import openapi_docs
from warehouse.manifest import ManifestError
from warehouse.reader import WarehouseReader

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask server: the public Dash app at /, the internal one at /internal/, the open-data
    API and files, the feedback form, sign-in and the health check."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    server = Flask(__name__)
    # The same key in every process and after a restart, so sessions and form tokens hold.
    server.secret_key = secret_key(settings)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # another site's form cannot post with our cookie
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # Files streamed from disk (dataset downloads) go as they are: compressing them on the
        # fly would cost a core per download and break their Range and Content-Length.
        COMPRESS_STREAMS=False,
    )
    server.json.sort_keys = False  # API rows keep the order of their columns
    reader = WarehouseReader(settings.warehouse_dir, settings.duckdb_memory_limit)
    server.extensions[context.READER_KEY] = reader
    server.extensions[context.SETTINGS_KEY] = settings

    @server.get("/healthz")
    def healthz():
        try:
            snapshot = reader.snapshot()
        except ManifestError:
            log.exception("health check: manifest unreadable")
            return jsonify(status="error", snapshot=None, published_at=None), 503
        if snapshot is None:
            return jsonify(status="no-data", snapshot=None, published_at=None), 503
        return jsonify(status="ok", snapshot=snapshot.id, published_at=snapshot.published_at)

    limiter = register_feedback(server, settings)
    register_login(server, settings, limiter)  # /login, /logout, the guard of /internal/
    server.register_blueprint(kpi_download)  # GET /downloads/kpi/<id>.csv
    server.register_blueprint(dataset_files(reader, settings.database_url))
    server.register_blueprint(open_data_api(reader))  # /api/v1/datasets, .../<id>/rows
    server.register_blueprint(metadata_routes(reader))  # /data.json, DCAT, datapackage
    server.register_blueprint(openapi_docs(settings.city_name))  # /api/v1/openapi.json, /api/v1/
    server.register_blueprint(kpi_embed(reader, settings))  # GET /embed/kpi/<id>
    public = create_public_app(server, reader, settings)
    focus_the_message(public)
    # After the public app: Dash gives callbacks registered with dash.callback to the first app
    # set up, and internal pages register theirs on their own app (dashboards/guard.py).
    internal = create_internal_app(server, reader, settings)
    # After every Dash app: security headers (with both apps' script hashes), errors, size.
    register_security(server, settings, [public, internal])
    # Both Dash apps set up now, the public one first, not on a worker's first requests: Dash
    # marks an app set up before it is, so two first requests at once could set the internal
    # app up meanwhile, and it would take the public pages' callbacks (500 in that worker).
    with server.test_request_context("/"):
        for dash_app in (public, internal):
            dash_app._setup_server()
    # The app's long-lived objects (modules, page registry, figure templates) never become
    # garbage: keeping them out of the collector's full passes removes 50-70 ms pauses that
    # otherwise hit every tenth page render.
    gc.collect()
    gc.freeze()
    return server


server = create_app()

if __name__ == "__main__":
    _settings = server.extensions[context.SETTINGS_KEY]
    # Only here, never in create_app(): each gunicorn worker imports app:server, and a
    # scheduler per worker would run every job once per worker. Imported here so that the
    # workers do not load the ETL either (about a second each).
    from etl.errors import ConfigError
    from etl.scheduler import start_background

    try:
        start_background(_settings)
    except ConfigError as exc:
        # The site still serves the published snapshot; only new loads wait for a fix.
        log.error("the ETL scheduler is not running, sources.yaml needs fixing: %s", exc)
    log.info("serving on http://%s:%d", _settings.host, _settings.port)
    server.run(host=_settings.host, port=_settings.port, threaded=True)
