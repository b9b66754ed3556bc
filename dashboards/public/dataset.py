"""One dataset at /data/<id>: what it is, its freshness, licence and data dictionary, a preview
of its rows with filters, its downloads (whole, or just the filtered rows), the API address for
the same rows, and a line to cite it.

Reached from the catalogue (/data), not from the main navigation. The filters are the rows
API's own parameters, kept in the URL (`/data/permits?district=Northgate&applied_on.gte=
2024-01-01`), so the page, the filtered download and the API link always mean the same rows.
The preview grid fetches one block of rows at a time from the server (components/grid.py).
An unknown id and an internal dataset get the same "not found" page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, dcc, html
from dash._pages import _parse_query_string  # the query string as Dash gives it to layouts
from flask import request

from dashboards import context
from dashboards.cache import snapshot_cached
from dashboards.components.datasets import (
    FORMAT_NAMES,
    dataset_path,
    file_size,
    rows_words,
    theme_name,
)
from dashboards.components.feedback import feedback_form
from dashboards.components.frame import page_title
from dashboards.components.freshness import is_late, moment, updated
from dashboards.components.grid import grid_slot, grid_sync, rows_grid
from dashboards.components.row_filters import filter_controls, query_sync
from dashboards.components.states import safe_layout
from opendata.browse import (
    block,
    catalogue,
    chosen_filters,
    count,
    filter_fields,
)
from opendata.exports import EXCEL_MAX_ROWS
from opendata.files_route import file_path
from opendata.metadata import Catalogue, Dataset
from opendata.rows import BadRequest
from warehouse.manifest import Snapshot

log = logging.getLogger(__name__)

LIST_PATH = "/data"
GRID_ID = "dataset-grid"
GRID_SLOT = "dataset-grid-slot"
GRID_LABEL = "dataset-explore-title"
ID_STORE = "dataset-id"
QUERY_STORE = "dataset-query"
GRID_STORE = "dataset-grid-synced"
COUNT_ID = "dataset-count"
FILTERED_ID = "dataset-filtered"
CITATION_ID = "dataset-citation"
NO_ROWS = {"rowData": [], "rowCount": 0}


def _title(dataset_id: object = None, **_: object) -> str:
    """The <title>: the dataset's own title, so tabs and bookmarks say which one it is."""
    try:
        _, _, found = _find(dataset_id)
    except Exception:  # no snapshot yet, or it could not be read: the page says which
        return page_title("Dataset")()
    return page_title(found.title if found else "Dataset not found")()


dash.register_page(__name__, path_template="/data/<dataset_id>", name="Dataset",
                   title=_title, order=91, nav=False,
                   description="One dataset: what it holds, what each column means, a preview "
                   "of its rows, and its downloads.")

query_sync(QUERY_STORE)
grid_sync(GRID_ID, GRID_SLOT, GRID_LABEL, QUERY_STORE, GRID_STORE)


def _find(dataset_id: object) -> tuple[Snapshot, Catalogue | None, Dataset | None]:
    """The current snapshot, its public catalogue (None: it publishes none) and the dataset of
    that id in it (None: there is none)."""
    snapshot, published = snapshot_cached(catalogue)()
    return snapshot, published, published.dataset(dataset_id) if published else None


def _filters(d: Dataset, search: object) -> dict[str, str]:
    """The filters a query string ("?district=Northgate") sets on the dataset."""
    return chosen_filters(d.columns, _parse_query_string(search if isinstance(search, str)
                                                         else ""))


def _matching(d: Dataset, filters: Mapping[str, str]) -> tuple[int | None, str | None]:
    """How many rows the filters keep, or None and why they cannot be applied."""
    try:
        return snapshot_cached(count)(d.id, tuple(filters.items()))[1], None
    except BadRequest as exc:
        return None, str(exc)


@safe_layout
def layout(dataset_id: object = None, feedback: object = None, **query: object) -> html.Div:
    snapshot, published, found = _find(dataset_id)
    status = feedback if isinstance(feedback, str) else None
    if found is None:
        return not_found(snapshot, status)
    filters = chosen_filters(found.columns, query)
    base = request.host_url.rstrip("/")
    return html.Div([
        html.H1(found.title, id="dataset-title"),
        html.P(found.description, className="lead", id="dataset-description"),
        about_section(found, published, snapshot),
        downloads_section(found),
        explore_section(found, filters, base),
        dictionary_section(found),
        html.Section(id="dataset-cite", className="dataset-section",
                     **{"aria-labelledby": "dataset-cite-title"}, children=[
            html.H2("Cite this dataset", id="dataset-cite-title"),
            html.P(citation(found, published, snapshot, filters, base), id=CITATION_ID,
                   className="dataset-citation"),
        ]),
        dcc.Store(id=ID_STORE, data=found.id),
        dcc.Store(id=QUERY_STORE, data=_search(filters)),
        dcc.Store(id=GRID_STORE),
        feedback_form(page=dataset_path(found.id), snapshot_id=snapshot.id,
                      dataset_id=found.id, status=status),
    ])


