"""The API's own description: GET /api/v1/openapi.json (OpenAPI 3.1) and GET /api/v1/ (a page).

Both come from opendata/openapi.yaml, read once at start. The JSON is the document with
`servers` naming the address the request came to; the page is rendered here, on the server,
from the same document (no JavaScript, no CDN): a heading for every address, its parameters
in a table, a curl command that works and an example answer.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, render_template, request
from markupsafe import Markup, escape

from opendata.api import PREFIX

OPENAPI_YAML = Path(__file__).resolve().with_name("openapi.yaml")
INLINE_CODE = re.compile(r"`([^`]+)`")


def openapi_docs(city_name: str, path: Path = OPENAPI_YAML) -> Blueprint:
    """The blueprint serving the document at path as JSON and as the reference page."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))  # no `servers`: per request
    operations = [_operation(document, route, method, spec)
                  for route, methods in document["paths"].items()
                  for method, spec in methods.items()]
    docs = Blueprint("openapi_docs", __name__, template_folder="templates")

    @docs.get(f"{PREFIX}/openapi.json")
    def openapi_json() -> Response:
        served: dict[str, Any] = {}
        for key, value in document.items():
            served[key] = value
            if key == "info":
                served["servers"] = [{"url": _server(), "description": "This site"}]
        response = jsonify(served)
        response.cache_control.no_cache = True  # changes with each release
        return response

    @docs.get(f"{PREFIX}/")
    def reference() -> str:
        return render_template("openapi_reference.html", info=document["info"],
                               description=prose(document["info"]["description"]),
                               operations=operations, server=_server(), city_name=city_name,
                               json_path=f"{PREFIX}/openapi.json")

    return docs


def _server() -> str:
    return request.host_url.rstrip("/")


def prose(text: str) -> Markup:
    """HTML for the CommonMark the document's descriptions use: paragraphs, `code`, "- " lists
    and indented code blocks."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = block.split("\n")
        if all(line.startswith("    ") for line in lines):
            blocks.append(f"<pre><code>{escape(textwrap.dedent(block))}</code></pre>")
        elif lines[0].startswith("- "):
            items = re.split(r"\n(?=- )", block)
            blocks.append("<ul>" + "".join(f"<li>{_inline(item[2:])}</li>" for item in items)
                          + "</ul>")
        else:
            blocks.append(f"<p>{_inline(block)}</p>")
    return Markup("".join(blocks))


def _inline(text: str) -> str:
    return INLINE_CODE.sub(r"<code>\1</code>", str(escape(" ".join(text.split()))))


def _resolved(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """item, or what its local $ref ("#/components/...") points at."""
    while "$ref" in item:
        target = document
        for part in item["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        item = target
    return item


def _operation(document: dict[str, Any], route: str, method: str, spec: dict[str, Any]
               ) -> dict[str, Any]:
    """What the page shows of one operation."""
    answers = {status: _resolved(document, answer)
               for status, answer in spec["responses"].items()}
    example = next((content["example"] for answer in answers.values()
                    for content in answer.get("content", {}).values() if "example" in content),
                   None)
    curl = " ".join(filter(None, ["curl", spec.get("x-curl-options")]))
    return {
        "id": spec["operationId"], "method": method.upper(), "path": route,
        "summary": spec["summary"], "description": prose(spec.get("description", "")),
        "parameters": [_parameter(_resolved(document, p)) for p in spec.get("parameters", [])],
        "curl": curl, "request": spec["x-example-request"],
        "example": example if isinstance(example, str) or example is None
        else json.dumps(example, indent=2, ensure_ascii=False),
        "answers": [(status, answer["description"]) for status, answer in answers.items()],
    }


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = parameter.get("schema", {})
    free_form = parameter.get("style") == "form" and schema.get("type") == "object"
    return {"name": "<column>=<value>, <column>.<op>=<value>" if free_form
            else parameter["name"],
            "where": {"path": "in the address", "query": "query parameter",
                      "header": "HTTP header"}[parameter["in"]],
            "required": parameter.get("required", False),
            "value": "text" if free_form else _schema_words(schema),
            "description": prose(parameter.get("description", ""))}


def _schema_words(schema: dict[str, Any]) -> str:
    """'integer, 1 to 5,000, default 100'; 'one of csv, json, parquet, xlsx'."""
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    words = [schema.get("type", "text").replace("string", "text")]
    if "minimum" in schema and "maximum" in schema:
        words.append(f"{schema['minimum']:,} to {schema['maximum']:,}")
    if "default" in schema:
        words.append(f"default {schema['default']:,}")
    return ", ".join(words)
