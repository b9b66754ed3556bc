"""Users and sessions for the internal pages, over the real command and a real server: add a
user, sign in as a browser does, and fire the internal app's callbacks as its renderer does."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from config.settings import PROJECT_ROOT
from tests.helpers import ServerProcess, Workspace, free_port, published_site

PASSWORD = "correct horse battery staple"
UPDATE = "/internal/_dash-update-component"
ROUTER = ("internal-page.children", "internal-title.data")


def add_user(workspace: Workspace, *args: str, password: str = PASSWORD
             ) -> subprocess.CompletedProcess:
    """`python -m appdb users add ARGS`, the password on standard input."""
    return subprocess.run([sys.executable, "-m", "appdb", "users", "add", *args,
                           "--password-stdin"], input=password + "\n", cwd=PROJECT_ROOT,
                          env=workspace.env, capture_output=True, text=True, timeout=60)


def sign_in(server: ServerProcess, name: str, password: str = PASSWORD, follow: bool = False,
            next_page: str = "/internal/scorecard") -> tuple[requests.Session, requests.Response]:
    """A browser session that posted the sign-in form (with its CSRF token), and the answer."""
    browser = requests.Session()
    form = browser.get(f"{server.url}/login?next={next_page}", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = browser.post(f"{server.url}/login", timeout=30, allow_redirects=follow, data={
        "csrf_token": token, "name": name, "password": password, "next": next_page})
    return browser, answer


def signed_in(server: ServerProcess, name: str) -> requests.Session:
    browser, answer = sign_in(server, name)
    assert answer.status_code == 303, answer.text[:300]
    return browser


def body(outputs: tuple[str, ...] | list[str], inputs: dict[str, Any],
         state: dict[str, Any] | None = None) -> dict:
    """A callback request as Dash's renderer sends it; keys are "id.property"."""
    def items(values: dict[str, Any]) -> list[dict]:
        return [{"id": key.rsplit(".", 1)[0], "property": key.rsplit(".", 1)[1], "value": value}
                for key, value in values.items()]

    listed = [{"id": k.rsplit(".", 1)[0], "property": k.rsplit(".", 1)[1]} for k in outputs]
    return {"output": f"..{'...'.join(outputs)}.." if len(outputs) > 1 else outputs[0],
            "outputs": listed if len(listed) > 1 else listed[0],
            "inputs": items(inputs), "changedPropIds": [next(iter(inputs))],
            "state": items(state or {})}


def fire(browser: requests.Session, server: ServerProcess, outputs: tuple[str, ...] | list[str],
         inputs: dict[str, Any], state: dict[str, Any] | None = None) -> requests.Response:
    """POST one internal callback; the raw answer (the caller checks its status)."""
    return browser.post(server.url + UPDATE, json=body(outputs, inputs, state), timeout=60)


def page(browser: requests.Session, server: ServerProcess, path: str, search: str = "") -> Any:
    """The internal page the router draws for path?search, as a component tree."""
    answer = fire(browser, server, ROUTER, {"internal-url.pathname": path,
                                            "internal-url.search": search})
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["response"]["internal-page"]["children"]


STAFF = {"ada": ("--role", "admin"), "vic": ("--role", "viewer"),
         "maria": ("--role", "manager", "--department", "Public Works")}


@contextmanager
def staffed_site(root: Path, sample: Path, staff: dict[str, tuple[str, ...]] | None = None
                 ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """A published sample city with users (name -> `users add` options; STAFF by default),
    served by `python app.py` with a sign-in limit loose enough for a module of tests."""
    with published_site(root, sample) as (workspace, first):
        first.stop()
        for name, options in (staff or STAFF).items():
            added = add_user(workspace, name, *options)
            assert added.returncode == 0, added.stderr
        env = {**workspace.env, "DASHBOARD_LOGIN_RATE_LIMIT": "1000 per minute"}
        server = ServerProcess([sys.executable, "app.py"], env, free_port())
        try:
            yield workspace, server
        finally:
            server.stop()


def browser_sign_in(page, server: ServerProcess, next_page: str, name: str = "ada") -> None:
    """Sign in through the form in a Playwright page and wait for the internal page drawn."""
    page.goto(f"{server.url}/login?next={next_page}")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.press("#login-password", "Enter")
    page.wait_for_selector("#internal-page h1")
    # The router's callbacks settle before a test touches the page, or a select changed
    # while the page is drawn again is replaced before its change reaches the server.
    page.wait_for_load_state("networkidle")
