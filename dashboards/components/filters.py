"""Filters that live in the URL: a labelled native select, and the query string kept in step.

A page reads its filters from the query string in `layout(**query)` and renders the view with
the data in it; changing a select re-renders the charts by callback and rewrites the query
string in the browser (history.pushState), so every view is a link and Back works.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

# Options are (value, label) pairs; the default value is left out of the URL.
Options = Sequence[tuple[str, str]]


def select(select_id: str, label: str, options: Options, value: str) -> html.Div:
    """A native <select> with a visible label (dbc.Select: keyboard and screen-reader safe)."""
    known = {v for v, _ in options}
    return html.Div(className="filter", children=[
        dbc.Label(label, html_for=select_id, className="filter-label"),
        dbc.Select(id=select_id, options=[{"value": v, "label": t} for v, t in options],
                   value=value if value in known else (options[0][0] if options else None)),
    ])


def choice(value: object, options: Options, default: str) -> str:
    """The query-string value if it is one of the options, else the default (a key given
    twice arrives as a list, and falls back too)."""
    return value if isinstance(value, str) and value in {v for v, _ in options} else default


def url_sync(page: str, params: dict[str, str], defaults: dict[str, str]) -> dcc.Store:
    """Keep the query string in step with the selects: params maps query key -> select id.

    Call once at import of the page's module (it registers a clientside callback); put the
    returned Store in the page's layout. A change pushes a history entry; Back and Forward set
    the selects from the URL again (a key the URL lacks takes the value the page opened with),
    which re-renders the charts through the page's own callback."""
    store_id = f"{page}-url-sync"
    keys = list(params)
    dash.clientside_callback(
        f"""
        function(...values) {{
            const page = {page!r}, keys = {keys!r}, ids = {list(params.values())!r};
            const defaults = {[defaults[k] for k in keys]!r};
            const sync = (window.urlSync = window.urlSync || {{}});
            const triggered = dash_clientside.callback_context.triggered || [];
            if (!triggered.length || triggered[0].prop_id === '.') {{
                sync[page] = {{keys: keys, ids: ids, opened: values}};  // the page (re)opened
                if (!window.urlSyncListens) {{
                    window.urlSyncListens = true;
                    window.addEventListener('popstate', () => {{
                        const query = new URLSearchParams(window.location.search);
                        Object.values(window.urlSync).forEach((s) => s.ids.forEach((id, i) => {{
                            const select = document.getElementById(id);
                            const wanted = query.has(s.keys[i]) ? query.get(s.keys[i])
                                                                : s.opened[i];
                            if (select && select.value !== wanted) {{
                                dash_clientside.set_props(id, {{value: wanted}});
                            }}
                        }}));
                    }});
                }}
                return window.dash_clientside.no_update;
            }}
            const query = new URLSearchParams(window.location.search);
            const shown = (key, i) => query.has(key) ? query.get(key) : sync[page].opened[i];
            if (sync[page] && keys.every((key, i) => values[i] === shown(key, i))) {{
                return window.dash_clientside.no_update;  // Back or Forward set the selects
            }}
            keys.forEach((key, i) => {{
                if (values[i] === null || values[i] === undefined || values[i] === defaults[i]) {{
                    query.delete(key);
                }} else {{
                    query.set(key, values[i]);
                }}
            }});
            query.delete('feedback');
            const search = query.toString() ? '?' + query.toString() : '';
            if (search !== window.location.search) {{
                window.history.pushState(null, '', window.location.pathname + search);
            }}
            return search;
        }}
        """,
        Output(store_id, "data"),
        [Input(select_id, "value") for select_id in params.values()],
    )
    return dcc.Store(id=store_id)
