"""The feedback inbox at /internal/feedback, over a real `python app.py`, real users (`python -m
appdb users add`) and feedback sent through the public form's real POST: the list, its filters,
counts and paging; replies, notes and status changes by a manager, with their audit events;
a viewer's refusal; refused texts; a comment with markup shown as text; answered_at reaching
the warehouse and the feedback_response_time KPI through a real ETL run; a real Chromium."""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from appdb.audit import events
from appdb.db import sessions
from appdb.models import Feedback, FeedbackNote
from dashboards.internal.feedback import (
    HISTORY,
    MESSAGE,
    NOTE,
    REPLY,
    SET_STATUS,
    STATE,
    STATUS,
    TEXT,
    duration,
)
from tests.browser import axe_violations, chromium_page
from tests.dash_client import find, text
from tests.helpers import ServerProcess, Workspace, free_port, query, write_sources
from tests.internal_client import PASSWORD, add_user, page, signed_in
from tests.test_feedback import last_id, opened_form, post

INBOX = "/internal/feedback"
UPDATE = "/internal/_dash-update-component"
MARKUP = "<script>window.pwned = 1</script><b>bold</b> & <img src=x onerror=alert(1)>"
FILLERS = 26  # with the three below, 29: a full first page of 25 and a second of 4


@dataclass(frozen=True)
class Sent:
    """The ids of the feedback sent for this module's tests."""

    budget: int  # /budget, "no", a comment
    kpi: int  # a KPI's page, "yes"
    markup: int  # a dataset's page, a comment full of markup
    first_filler: int
    last_filler: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """A published site with a manager, an admin and a viewer, and limits high enough for
    all the forms posted here."""
    root = tmp_path_factory.mktemp("inbox")
    write_sources(root / "config", small_sample)
    workspace = Workspace(root=root, sample_dir=small_sample)
    workspace.etl("run")
    for args in (("mara", "--role", "manager", "--department", "Parks"),
                 ("ada", "--role", "admin"), ("vic", "--role", "viewer")):
        assert add_user(workspace, *args).returncode == 0
    env = workspace.env | {"DASHBOARD_FEEDBACK_RATE_LIMIT": "1000 per minute",
                           "DASHBOARD_LOGIN_RATE_LIMIT": "100 per minute"}
    server = ServerProcess([sys.executable, "app.py"], env, free_port())
    yield workspace, server
    server.stop()


@pytest.fixture(scope="module")
def sent(site) -> Sent:
    """Feedback sent through the public form's POST, as residents do."""
    workspace, server = site
    client, fields = opened_form(server.url)

    def send(**extra: str) -> int:
        answer = post(client, server.url, fields, **extra)
        assert answer.headers["Location"].endswith("feedback=sent#feedback")
        return last_id(workspace)

    first = send(page="/services", useful="yes")
    for _ in range(FILLERS - 1):
        last = send(page="/services", useful="yes")
    return Sent(
        budget=send(page="/budget", useful="no", comment="The 2025 figures are missing."),
        kpi=send(page="/kpi/median_days_to_close", kpi_id="median_days_to_close",
                 useful="yes"),
        markup=send(page="/data/budget_lines", dataset_id="budget_lines", comment=MARKUP),
        first_filler=first, last_filler=last)


# ---- talking to the inbox as the browser does ----

def inbox(client: requests.Session, server: ServerProcess, search: str = "") -> Any:
    """The inbox's content as the internal router draws it for path?search."""
    return page(client, server, INBOX, search)


OUTPUTS = ((HISTORY, "children"), (STATE, "children"), (MESSAGE, "children"),
           (TEXT, "value"), (STATUS, "value"))


def dash_id(kind: str, index: Any) -> str:
    """A pattern-matching id as Dash writes it in callback ids and the page."""
    return json.dumps({"index": index, "type": kind}, separators=(",", ":"), sort_keys=True)


def act(client: requests.Session, server: ServerProcess, feedback_id: int, button: str,
        text: str = "", status: str = "new") -> requests.Response:
    """Press one item's button (reply, note or change status) with the text and status set."""
    def one(kind: str, prop: str, value: Any = None, out: bool = False) -> dict:
        item = {"id": {"index": feedback_id, "type": kind}, "property": prop}
        return item if out else item | {"value": value}

    return client.post(server.url + UPDATE, timeout=30, json={
        # Dash names several outputs "..a.children...b.value.."
        "output": ".." + "...".join(f"{dash_id(k, ['MATCH'])}.{p}" for k, p in OUTPUTS)
                  + "..",
        "outputs": [one(k, p, out=True) for k, p in OUTPUTS],
        "inputs": [one(b, "n_clicks", 1 if b == button else None)
                   for b in (REPLY, NOTE, SET_STATUS)],
        "changedPropIds": [f"{dash_id(button, feedback_id)}.n_clicks"],
        "state": [one(TEXT, "value", text), one(STATUS, "value", status)]})