def _search(filters: Mapping[str, str]) -> str:
    return f"?{urlencode(filters)}" if filters else ""


# ---------------------------------------------------------------- what it is


def about_section(d: Dataset, published: Catalogue, snapshot: Snapshot) -> html.Section:
    late = is_late(snapshot.published_at, d.frequency)
    freshness = html.Span(id="dataset-freshness", children=[
        "Updated ", updated(snapshot.published_at), f", expected {d.frequency}.",
        *([html.Strong(" Older than expected: the next update is late.",
                       className="freshness-late")] if late else []),
    ])
    facts = [
        ("Freshness", freshness),
        ("Rows", rows_words(d.rows)),
        ("Publisher", published.publisher),
        ("Contact", [f"{published.contact_name} (", html.A(
            published.contact_email, href=f"mailto:{published.contact_email}"), ")"]),
        ("Licence", html.A(f"{published.licence_title} ({published.licence_id})",
                           href=published.licence_url, id="dataset-licence")),
        ("Theme", theme_name(d.theme)),
        ("Keywords", ", ".join(d.keywords)),
    ]
    return html.Section(id="dataset-about", className="dataset-section",
                        **{"aria-labelledby": "dataset-about-title"}, children=[
        html.H2("About this dataset", id="dataset-about-title"),
        html.Dl([html.Div([html.Dt(term), html.Dd(value)]) for term, value in facts],
                className="dataset-facts"),
    ])


def downloads_section(d: Dataset) -> html.Section:
    items = [html.Li([html.A(FORMAT_NAMES[f.format], href=file_path(d.id, f.format),
                             id=f"dataset-download-{f.format}"), f" ({file_size(f.bytes)})"])
             if f.bytes is not None else html.Li(f"{FORMAT_NAMES[f.format]}: {f.note}")
             for f in d.files]
    return html.Section(id="dataset-downloads", className="dataset-section",
                        **{"aria-labelledby": "dataset-downloads-title"}, children=[
        html.H2("Download the whole dataset", id="dataset-downloads-title"),
        html.Ul(items, className="dataset-downloads") if items else
        html.P("No files have been made for this dataset yet.", className="empty-note"),
    ])


def dictionary_section(d: Dataset) -> html.Section:
    headings = ("Column", "Type", "Description", "Unit", "Allowed values", "Notes")
    rows = [html.Tr([
        html.Th(html.Code(c["name"]), scope="row", **{"data-label": headings[0]}),
        *[html.Td(value, **{"data-label": heading}) for heading, value in zip(headings[1:], (
            c["type"], c["description"], c.get("unit") or "",
            ", ".join(c.get("allowed") or ()), notes(c)), strict=True)],
    ]) for c in d.columns]
    return html.Section(id="dataset-dictionary", className="dataset-section",
                        **{"aria-labelledby": "dataset-dictionary-title"}, children=[
        html.H2("Data dictionary", id="dataset-dictionary-title"),
        html.Table(className="table table-sm data-table dictionary-table",
                   id="dataset-dictionary-table", children=[
            html.Caption(f"Every column of {d.title}, in the order of the files"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in headings])),
            html.Tbody(rows),
        ]),
    ])


def notes(column: Mapping[str, Any]) -> str:
    """What was done to a column before publishing it."""
    found = []
    if column.get("rounded_to") is not None:
        found.append(f"Rounded to {column['rounded_to']} decimal places, so no exact "
                     "location is published.")
    if column.get("suppressed_below") is not None:
        found.append(f"Counts from 1 to {column['suppressed_below'] - 1} are withheld (left "
                     "empty) so that no one can be singled out.")
    return " ".join(found)


# ---------------------------------------------------------------- the rows


def explore_section(d: Dataset, filters: Mapping[str, str], base: str) -> html.Section:
    head = html.H2("Preview and filter the rows", id=GRID_LABEL)
    if d.rows is None:
        return html.Section(id="dataset-explore", className="dataset-section",
                            **{"aria-labelledby": GRID_LABEL}, children=[
            head, html.P("No data has been loaded for this dataset yet.",
                         className="empty-note")])
    matched, problem = _matching(d, filters)
    return html.Section(id="dataset-explore", className="dataset-section",
                        **{"aria-labelledby": GRID_LABEL}, children=[
        head,
        html.P("Set any filters below: the preview, the row count, the download links and "
               "the API address follow them. Select a column heading to sort by it.",
               className="dataset-hint"),
        html.Div(role="group", **{"aria-label": "Filter the rows"},
                 children=filter_controls(filter_fields(d.columns), filters)),
        html.P(count_words(d, filters, matched, problem), id=COUNT_ID,
               className="dataset-count", role="status", **{"aria-live": "polite"}),
        html.Div(filtered_links(d, filters, matched, base), id=FILTERED_ID),
        grid_slot(GRID_SLOT),
    ])


def count_words(d: Dataset, filters: Mapping[str, str], matched: int | None,
                problem: str | None) -> list:
    """'1,234 of 20,000 rows match the filters.' with a link to clear them."""
    clear = [" ", dcc.Link("Clear the filters", href=dataset_path(d.id), id="dataset-clear")]
    if problem:
        return [html.Strong("These filters cannot be applied: "), problem, ".", *clear]
    if not filters:
        return [f"All {rows_words(d.rows)}."]
    return [f"{matched:,} of {rows_words(d.rows)} match the filters.", *clear]


