"""Page feedback: the form's token, storing, refusing, the rate limit, redirects, a real browser."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from appdb.db import sessions
from appdb.feedback import EMPTY, INVALID, TOO_LONG, FeedbackRefused, check_submission
from appdb.models import Feedback
from config.settings import SECRET_KEY_FILE, SettingsError, load_settings, secret_key
from dashboards.feedback_route import return_path
from tests.browser import chromium_page, open_live
from tests.helpers import ServerProcess, Workspace, free_port, write_sources

KPI_PAGE = "/kpi/requests_closed"  # any page path: the endpoint stores what the form names


# ---- a published workspace and a server shared by this module's tests ----

@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path) -> Workspace:
    root = tmp_path_factory.mktemp("feedback")
    write_sources(root / "config", small_sample)
    workspace = Workspace(root=root, sample_dir=small_sample)
    workspace.etl("run")
    return workspace


@pytest.fixture(scope="module")
def server(site: Workspace) -> Iterator[ServerProcess]:
    """The site with a limit high enough for all tests here to post from one address."""
    env = site.env | {"DASHBOARD_FEEDBACK_RATE_LIMIT": "500 per minute"}
    process = ServerProcess([sys.executable, "app.py"], env, free_port())
    yield process
    process.stop()


def render_page(
    client: requests.Session, url: str, path: str = "/", search: str = ""
) -> requests.Response:
    """The page's content as Dash's page callback sends it to the browser (JSON)."""
    answer = client.post(url + "/_dash-update-component", timeout=30, json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    })
    answer.raise_for_status()
    return answer


def form_fields(tree) -> dict[str, str]:
    """name -> value of every input (the hidden ones) in a rendered component tree."""
    fields: dict[str, str] = {}
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if tree.get("type") == "Input" and "name" in props:
            fields[props["name"]] = props.get("value") or ""
        for value in tree.values():
            fields |= form_fields(value)
    elif isinstance(tree, list):
        for value in tree:
            fields |= form_fields(value)
    return fields


def opened_form(url: str) -> tuple[requests.Session, dict[str, str]]:
    """A visitor's session that has loaded the home page, and its form's hidden fields."""
    client = requests.Session()
    client.get(url + "/", timeout=30)
    return client, form_fields(render_page(client, url).json())


def post(client, url: str, fields: dict[str, str], **extra: str) -> requests.Response:
    return client.post(url + "/feedback", data=fields | extra, allow_redirects=False, timeout=30)


def rows(workspace: Workspace, after: int = 0) -> list[Feedback]:
    with sessions(workspace.settings.database_url)() as session:
        return list(session.scalars(select(Feedback).where(Feedback.id > after)
                                    .order_by(Feedback.id)))


def last_id(workspace: Workspace) -> int:
    stored = rows(workspace)
    return stored[-1].id if stored else 0


# ---- the endpoint, served by a real process ----

def test_the_form_carries_a_csrf_token_and_the_session_cookie(server, site):
    answer = render_page(requests.Session(), server.url)
    fields = form_fields(answer.json())
    assert fields["csrf_token"]
    assert fields["page"] == fields["return"] == "/"
    assert fields["snapshot_id"] == site.status()["current_snapshot"]
    assert "Was this page useful?" in answer.text
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # DASHBOARD_SECURE_COOKIES is off by default


def test_a_post_with_the_token_stores_one_row_and_goes_back_to_the_page(server, site):
    client, fields = opened_form(server.url)
    before = last_id(site)
    answer = post(client, server.url, fields, page=KPI_PAGE, kpi_id="requests_closed",
                  useful="no", comment="  The chart stops in October.\r\nWhere is November?  ")
    answer.raise_for_status()
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/?feedback=sent#feedback"  # return path: the form's
    [row] = rows(site, after=before)
    assert (row.page, row.kpi_id, row.dataset_id) == (KPI_PAGE, "requests_closed", None)
    assert row.snapshot_id == site.status()["current_snapshot"]
    assert row.useful is False
    assert row.comment == "The chart stops in October.\nWhere is November?"
    assert row.status == "new" and row.answered_at is None and row.submitted_at is not None

    answer = post(client, server.url, fields | {"return": KPI_PAGE + "?year=2026"}, useful="yes")
    assert answer.headers["Location"] == KPI_PAGE + "?year=2026&feedback=sent#feedback"
    [row] = rows(site, after=row.id)
    assert row.useful is True and row.comment is None


def test_the_visitor_goes_back_to_the_page_as_it_was_shown(server):
    client, fields = opened_form(server.url)
    # The browser's Referer keeps the page's query (filters), when it is this site and page.
    shown = server.url + "/?year=2026&feedback=sent"
    answer = client.post(server.url + "/feedback", data=fields | {"useful": "yes"},
                         headers={"Referer": shown}, allow_redirects=False, timeout=30)
    assert answer.headers["Location"] == "/?year=2026&feedback=sent#feedback"
    for elsewhere in ["http://evil.example/?year=2026", server.url + "/budget?year=2026"]:
        answer = client.post(server.url + "/feedback", data=fields | {"useful": "yes"},
                             headers={"Referer": elsewhere}, allow_redirects=False, timeout=30)
        assert answer.headers["Location"] == "/?feedback=sent#feedback"


def test_a_missing_or_forged_token_stores_nothing(server, site):
    client, fields = opened_form(server.url)
    _, others = opened_form(server.url)  # a real token, from another visitor's session
    before = last_id(site)
    attempts = [
        post(client, server.url, {k: v for k, v in fields.items() if k != "csrf_token"},
             useful="yes"),
        post(client, server.url, fields, csrf_token="forged", useful="yes"),
        post(client, server.url, fields, csrf_token=others["csrf_token"], useful="yes"),
        post(requests, server.url, fields, useful="yes"),  # the token without its cookie
    ]
    for answer in attempts:
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/?feedback=invalid#feedback"
    assert rows(site, after=before) == []


def test_the_sixth_post_in_a_minute_is_limited_and_not_stored(site):
    # Its own server: the default limit (5 per minute), counters from zero.
    process = ServerProcess([sys.executable, "app.py"], site.env, free_port())
    try:
        client, fields = opened_form(process.url)
        before = last_id(site)
        answers = [post(client, process.url, fields, useful="yes", comment=f"try {n}")
                   for n in range(1, 7)]
    finally:
        process.stop()
    statuses = [a.headers["Location"].split("feedback=")[1] for a in answers]
    assert statuses == ["sent#feedback"] * 5 + ["limited#feedback"]
    assert [r.comment for r in rows(site, after=before)] == [f"try {n}" for n in range(1, 6)]


def test_the_daily_limit_counts_too(site):
    from app import create_app

    app = create_app(load_settings(site.env | {
        "DASHBOARD_FEEDBACK_RATE_LIMIT": "10 per minute; 3 per day"}))
    client = app.test_client()
    with app.test_request_context("/"):  # a token for the test client's session
        token = generate_csrf()
        value = session["csrf_token"]
    with client.session_transaction() as stored:
        stored["csrf_token"] = value
    before = last_id(site)
    answers = [client.post("/feedback", data={"page": "/", "csrf_token": token, "useful": "yes"})
               for _ in range(4)]
    assert [a.headers["Location"] for a in answers] == (
        ["/?feedback=sent#feedback"] * 3 + ["/?feedback=limited#feedback"])
    assert len(rows(site, after=before)) == 3


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "evil.example", " //evil.example", "/\r\nSet-Cookie: x=1",
])
def test_an_off_site_return_path_is_not_followed(server, target):
    client, fields = opened_form(server.url)
    answer = post(client, server.url, fields | {"return": target}, useful="yes")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/?feedback=sent#feedback"  # the form's page instead


def test_an_over_long_comment_is_refused_with_a_clear_message(server, site):
    client, fields = opened_form(server.url)
    before = last_id(site)
    answer = post(client, server.url, fields, comment="x" * 2001)
    assert answer.headers["Location"] == "/?feedback=too-long#feedback"
    assert rows(site, after=before) == []
    page = render_page(client, server.url, search="?feedback=too-long").text
    assert "Your message is too long" in page and "2,000 characters" in page

    # 2,000 characters as the visitor typed them: the browser sends each newline as CRLF.
    typed = ("y" * 99 + "\r\n") * 20
    answer = post(client, server.url, fields, comment=typed[:-2] + "z")
    assert answer.headers["Location"] == "/?feedback=sent#feedback"
    [row] = rows(site, after=before)
    assert len(row.comment) == 2000


def test_an_empty_form_is_refused_and_says_what_to_do(server, site):
    client, fields = opened_form(server.url)
    before = last_id(site)
    answer = post(client, server.url, fields, comment="   ")
    assert answer.headers["Location"] == "/?feedback=empty#feedback"
    assert rows(site, after=before) == []
    assert "Choose Yes or No" in render_page(client, server.url, search="?feedback=empty").text


# ---- a real browser, by keyboard ----

@pytest.mark.browser
def test_a_visitor_sends_feedback_by_keyboard_and_is_thanked(server, site):
    before = last_id(site)
    with chromium_page(width=375) as page:
        open_live(page, server.url + "/")
        page.wait_for_selector("#feedback form")
        page.focus("#feedback-comment")
        page.keyboard.type("The budget figure has no link to the details.")
        page.keyboard.press("Tab")  # to Send
        assert page.evaluate("document.activeElement.textContent") == "Send"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#feedback-status")
        assert page.url.endswith("/?feedback=sent#feedback")
        assert "Thank you for your feedback" in page.inner_text("#feedback-status")
        # The message took the focus, so it is on screen and read out.
        page.wait_for_function("document.activeElement.id === 'feedback-status'")
        assert page.problems == []
    [row] = rows(site, after=before)
    assert row.comment == "The budget figure has no link to the details."
    assert row.useful is None and row.page == "/"


@pytest.mark.browser
def test_the_yes_button_sends_an_answer(server, site):
    before = last_id(site)
    with chromium_page() as page:
        open_live(page, server.url + "/")
        with page.expect_navigation():
            page.get_by_role("button", name="Yes, this page was useful").click()
        page.wait_for_selector("#feedback-status")
        assert page.problems == []
    [row] = rows(site, after=before)
    assert row.useful is True and row.comment is None


# ---- checks that need no server ----

@pytest.mark.parametrize(("fields", "reason"), [
    ({"page": "/", "useful": "", "comment": " \r\n "}, EMPTY),
    ({"page": "/", "comment": "x" * 2001}, TOO_LONG),
    ({"page": "budget", "useful": "yes"}, INVALID),
    ({"page": "//evil.example", "useful": "yes"}, INVALID),
    ({"page": "/" + "a" * 600, "useful": "yes"}, INVALID),
    ({"page": "/", "useful": "maybe"}, INVALID),
    ({"page": "/", "useful": "yes", "kpi_id": "a b"}, INVALID),
    ({"page": "/", "useful": "yes", "snapshot_id": "s" * 200}, INVALID),
])
def test_bad_submissions_are_refused_with_a_reason(fields, reason):
    with pytest.raises(FeedbackRefused) as refused:
        check_submission(fields.pop("page"), **fields)
    assert refused.value.reason == reason


def test_a_comment_is_stripped_and_loses_control_characters():
    checked = check_submission("/budget", comment="\t Bad\x00 figure\x07\r\n ", dataset_id="")
    assert checked.comment == "Bad figure" and checked.useful is None
    assert checked.dataset_id is None


@pytest.mark.parametrize(("candidates", "expected"), [
    (("/budget?year=2026#x", "/"), "/budget?year=2026"),
    (("//evil.example", "/kpi/x"), "/kpi/x"),
    (("https://evil.example/", None), "/"),
    ((None, None), "/"),
])
def test_the_return_path_is_always_on_this_site(candidates, expected):
    assert return_path(*candidates) == expected


def test_the_secret_key_is_made_once_kept_private_and_shared(tmp_path):
    settings = load_settings({"DASHBOARD_DATA_DIR": str(tmp_path / "data")})
    key = secret_key(settings)
    path = tmp_path / "data" / SECRET_KEY_FILE
    assert len(key) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_key(settings) == key  # another process, or a restart, reads the same key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    chosen = "k" * 40
    assert secret_key(load_settings({"DASHBOARD_SECRET_KEY": chosen})) == chosen


def test_a_short_secret_key_is_refused_without_being_shown():
    with pytest.raises(SettingsError) as error:
        load_settings({"DASHBOARD_SECRET_KEY": "hunter2"})
    assert "DASHBOARD_SECRET_KEY" in str(error.value) and "hunter2" not in str(error.value)


@pytest.mark.parametrize(("env", "value"), [
    ("DASHBOARD_FEEDBACK_RATE_LIMIT", "lots"),
    ("DASHBOARD_RATE_LIMIT_STORAGE", "carrier-pigeon://loft"),
    ("DASHBOARD_SECURE_COOKIES", "perhaps"),
])
def test_bad_feedback_settings_are_refused(env, value):
    with pytest.raises(SettingsError, match=env):
        load_settings({env: value})


def test_the_secure_cookie_setting_reaches_flask(tmp_path):
    from app import create_app

    server = create_app(load_settings({"DASHBOARD_DATA_DIR": str(tmp_path),
                                       "DASHBOARD_SECURE_COOKIES": "true"}))
    assert server.config["SESSION_COOKIE_SECURE"] is True
    assert server.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert server.secret_key == secret_key(load_settings({"DASHBOARD_DATA_DIR": str(tmp_path)}))
