"""Signing in through the city's OpenID Connect provider (single sign-on), when it is configured.

GET /login/oidc sends the browser to the provider's authorization endpoint (read from its
discovery document) with a state, a nonce and a PKCE S256 challenge. GET /login/oidc/callback
exchanges the code for tokens and checks the ID token (signature against the provider's JWKS,
issuer, audience, expiry, nonce), then signs in the local active user named by the username
claim (DASHBOARD_OIDC_USERNAME_CLAIM). The provider only proves who someone is: the role and
departments are the local user's, and nobody without one gets in. Every refusal goes back to the
sign-in form with a sentence, never a traceback, and into the audit log with its reason; both
routes share the form's rate limit setting. Without DASHBOARD_OIDC_ISSUER neither route exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, Response, redirect, request, session, url_for
from joserfc.errors import JoseError

from appdb.accounts import Account, users
from appdb.audit import record
from config.settings import Settings
from dashboards.access import INTERNAL
from dashboards.feedback_route import return_path
from dashboards.guard import LOGIN

log = logging.getLogger(__name__)

OIDC = LOGIN + "/oidc"
CALLBACK = OIDC + "/callback"
NEXT_KEY = "oidc_next"  # where to go once signed in, kept in the session across the dance
TIMEOUT = 10  # seconds for each call to the provider
ERROR_CODE = re.compile(r"[a-z_]{1,40}")
UNREACHABLE = ("The sign-in service could not be reached. Please try again later, or sign in "
               "with your name and password.")
EXPIRED = "That sign-in had expired or was already used. Please start again."
CANCELLED = "The sign-in at {provider} was cancelled or refused ({error})."
INVALID = "The sign-in at {provider} could not be checked, so it was refused."
NO_ACCOUNT = ("You signed in at {provider} as {name}, but there is no active account of that "
              "name here. Ask an administrator to add you.")

FormPage = Callable[..., tuple[str, int]]  # login_route's form: (settings, message, name, status)
Limit = Callable[[Callable], Callable]  # the sign-in form's rate limit, as a decorator
StartSession = Callable[..., None]  # (settings, account, **audit detail): signs in, audits


def register_oidc(server: Flask, settings: Settings, limit: Limit, form: FormPage,
                  start_session: StartSession) -> None:
    """Add /login/oidc and its callback, when DASHBOARD_OIDC_ISSUER is set."""
    if not settings.oidc_issuer:
        return
    client = OAuth(server).register(
        "oidc", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256",
                       "default_timeout": TIMEOUT})
    # authlib checks the issuer only against the discovery document and lets any audience pass
    # when an `azp` names this client: both are pinned to the settings.
    claims = {"iss": {"essential": True, "value": settings.oidc_issuer},
              "aud": {"essential": True, "value": settings.oidc_client_id}}
    pages = Blueprint("oidc", __name__)

    @limit
    def begin() -> Response | tuple[str, int]:
        session[NEXT_KEY] = return_path(request.args.get("next"), INTERNAL + "/")
        try:
            return client.authorize_redirect(_callback_url(settings))
        except (requests.RequestException, RuntimeError) as exc:  # RuntimeError: bad metadata
            log.warning("single sign-on: the provider's discovery document failed: %s", exc)
            return form(settings, UNREACHABLE, status=503)

    @limit
    def callback() -> Response | tuple[str, int]:
        next_path = session.pop(NEXT_KEY, None)
        try:
            token = client.authorize_access_token(claims_options=claims)
        except MismatchingStateError:
            return _refuse(settings, form, EXPIRED, 400, "unknown or used state")
        except OAuthError as exc:  # the provider's ?error=..., or its token endpoint's
            error = _error_code(exc.error)
            return _refuse(settings, form, CANCELLED.format(
                provider=settings.oidc_name, error=error), 401, f"provider: {error}")
        except JoseError as exc:  # signature, issuer, audience, expiry, nonce
            return _refuse(settings, form, INVALID.format(provider=settings.oidc_name), 401,
                           f"invalid ID token: {str(exc).rstrip(': ')}")
        except requests.RequestException as exc:
            log.warning("single sign-on: the provider's token endpoint failed: %s", exc)
            return _refuse(settings, form, UNREACHABLE, 503, "provider unreachable")
        name = _username(token.get("userinfo"), settings.oidc_username_claim)
        if name is None:
            return _refuse(settings, form, INVALID.format(provider=settings.oidc_name), 401,
                           f"no {settings.oidc_username_claim} in the ID token")
        found, why = _local_account(settings.database_url, name)
        if found is None:
            return _refuse(settings, form, NO_ACCOUNT.format(
                provider=settings.oidc_name, name=name), 401, why, name)
        start_session(settings, found, via="oidc")
        return redirect(return_path(next_path, INTERNAL + "/"), code=303)

    pages.add_url_rule(OIDC, "begin", view_func=begin, methods=["GET"])
    pages.add_url_rule(CALLBACK, "callback", view_func=callback, methods=["GET"])
    server.register_blueprint(pages)


def _callback_url(settings: Settings) -> str:
    # Behind a proxy the request's own address may be an internal one: the public one wins.
    if settings.public_url:
        return settings.public_url + CALLBACK
    return url_for("oidc.callback", _external=True)


def _error_code(error: object) -> str:
    # Anyone can send a browser here with ?error=<any text>: only an OAuth error code (RFC 6749
    # 4.1.2.1: access_denied, server_error...) is shown, never a sentence of theirs.
    return error if isinstance(error, str) and ERROR_CODE.fullmatch(error) else "unknown error"


def _username(userinfo: dict[str, Any] | None, claim: str) -> str | None:
    """The user's name from the checked ID token's claims (None without an ID token)."""
    value = (userinfo or {}).get(claim)
    return value if isinstance(value, str) and value else None


def _local_account(database_url: str, name: str) -> tuple[Account | None, str]:
    """The active local user of that name, or None and why not."""
    for user in users(database_url):
        if user.account.name == name:
            return (user.account, "") if user.active else (None, "user is inactive")
    return None, "no such user"


def _refuse(settings: Settings, form: FormPage, message: str, status: int, reason: str,
            name: str | None = None) -> tuple[str, int]:
    """The sign-in form with message, the refusal audited (`login_failed`, via oidc)."""
    record(settings.database_url, "login_failed", name, request.remote_addr, via="oidc",
           reason=reason)
    log.info("single sign-on refused for %r from %s: %s", name, request.remote_addr, reason)
    return form(settings, message, status=status)
