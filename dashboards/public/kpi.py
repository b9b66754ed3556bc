"""KPI detail: one page for every public KPI at /kpi/<id>, and the list of them all at /kpi.

Reached from the KPI tiles, not from the main navigation (`nav=False`). A breakdown (`?by=`) is
chosen with a select; its chart is drawn in the layout and re-drawn by one callback. An unknown
id and an internal KPI get the same "not found" page, so the site never reveals either.
"""

from __future__ import annotations

from datetime import date
from html import escape

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask import request

from dashboards import context
from dashboards.cache import snapshot_cached
from dashboards.components.chart import PALETTE, accessible_chart, dict_figure, target_line
from dashboards.components.feedback import feedback_form
from dashboards.components.filters import choice, select, url_sync
from dashboards.components.formatting import kpi_change, money, published, status_word
from dashboards.components.frame import page_title
from dashboards.components.kpi_chart import (
    PERIOD_WORDS,
    Mark,
    figure_layout,
    series_chart,
    shown,
    threshold,
)
from dashboards.components.states import safe_layout
from dashboards.embed_route import embed_path
from dashboards.kpi_download import download_path
from kpis.evidence import METHOD
from kpis.initiative_read import PublicInitiative, public_initiatives
from kpis.read import (
    Definition,
    Lineage,
    Point,
    definitions,
    judged,
    latest_by,
    lineage,
    series,
    tiles,
)
from warehouse.manifest import Snapshot

LIST_PATH = "/kpi"
BY_ID = "kpi-by"
BREAKDOWN_ID = "kpi-breakdown-content"
KPI_STORE = "kpi-page-id"
DOMAINS = (("budget", "Budget"), ("services", "Services"), ("engagement", "Community"))
INITIATIVES_DATASET = "/data/improvement_initiatives"
VERDICT_WORDS = {"improved": "The measure improved", "worsened": "The measure got worse",
                 "no clear change": "No clear change", "too little data": "Too early to tell"}
INITIATIVE_STATUS = {"planned": "Planned", "running": "Running", "done": "Done",
                     "stopped": "Stopped"}
BREAKDOWN_WORDS = {"department": "Department", "district": "District", "channel": "Channel",
                   "request_type": "Request type"}
# The change only ever needs the breakdown's value in the URL: "" is never a value, so the
# chosen breakdown is always written (each KPI has its own first breakdown).
SYNC = url_sync("kpi", {"by": BY_ID}, {"by": ""})


def _title(kpi_id: str | None = None, **_) -> str:
    """The <title>: the KPI's own title, so tabs and bookmarks say which measure it is."""
    if kpi_id is None:
        return page_title("All measures")()
    try:
        found = _public().get(kpi_id) if isinstance(kpi_id, str) else None
    except Exception:  # no snapshot yet, or it could not be read: the page says which
        return page_title("KPI")()
    return page_title(found.title if found else "KPI not found")()


dash.register_page(__name__, path=LIST_PATH, path_template="/kpi/<kpi_id>", name="KPI",
                   title=_title, order=90, nav=False,
                   description="One measure: what it is, how it is computed, its history, "
                   "its breakdowns and its data.")


def _public() -> dict[str, Definition]:
    _, found = snapshot_cached(definitions)()
    return {d.id: d for d in found}


@safe_layout
def layout(kpi_id: str | None = None, **query) -> html.Div:
    if kpi_id is None or kpi_id == "":
        return kpi_list(query.get("feedback"))
    found = _public().get(kpi_id) if isinstance(kpi_id, str) else None
    if found is None:
        return not_found(query.get("feedback"))
    return kpi_page(found, query)


# ---------------------------------------------------------------- one KPI


