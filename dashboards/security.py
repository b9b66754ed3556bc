"""HTTP hardening of the whole site: security headers, error pages without tracebacks, a size limit.

Headers, on every answer (pages, Dash's JSON, assets, the API, downloads, redirects, errors):
- Content-Security-Policy: everything from this site only. Scripts are files from here plus
  the inline scripts the Dash apps write into their pages, by hash (`app.csp_hashes()`: the
  clientside callbacks and the renderer); never 'unsafe-inline' or 'unsafe-eval' for scripts.
  Styles may be inline (plotly.js and React write style attributes), images data: URIs (the
  sparklines, Bootstrap's icons). No plugins, no <base>, forms post only here. No site may
  frame a page (`frame-ancestors 'none'`, and X-Frame-Options: DENY for older browsers) unless
  its route says otherwise: the KPI embeds (dashboards/embed_route.py) set `frame-ancestors *`,
  which is kept.
- X-Content-Type-Options: nosniff.
- Referrer-Policy: strict-origin-when-cross-origin. Another site learns at most that a visitor
  came from this one, never the page or its query (filters; on internal pages, departments and
  record ids), and nothing at all over plain HTTP. This site gets the whole address, which the
  feedback form uses to send a visitor back to the filtered page they were on.

Errors: 404, 405, 413 and 500 answer the error page (templates/error.html) or, under /api/
and to Dash's own requests, `{"error": ..., "status": ...}`. Flask logs a 500's exception with
its traceback; the visitor reads one sentence. Dash's catch-all route answers any address with
its page (status 200, "404 - Page not found" drawn in the browser): an address naming no page
of a Dash app with pages answers 404 here instead, as does a component-suite script Dash does
not know (Dash raises, a 500, for that); /favicon.ico leads to Dash's icon.

Size: a request declaring a body over DASHBOARD_MAX_REQUEST_BYTES is refused with 413 before
anything reads it (the feedback route would otherwise answer its own "too long" redirect). Of
a body sent in chunks, without a length, no more than that is read (Flask's
MAX_CONTENT_LENGTH): cut short, it fails to parse (400). Flask's own limits on forms stay
(a field at most 500 kB in memory, at most 1,000 parts): far above any form of the site.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import dash
from dash import Dash
from dash._pages import _path_to_page  # the routing Dash's pages use, as in dashboards/prerender
from dash.exceptions import DependencyException
from flask import Blueprint, Flask, Response, abort, redirect, render_template, request
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from config.settings import Settings
from dashboards.components.frame import site_name
from dashboards.static_assets import asset_url
from opendata.files_route import json_error

CSP = "Content-Security-Policy"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "strict-origin-when-cross-origin"
STYLES = ("bootstrap.min.css", "site.css")
# An error page's heading and its one sentence.
ERRORS = {
    404: ("Page not found", "There is nothing at this address. It may have moved, or a part "
                            "of it may be mistyped."),
    405: ("Not allowed", "This address does not take that kind of request."),
    413: ("Too large", "The request was larger than this site accepts ({limit:,} bytes)."),
    500: ("Something went wrong", "This could not be shown because of a fault on our side. "
                                  "It has been recorded; please try again later."),
}


def register_security(server: Flask, settings: Settings, apps: Sequence[Dash]) -> None:
    """Add the security headers, the error pages and the request size limit to the server.

    Call it once every Dash app of `apps` is made: its hooks must run after theirs."""
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    headers = SecurityHeaders(apps)
    server.before_request(_refuse_declared_too_large)
    server.before_request(headers.take_hashes)
    server.before_request(_unknown_page_finder(apps))
    server.after_request(headers)
    pages = ErrorPages(settings)
    for code in ERRORS:
        server.register_error_handler(code, pages)
    server.register_error_handler(DependencyException, lambda _: pages(NotFound()))
    # Browsers ask for /favicon.ico by themselves on pages naming no icon (sign-in, the API's
    # page, JSON): once Dash's catch-all page, now it would be a 404. The icon Dash's pages use.
    icon = f"{apps[0].config.requests_pathname_prefix}_favicon.ico?v={dash.__version__}"
    server.add_url_rule("/favicon.ico", "favicon", lambda: redirect(icon))
    # Only so that render_template finds templates/error.html whatever else is registered.
    server.register_blueprint(Blueprint("security", __name__, template_folder="templates"))


class SecurityHeaders:
    """The after_request hook setting the headers, with the apps' script hashes."""

    def __init__(self, apps: Sequence[Dash]) -> None:
        self.apps = tuple(apps)
        self.policy: dict[str, str] | None = None
        self._lock = threading.Lock()

    def take_hashes(self) -> None:
        """A before_request hook, once: Dash registers its pages' clientside callback in its
        own first-request hooks, which ran before this one (registered after them)."""
        if self.policy is not None:
            return
        with self._lock:
            if self.policy is None:
                hashes = dict.fromkeys(h for app in self.apps for h in app.csp_hashes())
                self.policy = {**POLICY, "script-src": " ".join(["'self'", *hashes])}

    def __call__(self, response: Response) -> Response:
        # Before the hashes are taken (an answer refused ahead of Dash's setup, such as the
        # internal guard's 401) no inline script may run: stricter, and such answers have none.
        policy = dict(self.policy or POLICY)
        framing = _frame_ancestors(response.headers.get(CSP, ""))
        if framing:
            policy["frame-ancestors"] = framing
        response.headers[CSP] = "; ".join(f"{name} {value}" for name, value in policy.items())
        if policy["frame-ancestors"] == "'none'":
            response.headers["X-Frame-Options"] = "DENY"
        else:
            response.headers.pop("X-Frame-Options", None)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = REFERRER_POLICY
        return response


def _frame_ancestors(policy: str) -> str | None:
    """The frame-ancestors a route's own Content-Security-Policy sets, if any."""
    for directive in policy.split(";"):
        name, _, value = directive.strip().partition(" ")
        if name.lower() == "frame-ancestors" and value.strip():
            return value.strip()
    return None


class ErrorPages:
    """The error handler: the error page, or JSON for the API and Dash's requests."""

    def __init__(self, settings: Settings) -> None:
        self.site = site_name(settings.city_name)
        self.limit = settings.max_request_bytes

    def __call__(self, error: HTTPException) -> Response:
        status = error.code or 500
        heading, sentence = ERRORS.get(status, ERRORS[500])
        sentence = sentence.format(limit=self.limit)
        allow = {name: value for name, value in error.get_headers() if name == "Allow"}
        if _speaks_json(request.path):
            return json_error(status, sentence, allow)
        page = render_template("error.html", site=self.site, heading=heading,
                               sentence=sentence, styles=[asset_url(n) for n in STYLES])
        return Response(page, status=status, headers=allow, mimetype="text/html")


def _speaks_json(path: str) -> bool:
    return (path + "/").startswith("/api/") or "/_dash-" in path


def _refuse_declared_too_large() -> None:
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _unknown_page_finder(apps: Sequence[Dash]) -> Callable[[], None]:
    """A before_request hook answering 404 for an address Dash's catch-all would take but
    no page of that app's answers (the same routing as Dash's pages)."""
    catch_alls = {}
    for app in apps:
        if app.use_pages:
            prefix = app.config.routes_pathname_prefix
            catch_alls[prefix] = catch_alls[prefix + "<path:path>"] = app

    def unknown_page() -> None:
        app = catch_alls.get(request.endpoint)
        if app is not None and not _path_to_page(app.strip_relative_path(request.path))[0]:
            abort(404)

    return unknown_page
