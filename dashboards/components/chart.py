"""An accessible chart: heading, one-sentence summary, the figure, and its data as a table.

The summary and the table carry everything the figure shows, so a screen-reader user (or
anyone who wants the exact numbers) loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import plotly.io as pio
from dash import dcc, html

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


@lru_cache(maxsize=4)
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def dict_figure(traces: Iterable[dict], layout: dict) -> dict[str, Any]:
    """A figure as the plain dict dcc.Graph takes: no plotly.graph_objects validation, which
    cost most of a page's time. Each trace is a dict with its "type" ("bar", "scatter",
    "treemap"); None values in the layout are left out, and plotly's default template is
    included, as go.Figure would have done, so the browser gets the same JSON."""
    base = {} if pio.templates.default is None else {"template": _template(pio.templates.default)}
    return {"data": list(traces), "layout": merge(base, layout)}


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


def data_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str
               ) -> html.Table:
    return html.Table(className="table table-sm data-table", children=[
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(c, scope="col") for c in columns])),
        html.Tbody([html.Tr([html.Th(row[0], scope="row"), *[html.Td(v) for v in row[1:]]])
                    for row in rows]),
    ])


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
            dcc.Graph(id=f"{chart_id}-graph", figure=figure, config=GRAPH_CONFIG,
                      className="chart-graph"),
        ]),
        html.Details(className="chart-data", children=[
            html.Summary("Show the data"),
            html.Div(data_table(columns, rows, f"{title}: the values plotted"),
                     className="table-responsive"),
        ]),
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
