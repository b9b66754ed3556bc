"""Initiatives and the practice library over a real `python app.py`, at the request level: who may
create, change, adopt, attach and comment (refusals are 403 from the server, whatever a form
offered), validation named by field, attachments checked and given back byte for byte, and the
library's filters finding the sample's practice that worked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from appdb import initiatives as store
from appdb.audit import events
from appdb.initiatives import MAX_ATTACHMENT_BYTES
from dashboards.internal.initiatives import AIM, FIELDS, NOT_AIMED
from tests.helpers import ServerProcess, Workspace
from tests.internal_client import UPDATE, fire, page, signed_in, staffed_site

LIST, LIBRARY = "/internal/initiatives", "/internal/practices"
CREATE = ("initiative-new-message.children", "initiative-nav.search")
CHANGE = ("initiative-edit-message.children", "initiative-done-message.children",
          "initiative-body.children")
ADOPT = ("practice-adopt-message.children", "practice-spread.children")
COMMENT = ("practice-comments-section.children",)
TRIAGE = "Same-day triage of Public Works requests"
CHATBOT = "Chatbot for water bill questions"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
           ) -> Iterator[tuple[Workspace, ServerProcess]]:
    with staffed_site(tmp_path_factory.mktemp("initiatives"), small_sample) as both:
        yield both


def sample_id(workspace: Workspace, title: str, department: str) -> int:
    return next(i.id for i in store.listing(workspace.settings.database_url)
                if i.title == title and i.department == department)


def form_body(outputs: tuple[str, ...], trigger: str, values: dict[str, Any],
              aims: dict[str, str], extra: list[dict] | None = None) -> dict:
    """A save of the initiative form as the renderer posts it: the fields, and the KPI aims as
    a pattern-matching (ALL) state."""
    state = [*(extra or []),
             *({"id": field_id, "property": "value", "value": values.get(name)}
               for name, field_id, _ in FIELDS if name != "kpis")]
    ids = [{"type": AIM["type"], "kpi": k} for k in ("median_days_to_close", "on_time_rate")]
    state.append([{"id": i, "property": "value", "value": aims.get(i["kpi"], NOT_AIMED)}
                  for i in ids])
    state.append([{"id": i, "property": "id", "value": i} for i in ids])
    return {"output": "..{}..".format("...".join(outputs)),
            "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                        for o in outputs],
            "inputs": [{"id": trigger, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f"{trigger}.n_clicks"], "state": state}


def new_values(title: str, department: str, **more: Any) -> dict[str, Any]:
    return {"title": title, "change": "Crews get the request the morning it arrives.",
            "department": department, "owner": "Works dispatch", "start_date": "2026-03-01",
            "status": "running", "owner_public": [], "public": ["yes"],
            "links": "https://example.org/plan", "cost_once": 5000, **more}


def create(browser: requests.Session, server: ServerProcess, values: dict[str, Any],
           aims: dict[str, str] | None = None) -> requests.Response:
    return browser.post(server.url + UPDATE, timeout=60, json=form_body(
        CREATE, "initiative-create", values, {"on_time_rate": "up"} if aims is None else aims))


def change(browser: requests.Session, server: ServerProcess, initiative_id: int,
           values: dict[str, Any], trigger: str = "initiative-save",
           done_date: str | None = None) -> requests.Response:
    body = form_body(CHANGE, trigger, values, {"on_time_rate": "up"},
                     [{"id": "initiative-id", "property": "data", "value": initiative_id}])
    body["inputs"] = [{"id": "initiative-save", "property": "n_clicks", "value": 1},
                      {"id": "initiative-done", "property": "n_clicks", "value": 1}]
    body["state"].append({"id": "initiative-done-date", "property": "value", "value": done_date})
    return browser.post(server.url + UPDATE, json=body, timeout=60)


def text(tree: Any) -> str:
    return json.dumps(tree)


def find(tree: Any, wanted: str) -> list[dict]:
    """Every component in a tree whose props match wanted ("key=value")."""
    key, _, value = wanted.partition("=")
    found = []
    if isinstance(tree, dict):
        if str(tree.get("props", {}).get(key)) == value:
            found.append(tree)
        for child in tree.values():
            found += find(child, wanted)
    elif isinstance(tree, list):
        for child in tree:
            found += find(child, wanted)
    return found


def test_a_manager_creates_for_their_department_only_and_it_is_audited(served):
    workspace, server = served
    maria = signed_in(server, "maria")
    refused = create(maria, server, new_values("Water plan", "Water & Sewer"))
    assert refused.status_code == 403
    assert "Water & Sewer" in refused.json()["error"]

    made = create(maria, server, new_values("Morning dispatch", "Public Works"))
    assert made.status_code == 200, made.text[:300]
    search = made.json()["response"]["initiative-nav"]["search"]
    new_id = int(re.fullmatch(r"\?id=(\d+)", search).group(1))
    stored = store.get(workspace.settings.database_url, new_id)
    assert (stored.title, stored.department, stored.kpis, stored.created_by, stored.cost_once) \
        == ("Morning dispatch", "Public Works", (("on_time_rate", "up"),), "maria", 5000)
    audited = [e for e in events(workspace.settings.database_url)
               if e[0] == "initiative_created" and e[3].get("initiative") == new_id]
    assert audited and audited[0][2] == "maria"

    # Its page: no evidence until the next publish, said plainly; its start marked at once
    # on the chart of its KPI, with the other initiatives aiming at it.
    shown = page(maria, server, LIST, search)
    assert "will appear after the next one" in text(shown)
    marks = find(shown, "id=initiative-chart-on_time_rate-marks")
    assert marks and "Morning dispatch" in text(marks) and TRIAGE in text(marks)
    assert f'"href": "{LIST}?id={new_id}"' in text(marks)


def test_a_validation_error_names_the_field_and_saves_nothing(served):
    workspace, server = served
    maria = signed_in(server, "maria")
    before = len(store.listing(workspace.settings.database_url))
    for values, aims, field in (
            (new_values("Nothing aimed", "Public Works"), {}, "KPIs it means to move"),
            (new_values("x", "Public Works"), None, "Title"),
            (new_values("Ended", "Public Works", status="done"), None, "End date"),
            (new_values("Bad day", "Public Works", start_date="1st of May"), None,
             "Start date")):
        answer = create(maria, server, values, aims)
        assert answer.status_code == 200
        said = text(answer.json()["response"]["initiative-new-message"]["children"])
        assert "Not saved" in said and field in said, said
        assert "Traceback" not in said
    assert len(store.listing(workspace.settings.database_url)) == before


def test_a_manager_cannot_change_another_departments_initiative_or_move_one_there(served):
    workspace, server = served
    maria = signed_in(server, "maria")
    chatbot = sample_id(workspace, CHATBOT, "Water & Sewer")
    refused = change(maria, server, chatbot, new_values("Taken over", "Public Works"))
    assert refused.status_code == 403
    assert change(maria, server, chatbot, {}, "initiative-done", "2026-01-31").status_code == 403
    triage = sample_id(workspace, TRIAGE, "Public Works")
    moved = change(maria, server, triage, new_values(TRIAGE, "Water & Sewer"))
    assert moved.status_code == 403
    assert store.get(workspace.settings.database_url, chatbot).title == CHATBOT
    assert store.get(workspace.settings.database_url, triage).department == "Public Works"


def test_a_viewer_reads_initiatives_but_cannot_create_or_change_them(served):
    workspace, server = served
    vic = signed_in(server, "vic")
    assert create(vic, server, new_values("Viewer's", "Public Works")).status_code == 403
    triage = sample_id(workspace, TRIAGE, "Public Works")
    assert change(vic, server, triage, new_values("x", "Public Works")).status_code == 403
    listed = page(vic, server, LIST)
    assert CHATBOT in text(listed) and not find(listed, "id=initiatives-new")
    shown = page(vic, server, LIST, f"?id={triage}")
    assert not find(shown, "id=initiative-form") and not find(shown, "id=initiative-upload")
    assert "Improved" in text(find(shown, "className=initiative-evidence"))


def test_editing_and_marking_done_change_the_stored_initiative(served):
    workspace, server = served
    maria = signed_in(server, "maria")
    made = create(maria, server, new_values("To finish", "Public Works"))
    new_id = int(made.json()["response"]["initiative-nav"]["search"][4:])
    saved = change(maria, server, new_id, new_values("To finish soon", "Public Works",
                                                     cost_yearly=1200))
    assert saved.status_code == 200
    assert "Saved: title, yearly cost." in text(saved.json()["response"]["initiative-body"])
    done = change(maria, server, new_id, {}, "initiative-done", "2026-10-31")
    assert done.status_code == 200
    assert "Marked as done" in text(done.json()["response"]["initiative-body"])
    stored = store.get(workspace.settings.database_url, new_id)
    assert (stored.title, stored.status, stored.end_date.isoformat(), stored.cost_yearly) == \
        ("To finish soon", "done", "2026-10-31", 1200)
    actions = [e[0] for e in events(workspace.settings.database_url)
               if e[3].get("initiative") == new_id]
    assert actions.count("initiative_changed") == 2


def adopt(browser: requests.Session, server: ServerProcess, practice_id: int,
          department: str) -> requests.Response:
    return fire(browser, server, ADOPT, {"practice-adopt.n_clicks": 1},
                {"practice-id.data": practice_id,
                 "practice-adopt-department.value": department})


def test_adopting_a_practice_is_for_departments_one_may_edit(served):
    workspace, server = served
    maria = signed_in(server, "maria")
    chatbot = sample_id(workspace, CHATBOT, "Water & Sewer")
    assert adopt(maria, server, chatbot, "Police").status_code == 403
    assert adopt(signed_in(server, "vic"), server, chatbot, "Public Works").status_code == 403
    adopted = adopt(maria, server, chatbot, "Public Works")
    assert adopted.status_code == 200
    link = find(adopted.json()["response"]["practice-adopt-message"], "id=practice-adopted-link")
    new_id = int(link[0]["props"]["href"].rsplit("=", 1)[1])
    copy = store.get(workspace.settings.database_url, new_id)
    assert (copy.department, copy.status, copy.adopted_from, copy.title) == \
        ("Public Works", "planned", chatbot, CHATBOT)
    assert "Public Works" in text(adopted.json()["response"]["practice-spread"])
    assert [e[2] for e in events(workspace.settings.database_url)
            if e[0] == "initiative_adopted" and e[3].get("initiative") == new_id] == ["maria"]


def csrf_token(tree: Any) -> str:
    return find(tree, "name=csrf_token")[0]["props"]["value"]


def test_attachments_are_checked_refused_plainly_and_given_back_byte_for_byte(served):
    workspace, server = served
    maria, vic = signed_in(server, "maria"), signed_in(server, "vic")
    triage = sample_id(workspace, TRIAGE, "Public Works")
    token = csrf_token(page(maria, server, LIST, f"?id={triage}"))
    url = f"{server.url}{LIST}/{triage}/attachments"

    def upload(browser: requests.Session, name: str, content: bytes, to: str = url,
               token: str = token) -> requests.Response:
        return browser.post(to, data={"csrf_token": token}, files={"file": (name, content)},
                            allow_redirects=False, timeout=60)

    for name, content, said in (
            ("tool.exe", b"MZ" + b"\x00" * 10, "only .pdf, .png"),
            ("map.png", b"%PDF-1.4 not a picture", "content does not match"),
            ("big.png", PNG + b"\x00" * MAX_ATTACHMENT_BYTES, "at most 1,048,576")):
        answer = upload(maria, name, content)
        assert answer.status_code == 303, (name, answer.status_code)
        search = answer.headers["Location"].split(LIST, 1)[1].split("#")[0]
        shown = find(page(maria, server, LIST, search), "id=initiative-upload-said")
        assert said in text(shown), (name, text(shown))
    expired = upload(maria, "map.png", PNG, token="forged")
    assert "upload_error=The+form+had+expired" in expired.headers["Location"]

    # The largest file allowed fits, though the form around it passes the site's 1 MiB limit.
    content = PNG + bytes(range(256)) * ((MAX_ATTACHMENT_BYTES - len(PNG)) // 256)
    content += b"\x01" * (MAX_ATTACHMENT_BYTES - len(content))
    answer = upload(maria, "process map.png", content)
    assert answer.status_code == 303 and "attached=process+map.png" in answer.headers["Location"]
    stored = store.get(workspace.settings.database_url, triage).attachments
    assert [(a.filename, a.media_type, a.size) for a in stored] == [
        ("process map.png", "image/png", MAX_ATTACHMENT_BYTES)]
    for reader in (maria, vic):
        got = reader.get(f"{server.url}{LIST}/attachments/{stored[0].id}", timeout=60)
        assert got.status_code == 200 and got.content == content
        assert got.headers["Content-Type"] == "image/png"
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert "process%20map.png" in got.headers["Content-Disposition"] or \
            "process map.png" in got.headers["Content-Disposition"]

    assert upload(vic, "map.png", PNG).status_code == 403
    chatbot = sample_id(workspace, CHATBOT, "Water & Sewer")
    assert upload(maria, "map.png", PNG, f"{server.url}{LIST}/{chatbot}/attachments"
                  ).status_code == 403
    assert store.get(workspace.settings.database_url, chatbot).attachments == ()
    assert requests.get(f"{server.url}{LIST}/attachments/{stored[0].id}", timeout=30,
                        allow_redirects=False).status_code in (302, 401)


def comment(browser: requests.Session, server: ServerProcess, practice_id: int,
            trigger: str, text_value: str | None = None, comment_id: str | None = None,
            new_text: str | None = None) -> requests.Response:
    body = {"output": COMMENT[0], "outputs": {"id": "practice-comments-section",
                                              "property": "children"},
            "inputs": [{"id": "practice-comment-add", "property": "n_clicks", "value": 1},
                       {"id": "practice-comment-edit", "property": "n_clicks", "value": 1}],
            "changedPropIds": [f"{trigger}.n_clicks"],
            "state": [{"id": "practice-id", "property": "data", "value": practice_id},
                      {"id": "practice-comment-text", "property": "value", "value": text_value},
                      {"id": "practice-comment-edit-id", "property": "value",
                       "value": comment_id},
                      {"id": "practice-comment-edit-text", "property": "value",
                       "value": new_text}]}
    return browser.post(server.url + UPDATE, json=body, timeout=60)


def test_comments_are_added_by_managers_and_edited_by_their_author_only(served):
    workspace, server = served
    ada, maria = signed_in(server, "ada"), signed_in(server, "maria")
    triage = sample_id(workspace, TRIAGE, "Public Works")
    added = comment(ada, server, triage, "practice-comment-add", "It halved our backlog.")
    assert added.status_code == 200
    assert "Added your comment." in text(added.json()["response"])
    [first] = store.comments(workspace.settings.database_url, triage)
    assert (first.author, first.text) == ("ada", "It halved our backlog.")

    assert comment(maria, server, triage, "practice-comment-edit", None, str(first.id),
                   "Changed by someone else").status_code == 403
    assert comment(signed_in(server, "vic"), server, triage, "practice-comment-add",
                   "A viewer's word").status_code == 403
    mine = comment(maria, server, triage, "practice-comment-add", "We adopt it in spring.")
    own = next(c for c in store.comments(workspace.settings.database_url, triage)
           if c.author == "maria")
    assert mine.status_code == 200
    edited = comment(maria, server, triage, "practice-comment-edit", None, str(own.id),
                     "We adopt it in May.")
    assert edited.status_code == 200 and "Saved the comment." in text(edited.json())
    texts = {c.author: (c.text, c.edited_at is not None)
             for c in store.comments(workspace.settings.database_url, triage)}
    assert texts == {"ada": ("It halved our backlog.", False),
                     "maria": ("We adopt it in May.", True)}
    shown = text(page(signed_in(server, "vic"), server, LIBRARY, f"?id={triage}"))
    assert "We adopt it in May." in shown and "edited" in shown
    assert {"practice_commented", "practice_comment_edited"} <= {
        e[0] for e in events(workspace.settings.database_url)}


def test_the_library_filters_find_the_sample_practice_that_worked(served):
    workspace, server = served
    vic = signed_in(server, "vic")

    def titles(search: str) -> set[str]:
        listed = find(page(vic, server, LIBRARY, search), "id=practices-list")
        return {t for t in (TRIAGE, CHATBOT) if t in text(listed)}

    assert titles("") == {TRIAGE, CHATBOT}
    assert titles("?q=TRIAGE&effect=improved") == {TRIAGE}
    assert titles("?effect=improved&kpi=on_time_rate") == {TRIAGE}
    assert titles("?effect=unclear") == {CHATBOT}
    assert titles("?effect=worsened") == set()
    assert titles("?cost=over-50k") == {TRIAGE}
    assert titles("?cost=10k-50k&theme=services") == {CHATBOT}
    assert titles("?dept=Water+%26+Sewer") == {CHATBOT}
    assert titles("?theme=budget") == set()
    assert titles("?q=chatbot&effect=improved") == set()
    # The practice's own page: the evidence in words, the method, where it spread.
    triage = sample_id(workspace, TRIAGE, "Public Works")
    triage_page = page(vic, server, LIBRARY, f"?id={triage}")
    shown = text(triage_page)
    assert "Improved" in shown and "How the evidence is measured" in shown
    assert "Transportation" in text(find(triage_page, "id=practice-spread-table"))
    assert not find(triage_page, "id=practice-adopt")  # viewers read only


def test_the_filters_write_the_query_string(served):
    _, server = served
    vic = signed_in(server, "vic")
    answer = fire(vic, server, ("initiatives-url.search",),
                  {"initiatives-dept.value": "Public Works", "initiatives-status.value": "all"})
    assert answer.json()["response"]["initiatives-url"]["search"] == "?dept=Public+Works"
    answer = fire(vic, server, ("practices-url.search",), {
        "practices-q.value": " triage ", "practices-kpi.value": "all",
        "practices-theme.value": "services", "practices-dept.value": "all",
        "practices-cost.value": "all", "practices-effect.value": "improved"})
    assert answer.json()["response"]["practices-url"]["search"] == \
        "?q=triage&theme=services&effect=improved"
