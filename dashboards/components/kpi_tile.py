"""A KPI tile: value and unit, status in colour and in words, sparkline, change, as of."""

from __future__ import annotations

from dash import dcc, html

from dashboards.components.formatting import kpi_change, kpi_value, status_word
from dashboards.components.sparkline import sparkline
from kpis.read import Tile


def trend_words(tile: Tile) -> str:
    """The sparkline's text alternative: where the series went over the periods shown."""
    d = tile.definition
    first, last = tile.spark[0], tile.spark[-1]
    return (f"Trend over the last {len(tile.spark)} periods: from "
            f"{kpi_value(first, d.unit, d.decimals)} to "
            f"{kpi_value(last, d.unit, d.decimals)}")


def kpi_tile(tile: Tile) -> html.Div:
    d, point = tile.definition, tile.latest
    heading_id = f"kpi-tile-{d.id}"
    if point is None:
        body = [html.P("No data yet", className="kpi-value"),
                html.P("This figure appears once its data has been loaded.",
                       className="kpi-asof")]
        status = None
    else:
        status = point.status
        change = kpi_change(point.value, point.previous_value, d.unit, d.decimals)
        body = [
            html.P(kpi_value(point.value, d.unit, d.decimals), className="kpi-value"),
            html.P([html.Span(className=f"status-dot status-{status}", **{"aria-hidden": "true"}),
                    status_word(status),
                    html.Span(f" · target {kpi_value(d.target, d.unit, d.decimals)}",
                              className="kpi-target")],
                   className=f"kpi-status status-text-{status}"),
            sparkline(tile.spark, trend_words(tile)),
            html.P(f"{change[0].upper()}{change[1:]} since {point.previous_label}" if change
                   else "First period published", className="kpi-change"),
            html.P(f"As of {point.period_label}", className="kpi-asof"),
        ]
    return html.Div(className="col-12 col-sm-6 col-lg-4", children=html.Section(
        className=f"kpi-tile h-100 kpi-tile-{status or 'none'}", id=f"tile-{d.id}",
        **{"aria-labelledby": heading_id},
        children=[
            html.H3(dcc.Link(d.title, href=f"/kpi/{d.id}"), id=heading_id,
                    className="kpi-title"),
            *[part for part in body if part is not None],
        ],
    ))
