"""Signing in to the internal pages, and the guard in front of them.

GET and POST /login (a plain form: name, password, a Flask-WTF CSRF token; a per-address rate
limit), POST /logout. A session is a Flask-Login one in the signed, HttpOnly, SameSite=Lax
cookie (Secure when DASHBOARD_SECURE_COOKIES is true); it is cleared and made anew at each
sign-in so a planted session id is worth nothing. Every sign-in, failed sign-in and sign-out
is in the audit log, with the address it came from.

The guard in front of /internal/ (dashboards/guard.py) is installed here, with the sessions
it reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, redirect, render_template, request, session
from flask_limiter import Limiter, RequestLimit
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.exceptions import BadRequest
from wtforms.validators import ValidationError

from appdb.accounts import Account, account, authenticate
from appdb.audit import record
from config.settings import Settings
from dashboards.access import INTERNAL
from dashboards.components.frame import site_name
from dashboards.feedback_route import return_path
from dashboards.guard import LOGIN, guard_internal
from dashboards.oidc_route import register_oidc
from dashboards.static_assets import asset_url

log = logging.getLogger(__name__)

LOGOUT = "/logout"
STYLES = ("bootstrap.min.css", "site.css")
WRONG = "The name or the password is wrong."
EXPIRED = "The form had expired. Please sign in again."
SIGNED_OUT = "You are signed out."
TOO_MANY = "Too many attempts from this address. Please wait a minute and try again."


@dataclass(frozen=True)
class SignedIn:
    """The signed-in user, as Flask-Login wants one."""

    account: Account
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.account.id)


def register_login(server: Flask, settings: Settings, limiter: Limiter) -> None:
    """Add /login, /logout and the guard of /internal/ to the server."""
    manager = LoginManager(server)
    manager.session_protection = "strong"  # a session moved to another browser is dropped

    @manager.user_loader
    def load(user_id: str) -> SignedIn | None:
        found = account(settings.database_url, int(user_id)) if user_id.isdigit() else None
        return SignedIn(found) if found else None

    server.config.update(REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
                         REMEMBER_COOKIE_SECURE=settings.secure_cookies)
    pages = Blueprint("login", __name__, template_folder="templates")
    pages.add_url_rule(LOGIN, "form", methods=["GET"], view_func=lambda: _form(
        settings, SIGNED_OUT if request.args.get("signed_out") else None, signed_out=True))

    limited = limiter.limit(settings.login_rate_limit,
                            on_breach=lambda limit: _limited(settings, limit))

    @limited
    def sign_in() -> Response | tuple[str, int]:
        return _sign_in(settings)

    pages.add_url_rule(LOGIN, "sign_in", view_func=sign_in, methods=["POST"])
    pages.add_url_rule(LOGOUT, "sign_out", view_func=lambda: _sign_out(settings),
                       methods=["POST"])
    server.register_blueprint(pages)
    register_oidc(server, settings, limited, _form, start_session)  # /login/oidc, if configured
    server.before_request(guard_internal)


def _form(settings: Settings, message: str | None = None, name: str = "", status: int = 200,
          signed_out: bool = False) -> tuple[str, int]:
    return render_template(
        "login.html", site=site_name(settings.city_name), styles=map(asset_url, STYLES),
        csrf_token=generate_csrf(), next=return_path(request.values.get("next"), INTERNAL + "/"),
        message=message, name=name, signed_out=signed_out,
        oidc=settings.oidc_name if settings.oidc_issuer else None), status


def _sign_in(settings: Settings) -> Response | tuple[str, int]:
    name = request.form.get("name", "")[:80]
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return _form(settings, EXPIRED, name, 400)
    found = authenticate(settings.database_url, name, request.form.get("password", ""))
    if found is None:
        record(settings.database_url, "login_failed", name or None, request.remote_addr)
        log.info("sign-in refused for %r from %s", name, request.remote_addr)
        return _form(settings, WRONG, name, 401)
    start_session(settings, found)
    return redirect(return_path(request.form.get("next"), INTERNAL + "/"), code=303)


def start_session(settings: Settings, found: Account, **detail: Any) -> None:
    """Sign found in on a new session (a planted session id is worth nothing), audited."""
    session.clear()
    login_user(SignedIn(found))
    record(settings.database_url, "login", found.name, request.remote_addr, **detail)


def _sign_out(settings: Settings) -> Response:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise BadRequest("the sign-out form had expired") from exc
    if current_user.is_authenticated:
        record(settings.database_url, "logout", current_user.account.name, request.remote_addr)
    logout_user()
    session.clear()
    return redirect(f"{LOGIN}?signed_out=1", code=303)


def _limited(settings: Settings, limit: RequestLimit) -> Response:
    log.warning("sign-in refused: the rate limit %s was reached by %s", limit.limit,
                request.remote_addr)
    body, _ = _form(settings, TOO_MANY, request.form.get("name", "")[:80])
    return Response(body, status=429, mimetype="text/html")