def kpi_page(d: Definition, query: dict) -> html.Div:
    snapshot, points = snapshot_cached(series)(d.id)
    _, origin = snapshot_cached(lineage)(d.id)
    _, initiatives = snapshot_cached(public_initiatives)(d.id)
    by = _breakdown(d, query.get("by"))
    return html.Div([
        html.H1(d.title, id="kpi-title"),
        html.P(d.description, className="lead", id="kpi-description"),
        latest_section(d, points),
        about_section(d),
        series_chart(d, points, marks=[Mark(i.start_date, i.title, f"#{initiative_id(i)}")
                                       for i in initiatives]),
        initiatives_section(initiatives),
        breakdown_section(d, by),
        values_section(d, points),
        embed_section(d, snapshot),
        lineage_section(d, origin, snapshot),
        dcc.Store(id=KPI_STORE, data=d.id),
        SYNC,
        feedback_form(page=f"/kpi/{d.id}", snapshot_id=snapshot.id, kpi_id=d.id,
                      status=query.get("feedback")),
    ])


def _breakdown(d: Definition, value: object) -> str | None:
    """The breakdown asked for if the KPI declares it, else its first; None if it has none."""
    if not d.breakdowns:
        return None
    options = [(b, BREAKDOWN_WORDS.get(b, b)) for b in d.breakdowns]
    return choice(value if isinstance(value, str) else None, options, d.breakdowns[0])


def target_words(d: Definition) -> str:
    """'Target: 90% or more; below 85% is off target, in between is near target.'"""
    target, amber = threshold(d, d.target), threshold(d, d.amber)
    if d.direction == "higher":
        return (f"Target: {target} or more; below {amber} is off target, in between is near "
                "target.")
    return f"Target: {target} or less; above {amber} is off target, in between is near target."


def change_words(d: Definition, point: Point, before: float | None, label: str | None
                 ) -> str | None:
    """'Up 2.1 points compared with Sep 2026 (better)'; None without an earlier value."""
    change = kpi_change(point.value, before, d.unit, d.decimals)
    if change is None or label is None:
        return None
    if change == "no change":
        return f"No change compared with {label}"
    better = (point.value > before) == (d.direction == "higher")
    return (f"{change[0].upper()}{change[1:]} compared with {label} "
            f"({'better' if better else 'worse'})")


def _year_ago_label(points: list[Point], latest: Point) -> str | None:
    start = latest.period_start
    wanted = start.replace(year=start.year - 1)
    return next((p.period_label for p in points if p.period_start == wanted), None)


def latest_section(d: Definition, points: list[Point]) -> html.Section:
    if not points:
        body = [html.P("No value yet", className="kpi-value"),
                html.P("This measure appears once its data has been loaded.")]
    else:
        latest = points[-1]
        year_ago = _year_ago_label(points, latest)
        changes = [change_words(d, latest, latest.previous_value, latest.previous_label),
                   change_words(d, latest, latest.year_ago_value,
                                year_ago and f"{year_ago}, a year before")]
        body = [
            html.P(shown(d, latest.value), className="kpi-value", id="kpi-latest-value"),
            html.P([html.Span(className=f"status-dot status-{latest.status}",
                              **{"aria-hidden": "true"}),
                    status_word(latest.status),
                    html.Span(f" · {target_words(d)}", className="kpi-target")],
                   className=f"kpi-status status-text-{latest.status}", id="kpi-latest-status"),
            html.P(f"In {latest.period_label}", className="kpi-asof"),
            html.Ul([html.Li(c) for c in changes if c] or [html.Li("First period published")],
                    className="kpi-changes", id="kpi-latest-changes"),
        ]
    return html.Section(id="kpi-latest", className="kpi-latest",
                        **{"aria-labelledby": "kpi-latest-title"}, children=[
        html.H2("Latest value", id="kpi-latest-title"), *body])


def about_section(d: Definition) -> html.Section:
    better = "A higher value is better." if d.direction == "higher" else \
        "A lower value is better."
    facts = [
        ("How it is measured", d.method),
        ("Target", f"{target_words(d)} {better}"),
        ("How often", f"{PERIOD_WORDS[d.period][0]}; only periods with complete data are "
         "shown."),
        ("Who answers for it", d.owner),
    ]
    return html.Section(id="kpi-about", className="kpi-about",
                        **{"aria-labelledby": "kpi-about-title"}, children=[
        html.H2("About this measure", id="kpi-about-title"),
        html.Dl([part for term, text in facts for part in (html.Dt(term), html.Dd(text))],
                className="kpi-facts"),
    ])


