"""The check in front of everything under /internal/, run before any view or callback.

Without a session, a browser's page request goes to /login (and back afterwards) and anything
else (Dash's callbacks, layout and scripts, downloads) gets 401. With one:
- a page or download about a department the user may not see gets 403 (`access.refusal`);
- a Dash callback is allowed only if it was registered through `guarded_callback`, which says
  which roles may fire it and which of its inputs name a department or a page: the request's
  own values are checked, so a manager cannot ask for another department's rows by posting
  them by hand;
- a Flask route registered with `protect(prefix, roles)` is refused to other roles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from dash import Dash
from flask import Response, redirect, request
from flask_login import current_user

from appdb.accounts import Account
from dashboards.access import EVERYONE, INTERNAL, refusal
from opendata.files_route import json_error

LOGIN = "/login"
UPDATE = INTERNAL + "/_dash-update-component"

# (account, the callback's values by "id.property") -> why it is refused, or None
Scope = Callable[[Account, dict[str, Any]], str | None]


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: Scope | None = None


_CALLBACKS: dict[str, Rule] = {}  # by Dash's callback id (the request's "output")
_ROUTES: dict[str, frozenset[str]] = {}  # path prefix -> roles


def guarded_callback(app: Dash, *args: Any, roles: frozenset[str] = EVERYONE,
                     scope: Scope | None = None, **kwargs: Any) -> Callable:
    """`app.callback(*args, **kwargs)`, recorded with who may fire it: the only way an
    internal callback is answered."""
    def register(function: Callable) -> Callable:
        before = set(app.callback_map)
        registered = app.callback(*args, **kwargs)(function)
        for callback_id in set(app.callback_map) - before:
            _CALLBACKS[callback_id] = Rule(roles, scope)
        return registered
    return register


def page_scope(path_key: str, search_key: str) -> Scope:
    """Refuse when the inputs `path_key` and `search_key` ("id.property") are a page, or a
    department in its query string, that the account may not see."""
    def check(account: Account, values: dict[str, Any]) -> str | None:
        search = values.get(search_key)
        query = dict(parse_qsl(search.lstrip("?"))) if isinstance(search, str) else {}
        return refusal(account, values.get(path_key), query.get("department"))
    return check


def department_scope(key: str) -> Scope:
    """Refuse when the input `key` names a department the account may not see."""
    return lambda account, values: refusal(account, None, values.get(key))


def protect(prefix: str, roles: frozenset[str]) -> None:
    """Refuse requests under prefix (a Flask route of the internal pages) to other roles."""
    _ROUTES[prefix] = roles


def guard_internal() -> Response | None:
    """Refuse a request under /internal/ that the visitor may not make."""
    path = request.path
    if not (path == INTERNAL or path.startswith(INTERNAL + "/")):
        return None
    if not current_user.is_authenticated:
        return _anonymous(path)
    account: Account = current_user.account
    if path == UPDATE:
        reason = _callback_refusal(account)
    else:
        reason = refusal(account, path, request.args.get("department")) or next(
            (f"this needs the role {' or '.join(sorted(roles))}"
             for prefix, roles in _ROUTES.items()
             if path.startswith(prefix) and account.role not in roles), None)
    return json_error(403, reason) if reason else None


def _anonymous(path: str) -> Response:
    # A browser asking for a page names text/html first; Dash's requests, scripts and API
    # clients do not.
    if request.method == "GET" and "/_dash-" not in path and \
            any(kind == "text/html" for kind, _ in request.accept_mimetypes):
        return redirect(f"{LOGIN}?next={quote(request.full_path.rstrip('?'), safe='')}")
    return json_error(401, "sign in first")


def _callback_refusal(account: Account) -> str | None:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return "not a callback request"
    rule = _CALLBACKS.get(str(body.get("output")))
    if rule is None:
        return "no such callback"
    if account.role not in rule.roles:
        return f"this needs the role {' or '.join(sorted(rule.roles))}"
    if rule.scope is None:
        return None
    return rule.scope(account, _values(body.get("inputs", []), body.get("state", [])))


def _values(*groups: Iterable[Any]) -> dict[str, Any]:
    """A callback request's inputs and state by "id.property" (pattern ids as their JSON)."""
    values: dict[str, Any] = {}
    for group in groups:
        for item in group if isinstance(group, list) else []:
            for entry in item if isinstance(item, list) else [item]:
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    values[f"{entry['id']}.{entry.get('property')}"] = entry.get("value")
    return values