def filtered_links(d: Dataset, filters: Mapping[str, str], matched: int | None,
                   base: str) -> list:
    """Download links for the filtered rows (when filters are set) and the API address for
    them: the same query parameters."""
    query = _search(filters)
    api = f"{base}/api/v1/datasets/{d.id}/rows{query}"
    found = [html.P(["The same rows through the API (JSON, 100 at a time): ",
                     html.A(api, href=api, id="dataset-api", className="dataset-api")],
                    className="dataset-api-line")]
    if not filters or matched is None:
        return found
    items = [html.Li(html.A(FORMAT_NAMES[f.format], href=file_path(d.id, f.format) + query,
                            id=f"dataset-filtered-{f.format}"))
             for f in d.made if not (f.format == "xlsx" and matched > EXCEL_MAX_ROWS)]
    return [html.P(f"Download only the {rows_words(matched)} these filters keep:",
                   className="dataset-filtered-title"),
            html.Ul(items, className="dataset-downloads"), *found]


def citation(d: Dataset, published: Catalogue, snapshot: Snapshot, filters: Mapping[str, str],
             base: str) -> str:
    """'<publisher> (<year>). <title> [dataset], snapshot <id>, published <date>. <URL of that
    version's rows>. Licence <licence>.'"""
    when = moment(snapshot.published_at)
    pinned = urlencode({**filters, "snapshot": snapshot.id})
    return (f"{published.publisher} ({when.year}). {d.title} [dataset], snapshot {snapshot.id}, "
            f"published {when.day} {when:%B %Y}. "
            f"{base}{file_path(d.id, 'csv')}?{pinned}. "
            f"Licence {published.licence_title} ({published.licence_id}).")


@dash.callback(Output(COUNT_ID, "children"), Output(FILTERED_ID, "children"),
               Output(CITATION_ID, "children"), Input(QUERY_STORE, "data"),
               State(ID_STORE, "data"), prevent_initial_call=True)
def refilter(search: str | None, dataset_id: str | None) -> tuple:
    """The filters changed: the count, the links and the citation for the new ones."""
    try:
        snapshot, published, d = _find(dataset_id)
        if d is None:  # unpublished since the page was drawn: the page says so when reloaded
            return dash.no_update, dash.no_update, dash.no_update
        filters = _filters(d, search)
        matched, problem = _matching(d, filters)
        base = request.host_url.rstrip("/")
        return (count_words(d, filters, matched, problem),
                filtered_links(d, filters, matched, base),
                citation(d, published, snapshot, filters, base))
    except Exception:
        log.exception("dataset %r: the filters could not be applied", dataset_id)
        return (html.Span("The rows could not be counted. Please try again later.",
                          role="alert"), [], dash.no_update)


@dash.callback(Output(GRID_SLOT, "children"), Input(f"{GRID_SLOT}-wanted", "data"),
               State(ID_STORE, "data"), prevent_initial_call=True)
def put_grid(wanted: Any, dataset_id: str | None) -> Any:
    """The grid, once assets/grid-loader.js has loaded its script."""
    _, _, found = _find(dataset_id)
    return rows_grid(GRID_ID, found.columns) if wanted and found else dash.no_update


@dash.callback(Output(GRID_ID, "getRowsResponse"), Input(GRID_ID, "getRowsRequest"),
               State(QUERY_STORE, "data"), State(ID_STORE, "data"), prevent_initial_call=True)
def grid_rows(asked: Any, search: str | None, dataset_id: str | None) -> dict:
    """The block of rows the grid asks for, filtered by the page and sorted by the grid."""
    try:
        _, _, found = _find(dataset_id)
        if found is None or not isinstance(asked, dict):
            return NO_ROWS
        filters = _filters(found, search)
        matched, problem = _matching(found, filters)
        if problem:
            return NO_ROWS
        with context.reader().cursor() as (_, cursor):
            rows = block(cursor, found.id, filters, asked.get("sortModel"),
                         asked.get("startRow"), asked.get("endRow"))
    except BadRequest as exc:
        log.info("dataset %r: grid request refused: %s", dataset_id, exc)
        return NO_ROWS
    except Exception:
        log.exception("dataset %r: the grid's rows could not be read", dataset_id)
        return NO_ROWS
    return {"rowData": rows, "rowCount": matched}


# ---------------------------------------------------------------- not found


def not_found(snapshot: Snapshot, status: str | None) -> html.Div:
    return html.Div(id="dataset-not-found", children=[
        html.H1("Dataset not found"),
        html.P("There is no published dataset at this address. It may have been renamed or "
               "removed, or the address may be mistyped.", className="lead"),
        html.P(dcc.Link("See every dataset", href=LIST_PATH, id="dataset-list-link")),
        feedback_form(page=LIST_PATH, snapshot_id=snapshot.id, status=status),
    ])
