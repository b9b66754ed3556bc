"""The frame of every public page: skip link, header with navigation and data version, footer."""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import dcc, html
from dash.development.base_component import Component

from dashboards import context
from dashboards.components.formatting import published
from warehouse.manifest import Snapshot


def site_name(city_name: str) -> str:
    return f"{city_name} Open Data & Performance"


def page_title(page: str) -> Callable[..., str]:
    """A page's <title>, with the configured city's name read when the page is served."""
    return lambda **_: f"{page} · {site_name(context.settings().city_name)}"


def data_version(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return "No data published yet"
    return f"Data as of {published(snapshot.published_at)} (snapshot {snapshot.id})"


def header(city_name: str, snapshot: Snapshot | None) -> html.Header:
    links = [
        html.Li(dcc.Link(page["name"], href=page["relative_path"], className="nav-link"),
                className="nav-item")
        for page in dash.page_registry.values()
        if page.get("nav", True)  # register_page(..., nav=False): a page reached by link only
    ]
    return site_header(city_name, "/", " Open Data & Performance", "Main", links,
                       html.P(data_version(snapshot), className="data-version",
                              id="data-version"))


def site_header(city_name: str, home: str, product: str, nav_label: str,
                links: list[html.Li], below: Component, extra_class: str = "") -> html.Header:
    """A site's header: skip link, its name linking home, its navigation, then `below`."""
    return html.Header(className=f"site-header {extra_class}".strip(), children=[
        html.A("Skip to main content", href="#main-content", className="skip-link"),
        html.Div(className="container", children=[
            html.Div(className="d-flex flex-wrap align-items-baseline gap-3", children=[
                dcc.Link(className="site-title", href=home, children=[
                    html.Span(city_name, className="site-city"),
                    html.Span(product, className="site-product"),
                ]),
                html.Nav(html.Ul(links, className="nav"), **{"aria-label": nav_label}),
            ]),
            below,
        ]),
    ])


def footer(city_name: str, snapshot: Snapshot | None) -> html.Footer:
    return html.Footer(className="site-footer", children=html.Div(className="container", children=[
        html.P(f"Published by the City of {city_name}. Figures are computed from the city's own "
               "budget, service-request and community-platform records."),
        html.P(data_version(snapshot), className="data-version"),
    ]))


def frame(city_name: str, snapshot: Snapshot | None) -> html.Div:
    return html.Div([
        header(city_name, snapshot),
        html.Main(dash.page_container, id="main-content", className="container", tabIndex="-1"),
        footer(city_name, snapshot),
    ])