def initiative_id(initiative: PublicInitiative) -> str:
    """The element id of an initiative on the page, which its mark on the chart links to."""
    return f"initiative-{initiative.id}"


def initiatives_section(initiatives: list[PublicInitiative]) -> html.Section | None:
    """'What the city is doing about it': the public initiatives meant to move this measure,
    with what the data says they did; left out when there are none."""
    if not initiatives:
        return None
    return html.Section(id="kpi-initiatives", className="kpi-initiatives",
                        **{"aria-labelledby": "kpi-initiatives-title"}, children=[
        html.H2("What the city is doing about it", id="kpi-initiatives-title"),
        html.P("Changes departments made to how they work to move this measure, and what the "
               "data says each one did. The chart above marks when each started."),
        *[initiative_article(i) for i in initiatives],
        html.Details(className="kpi-initiatives-method", id="kpi-initiatives-method", children=[
            html.Summary("How we measure this"),
            html.Ol([html.Li(sentence) for sentence in METHOD]),
        ]),
        html.P(["Every public initiative, with its costs and measured effect, is also ",
                dcc.Link("open data", href=INITIATIVES_DATASET, id="kpi-initiatives-data"),
                "."]),
    ])


def initiative_article(i: PublicInitiative) -> html.Article:
    finding = i.finding
    when = (f"{_day(i.start_date)} to {_day(i.end_date)}" if i.end_date
            else f"Since {_day(i.start_date)}" if i.status == "running"
            else f"From {_day(i.start_date)}")
    costs = [f"{money(i.cost_once)} once" if i.cost_once else None,
             f"{money(i.cost_yearly)} a year" if i.cost_yearly else None]
    measured = ("the whole city" if finding.measured_on == "city-wide"
                else f"{finding.measured_on} (its own figures for this measure)")
    facts = [
        ("Department", i.department),
        *([("Led by", i.owner)] if i.owner else []),
        ("Status", INITIATIVE_STATUS.get(i.status, i.status)),
        ("When", when),
        ("Cost", " and ".join(c for c in costs if c) or "No cost recorded"),
        ("Meant to", "Bring this measure down" if finding.direction == "down"
         else "Raise this measure"),
        ("Measured on", measured),
    ]
    return html.Article(id=initiative_id(i), className="kpi-initiative",
                        **{"aria-labelledby": f"{initiative_id(i)}-title"}, children=[
        html.H3(i.title, id=f"{initiative_id(i)}-title"),
        html.P(i.change, className="kpi-initiative-change"),
        html.Dl([part for term, text in facts for part in (html.Dt(term), html.Dd(text))],
                className="kpi-facts kpi-initiative-facts"),
        html.P([html.Strong(f"{VERDICT_WORDS.get(finding.verdict, finding.verdict)}. "),
                finding.words],
               className=f"kpi-initiative-evidence verdict-{finding.verdict.replace(' ', '-')}"),
    ])


def _day(day: date) -> str:
    return f"{day:%-d %b %Y}"


def breakdown_section(d: Definition, by: str | None) -> html.Section:
    if by is None:
        body = [html.P("This measure is published for the whole city only; it has no "
                       "breakdown by group.", className="empty-note")]
    else:
        body = [
            html.Div(className="filters", id="kpi-filters", children=[select(
                BY_ID, "Break down by",
                [(b, BREAKDOWN_WORDS.get(b, b)) for b in d.breakdowns], by)]),
            html.Div(breakdown_chart(d, by), id=BREAKDOWN_ID),
        ]
    return html.Section(id="kpi-breakdown", className="kpi-breakdown",
                        **{"aria-labelledby": "kpi-breakdown-title"}, children=[
        html.H2("By group", id="kpi-breakdown-title"), *body])


