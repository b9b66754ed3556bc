"""Home: how the city is doing: the city score, every public KPI by theme, what changed."""

from __future__ import annotations

import dash
from dash import html

from dashboards import context
from dashboards.cache import snapshot_cached
from dashboards.components.feedback import feedback_form
from dashboards.components.figures import figure_card
from dashboards.components.formatting import kpi_value
from dashboards.components.frame import page_title
from dashboards.components.kpi_tile import kpi_tile
from dashboards.components.states import safe_layout
from kpis.headlines import headline_figures
from kpis.read import CityScore, Tile, city_score, tiles
from kpis.summary import movements, status_counts

dash.register_page(__name__, path="/", name="Home", title=page_title("Home"), order=0,
                   description="How the city is doing: budget, services and community.")

THEMES = (("budget", "Budget", "/budget"), ("services", "Services", "/services"),
          ("engagement", "Community", "/engagement"))


@safe_layout
def layout(**query) -> html.Div:
    snapshot, figures = snapshot_cached(headline_figures)()
    _, score = snapshot_cached(city_score)()
    _, all_tiles = snapshot_cached(tiles)()
    city = context.settings().city_name
    return html.Div([
        html.H1(f"How {city} is doing"),
        html.P("Every figure on this site comes from the city's own published records, in the "
               "data version named at the top of the page. Select a measure to see how it is "
               "computed, its history and its data.", className="lead"),
        html.Div([figure_card(f) for f in figures], className="row g-3 mb-4"),
        score_panel(score),
        summary_paragraph(all_tiles),
        *[theme_section(key, title, href, [t for t in all_tiles if t.definition.domain == key])
          for key, title, href in THEMES],
        feedback_form(page="/", snapshot_id=snapshot.id, status=query.get("feedback")),
    ])


def score_panel(score: CityScore) -> html.Section:
    """The composite city score and how it is made, in words."""
    if score.score is None:
        shown, verdict = "No score yet", "It appears once the measures have values."
    else:
        shown = f"{score.score:.2f}"
        verdict = ("On target overall: above 1 means the city is meeting its targets on average."
                   if score.score >= 1 else
                   "Below target overall: under 1 means the city is missing its targets on "
                   "average.")
    return html.Section(className="city-score", id="city-score",
                        **{"aria-labelledby": "city-score-title"}, children=[
        html.H2("City score", id="city-score-title"),
        html.P(shown, className="city-score-value", id="city-score-value"),
        html.P(verdict, className="city-score-verdict"),
        html.P(f"{score.on_target} of {score.counted} public measures are on target.",
               className="city-score-count") if score.counted else None,
        html.Details(className="city-score-method", children=[
            html.Summary("How the city score is worked out"),
            html.P("For each public measure below, its latest value is divided by its target; "
                   "where a lower value is better (days to close a request, for example) the "
                   "target is divided by the value instead, so that 1 always means exactly on "
                   "target and more than 1 means better than target. Each measure's ratio is "
                   "capped at 1.5, so one measure far past its target cannot hide others that "
                   "miss theirs, and the ratios are averaged with equal weight. The idea comes "
                   "from Boston's CityScore."),
        ]),
    ])


def summary_paragraph(all_tiles: list[Tile]) -> html.Section:
    """One plain paragraph: how many measures improved or worsened, and the largest moves."""
    moved = movements(all_tiles)
    counts = status_counts(all_tiles)
    with_values = sum(counts.values())
    if not with_values:
        text = "No measure has a value yet."
    else:
        better = [m for m in moved if m.better]
        worse = [m for m in moved if not m.better]
        parts = [f"Since each measure's previous period, {len(better)} of {with_values} "
                 f"measures improved and {len(worse)} got worse."]
        for label, group in (("biggest improvement", better), ("biggest setback", worse)):
            if group:
                parts.append(f"The {label}: {_moved_words(group[0].tile)}.")
        parts.append(f"{counts['green']} are on target, {counts['amber']} near target and "
                     f"{counts['red']} off target.")
        text = " ".join(parts)
    return html.Section(className="what-changed", **{"aria-labelledby": "what-changed-title"},
                        children=[html.H2("What changed", id="what-changed-title"),
                                  html.P(text, id="what-changed")])


def _moved_words(tile: Tile) -> str:
    d, point = tile.definition, tile.latest
    verb = "rose" if point.value > point.previous_value else "fell"
    return (f"{d.title} {verb} to "
            f"{kpi_value(point.value, d.unit, d.decimals)} in {point.period_label}, from "
            f"{kpi_value(point.previous_value, d.unit, d.decimals)} in {point.previous_label}")


def theme_section(key: str, title: str, href: str, theme_tiles: list[Tile]) -> html.Section:
    return html.Section(className="theme", id=f"theme-{key}",
                        **{"aria-labelledby": f"theme-{key}-title"}, children=[
        html.H2(title, id=f"theme-{key}-title"),
        html.Div([kpi_tile(t) for t in theme_tiles], className="row g-3")
        if theme_tiles else html.P("No measures published for this theme yet."),
        html.P(dash.dcc.Link(f"More about {title.lower()}", href=href), className="theme-more"),
    ])