def acted(answer: requests.Response, feedback_id: int) -> dict[str, Any]:
    """A successful action's new values by output type: history, state, message, ..."""
    assert answer.status_code == 200, answer.text[:500]
    response = answer.json()["response"]
    return {kind: response.get(dash_id(kind, feedback_id), {}).get(prop)
            for kind, prop in OUTPUTS}


def row(workspace: Workspace, feedback_id: int) -> tuple[Feedback, list[FeedbackNote]]:
    with sessions(workspace.settings.database_url)() as session:
        return (session.get(Feedback, feedback_id),
                list(session.scalars(select(FeedbackNote).where(
                    FeedbackNote.feedback_id == feedback_id).order_by(FeedbackNote.id))))


def audited(workspace: Workspace, action: str, feedback_id: int) -> list[tuple]:
    return [e for e in events(workspace.settings.database_url)
            if e[0] == action and e[3].get("feedback_id") == feedback_id]


def item_ids(tree: Any) -> list[int]:
    """The feedback ids of the items shown, in order."""
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if node.get("type") == "Article" and str(props.get("id", "")).startswith("feedback-"):
                found.append(int(props["id"].removeprefix("feedback-")))
            walk(props.get("children"))
    walk(tree)
    return found


def options(tree: Any, select_id: str) -> list[str]:
    return [o["value"] for o in find(tree, select_id)["props"]["options"]]


# ---- the list ----

def test_the_inbox_lists_newest_first_25_a_page_with_counts_by_status(site, sent):
    _, server = site
    viewer = signed_in(server, "vic")
    first = inbox(viewer, server)
    everything = list(range(sent.markup, sent.first_filler - 1, -1))
    assert item_ids(first) == everything[:25]
    words = said(first)
    assert "Showing 1 to 25 of 29." in words and "Page 1 of 2" in words
    assert "New 29" in words and "Answered 0" in words and "Closed 0" in words
    second = inbox(viewer, server, "?p=2")
    assert item_ids(second) == everything[25:]
    assert "Showing 26 to 29 of 29." in said(second)
    assert item_ids(inbox(viewer, server, "?p=99")) == everything[25:]  # the last page

    budget = find(first, f"feedback-{sent.budget}")
    shown = said(budget)
    assert "The 2025 figures are missing." in shown and "Useful No" in shown
    assert "Status New" in shown and "Not answered yet" in shown
    link = find_all(budget, "A")[0]["props"]
    assert link == {"children": "/budget", "href": "/budget"}
    [when] = find_all(budget, "Time")
    sent_at = datetime.fromisoformat(when["props"]["dateTime"])
    assert sent_at.utcoffset().total_seconds() == 0 and when["props"]["children"].endswith("UTC")


def test_a_viewer_reads_without_the_reply_form_and_a_manager_gets_it(site, sent):
    _, server = site
    as_viewer = inbox(signed_in(server, "vic"), server)
    as_manager = inbox(signed_in(server, "mara"), server)
    ids = [c["props"].get("id") for c in find_all(as_manager, None)]
    assert {"index": sent.budget, "type": TEXT} in ids
    assert f"Reply or internal note on feedback #{sent.budget}" in said(as_manager)
    assert TEXT not in json.dumps(as_viewer)
    assert "managers and admins reply" in said(as_viewer)


def test_the_filters_offer_the_values_present_and_narrow_the_list(site, sent):
    _, server = site
    viewer = signed_in(server, "vic")
    tree = inbox(viewer, server)
    assert options(tree, "feedback-filter-page") == [
        "all", "/budget", "/data/budget_lines", "/kpi/median_days_to_close", "/services"]
    assert options(tree, "feedback-filter-kpi") == ["all", "median_days_to_close"]
    assert options(tree, "feedback-filter-dataset") == ["all", "budget_lines"]
    assert options(tree, "feedback-filter-status") == ["all", "new", "answered", "closed"]
    for search, expected in (("?kpi=median_days_to_close", [sent.kpi]),
                             ("?dataset=budget_lines", [sent.markup]),
                             ("?page=/budget&kpi=all&dataset=all&status=all", [sent.budget]),
                             ("?page=/budget&status=closed", [])):
        assert item_ids(inbox(viewer, server, search)) == expected, search
    # A value that is not present (or made up) filters nothing.
    assert len(item_ids(inbox(viewer, server, "?kpi=nothing&page=//evil"))) == 25
    narrowed = inbox(viewer, server, "?kpi=median_days_to_close")
    assert find(narrowed, "feedback-filter-kpi")["props"]["value"] == "median_days_to_close"
    assert "New 1" in said(narrowed) and "No feedback matches" not in said(narrowed)
    assert "No feedback matches this view." in said(inbox(viewer, server, "?page=/budget"
                                                                           "&status=closed"))


