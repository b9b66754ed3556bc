"""POST /feedback: check the form's token, limit each address, store, redirect back.

The token is checked here with Flask-WTF's validate_csrf rather than by CSRFProtect, which
would also refuse Dash's own callback POSTs. Every answer is a 303 redirect back to the page
with `?feedback=STATUS#feedback`, so a visitor never sees an error page or a traceback.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Flask, Response, redirect, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import validate_csrf
from sqlalchemy.exc import SQLAlchemyError
from wtforms import ValidationError

from appdb.feedback import INVALID, TOO_LONG, FeedbackRefused, check_submission, store_feedback
from config.settings import Settings
from dashboards import context
from dashboards.components.feedback import ACTION, FORM_ID

log = logging.getLogger(__name__)

SENT, LIMITED, ERROR = "sent", "limited", "error"
MAX_BODY = 32_000  # bytes: a full 2,000-character comment in any script fits well within
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # whitespace, controls, backslash (browsers read /)


def register_feedback(server: Flask, settings: Settings) -> Limiter:
    """Add POST /feedback to the server, with its own rate limiter; the limiter."""
    # Only if the token stays valid for the whole browser session is a page that was left
    # open for an hour still able to send its form.
    server.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=settings.rate_limit_storage,
        key_prefix="dashboard",
        # If a shared store (redis) is down, count in this process rather than fail the form.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    blueprint = Blueprint("feedback", __name__)
    blueprint.add_url_rule(ACTION, view_func=submit, methods=["POST"])
    limiter.limit(settings.feedback_rate_limit, on_breach=_limited)(blueprint)
    server.register_blueprint(blueprint)
    return limiter


def submit() -> Response:
    """Store one page's feedback, then send the visitor back to that page."""
    if (request.content_length or 0) > MAX_BODY:
        # Not read at all; the page to go back to is in that body, so home it is.
        return back_to("/", TOO_LONG)
    back = _back_path()
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        log.info("feedback refused: %s", exc)
        return back_to(back, INVALID)
    form = request.form
    try:
        submission = check_submission(
            form.get("page"), kpi_id=form.get("kpi_id"), dataset_id=form.get("dataset_id"),
            snapshot_id=form.get("snapshot_id"), useful=form.get("useful"),
            comment=form.get("comment"),
        )
    except FeedbackRefused as exc:
        log.info("feedback refused: %s", exc)
        return back_to(back, exc.reason)
    try:
        store_feedback(context.settings().database_url, submission)
    except SQLAlchemyError:
        log.exception("feedback could not be stored")
        return back_to(back, ERROR)
    return back_to(back, SENT)


def return_path(*candidates: str | None) -> str:
    """The first candidate that is a path on this site, else /: never another site."""
    for candidate in candidates:
        if not candidate or len(candidate) > 2048 or _UNSAFE.search(candidate):
            continue
        parts = urlsplit(candidate)
        # "//host/x" is another site to a browser; so is anything with a scheme or host.
        if (parts.scheme or parts.netloc or not parts.path.startswith("/")
                or parts.path.startswith("//")):
            continue
        return urlunsplit(("", "", parts.path, parts.query, ""))
    return "/"


def back_to(path: str, status: str) -> Response:
    """A 303 redirect to a safe path with ?feedback=STATUS, aimed at the form."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "feedback"]
    query.append(("feedback", status))
    return redirect(urlunsplit(("", "", parts.path, urlencode(query), FORM_ID)), code=303)


def _limited(limit: RequestLimit) -> Response:
    log.warning("feedback refused: the rate limit %s was reached", limit.limit)
    return back_to(_back_path(), LIMITED)


def _back_path() -> str:
    # The form knows its page but not the page's query (a chosen year, a filter); the
    # browser's Referer does, when it names this site and that page.
    page = request.form.get("page")
    referrer = urlsplit(request.referrer or "")
    same_page = referrer.netloc == request.host and referrer.path == page
    here = urlunsplit(("", "", referrer.path, referrer.query, "")) if same_page else None
    return return_path(here, request.form.get("return"), page)
