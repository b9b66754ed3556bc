"""Users of the internal pages and signing in, over the real command and a real `python app.py`:
hashed passwords, refusals with reasons, the form's CSRF token and rate limit, the session
cookie's flags, the guard in front of /internal/, sign-out, and the audit log."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from appdb.audit import events
from tests.browser import axe_violations, chromium_page
from tests.helpers import ServerProcess, Workspace, free_port, published_site
from tests.internal_client import PASSWORD, add_user, sign_in


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """A published site with a manager of Public Works and a viewer."""
    root = tmp_path_factory.mktemp("accounts")
    with published_site(root, small_sample) as (workspace, first):
        first.stop()
        assert add_user(workspace, "maria", "--role", "manager",
                        "--department", "Public Works").returncode == 0
        assert add_user(workspace, "vic", "--role", "viewer").returncode == 0
        env = {**workspace.env, "DASHBOARD_LOGIN_RATE_LIMIT": "100 per minute"}
        server = ServerProcess([sys.executable, "app.py"], env, free_port())
        yield workspace, server
        server.stop()


def test_a_user_is_added_with_a_hashed_password(site):
    workspace, _ = site
    stored = (workspace.root / "data" / "app.db").read_bytes()
    assert PASSWORD.encode() not in stored
    assert b"scrypt:" in stored
    added = [e for e in events(workspace.settings.database_url) if e[0] == "user_added"]
    assert {e[3]["user"] for e in added} == {"maria", "vic"}


@pytest.mark.parametrize(("args", "password", "words"), [
    (["maria", "--role", "viewer"], PASSWORD, "there is already a user named 'maria'"),
    (["ann", "--role", "manager"], PASSWORD, "a manager needs at least one --department"),
    (["ann", "--role", "admin", "--department", "Parks"], PASSWORD, "only a manager has"),
    (["ann", "--role", "viewer"], "short", "at least 12 characters"),
    (["-x", "--role", "viewer"], PASSWORD, "error"),
    (["a b", "--role", "viewer"], PASSWORD, "name 'a b': use 2 to 80 letters"),
    (["ann", "--role", "owner"], PASSWORD, "invalid choice: 'owner'"),
])
def test_a_bad_user_is_refused_with_a_reason(site, args, password, words):
    workspace, _ = site
    result = add_user(workspace, *args, password=password)
    assert result.returncode != 0
    assert words in result.stderr


def test_without_a_session_internal_pages_redirect_and_the_rest_is_refused(site):
    _, server = site
    page = requests.get(f"{server.url}/internal/scorecard?department=Parks", timeout=30,
                        allow_redirects=False, headers={"Accept": "text/html"})
    assert page.status_code == 302
    assert page.headers["Location"] == \
        "/login?next=%2Finternal%2Fscorecard%3Fdepartment%3DParks"
    for method, path in (("POST", "/internal/_dash-update-component"),
                         ("GET", "/internal/_dash-layout"),
                         ("GET", "/internal/_dash-dependencies"),
                         ("GET", "/internal/downloads/scorecard.csv")):
        answer = requests.request(method, server.url + path, timeout=30, json={},
                                  allow_redirects=False)
        assert answer.status_code == 401, path
        assert answer.json()["error"] == "sign in first"


def test_signing_in_sets_a_safe_session_and_returns_to_the_page_asked_for(site):
    workspace, server = site
    browser, answer = sign_in(server, "maria", PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/internal/scorecard"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    inside = browser.get(f"{server.url}/internal/scorecard", timeout=30,
                         allow_redirects=False)
    assert inside.status_code not in (302, 401)  # past the guard
    assert events(workspace.settings.database_url)[0][:1] == ("login",)
    assert events(workspace.settings.database_url)[0][2] == "maria"


def test_a_wrong_password_or_name_is_refused_the_same_way_and_logged(site):
    workspace, server = site
    for name, password in (("vic", "not the password at all"), ("nobody", PASSWORD)):
        browser, answer = sign_in(server, name, password)
        assert answer.status_code == 401
        assert "The name or the password is wrong." in answer.text
        assert browser.get(f"{server.url}/internal/", timeout=30, allow_redirects=False,
                           headers={"Accept": "text/html"}).status_code == 302
    failed = [e for e in events(workspace.settings.database_url) if e[0] == "login_failed"]
    assert [e[2] for e in failed[:2]] == ["nobody", "vic"]


def test_a_form_without_its_token_is_refused(site):
    _, server = site
    answer = requests.post(f"{server.url}/login", timeout=30, allow_redirects=False,
                           data={"name": "maria", "password": PASSWORD})
    assert answer.status_code == 400
    assert "The form had expired" in answer.text


def test_another_site_is_never_where_signing_in_leads(site):
    _, server = site
    browser = requests.Session()
    form = browser.get(f"{server.url}/login?next=//evil.example/x", timeout=30).text
    assert 'name="next" value="/internal/"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = browser.post(f"{server.url}/login", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "name": "vic", "password": PASSWORD,
        "next": "https://evil.example/"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/internal/"


def test_signing_out_ends_the_session(site):
    workspace, server = site
    browser, _ = sign_in(server, "vic", PASSWORD)
    form = browser.get(f"{server.url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    out = browser.post(f"{server.url}/logout", data={"csrf_token": token}, timeout=30,
                       allow_redirects=False)
    assert out.status_code == 303 and out.headers["Location"] == "/login?signed_out=1"
    assert "You are signed out." in browser.get(server.url + out.headers["Location"],
                                                 timeout=30).text
    again = browser.get(f"{server.url}/internal/", timeout=30, allow_redirects=False,
                        headers={"Accept": "text/html"})
    assert again.status_code == 302
    assert ("logout", "vic") in {(e[0], e[2]) for e in events(workspace.settings.database_url)}


def test_too_many_attempts_from_one_address_are_refused_for_a_while(site):
    workspace, _ = site
    env = {**workspace.env, "DASHBOARD_LOGIN_RATE_LIMIT": "3 per minute"}
    strict = ServerProcess([sys.executable, "app.py"], env, free_port())
    try:
        answers = [sign_in(strict, "maria", PASSWORD if n == 4 else "a wrong password here")[1]
                   for n in range(5)]
    finally:
        strict.stop()
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert "Too many attempts from this address" in answers[4].text  # even the right password


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1200])
def test_the_sign_in_page_passes_axe_and_works_by_keyboard(site, width):
    workspace, server = site
    with chromium_page(width=width) as page:
        page.goto(f"{server.url}/internal/")
        assert page.evaluate("location.pathname + location.search") == \
            "/login?next=%2Finternal%2F"
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("document.activeElement.id") == "login-name"
        page.keyboard.type("maria")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.url}/internal/")
    assert ("login", "maria") in {(e[0], e[2]) for e in events(workspace.settings.database_url)}
