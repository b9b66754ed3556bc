"""Open data: the catalogue of every public dataset at /data, searchable and filtered by theme
and file format, all kept in the URL (`/data?q=permits&theme=services&format=csv`).

Each dataset is a card linking to its own page (/data/<id>, dashboards/public/dataset.py) with
its theme, when it was last updated, how often it is expected to be, its rows and its formats.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboards.cache import snapshot_cached
from dashboards.components.datasets import (
    FORMAT_NAMES,
    dataset_path,
    rows_words,
    theme_name,
)
from dashboards.components.feedback import feedback_form
from dashboards.components.filters import choice, select, url_sync
from dashboards.components.frame import page_title
from dashboards.components.freshness import updated
from dashboards.components.states import safe_layout
from opendata.browse import catalogue, matching
from opendata.metadata import Dataset
from warehouse.manifest import Snapshot

log = logging.getLogger(__name__)

PATH = "/data"
ALL = "all"
SEARCH_ID = "data-search"
THEME_ID = "data-theme"
FORMAT_ID = "data-format"
LIST_ID = "data-list"
SHOWING_ID = "data-showing"

dash.register_page(
    __name__, path=PATH, name="Data", title=page_title("Open data"), order=4,
    description="Every dataset the city publishes: search it, read what each column means, "
                "and download it in CSV, JSON, Parquet or Excel.")

URL_SYNC = url_sync("data", {"q": SEARCH_ID, "theme": THEME_ID, "format": FORMAT_ID},
                    {"q": "", "theme": ALL, "format": ALL})


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _datasets() -> tuple[Snapshot, tuple[Dataset, ...]]:
    """The current snapshot and its public datasets (none before any is published)."""
    snapshot, found = snapshot_cached(catalogue)()
    return snapshot, found.datasets if found else ()


def theme_options(datasets: Sequence[Dataset]) -> list[tuple[str, str]]:
    themes = dict.fromkeys(d.theme for d in datasets)  # in the catalogue's order
    return [(ALL, "All themes"), *[(t, theme_name(t)) for t in themes]]


def format_options() -> list[tuple[str, str]]:
    return [(ALL, "Any format"), *FORMAT_NAMES.items()]


@safe_layout
def layout(q: object = None, theme: object = None, feedback: object = None,
           **query: object) -> html.Div:
    snapshot, datasets = _datasets()
    head = [
        html.H1("Open data"),
        html.P(["Every dataset the city publishes, free to download and reuse under its "
                "licence. Select one to read what each column means, preview and filter its "
                "rows, and download all of them or just the ones you need. Programs can use ",
                html.A("the API", href="/api/v1/datasets"), "."], className="lead"),
    ]
    foot = feedback_form(page=PATH, snapshot_id=snapshot.id, status=_text(feedback) or None)
    if not datasets:
        return html.Div([*head, html.Div(className="empty-state", role="status", id=LIST_ID,
                                         children=[
            html.H2("No datasets have been published yet"),
            html.P("The city's datasets appear here once their data has been loaded."),
        ]), foot])
    chosen_theme = choice(_text(theme), theme_options(datasets), ALL)
    chosen_format = choice(_text(query.get("format")), format_options(), ALL)
    search = _text(q)
    return html.Div([
        *head,
        html.Div(className="filters", role="search", **{"aria-label": "Find a dataset"},
                 children=[
            html.Div(className="filter data-search", children=[
                dbc.Label("Search titles, descriptions and keywords", html_for=SEARCH_ID,
                          className="filter-label"),
                dbc.Input(id=SEARCH_ID, type="search", value=search, debounce=500,
                          autocomplete="off"),
            ]),
            select(THEME_ID, "Theme", theme_options(datasets), chosen_theme),
            select(FORMAT_ID, "Format", format_options(), chosen_format),
        ]),
        *results(snapshot, datasets, search, chosen_theme, chosen_format),
        URL_SYNC,
        foot,
    ])


@dash.callback(Output(LIST_ID, "children"), Output(SHOWING_ID, "children"),
               Input(SEARCH_ID, "value"), Input(THEME_ID, "value"), Input(FORMAT_ID, "value"),
               prevent_initial_call=True)
def refilter(search: str | None, theme: str | None, file_format: str | None) -> tuple:
    """The search or a select changed: the datasets that match now."""
    try:
        snapshot, datasets = _datasets()
        showing, shown = results(snapshot, datasets, _text(search),
                                 choice(theme, theme_options(datasets), ALL),
                                 choice(file_format, format_options(), ALL))
        return shown.children, showing.children
    except Exception:
        log.exception("data: the catalogue could not be searched")
        return (html.P("The datasets could not be listed. Please try again later.",
                       role="alert"), "")


def results(snapshot: Snapshot, datasets: Sequence[Dataset], search: str, theme: str,
            file_format: str) -> tuple[html.P, html.Div]:
    """A sentence saying how many datasets match, and their cards."""
    found = matching(datasets, search, None if theme == ALL else theme,
                     None if file_format == ALL else file_format)
    showing = html.P(showing_words(len(found), len(datasets), search, theme, file_format),
                     id=SHOWING_ID, className="data-showing", role="status",
                     **{"aria-live": "polite"})
    if not found:
        body = html.Div(className="empty-state", children=[
            html.H2("No dataset matches your search"),
            html.P("Try fewer or other words, or another theme or format."),
            html.P(dcc.Link("Show every dataset", href=PATH, id="data-show-all")),
        ])
    else:
        body = html.Ul([card(d, snapshot) for d in found], className="dataset-cards")
    return showing, html.Div(body, id=LIST_ID)


def showing_words(found: int, total: int, search: str, theme: str, file_format: str) -> str:
    """'Showing all 6 datasets.' or '2 of 6 datasets match “permits”, in Services, as CSV.'"""
    if found == total and not search and theme == ALL and file_format == ALL:
        return f"Showing all {total} datasets."
    parts = [f"\u201c{search}\u201d"] if search else []
    if theme != ALL:
        parts.append(f"in {theme_name(theme)}")
    if file_format != ALL:
        parts.append(f"as {FORMAT_NAMES[file_format]}")
    verb = "matches" if found == 1 else "match"
    return f"{found} of {total} datasets {verb} {', '.join(parts)}."


def card(d: Dataset, snapshot: Snapshot) -> html.Li:
    facts = [
        ("Theme", theme_name(d.theme)),
        ("Last updated", updated(snapshot.published_at)),
        ("Expected", d.frequency.capitalize()),
        ("Rows", rows_words(d.rows)),
        ("Formats", ", ".join(FORMAT_NAMES[f] for f in d.formats) or "None yet"),
    ]
    return html.Li(className="dataset-card", id=f"dataset-card-{d.id}", children=[
        html.H2(dcc.Link(d.title, href=dataset_path(d.id)), className="dataset-card-title"),
        html.P(d.description, className="dataset-card-description"),
        html.Dl([html.Div([html.Dt(term), html.Dd(value)]) for term, value in facts],
                className="dataset-facts"),
    ])
