"""A public page's first paint, rendered to HTML by the server.

Dash sends an empty page and draws everything in the browser once its JavaScript has run, the
layout and the page's content have arrived and React has rendered them: seconds on a phone
(bench/README.md, "Page speed"). The page's HTML therefore carries the same frame and content
rendered here, in `<div id="page-preview">`, which the browser paints at once; assets/preview.js
swaps it for React's copy (laid out the same, so nothing moves) as soon as that is drawn. A
reader without JavaScript keeps the preview: the text, numbers and links, not the charts.

Only what the public pages use is rendered: html.* components, dcc.Link, dcc.Store and
dcc.Location (nothing), dbc.Label, dbc.Select and dbc.Input, as dash-bootstrap-components draws
them. (A dataset's grid is not in its page's layout: it is put in its empty box in the browser,
dashboards/components/grid.py.) Another component raises UnknownComponent, and the page is
served without a preview.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from dash import Dash, html
from dash._pages import _parse_query_string, _path_to_page  # the routing Dash's pages use
from dash._utils import stringify_id  # a pattern-matching id as the element's id in the page
from dash.development.base_component import Component
from flask import request

log = logging.getLogger(__name__)

PREVIEW_ID = "page-preview"
PAGE_CONTENT = "_pages_content"  # where dash.page_container shows the page
VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                  "track", "wbr"})
ATTRIBUTE_NAMES = {"className": "class", "htmlFor": "for", "html_for": "for",
                   "tabIndex": "tabindex", "colSpan": "colspan", "rowSpan": "rowspan",
                   "maxLength": "maxlength", "minLength": "minlength", "readOnly": "readonly",
                   "autoComplete": "autocomplete", "autoFocus": "autofocus",
                   "encType": "enctype", "accessKey": "accesskey", "contentEditable":
                   "contenteditable", "spellCheck": "spellcheck", "dateTime": "datetime"}
# Dash's own properties, not attributes.
NOT_ATTRIBUTES = frozenset({"children", "style", "n_clicks", "n_clicks_timestamp",
                            "disable_n_clicks", "loading_state", "key", "setProps", "debounce"})
# CSS properties React writes without "px" when given a number.
UNITLESS = frozenset({"opacity", "zIndex", "fontWeight", "lineHeight", "flex", "flexGrow",
                      "flexShrink", "order"})


class UnknownComponent(Exception):
    """A component this module cannot render as React would."""


def to_html(tree: Any, fill: Mapping[str, Any] | None = None) -> str:
    """HTML for a Dash layout; `fill` gives children for components by id (the page content
    in the frame's page container)."""
    fill = fill or {}
    if tree is None or isinstance(tree, bool):
        return ""
    if isinstance(tree, str | int | float):
        return escape(str(tree), quote=False)
    if isinstance(tree, list | tuple):
        return "".join(to_html(child, fill) for child in tree)
    if not isinstance(tree, Component):
        raise UnknownComponent(f"cannot render {type(tree).__name__} as HTML")
    props = tree.to_plotly_json()["props"]
    own_id = props.get("id")
    children = fill[own_id] if isinstance(own_id, str) and own_id in fill else props.get("children")
    kind = (tree._namespace, tree._type)
    if kind[0] == "dash_html_components":
        return _element(tree._type.lower(), props, to_html(children, fill))
    render = RENDERERS.get(kind)
    if render is None:
        raise UnknownComponent(f"no HTML for {kind[0]}.{kind[1]}")
    return render(props, to_html(children, fill))


def _element(tag: str, props: Mapping[str, Any], inner: str = "") -> str:
    attributes = "".join(_attribute(name, value) for name, value in props.items()
                         if name not in NOT_ATTRIBUTES)
    style = props.get("style")
    if style:
        attributes += f' style="{escape(_css(style))}"'
    if tag in VOID:
        return f"<{tag}{attributes}>"
    return f"<{tag}{attributes}>{inner}</{tag}>"


def _attribute(name: str, value: Any) -> str:
    if value is None or value is False:
        return ""
    if name == "id" and isinstance(value, dict):
        value = stringify_id(value)
    name = ATTRIBUTE_NAMES.get(name, name)
    if value is True:
        return f" {name}"
    return f' {name}="{escape(str(value))}"'


def _css(style: Mapping[str, Any]) -> str:
    def declaration(name: str, value: Any) -> str:
        css_name = "".join(f"-{c.lower()}" if c.isupper() else c for c in name)
        if isinstance(value, int | float) and name not in UNITLESS:
            value = f"{value}px"
        return f"{css_name}: {value}"

    return "; ".join(declaration(name, value) for name, value in style.items())


def _classes(*names: str | None) -> str:
    return " ".join(name for name in names if name)


def _link(props: Mapping[str, Any], inner: str) -> str:
    return _element("a", {k: props.get(k) for k in ("href", "className", "id", "title",
                                                    "target", "style")}, inner)


def _nothing(props: Mapping[str, Any], inner: str) -> str:
    return ""


def _label(props: Mapping[str, Any], inner: str) -> str:
    return _element("label", {**props, "className": _classes(props.get("className"),
                                                              "form-label")}, inner)


def _select(props: Mapping[str, Any], inner: str) -> str:
    value = props.get("value")
    # dbc.Select draws a hidden, disabled option first, holding its placeholder.
    placeholder = escape(str(props.get("placeholder") or ""))
    options = [f'<option value="" disabled hidden>{placeholder}</option>'] + [
        _element("option", {"value": option["value"], "selected": option["value"] == value,
                            "disabled": option.get("disabled")}, escape(str(option["label"])))
        for option in props.get("options") or []]
    attributes = {k: v for k, v in props.items() if k not in ("options", "value", "placeholder")}
    return _element("select", {**attributes, "className": _classes("form-select",
                                                                    props.get("className"))},
                    "".join(options))


def _input(props: Mapping[str, Any], inner: str) -> str:
    return _element("input", {**props, "className": _classes("form-control",
                                                              props.get("className"))})


RENDERERS: dict[tuple[str, str], Callable[[Mapping[str, Any], str], str]] = {
    ("dash_core_components", "Link"): _link,
    ("dash_core_components", "Store"): _nothing,
    ("dash_core_components", "Location"): _nothing,
    ("dash_bootstrap_components", "Label"): _label,
    ("dash_bootstrap_components", "Select"): _select,
    ("dash_bootstrap_components", "Input"): _input,
}


def page_content(app: Dash, path: str, query_string: str) -> Any:
    """The content Dash's routing callback would show at path?query_string."""
    page, variables = _path_to_page(app.strip_relative_path(path))
    layout = page.get("layout") if page else html.H1("404 - Page not found")
    if callable(layout):
        layout = layout(**{**(variables or {}), **_parse_query_string(f"?{query_string}")})
    return layout


def preview(app: Dash, frame: Callable[[], Component]) -> str:
    """The preview of the page this request asks for, or "" if it cannot be rendered."""
    try:
        content = page_content(app, request.path, request.query_string.decode("latin-1"))
        return (f'<div id="{PREVIEW_ID}">'
                f"{to_html(frame(), {PAGE_CONTENT: content})}</div>")
    except Exception:
        log.exception("no preview for %s", request.path)
        return ""
