"""Talking to a real Dash server as its renderer does, and reading the layouts it answers with.

Dash draws a page's content by answering its routing callback (POST /_dash-update-component
with the location's path and query string), and re-draws part of a page by answering the
callback of a changed select. The answers are component trees as JSON: {"type", "namespace",
"props": {...}}; the functions below walk them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import requests

from tests.helpers import ServerProcess

Tree = Any  # a Dash component as JSON, a list of them, a string or a number


# ---------------------------------------------------------------- asking the server


def post(server: ServerProcess, body: dict) -> dict:
    """One POST to Dash's callback endpoint; its "response" (by component id, then property)."""
    answer = requests.post(server.url + "/_dash-update-component", json=body, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()["response"]


def route(server: ServerProcess, path: str, search: str = "") -> dict[str, Any]:
    """The answer of Dash's routing callback for path?search: the page's content
    ("_pages_content.children") and its title ("_pages_store.data")."""
    return callback(server, ["_pages_content.children", "_pages_store.data"],
                    {"_pages_location.pathname": path, "_pages_location.search": search})


def render(server: ServerProcess, path: str, search: str = "") -> Tree:
    """The page content the real server renders for a browser at path?search."""
    return route(server, path, search)["_pages_content.children"]


def callback(server: ServerProcess, outputs: Sequence[str], inputs: dict[str, Any],
             state: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fire a callback as the browser does when its first input changes.

    outputs are "id.property"; inputs and state map "id.property" to a value (in the order
    the callback declares them). The answer maps each output "id.property" to its new
    value."""
    def split(key: str) -> tuple[str, str]:
        component_id, prop = key.split(".")
        return component_id, prop

    def items(values: dict[str, Any]) -> list[dict]:
        return [{"id": split(key)[0], "property": split(key)[1], "value": value}
                for key, value in values.items()]

    listed = [{"id": split(key)[0], "property": split(key)[1]} for key in outputs]
    answer = post(server, {
        # Dash names several outputs "..a.children...b.value.." and a single one "a.children".
        "output": f"..{'...'.join(outputs)}.." if len(outputs) > 1 else outputs[0],
        "outputs": listed if len(listed) > 1 else listed[0],
        "inputs": items(inputs),
        "changedPropIds": [next(iter(inputs))],
        "state": items(state or {}),
    })
    return {key: answer[split(key)[0]][split(key)[1]] for key in outputs}


def run_callback(server: ServerProcess, output: str, inputs: dict[str, Any],
                 state: dict[str, Any] | None = None) -> Tree:
    """Fire a callback with one output ("id.property"): that output's new value."""
    return callback(server, [output], inputs, state)[output]


# ---------------------------------------------------------------- reading a layout


def text(tree: Tree) -> str:
    """Every piece of text a visitor reads in a layout (the children and the chart data tables
    a visitor opens, not the figures), space-separated."""
    if tree is None or isinstance(tree, bool):
        return ""
    if isinstance(tree, str | int | float):
        return str(tree)
    if isinstance(tree, list):
        return " ".join(text(child) for child in tree)
    if isinstance(tree, dict):
        props = tree.get("props", {})
        table = chart_table(tree)
        opened = "" if table is None else " ".join(
            [table["caption"], *table["columns"], *(str(v) for row in table["rows"] for v in row)])
        return " ".join(part for part in (text(props.get("children")), opened) if part)
    return ""


def chart_table(component: Tree) -> dict | None:
    """A chart's "Show the data" table ({caption, columns, rows}) if component carries one:
    assets/charts.js builds it in the browser from this attribute."""
    spec = component.get("props", {}).get("data-table") if isinstance(component, dict) else None
    return None if spec is None else json.loads(spec)


def figure(tree: Tree, graph_id: str) -> dict:
    """The plotly.js figure ({data, layout, config}) of the chart graph with this id."""
    return json.loads(find(tree, graph_id)["props"]["data-figure"])


def find(tree: Tree, component_id: str) -> Tree | None:
    """The component with this id in a layout, or None."""
    if isinstance(tree, list):
        return next((hit for child in tree if (hit := find(child, component_id))), None)
    if not isinstance(tree, dict):
        return None
    props = tree.get("props", {})
    if props.get("id") == component_id:
        return tree
    return find(props.get("children"), component_id)


def find_type(tree: Tree, kind: str) -> Tree | None:
    """The first component of this type ("Nav", "Table", ...) in a layout, or None."""
    if isinstance(tree, list):
        return next((hit for child in tree if (hit := find_type(child, kind))), None)
    if not isinstance(tree, dict):
        return None
    if tree.get("type") == kind:
        return tree
    return find_type(tree.get("props", {}).get("children"), kind)


def ids(tree: Tree) -> set[str]:
    """Every component id in a layout."""
    if isinstance(tree, list):
        return set().union(*(ids(child) for child in tree)) if tree else set()
    if not isinstance(tree, dict):
        return set()
    props = tree.get("props", {})
    own = {props["id"]} if isinstance(props.get("id"), str) else set()
    return own | ids(props.get("children"))


def table_rows(tree: Tree) -> list[list[str]]:
    """The rows of the first table body (or chart data table) inside tree, as lists of cell
    texts."""
    if isinstance(tree, list):
        return next((rows for child in tree if (rows := table_rows(child))), [])
    if not isinstance(tree, dict):
        return []
    if (table := chart_table(tree)) is not None:
        return [[str(value) for value in row] for row in table["rows"]]
    if tree.get("type") == "Tbody":
        rows = tree["props"]["children"]
        return [[text(cell) for cell in row["props"]["children"]] for row in rows]
    return table_rows(tree.get("props", {}).get("children"))


def ordered_ids(tree: Tree) -> list[str]:
    """Every component id in a layout, in document order."""
    if isinstance(tree, list):
        return [found for child in tree for found in ordered_ids(child)]
    if not isinstance(tree, dict):
        return []
    props = tree.get("props", {})
    own = [props["id"]] if isinstance(props.get("id"), str) else []
    return own + ordered_ids(props.get("children"))
