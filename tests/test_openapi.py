"""The API's OpenAPI 3.1 description (/api/v1/openapi.json) and its page (/api/v1/), over a
published sample city and a real `python app.py`: the document is valid OpenAPI 3.1, it names
every /api/v1 route the app has and no other, the server's real answers and the document's own
examples match its schemas, every example request works, and the page shows every address."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape
from html.parser import HTMLParser

import pytest
import requests
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from config.settings import PROJECT_ROOT
from tests.helpers import snapshot_file

DOCUMENT_URI = "urn:city-open-data:openapi"
# The /api/v1 rules of the app `python app.py` serves, from a process of its own: nothing
# imports app.py into the test process (it would build a second app here).
RULES_SCRIPT = """
import json, app
print(json.dumps([[rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})]
                  for rule in app.server.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1")]))
"""


def document(server) -> dict:
    answer = requests.get(server.url + "/api/v1/openapi.json", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    return answer.json()


def pointer(*parts: str) -> str:
    """A JSON pointer to parts (escaped as RFC 6901 says)."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def located(doc: dict, at: str) -> tuple[str, dict]:
    """The object at pointer `at` in doc, following a local $ref, and where it really is."""
    node = doc
    for part in at.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key) if isinstance(node, list) else key]
    if "$ref" in node:
        return located(doc, node["$ref"].removeprefix("#"))
    return at, node


def answer_schema(doc: dict, path: str, status: int, media: str = "application/json"
                  ) -> Draft202012Validator:
    """A validator for the schema the document gives GET path's answer with this status."""
    at, _ = located(doc, pointer("paths", path, "get", "responses", str(status)))
    registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{at}{pointer('content', media)}"
                                         "/schema"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def template(path: str) -> str:
    """/api/v1/datasets/{} for /api/v1/datasets/<dataset_id> and /api/v1/datasets/{id}."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_the_document_is_valid_openapi_3_1_and_names_this_server(site):
    _, server = site
    doc = document(server)
    validate(doc)  # raises, saying where, if it is not valid OpenAPI 3.1
    assert doc["openapi"].startswith("3.1.")
    assert [s["url"] for s in doc["servers"]] == [server.url]
    ids = [op["operationId"] for methods in doc["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))


def test_every_api_route_of_the_app_is_documented_and_nothing_else(site):
    workspace, server = site
    result = subprocess.run([sys.executable, "-c", RULES_SCRIPT], cwd=PROJECT_ROOT,
                            env=workspace.env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    rules = json.loads(result.stdout.strip().splitlines()[-1])
    served = {(template(rule), method.lower()) for rule, methods in rules for method in methods}
    documented = {(template(path), method) for path, methods in document(server)["paths"].items()
                  for method in methods}
    assert ("/api/v1/datasets/{}/rows", "get") in served  # the app's rules were read
    assert served == documented


ROWS = "/api/v1/datasets/{id}/rows"


@pytest.mark.parametrize(("documented", "asked", "status"), [
    ("/api/v1/datasets", "/api/v1/datasets", 200),
    ("/api/v1/datasets/{id}", "/api/v1/datasets/service_requests", 200),
    (ROWS, "/api/v1/datasets/permits/rows?district=Northgate&order=valuation%20desc&limit=50",
     200),
    (ROWS, "/api/v1/datasets/budget_lines/rows?$select=fiscal_year,department,amount", 200),
    ("/api/v1/kpis", "/api/v1/kpis", 200),
    ("/api/v1/kpis/{id}", "/api/v1/kpis/on_time_rate", 200),
    ("/api/v1/kpis/{id}", "/api/v1/kpis/budget_execution_rate", 200),
    (ROWS, "/api/v1/datasets/permits/rows?where=district%20LIKE", 400),
    (ROWS, "/api/v1/datasets/permits/rows?valuation.gte=lots", 400),
    ("/api/v1/datasets/{id}", "/api/v1/datasets/quarantine_summary", 404),
    ("/api/v1/kpis/{id}", "/api/v1/kpis/backlog_age", 404),
    ("/api/v1/datasets/{id}.{format}",
     "/api/v1/datasets/permits.xlsx?snapshot=19990101T000000000Z", 404),
])
def test_real_answers_match_the_documented_schemas(site, documented, asked, status):
    _, server = site
    doc = document(server)
    answer = requests.get(server.url + asked, timeout=30)
    assert answer.status_code == status, answer.text[:500]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in
              answer_schema(doc, documented, status).iter_errors(answer.json())]
    assert errors == []


def test_pinned_answers_match_the_schemas_too(site):
    workspace, server = site
    snapshot, _ = snapshot_file(workspace)
    doc = document(server)
    answer = requests.get(f"{server.url}/api/v1/kpis?snapshot={snapshot}", timeout=30).json()
    assert answer["snapshot"]["id"] == snapshot
    answer_schema(doc, "/api/v1/kpis", 200).validate(answer)


def test_a_schema_refuses_an_answer_it_does_not_describe(site):
    _, server = site
    doc = document(server)
    answer = requests.get(server.url + "/api/v1/datasets/permits", timeout=30).json()
    answer["dataset"]["undocumented"] = 1
    del answer["dataset"]["rows_url"]
    errors = list(answer_schema(doc, "/api/v1/datasets/{id}", 200).iter_errors(answer))
    assert sorted(e.validator for e in errors) == ["additionalProperties", "required"]


def test_the_documents_examples_match_its_schemas(site):
    _, server = site
    doc = document(server)
    checked = 0
    for path, methods in doc["paths"].items():
        for status, answer in methods["get"]["responses"].items():
            _, answer = located(doc, pointer("paths", path, "get", "responses", status))
            example = answer.get("content", {}).get("application/json", {}).get("example")
            if example is not None:
                answer_schema(doc, path, int(status)).validate(example)
                checked += 1
    assert checked >= 10


def test_every_example_request_works(site):
    _, server = site
    for path, methods in document(server)["paths"].items():
        operation = methods["get"]
        answer = requests.get(server.url + operation["x-example-request"], timeout=60)
        assert answer.status_code == 200, (path, answer.text[:300])
        media = answer.headers["Content-Type"].split(";")[0]
        assert media in operation["responses"]["200"]["content"], (path, media)


class Outline(HTMLParser):
    """A page's headings (level, text), script and stylesheet addresses, and its lang."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.loaded: list[str] = []
        self.lang: str | None = None
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        elif tag in ("h1", "h2", "h3"):
            self._heading = tag
            self.headings.append((tag, ""))
        elif tag == "script" or (tag == "link" and values.get("rel") == "stylesheet"):
            self.loaded.append(values.get("src") or values.get("href") or "inline")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)


