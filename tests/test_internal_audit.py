"""The audit log page over a real `python app.py` and real users: real sign-ins, failed
sign-ins, sign-outs, users added and a rollback, listed newest first with their detail in
words, filtered by action and user, 50 a page; a manager is refused the page and its data."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from appdb.audit import events
from tests.dash_client import find, find_type, table_rows, text
from tests.helpers import ServerProcess, Workspace, free_port, published_site
from tests.internal_client import add_user, fire, page, sign_in, signed_in
from tests.test_internal_pipeline import ROLLBACK, message, roll_back

PATH = "/internal/audit"
FILTER = ("audit-url.search",)
FAILED_SIGN_INS = 52  # more than a page of them


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """A published city, a second snapshot, three users and a log of what they did."""
    with published_site(tmp_path_factory.mktemp("audit"), small_sample) as (workspace, first):
        first.stop()
        workspace.etl("run")
        for args in (("ada", "--role", "admin"), ("vic", "--role", "viewer"),
                     ("maria", "--role", "manager", "--department", "Public Works")):
            assert add_user(workspace, *args).returncode == 0
        env = {**workspace.env, "DASHBOARD_LOGIN_RATE_LIMIT": "1000 per minute"}
        server = ServerProcess([sys.executable, "app.py"], env, free_port())
        for _ in range(FAILED_SIGN_INS):
            assert sign_in(server, "vic", "not the password at all")[1].status_code == 401
        sign_out(signed_in(server, "vic"), server)
        older = workspace.status()["snapshots"][1]["id"]
        message(roll_back(signed_in(server, "ada"), server, older), ROLLBACK[0])
        yield workspace, server
        server.stop()


def sign_out(browser: requests.Session, server: ServerProcess) -> None:
    form = browser.get(f"{server.url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    out = browser.post(f"{server.url}/logout", data={"csrf_token": token}, timeout=30,
                       allow_redirects=False)
    assert out.status_code == 303


def test_the_log_lists_what_was_done_newest_first_with_the_detail_in_words(site):
    workspace, server = site
    viewer = signed_in(server, "vic")
    shown = page(viewer, server, PATH)
    rows = table_rows(find(shown, "audit-events"))
    logged = events(workspace.settings.database_url)
    assert len(rows) == 50
    # newest first: the viewer's own sign-in just now, then ada's rollback and sign-in
    assert [(r[1], r[2]) for r in rows[:3]] == [
        ("Signed in", "vic"), ("Rollback", "ada"), ("Signed in", "ada")]
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)
    assert rows[0][0] == logged[0][1][:19].replace("T", " ")
    newer, older = (s["id"] for s in workspace.status()["snapshots"][:2])
    assert rows[1][4] == f"Made snapshot {older} current (it was {newer})."
    assert ("Signed out", "vic") in [(r[1], r[2]) for r in rows]
    assert ["Failed sign-in", "vic", "127.0.0.1", "The name or the password was wrong."] in \
        [r[1:] for r in rows]
    times = find_type(find(shown, "audit-events"), "Time")
    assert times["props"]["dateTime"].endswith("+00:00")  # a <time> with the moment in UTC
    assert text(find(shown, "audit-showing")) == f"Showing 1–50 of {len(logged)} events."


def test_the_log_filters_by_action_and_by_user(site):
    _, server = site
    viewer = signed_in(server, "vic")
    added = table_rows(find(page(viewer, server, PATH, "?action=user_added"), "audit-events"))
    assert [r[1:] for r in added] == [
        ["User added", "the system", "", "Added maria as manager of Public Works."],
        ["User added", "the system", "", "Added vic as viewer."],
        ["User added", "the system", "", "Added ada as admin."]]
    adas = table_rows(find(page(viewer, server, PATH, "?user=ada"), "audit-events"))
    assert {r[2] for r in adas} == {"ada"}
    assert [r[1] for r in adas] == ["Rollback", "Signed in"]
    both = find(page(viewer, server, PATH, "?action=logout&user=vic"), "audit-events")
    assert [r[1:3] for r in table_rows(both)] == [["Signed out", "vic"]]
    options = find(page(viewer, server, PATH), "audit-action")["props"]["options"]
    assert {"value": "login_failed", "label": "Failed sign-in"} in options
    # choosing in the selects puts the filters in the address, from which the page is drawn
    answer = fire(viewer, server, FILTER, {"audit-action.value": "login",
                                           "audit-user.value": "vic"})
    assert answer.status_code == 200
    assert answer.json()["response"]["audit-url"]["search"] == "?action=login&user=vic"


def test_the_log_is_paged_fifty_events_a_page(site):
    workspace, server = site
    admin = signed_in(server, "ada")
    failed = [e for e in events(workspace.settings.database_url) if e[0] == "login_failed"]
    assert len(failed) == FAILED_SIGN_INS
    first = page(admin, server, PATH, "?action=login_failed")
    assert len(table_rows(find(first, "audit-events"))) == 50
    older = find(first, "audit-older")
    assert older["props"]["href"] == f"{PATH}?action=login_failed&page=2"
    assert find(first, "audit-newer") is None
    second = page(admin, server, PATH, "?action=login_failed&page=2")
    assert len(table_rows(find(second, "audit-events"))) == FAILED_SIGN_INS - 50
    assert text(find(second, "audit-showing")) == \
        f"Showing 51–{FAILED_SIGN_INS} of {FAILED_SIGN_INS} events."
    assert find(second, "audit-newer")["props"]["href"] == f"{PATH}?action=login_failed"
    assert find(second, "audit-older") is None


def test_a_manager_is_refused_the_log_and_its_data(site):
    _, server = site
    manager = signed_in(server, "maria")
    shown = page(manager, server, PATH)
    assert text(shown) == "Audit log This page is for viewers and admins."
    assert find(shown, "audit-events") is None
    answer = fire(manager, server, FILTER, {"audit-action.value": "login",
                                            "audit-user.value": "vic"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "this needs the role admin or viewer"