def test_a_comment_with_markup_is_shown_as_text(site, sent):
    _, server = site
    tree = inbox(signed_in(server, "vic"), server, "?dataset=budget_lines")
    [comment] = [c for c in find_all(tree, "P")
                 if c["props"].get("className") == "feedback-item-comment"]
    assert comment["props"]["children"] == MARKUP  # one text child: React escapes it
    assert not {"Markdown", "Iframe", "Script"} & {c["type"] for c in find_all(tree, None)}


# ---- replying, noting, changing the status ----

def test_a_managers_reply_is_stored_marks_it_answered_and_reaches_the_kpi(site, sent):
    workspace, server = site
    manager = signed_in(server, "mara")
    fid = sent.budget
    new = acted(act(manager, server, fid, REPLY, "  Thank you: the 2025 figures are back.\r\n"),
                fid)
    assert "Reply saved" in said(new[MESSAGE])
    assert new[TEXT] == "" and new[STATUS] == "answered"
    assert "Answered" in said(new[STATE]) and "Reply by mara" in said(new[HISTORY])
    stored, notes = row(workspace, fid)
    assert stored.status == "answered" and stored.answered_at is not None
    assert [(n.kind, n.author, n.text) for n in notes] == [
        ("reply", "mara", "Thank you: the 2025 figures are back.")]
    assert len(audited(workspace, "feedback_reply", fid)) == 1
    answered_at = stored.answered_at

    note = acted(act(manager, server, fid, NOTE, "Checked with Finance."), fid)
    assert "Internal note saved." in said(note[MESSAGE])
    assert "Internal note by mara" in said(note[HISTORY])
    again = acted(act(manager, server, fid, REPLY, "And 2024 too."), fid)
    assert "Reply saved" in said(again[MESSAGE])
    stored, notes = row(workspace, fid)
    assert [n.kind for n in notes] == ["reply", "note", "reply"]
    assert stored.answered_at == answered_at  # the first answer's time stays
    assert len(audited(workspace, "feedback_note", fid)) == 1
    assert len(audited(workspace, "feedback_reply", fid)) == 2

    # The page's median for this view is that response time, in words.
    waited = duration(answered_at - stored.submitted_at)
    assert f"in this view: {waited}, over 1 answered." in said(
        inbox(manager, server, "?page=/budget"))
    assert item_ids(inbox(manager, server, "?status=answered&page=/budget")) == [fid]

    # A real ETL run carries answered_at into the warehouse, for the KPI.
    workspace.etl("run")
    [(status, warehouse_answered)] = query(
        workspace, "SELECT status, answered_at FROM citizen_feedback WHERE feedback_id = ?",
        [f"W-{fid}"])
    assert status == "answered" and warehouse_answered == answered_at
    assert query(workspace, "SELECT count(*) FROM kpi.series WHERE kpi_id = "
                 "'feedback_response_time' AND value IS NOT NULL")[0][0] > 0
    assert query(workspace, "SELECT note FROM kpi.lineage WHERE kpi_id = "
                 "'feedback_response_time'") == [("",)]
    # kpi.series keeps complete months only; the KPI's own query over the new snapshot gives
    # this month's value: the median over the feedback answered in it, this reply among them.
    [(kpi_query,)] = query(workspace, "SELECT query FROM kpi.definitions "
                           "WHERE kpi_id = 'feedback_response_time'")
    month = answered_at.date().replace(day=1)
    [value] = [v for period, v in query(workspace, kpi_query) if day(period) == month]
    answers = query(workspace, "SELECT feedback_id, submitted_at, answered_at FROM "
                    "citizen_feedback WHERE date_trunc('month', answered_at) = ?", [month])
    assert f"W-{fid}" in {a[0] for a in answers}
    # The KPI counts the seconds' boundaries crossed (date_diff), as whole seconds.
    waits = [(a.replace(microsecond=0) - s.replace(microsecond=0)).total_seconds()
             for _, s, a in answers]
    assert value == pytest.approx(statistics.median(waits) / 86400)