def breakdown_chart(d: Definition, by: str) -> html.Section:
    """The latest period's value for every group of one breakdown, best first."""
    _, groups = snapshot_cached(latest_by)(d.id, by)
    word = BREAKDOWN_WORDS.get(by, by).lower()
    period = groups[0].period_label if groups else ""
    held = judged(groups)  # groups of a count or a dollar total have no target of their own
    summary = ""
    if groups:
        first, last = groups[0], groups[-1]
        if held:
            on = sum(g.status == "green" for g in groups)
            ranking = (f"{on} of {len(groups)} groups by {word} were on target; best was "
                       f"{first.breakdown_value}")
        else:
            ranking = f"highest first, {first.breakdown_value}"
        summary = (f"In {period}, {ranking} at {shown(d, first.value)}, and "
                   f"{'worst' if held else 'last'} {last.breakdown_value} at "
                   f"{shown(d, last.value)}.")
    figure = dict_figure([{
        "type": "bar", "x": [g.value for g in groups], "y": [g.breakdown_value for g in groups],
        "orientation": "h", "marker": {"color": PALETTE[0]}, "name": d.title,
        "customdata": [status_word(g.status) if held else "" for g in groups],
        "hovertemplate": "%{y}: %{x}<br>%{customdata}<extra></extra>",
    }], figure_layout(d, BREAKDOWN_WORDS.get(by, by), horizontal=True,
                       height=max(300, 120 + 30 * len(groups))))
    if held:
        target_line(figure, d.target, f"Target {threshold(d, d.target)}", axis="x")
    columns = [BREAKDOWN_WORDS.get(by, by), "Value"] + (["Status"] if held else [])
    rows = [(g.breakdown_value, shown(d, g.value), *([status_word(g.status)] if held else []))
            for g in groups]
    return accessible_chart(
        "kpi-breakdown-chart", f"By {word}, {period}" if period else f"By {word}", summary,
        figure, columns, rows, heading_level=3)


@dash.callback(Output(BREAKDOWN_ID, "children"), Input(BY_ID, "value"),
               State(KPI_STORE, "data"), prevent_initial_call=True)
def _redraw(by: str | None, kpi_id: str | None) -> html.Div:
    return safe_layout(_breakdown_view)(kpi_id=kpi_id, by=by)


def _breakdown_view(kpi_id: str | None, by: str | None) -> html.Section | html.P:
    found = _public().get(kpi_id) if isinstance(kpi_id, str) else None
    chosen = _breakdown(found, by) if found else None
    if chosen is None:
        return html.P("This measure has no breakdown.", className="empty-note")
    return breakdown_chart(found, chosen)


def values_section(d: Definition, points: list[Point]) -> html.Section:
    rows = [html.Tr([
        html.Th(p.period_label, scope="row"), html.Td(shown(d, p.value)),
        html.Td(status_word(p.status)),
        html.Td(kpi_change(p.value, p.previous_value, d.unit, d.decimals) or "–"),
    ]) for p in reversed(points)]
    table = html.Div(className="table-responsive", children=html.Table(
        className="table table-sm data-table", id="kpi-values-table", children=[
            html.Caption(f"{d.title}, city-wide, newest first"),
            html.Thead(html.Tr([html.Th(c, scope="col") for c in
                                ("Period", "Value", "Status", "Change on previous period")])),
            html.Tbody(rows),
        ])) if points else html.P("No values yet.", className="empty-note")
    return html.Section(id="kpi-values", className="kpi-values",
                        **{"aria-labelledby": "kpi-values-title"}, children=[
        html.H2("Every value", id="kpi-values-title"),
        html.P(html.A("Download the series (CSV)", href=download_path(d.id), id="kpi-download",
                      className="kpi-download"), className="kpi-download-line"),
        html.P("The file holds every value, city-wide and for every group, with its status, "
               "target and earlier values.", className="kpi-download-hint"),
        table,
    ])


def embed_section(d: Definition, snapshot: Snapshot) -> html.Section:
    """The code that shows this KPI's chart in another site's page (dashboards/embed_route.py)."""
    source = request.host_url.rstrip("/") + embed_path(d.id)
    title = escape(f"{d.title}: {context.settings().city_name} open data")
    snippet = (f'<iframe src="{source}" title="{title}" width="100%" height="820" '
               'style="border:0" loading="lazy"></iframe>')
    return html.Section(id="kpi-embed", className="kpi-embed",
                        **{"aria-labelledby": "kpi-embed-title"}, children=[
        html.H2("Embed this chart", id="kpi-embed-title"),
        html.P("To show this chart, its latest value and its data in an article, paste this "
               "code into the page. It shows the latest figures; to keep those of this data "
               f"version, add ?snapshot={snapshot.id} to the address (it works while the "
               "version is kept)."),
        html.Pre(html.Code(snippet), className="kpi-query", id="kpi-embed-code"),
    ])


