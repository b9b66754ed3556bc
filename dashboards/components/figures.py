"""Headline figure cards: a big number, what it is, and the period it covers."""

from __future__ import annotations

from dash import html

from dashboards.components.formatting import count, money
from kpis.headlines import Headline


def figure_card(figure: Headline) -> html.Div:
    if figure.value is None:
        shown = "No data"
    else:
        shown = money(figure.value) if figure.unit == "usd" else count(figure.value)
    return html.Div(className="col-12 col-md-4", children=html.Section(
        className="figure-card h-100", id=f"figure-{figure.key}",
        **{"aria-labelledby": f"figure-{figure.key}-label"},
        children=[
            html.H2(figure.label, id=f"figure-{figure.key}-label", className="figure-label"),
            html.P(shown, className="figure-value"),
            html.P(figure.period, className="figure-period"),
        ],
    ))
