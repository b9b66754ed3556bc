"""Home: how the city is doing, in a few figures."""

import dash
from dash import html

from dashboards import context
from dashboards.components.figures import figure_card
from dashboards.components.frame import page_title
from dashboards.components.states import safe_layout
from kpis.headlines import headline_figures

dash.register_page(__name__, path="/", name="Home", title=page_title("Home"), order=0,
                   description="How the city is doing: budget, services and community.")


@safe_layout
def layout(**_query) -> html.Div:
    headlines = headline_figures(context.reader())
    return html.Div([
        html.H1(f"How {context.settings().city_name} is doing"),
        html.P("Key figures from the city's published data. Every number comes from the "
               "data version named at the top of the page.", className="lead"),
        html.Div([figure_card(f) for f in headlines.figures], className="row g-3"),
    ])
