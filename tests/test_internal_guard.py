"""Nothing internal without the right session, over a real `python app.py`: every registered
route and every internal Dash callback (posted by hand, with each callback's inputs) as an
anonymous visitor, a manager of another department and a viewer; and no internal KPI or
dataset in any public output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.dash_client import render
from tests.helpers import ServerProcess, Workspace
from tests.internal_client import UPDATE, signed_in, staffed_site
from tests.public_walk import catalogue_ids, filled, public_pages, public_urls, rules

OTHER = "Police"  # the department whose detail the manager of Public Works may not see

FEEDBACK = ("..{}.children...{}.children...{}.children...{}.value...{}.value..".format(
    *(f'{{"index":["MATCH"],"type":"feedback-{part}"}}'
      for part in ("history", "state", "message", "text", "status"))))

# What each internal callback gives the manager of Public Works and a viewer when posted with
# the values below (which name Police, and actions only some roles may take). Every callback
# the server registers must be listed: a new one without a decision fails the walk.
EXPECTED: dict[str, dict[str, int]] = {
    "..internal-page.children...internal-title.data..": {"manager": 403, "viewer": 200},
    "internal-url.search": {"manager": 403, "viewer": 200},
    "..target-message.children...target-history.children..": {"manager": 403, "viewer": 403},
    # Feedback replies, notes and status: managers and admins; the posted click is on item 1.
    FEEDBACK: {"manager": 200, "viewer": 403},
    # Subscriptions (Police is not the manager's) and one's own alert addresses.
    "alerts-subscriptions-status.children": {"manager": 403, "viewer": 200},
    "alerts-channels-status.children": {"manager": 200, "viewer": 200},
    # Pipeline health: the page's refresh for all; running the ETL and rollback for admins.
    "..pipeline-status.children...pipeline-live.children...pipeline-snapshots.children..."
    "pipeline-poll.disabled..": {"manager": 200, "viewer": 200},
    "..pipeline-run-message.children...pipeline-run-signal.data..":
        {"manager": 403, "viewer": 403},
    "..pipeline-rollback-message.children...pipeline-rollback-signal.data..":
        {"manager": 403, "viewer": 403},
    # The audit log: viewers and admins.
    "audit-url.search": {"manager": 403, "viewer": 200},
    # Users: admins only.
    "..users-add-message.children...users-edit-message.children...users-list.children..."
    "users-add-password.value..": {"manager": 403, "viewer": 403},
    "..users-edit-role.value...users-edit-departments.value...users-edit-active.value..":
        {"manager": 403, "viewer": 403},
    # Initiatives: filters for all; creating (for Police), changing another department's
    # initiative (sample initiative 2, Water & Sewer's) and adopting into Police are refused.
    "initiatives-url.search": {"manager": 200, "viewer": 200},
    "..initiative-new-message.children...initiative-nav.search..":
        {"manager": 403, "viewer": 403},
    "..initiative-edit-message.children...initiative-done-message.children..."
    "initiative-body.children..": {"manager": 403, "viewer": 403},
    # The practice library: filters for all; adopting and commenting for managers and admins
    # (the posted comment is empty: refused in words, 200; a comment chosen to edit is none).
    "practices-url.search": {"manager": 200, "viewer": 200},
    "..practice-adopt-message.children...practice-spread.children..":
        {"manager": 403, "viewer": 403},
    "practice-comments-section.children": {"manager": 200, "viewer": 403},
    "practice-comment-edit-text.value": {"manager": 200, "viewer": 403},
}
# The value posted for each input or state ("id.property"); anything else gets None.
VALUES: dict[str, Any] = {
    "internal-url.pathname": f"/internal/department/{OTHER}",
    "internal-url.search": f"?department={OTHER}",
    "scorecard-department.value": OTHER,
    "target-kpi.data": "on_time_rate",  # owned by the Chief Operating Officer
    "target-save.n_clicks": 1,
    "alerts-departments.value": [OTHER],
    "initiative-department.value": OTHER,
    "initiative-id.data": 2,  # the sample's chatbot, of Water & Sewer
    "practice-id.data": 1,  # the sample's triage practice
    "practice-adopt-department.value": OTHER,
}
# Internal pages and files about Police's detail: refused to the manager, open to a viewer.
ROLE_URLS = ("/internal/pipeline/quarantine.csv",)  # any department's rows: not for managers
DEPARTMENT_URLS = (f"/internal/department/{OTHER}",
                   f"/internal/department/{OTHER}/records?district=Eastfield",
                   f"/internal/scorecard?department={OTHER}",
                   f"/internal/scorecard.csv?department={OTHER}",
                   f"/internal/scorecard.xlsx?department={OTHER}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    with staffed_site(tmp_path_factory.mktemp("guard"), small_sample) as both:
        yield both


def test_every_internal_route_refuses_an_anonymous_visitor(served):
    workspace, server = served
    internal = [(r, m) for r, m in rules(workspace) if r.startswith("/internal")]
    assert len(internal) >= 10  # the Dash app's routes, its assets and the pages' files
    for rule, method in internal:
        url = server.url + filled(rule, path="scorecard", filename="internal/internal.css")
        for accept in ("text/html", "application/json"):
            answer = requests.request(method, url, timeout=30, json={}, allow_redirects=False,
                                      headers={"Accept": accept})
            if accept == "text/html" and method == "GET" and "/_dash-" not in rule:
                assert answer.status_code == 302, (rule, answer.status_code)
                assert answer.headers["Location"].startswith("/login?next=")
            else:
                assert answer.status_code == 401, (rule, method, answer.status_code)
                assert answer.json() == {"error": "sign in first", "status": 401}


def test_another_departments_detail_is_refused_to_a_manager_and_open_to_a_viewer(served):
    _, server = served
    manager, viewer = signed_in(server, "maria"), signed_in(server, "vic")
    for url in DEPARTMENT_URLS:
        refused = manager.get(server.url + url, timeout=30, allow_redirects=False)
        assert refused.status_code == 403, url
        assert OTHER in refused.json()["error"]
        assert viewer.get(server.url + url, timeout=30).status_code == 200, url
    for url in ROLE_URLS:
        assert manager.get(server.url + url, timeout=30).status_code == 403, url
        assert viewer.get(server.url + url, timeout=30).status_code == 200, url
    own = manager.get(server.url + "/internal/scorecard.csv?department=Public%20Works",
                      timeout=30)
    assert own.status_code == 200 and own.text.startswith("kpi_id,")


def test_every_internal_callback_is_guarded(served):
    _, server = served
    admin = signed_in(server, "ada")
    callbacks = [c for c in admin.get(server.url + "/internal/_dash-dependencies",
                                      timeout=30).json() if not c.get("clientside_function")]
    assert {c["output"] for c in callbacks} == set(EXPECTED), \
        "a callback was added or removed: decide who may fire it, in EXPECTED"
    people = {"anonymous": requests.Session(), "manager": signed_in(server, "maria"),
              "viewer": signed_in(server, "vic")}
    for callback in callbacks:
        posted = {
            "output": callback["output"],
            "outputs": _outputs(callback["output"]),
            "inputs": [_item(i) for i in callback["inputs"]],
            "state": [_item(s) for s in callback["state"]],
            "changedPropIds": [_changed(callback["inputs"][0])],
        }
        for who, browser in people.items():
            answer = browser.post(server.url + UPDATE, json=posted, timeout=60)
            wanted = 401 if who == "anonymous" else EXPECTED[callback["output"]][who]
            assert answer.status_code == wanted, (callback["output"], who, answer.text[:300])


def test_a_callback_the_app_never_registered_is_refused(served):
    _, server = served
    viewer = signed_in(server, "vic")
    answer = viewer.post(server.url + UPDATE, timeout=30, json={
        "output": "made-up.children", "outputs": {"id": "made-up", "property": "children"},
        "inputs": [], "state": [], "changedPropIds": []})
    assert answer.status_code == 403
    assert answer.json()["error"] == "no such callback"


def _item(dependency: dict) -> dict:
    key = f"{dependency['id']}.{dependency['property']}"
    component = dependency["id"]
    if component.startswith("{"):  # a pattern id: the component of item 1 matches it
        component = {k: 1 if v == ["MATCH"] else v for k, v in json.loads(component).items()}
    return {"id": component, "property": dependency["property"], "value": VALUES.get(key)}


def _changed(dependency: dict) -> str:
    item = _item(dependency)
    component = item["id"] if isinstance(item["id"], str) else json.dumps(
        item["id"], separators=(",", ":"), sort_keys=True)
    return f"{component}.{item['property']}"


def _outputs(output: str) -> list[dict] | dict:
    keys = output.strip(".").split("...") if output.startswith("..") else [output]
    listed = [_item({"id": k.rsplit(".", 1)[0], "property": k.rsplit(".", 1)[1]})
              for k in keys]
    for entry in listed:
        del entry["value"]
    return listed if len(listed) > 1 else listed[0]


# ---------------------------------------------------------------- nothing internal in public


def test_no_internal_kpi_or_dataset_appears_in_any_public_output(served):
    workspace, server = served
    _, internal_kpis, _, internal_datasets = catalogue_ids()
    assert internal_kpis and internal_datasets  # the sample ships both kinds
    secret = internal_kpis | internal_datasets
    urls = public_urls(workspace)
    assert len(urls) > 40
    for url in sorted(urls):
        answer = requests.get(server.url + url, timeout=120)
        assert answer.status_code < 500, url
        found = {s for s in secret if s in answer.text}
        assert not found, (url, found)
    # The pages themselves, as Dash draws them in a browser.
    for path in public_pages():
        drawn = json.dumps(render(server, path))
        assert not {s for s in secret if s in drawn}, path
    # Asked for by name, an internal one is simply not there, and nothing of it is shown.
    for kpi_id in internal_kpis:
        for url in (f"/api/v1/kpis/{kpi_id}", f"/downloads/kpi/{kpi_id}.csv",
                    f"/embed/kpi/{kpi_id}"):
            assert requests.get(server.url + url, timeout=30).status_code == 404, url
    for dataset_id in internal_datasets:
        for url in (f"/api/v1/datasets/{dataset_id}", f"/api/v1/datasets/{dataset_id}.csv",
                    f"/api/v1/datasets/{dataset_id}/rows"):
            assert requests.get(server.url + url, timeout=30).status_code == 404, url