def lineage_section(d: Definition, origin: Lineage | None, snapshot: Snapshot) -> html.Section:
    facts = [("Catalogue version", d.catalogue_version),
             ("Data version", f"Snapshot {snapshot.id}, published "
              f"{published(snapshot.published_at)}")]
    if origin is not None:
        facts += [
            ("Computed", origin.computed_at),
            ("Data loads (ETL runs)", ", ".join(origin.run_ids) or "None recorded"),
            ("Tables read", ", ".join(origin.tables) or "None"),
        ]
        if origin.note:
            facts.append(("Note", origin.note))
    query = origin.query if origin is not None else d.query
    return html.Section(id="kpi-lineage", className="kpi-lineage",
                        **{"aria-labelledby": "kpi-lineage-title"}, children=[
        html.H2("Where these figures come from", id="kpi-lineage-title"),
        html.Dl([part for term, text in facts for part in (html.Dt(term), html.Dd(text))],
                className="kpi-facts"),
        html.H3("The query", id="kpi-query-title"),
        html.P(f"In words: {d.method}"),
        html.P("In SQL, as run on the data version above (\u201c{by}\u201d stands for the "
               "group column of a breakdown, or nothing for the whole city):"
               if "{by}" in query else "In SQL, as run on the data version above:"),
        html.Pre(html.Code(query), className="kpi-query", id="kpi-query"),
    ])


# ---------------------------------------------------------------- not found, and the list


def not_found(status: str | None) -> html.Div:
    snapshot = context.reader().snapshot()
    return html.Div(id="kpi-not-found", children=[
        html.H1("KPI not found"),
        html.P("There is no published measure at this address. It may have been renamed or "
               "removed, or the address may be mistyped.", className="lead"),
        html.P(dcc.Link("See the list of all measures", href=LIST_PATH, id="kpi-list-link")),
        feedback_form(page=LIST_PATH, snapshot_id=snapshot.id if snapshot else None,
                      status=status),
    ])


def kpi_list(status: str | None) -> html.Div:
    snapshot, all_tiles = snapshot_cached(tiles)()
    sections = []
    for key, name in DOMAINS:
        items = [html.Li([
            dcc.Link(t.definition.title, href=f"/kpi/{t.definition.id}"),
            f": {shown(t.definition, t.latest.value)}, {status_word(t.latest.status).lower()}"
            f" ({t.latest.period_label})" if t.latest else ": no value yet",
        ]) for t in all_tiles if t.definition.domain == key]
        if items:
            sections.append(html.Section(id=f"kpi-list-{key}", className="kpi-list-domain",
                                         **{"aria-labelledby": f"kpi-list-{key}-title"},
                                         children=[html.H2(name, id=f"kpi-list-{key}-title"),
                                                   html.Ul(items, className="kpi-list")]))
    return html.Div(id="kpi-list", children=[
        html.H1("All measures"),
        html.P("Every measure the city publishes, with its latest value. Select one to see how "
               "it is computed, its history, its breakdowns and its data.", className="lead"),
        *(sections or [html.P("No measures have been published yet.")]),
        _callback_targets(),
        feedback_form(page=LIST_PATH, snapshot_id=snapshot.id, status=status),
    ])


def _callback_targets() -> html.Div:
    """The ids the KPI page's callbacks use, hidden and empty.

    Dash checks every callback against the layouts its pages give with no arguments, and with
    no id this page gives the list: without these it would report them missing."""
    return html.Div(hidden=True, children=[
        dbc.Select(id=BY_ID, options=[]), html.Div(id=BREAKDOWN_ID), dcc.Store(id=KPI_STORE),
        SYNC,
    ])