def test_status_changes_keep_the_first_answer_and_are_audited(site, sent):
    workspace, server = site
    admin = signed_in(server, "ada")
    fid = sent.kpi
    steps = [("closed", None), ("answered", "set"), ("closed", "kept"), ("new", "kept")]
    answered_at = None
    for status, answered in steps:
        new = acted(act(admin, server, fid, SET_STATUS, status=status), fid)
        assert f"Status changed to {status.capitalize()}." in said(new[MESSAGE])
        assert new[STATUS] == status and new[TEXT] is None  # the text box is left alone
        stored, _ = row(workspace, fid)
        assert stored.status == status
        if answered is None:
            assert stored.answered_at is None  # closed without an answer
        elif answered == "set":
            answered_at = stored.answered_at
            assert answered_at is not None
        else:
            assert stored.answered_at == answered_at
    changes = [e[3] for e in audited(workspace, "feedback_status", fid)][::-1]
    assert [(c["before"], c["after"]) for c in changes] == [
        ("new", "closed"), ("closed", "answered"), ("answered", "closed"), ("closed", "new")]
    assert all(e[2] == "ada" for e in audited(workspace, "feedback_status", fid))

    same = acted(act(admin, server, fid, SET_STATUS, status="new"), fid)
    assert "The status was already New." in said(same[MESSAGE])
    assert len(audited(workspace, "feedback_status", fid)) == 4  # nothing changed, nothing new
    bad = acted(act(admin, server, fid, SET_STATUS, status="deleted"), fid)
    assert "Choose a status" in said(bad[MESSAGE])


@pytest.mark.parametrize(("typed", "words"), [
    ("   \r\n ", "The reply is empty"),
    ("x" * 2001, "The reply has 2,001 characters; the most is 2,000."),
])
def test_an_empty_or_too_long_reply_is_refused_with_a_message(site, sent, typed, words):
    workspace, server = site
    fid = sent.last_filler
    answer = acted(act(signed_in(server, "mara"), server, fid, REPLY, typed), fid)
    assert words in said(answer[MESSAGE])
    assert answer[HISTORY] is None and answer[TEXT] is None  # left as they were
    stored, notes = row(workspace, fid)
    assert stored.status == "new" and notes == []
    assert audited(workspace, "feedback_reply", fid) == []


def test_a_viewer_or_a_visitor_cannot_reply_or_change_the_status(site, sent):
    workspace, server = site
    viewer = signed_in(server, "vic")
    fid = sent.first_filler
    for button in (REPLY, NOTE, SET_STATUS):
        refused = act(viewer, server, fid, button, "I am only a viewer", "closed")
        assert refused.status_code == 403
        assert refused.json()["error"] == "this needs the role admin or manager"
        assert act(requests.Session(), server, fid, button, "x", "closed").status_code == 401
    stored, notes = row(workspace, fid)
    assert stored.status == "new" and stored.answered_at is None and notes == []
    assert [e for e in events(workspace.settings.database_url)
            if e[0].startswith("feedback_") and e[3].get("feedback_id") == fid] == []


# ---- a real browser ----

@pytest.mark.browser
def test_a_manager_replies_by_keyboard_on_a_phone_and_a_desktop(site, sent):
    workspace, server = site
    client, fields = opened_form(server.url)
    post(client, server.url, fields, page="/engagement", comment="Where are the webinars?")
    fid = last_id(workspace)
    with chromium_page(width=1200) as page:
        page.goto(f"{server.url}/login?next={INBOX}")
        page.focus("#login-name")
        page.keyboard.type("mara")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(server.url + INBOX)
        for width in (1200, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{server.url}{INBOX}?page=/data/budget_lines")
            page.wait_for_selector(f"#feedback-{sent.markup}")
            assert axe_violations(page) == [], width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # The comment's markup is text on screen, not elements or script.
            comment = page.locator(f"#feedback-{sent.markup} .feedback-item-comment")
            assert comment.inner_text() == MARKUP
            assert comment.locator("b, img, script").count() == 0
            assert page.evaluate("window.pwned") is None

        page.goto(f"{server.url}{INBOX}?page=/engagement")
        item = page.locator(f"#feedback-{fid}")
        item.get_by_label(f"Reply or internal note on feedback #{fid}").focus()
        page.keyboard.type("The webinars are on the community page now.")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Send reply"
        page.keyboard.press("Enter")
        item.locator(".feedback-action-ok").wait_for()
        assert item.locator(".feedback-badge").inner_text() == "Answered"
        assert "Reply by mara" in item.locator(".feedback-notes").inner_text()
        assert page.evaluate("document.activeElement.textContent") == "Send reply"
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.problems == []
    stored, notes = row(workspace, fid)
    assert stored.status == "answered" and stored.answered_at is not None
    assert [n.text for n in notes] == ["The webinars are on the community page now."]


# ---- reading a layout ----

def said(tree: Any) -> str:
    """The text a reader gets, with its spaces as a browser shows them."""
    return " ".join(text(tree).split())


def day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def find_all(tree: Any, kind: str | None) -> list[dict]:
    """Every component of this type (None: of any type) in a layout, in document order."""
    if isinstance(tree, list):
        return [hit for child in tree for hit in find_all(child, kind)]
    if not isinstance(tree, dict):
        return []
    own = [tree] if kind is None or tree.get("type") == kind else []
    return own + find_all(tree.get("props", {}).get("children"), kind)
