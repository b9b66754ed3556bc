"""An accessible chart: heading, one-sentence summary, the figure, and its data as a table.

The summary and the table carry everything the figure shows, so a screen-reader user (or
anyone who wants the exact numbers) loses nothing.

The figure and the table travel as JSON in `data-figure` and `data-table` attributes, and
assets/charts.js draws a figure with plotly.js when it scrolls into view and builds a table when
its "Show the data" is opened. As Dash components (dcc.Graph, a table of html.Td) they cost a
phone seconds of main thread on every page load, for charts below the fold and tables nobody
opened; bench/README.md ("Page speed") has the figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dash import html
from plotly.io.json import to_json_plotly

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
# No "send to Plotly Cloud" button: it would post the chart's data to a third party.
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
                "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def merge(base: dict, extra: dict) -> dict:
    """Deep-merge `extra` into `base` (changed in place, and returned) as plotly's update_layout
    does: nested dicts merge, anything else replaces, and None removes the key. Dicts taken from
    `extra` are copied, so a shared constant is never changed through `base` later."""
    for key, value in extra.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict):
            base[key] = merge(base[key] if isinstance(base.get(key), dict) else {}, value)
        else:
            base[key] = value
    return base


def dict_figure(traces: Iterable[dict], layout: dict) -> dict[str, Any]:
    """A figure as the plain dict plotly.js takes: no plotly.graph_objects validation, which
    cost most of a page's time, and no template (base_layout sets the look; plotly's default
    template added 6.5 kB of JSON to every chart). Each trace is a dict with its "type" ("bar",
    "scatter", "treemap"); None values in the layout are left out."""
    return {"data": list(traces), "layout": merge({}, layout)}


def base_layout(x_title: str, y_title: str, y_format: str | None = None,
                height: int = 340) -> dict[str, Any]:
    """Plotly layout: labelled axes, the site's font, room for a phone."""
    return {
        "height": height,
        "margin": {"l": 64, "r": 16, "t": 16, "b": 56},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                 "size": 13, "color": "#1b1b1b"},
        "colorway": list(PALETTE),
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e6e6e6"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e6e6e6", "tickformat": y_format,
                  "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "x unified",
    }


def accessible_chart(chart_id: str, title: str, summary: str, figure: dict,
                     columns: Sequence[str], rows: Sequence[Sequence[Any]],
                     heading_level: int = 2) -> html.Section:
    """A titled chart with its summary sentence and a 'Show the data' table of every value."""
    heading = (html.H2 if heading_level == 2 else html.H3)(title, id=f"{chart_id}-title")
    if not rows:
        return html.Section(className="chart-block", id=chart_id,
                            **{"aria-labelledby": f"{chart_id}-title"}, children=[
            heading, html.P("No data for this selection.", className="empty-note")])
    return html.Section(className="chart-block", id=chart_id,
                        **{"aria-labelledby": f"{chart_id}-title"}, children=[
        heading,
        html.Figure(className="chart-figure", children=[
            html.Figcaption(summary, className="chart-summary", id=f"{chart_id}-summary"),
            # Drawn at its final height, so the page does not move when the figure arrives.
            html.Div(id=f"{chart_id}-graph", className="chart-graph",
                     style={"height": f"{figure.get('layout', {}).get('height', 450)}px"},
                     **{"data-figure": to_json_plotly({**figure, "config": GRAPH_CONFIG})}),
        ]),
        html.Details(className="chart-data", id=f"{chart_id}-data", **{"data-table": to_json_plotly(
            {"caption": f"{title}: the values plotted", "columns": list(columns),
             "rows": [list(row) for row in rows]})}, children=html.Summary("Show the data")),
    ])


def target_line(figure: dict, value: float, label: str, axis: str = "y") -> None:
    """A dashed, labelled line at the target across a plain dict figure (axis: the value axis),
    added to the layout's shapes and annotations."""
    across = "y" if axis == "x" else "x"
    layout = figure.setdefault("layout", {})
    layout.setdefault("shapes", []).append(
        {"type": "line", f"{axis}ref": axis, f"{axis}0": value, f"{axis}1": value,
         f"{across}ref": "paper", f"{across}0": 0, f"{across}1": 1,
         "line": {"dash": "dash", "color": "#1b1b1b", "width": 2}})
    layout.setdefault("annotations", []).append(
        {f"{axis}ref": axis, axis: value, f"{across}ref": "paper",
         across: 1 if axis == "x" else 0, "text": label, "showarrow": False,
         "xanchor": "left", "yanchor": "bottom"})