def test_the_reference_page_shows_every_address_without_javascript(site):
    _, server = site
    doc = document(server)
    answer = requests.get(server.url + "/api/v1/", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    page = Outline()
    page.feed(answer.text)
    assert page.lang == "en" and page.loaded == []  # no script, no stylesheet from anywhere
    assert page.headings[0] == ("h1", doc["info"]["title"])
    headings = [text for level, text in page.headings if level == "h2"]
    sections = {re.search(r'aria-labelledby="(\w+)"', part)[1]: part
                for part in answer.text.split("<section")[1:]}
    for path, methods in doc["paths"].items():
        operation = methods["get"]
        assert f"GET {path}" in headings
        section = sections[operation["operationId"]]
        curl = " ".join(filter(None, ["curl", operation.get("x-curl-options")]))
        assert f"{curl} '{server.url}{escape(operation['x-example-request'])}'" in section
        for index in range(len(operation.get("parameters", []))):
            _, parameter = located(doc, pointer("paths", path, "get", "parameters", str(index)))
            shown = "&lt;column&gt;=&lt;value&gt;" if parameter["name"] == "filters" \
                else f"<code>{escape(parameter['name'])}</code>"
            assert shown in section, (path, parameter["name"])
    assert "where   := or" in answer.text  # the where grammar, as a code block
    assert requests.get(server.url + "/api/v1", timeout=30).url == server.url + "/api/v1/"
