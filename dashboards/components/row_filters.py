"""Filters on a dataset's rows, one control per column, kept in the URL.

A column with allowed values (or a boolean) gets a native select, a number or a date a from/to
pair, text an "equals" box (opendata.browse.filter_fields). Each control's id is
{"type": FILTER, "key": <its rows-API parameter>}, so the page's query string is exactly the
parameters the rows API and the downloads take: `?district=Northgate&applied_on.gte=2024-01-01`.
`query_sync` writes that query string into the URL (history.pushState) and into a store the
page's callbacks follow; Back and Forward set the controls from the URL again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, html
from dash._utils import stringify_id  # the id Dash gives the element in the page

from opendata.browse import FilterField

FILTER = "row-filter"
INPUT_TYPES = {"integer": "number", "number": "number", "date": "date",
               "datetime": "datetime-local"}
DEBOUNCE_MS = 600  # a filter applies once the reader pauses, not at every key


def filter_id(key: Any) -> dict[str, Any]:
    """The id of the control for one rows-API parameter (or dash.ALL of them)."""
    return {"type": FILTER, "key": key}


def filter_controls(fields: list[FilterField], values: Mapping[str, str]) -> html.Div:
    """A labelled control for every field, showing values (the filters set)."""
    return html.Div([_control(f, values) for f in fields], className="row-filters")


def _control(field: FilterField, values: Mapping[str, str]) -> html.Div:
    if field.kind == "range":
        low, high = field.keys
        return html.Fieldset(className="row-filter row-filter-range", children=[
            html.Legend(field.column, className="filter-label"),
            html.Div(className="row-filter-pair", children=[
                _input(low, "from", INPUT_TYPES[field.column_type], values),
                _input(high, "to", INPUT_TYPES[field.column_type], values)]),
        ])
    if field.kind == "choice":
        (key,) = field.keys
        options = [{"value": "", "label": "Any"}, *[{"value": v, "label": v}
                                                     for v in field.options]]
        value = values.get(key, "")
        return html.Div(className="row-filter", children=[
            dbc.Label(field.column, html_for=stringify_id(filter_id(key)),
                      className="filter-label"),
            # "Any" is also the placeholder, which the select shows while its value is "".
            dbc.Select(id=filter_id(key), options=options, placeholder="Any",
                       value=value if value in field.options else ""),
        ])
    (key,) = field.keys
    return html.Div(className="row-filter", children=[
        _input(key, f"{field.column} equals", "text", values, label_class="filter-label")])


def _input(key: str, label: str, input_type: str, values: Mapping[str, str],
           label_class: str = "row-filter-bound") -> html.Div:
    extra: dict[str, Any] = {"step": "any"} if input_type == "number" else {}
    return html.Div(className="row-filter-box", children=[
        dbc.Label(label, html_for=stringify_id(filter_id(key)), className=label_class),
        dbc.Input(id=filter_id(key), type=input_type, value=values.get(key, ""),
                  debounce=DEBOUNCE_MS, autocomplete="off", **extra),
    ])


def query_sync(store_id: str) -> None:
    """Keep store_id's data and the URL's query string equal to the filters set. Call once at
    import; put a dcc.Store(id=store_id, data=<the query string the page opened with>) and the
    filter controls in the page."""
    dash.clientside_callback(
        """
        function(values, ids, shown) {
            if (!window.rowFiltersListen) {
                // Back and Forward within the page: the controls take the URL's values, and
                // this callback runs again for them.
                window.rowFiltersListen = true;
                window.addEventListener('popstate', () => {
                    const query = new URLSearchParams(window.location.search);
                    document.querySelectorAll("[id*='FILTER']").forEach((el) => {
                        const id = el.id.startsWith('{') ? JSON.parse(el.id) : {};
                        if (id.type !== 'FILTER') { return; }
                        const wanted = query.get(id.key) || '';
                        if (String(el.value) !== wanted) {
                            window.dash_clientside.set_props(id, {value: wanted});
                        }
                    });
                });
            }
            const query = new URLSearchParams();
            ids.forEach((id, i) => {
                const value = values[i] === null || values[i] === undefined ? ''
                                                                              : String(values[i]);
                if (value.trim() !== '') { query.set(id.key, value); }
            });
            const search = query.toString() ? '?' + query.toString() : '';
            if (search === (shown || '')) { return window.dash_clientside.no_update; }
            if (search !== window.location.search) {
                window.history.pushState(null, '', window.location.pathname + search);
            }
            return search;
        }
        """.replace("FILTER", FILTER),
        Output(store_id, "data"),
        Input(filter_id(ALL), "value"),
        State(filter_id(ALL), "id"),
        State(store_id, "data"),
        prevent_initial_call=True,
    )
