"""Services: how many requests residents make, how fast they are dealt with, and permits.

The view is chosen by a breakdown (department, district, channel or request type), one group of
it or the whole city, and a period; all kept in the URL (`?by=district&group=Harbor&period=all`).
Volumes come from `kpis.service_facts`; the measures from the precomputed KPIs, shown only by
the breakdowns each KPI declares.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from typing import NamedTuple

import dash
from dash import Input, Output, State, html

from dashboards.cache import snapshot_cached
from dashboards.components.chart import (
    PALETTE,
    accessible_chart,
    base_layout,
    dict_figure,
    target_line,
)
from dashboards.components.feedback import feedback_form
from dashboards.components.filters import choice, select, url_sync
from dashboards.components.formatting import count, kpi_value, status_word
from dashboards.components.frame import page_title
from dashboards.components.kpi_tile import kpi_tile
from dashboards.components.states import safe_layout
from kpis import read, service_facts
from kpis.read import Definition, Point, judged
from kpis.service_facts import PERMIT_BREAKDOWNS, KpiPanel, MonthlyCount, MonthlyPermits

log = logging.getLogger(__name__)

PATH = "/services"
ALL = "all"
BREAKDOWNS = (("department", "Department"), ("district", "Council district"),
              ("channel", "Channel (how the request was made)"),
              ("request_type", "Request type"))
PLURAL = {"department": "departments", "district": "districts", "channel": "channels",
          "request_type": "request types"}
SINGULAR = {"department": "department", "district": "council district", "channel": "channel",
            "request_type": "request type"}
PERIODS = (("12m", "Last 12 months"), ("all", "All months"))
# The request measures, each with its own section; permits come after them.
REQUEST_KPIS = ("median_days_to_close", "on_time_rate", "backlog", "digital_takeup")
PERMIT_DAYS = "permit_processing_days"
TILES = (*REQUEST_KPIS, PERMIT_DAYS)
NOT_RECORDED = "Not recorded"
CHANNEL_COLOURS = {"Online": PALETTE[0], "Phone": PALETTE[1], "In person": PALETTE[2]}

dash.register_page(
    __name__, path=PATH, name="Services", title=page_title("Services"), order=2,
    description="Service requests: how many, how fast they are closed, the backlog, how "
                "residents ask; and how long permits take.")

URL_SYNC = url_sync(
    "services", {"by": "services-by", "group": "services-group", "period": "services-period"},
    {"by": "department", "group": ALL, "period": "12m"})


class Choice(NamedTuple):  # not a dataclass: Dash runs page modules outside sys.modules
    by: str
    group: str | None  # None: the whole city
    period: str
    groups: list[str]  # the breakdown's groups, for the select


def _text(value: object) -> str | None:
    """A query-string value as one string (a repeated key arrives as a list)."""
    return value if isinstance(value, str) else None


def _resolve(by: object, group: object, period: object
             ) -> tuple[str, Choice, service_facts.RequestVolumes]:
    """The snapshot id, the view asked for (bad values replaced by defaults) and its volumes."""
    chosen_by = choice(_text(by), BREAKDOWNS, "department")
    snapshot, volumes = snapshot_cached(service_facts.request_volumes)(chosen_by)
    groups = sorted({r.group for r in volumes.rows if r.group is not None})
    chosen_group = choice(_text(group), [(g, g) for g in groups], ALL)
    return snapshot.id, Choice(chosen_by, None if chosen_group == ALL else chosen_group,
                               choice(_text(period), PERIODS, "12m"), groups), volumes


def group_options(chosen: Choice) -> list[tuple[str, str]]:
    return [(ALL, "The whole city"), *[(g, g) for g in chosen.groups]]


@safe_layout
def layout(by: object = None, group: object = None, period: object = None,
           feedback: object = None, **_other: object) -> html.Div:
    snapshot_id, chosen, volumes = _resolve(by, group, period)
    head = [
        html.H1("Services"),
        html.P("How many service requests residents make, how quickly the city deals with "
               "them, how many are still waiting, and how long permits take. Figures are by "
               "calendar month.", className="lead"),
    ]
    foot = feedback_form(page=PATH, snapshot_id=snapshot_id, status=_text(feedback))
    if not volumes.rows:
        return html.Div([*head, html.Div(className="empty-state", role="status", children=[
            html.H2("No service requests have been published yet"),
            html.P("This page shows the city's service requests once they have been loaded."),
        ]), foot])
    return html.Div([
        *head,
        at_a_glance(),
        html.Div(className="filters", role="group", **{"aria-label": "Choose what to show"},
                 children=[
            select("services-by", "Break down by", BREAKDOWNS, chosen.by),
            select("services-group", "Requests for", group_options(chosen),
                   chosen.group or ALL),
            select("services-period", "Period", PERIODS, chosen.period),
        ]),
        html.P(showing(chosen), id="services-showing", className="visually-hidden",
               role="status", **{"aria-live": "polite"}),
        html.Div(view(chosen, volumes), id="services-view"),
        URL_SYNC,
        foot,
    ])


@dash.callback(Output("services-group", "options"), Output("services-group", "value"),
               Input("services-by", "value"), State("services-group", "value"),
               prevent_initial_call=True)
def regroup(by: str | None, group: str | None) -> tuple[list[dict], str]:
    """The breakdown changed: its groups become the choices (a second callback, not outputs of
    `rerender`, so that the URL callback sees the new group too)."""
    try:
        _, chosen, _ = _resolve(by, group, None)
    except Exception:
        log.exception("services: the groups of %r could not be read", by)
        return [{"value": ALL, "label": "The whole city"}], ALL
    return ([{"value": v, "label": t} for v, t in group_options(chosen)],
            chosen.group or ALL)


@dash.callback(Output("services-view", "children"), Output("services-showing", "children"),
               Input("services-by", "value"), Input("services-group", "value"),
               Input("services-period", "value"), prevent_initial_call=True)
def rerender(by: str | None, group: str | None, period: str | None) -> tuple[html.Div, str]:
    """A select changed: the charts for the new choice."""
    shown = _safe_view(by=by, group=group, period=period)
    try:
        words = showing(_resolve(by, group, period)[1])
    except Exception:  # the view above already says what went wrong
        words = ""
    return shown, words


@safe_layout
def _safe_view(by: str | None = None, group: str | None = None,
               period: str | None = None) -> html.Div:
    _, chosen, volumes = _resolve(by, group, period)
    return view(chosen, volumes)


def showing(chosen: Choice) -> str:
    period = "the last 12 months" if chosen.period == "12m" else "all months"
    return (f"Showing requests by {SINGULAR[chosen.by]} for "
            f"{chosen.group or 'the whole city'}, {period}.")


def at_a_glance() -> html.Section:
    """The latest month's measures for the whole city, as on the home page."""
    _, all_tiles = snapshot_cached(read.tiles)("public", "services")
    chosen = sorted((t for t in all_tiles if t.definition.id in TILES),
                    key=lambda t: TILES.index(t.definition.id))
    return html.Section(id="services-summary", className="mb-4",
                        **{"aria-labelledby": "services-summary-title"}, children=[
        html.H2("Latest month, whole city", id="services-summary-title"),
        html.Div([kpi_tile(t) for t in chosen], className="row g-3")
        if chosen else html.P("No measures have been published yet."),
    ])


def view(chosen: Choice, volumes: service_facts.RequestVolumes) -> html.Div:
    """Everything below the selects: volumes, the measures, permits."""
    rows = window_counts(volumes.rows, chosen.period)
    panels = {kpi_id: snapshot_cached(service_facts.kpi_panel)(kpi_id, chosen.by, chosen.group)[1]
              for kpi_id in (*REQUEST_KPIS, PERMIT_DAYS)}
    permit_by = chosen.by if chosen.by in PERMIT_BREAKDOWNS else None
    _, permits = snapshot_cached(service_facts.permit_volumes)(permit_by)
    return html.Div([
        volume_chart(chosen, rows, volumes.data_end),
        volume_by_chart(chosen, rows),
        *[kpi_section(chosen, panels[kpi_id], rows if kpi_id == "digital_takeup" else None)
          for kpi_id in REQUEST_KPIS if panels[kpi_id].definition is not None],
        permits_section(chosen, panels[PERMIT_DAYS], permits, permit_by),
    ])


# ------------------------------------------------------------------ period window

def months_before(day: date, months: int) -> date:
    """The first of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def window_counts(rows: tuple[MonthlyCount, ...], period: str) -> list[MonthlyCount]:
    if period != "12m" or not rows:
        return list(rows)
    start = months_before(max(r.month for r in rows), 11)
    return [r for r in rows if r.month >= start]


def window_points(points: tuple[Point, ...], period: str) -> list[Point]:
    if period != "12m" or not points:
        return list(points)
    start = months_before(max(p.period_start for p in points), 11)
    return [p for p in points if p.period_start >= start]


def for_group(rows: list[MonthlyCount], group: str | None) -> list[MonthlyCount]:
    return rows if group is None else [r for r in rows if r.group == group]


def period_words(period: str) -> str:
    return "the last 12 months" if period == "12m" else "all the months published"


# ------------------------------------------------------------------ volumes

def volume_chart(chosen: Choice, rows: list[MonthlyCount], data_end: object) -> html.Section:
    who = chosen.group or "Whole city"
    monthly: dict[date, int] = defaultdict(int)
    for r in for_group(rows, chosen.group):
        monthly[r.month] += r.requests
    months = sorted(monthly)
    layout = base_layout("Month", "Requests received")
    layout.update(showlegend=False)
    layout["xaxis"].update(tickformat="%b %Y", automargin=True)
    figure = dict_figure([{
        "type": "bar", "x": months, "y": [monthly[m] for m in months],
        "marker": {"color": PALETTE[0]}, "customdata": [count(monthly[m]) for m in months],
        "hovertemplate": "%{x|%b %Y}: %{customdata} requests<extra></extra>"}], layout)
    summary = ""
    if months:
        last = months[-1]
        before = _year_ago_words(last, monthly)
        summary = (f"{count(sum(monthly.values()))} requests were received in "
                   f"{period_words(chosen.period)}, {count(monthly[last])} of them in "
                   f"{last:%B %Y}" + (f", {before}." if before else "."))
    section = accessible_chart(
        "services-volume", f"Requests received per month: {who}", summary, figure,
        ["Month", "Requests received"], [(f"{m:%b %Y}", count(monthly[m])) for m in months])
    if months and isinstance(data_end, datetime) and data_end.date() < _last_day(months[-1]):
        section.children.insert(1, html.P(
            f"{months[-1]:%B %Y} is not over in this data (it runs to "
            f"{data_end.day} {data_end:%B %Y}): its figure is partial.",
            className="services-partial-note"))
    return section


def _year_ago_words(last: date, monthly: dict[date, int]) -> str:
    """Words comparing the latest month with the same month a year before, when both are in
    the window (the last 12 months leave the year before out)."""
    year_ago = months_before(last, 12)
    if year_ago not in monthly or not monthly[year_ago]:
        return ""
    change = monthly[last] / monthly[year_ago] - 1
    direction = "more" if change >= 0 else "fewer"
    return f"{abs(change):.1%} {direction} than in {year_ago:%B %Y}"


def _last_day(month: date) -> date:
    return date.fromordinal(months_before(month, -1).toordinal() - 1)


def volume_by_chart(chosen: Choice, rows: list[MonthlyCount]) -> html.Section:
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r.group or NOT_RECORDED] += r.requests
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    whole = sum(totals.values())
    names = [name for name, _ in ordered]
    figure = dict_figure([{
        "type": "bar", "y": names, "x": [n for _, n in ordered], "orientation": "h",
        "marker": {"color": [PALETTE[1] if name == chosen.group else PALETTE[0]
                             for name in names]},
        "customdata": [f"{count(n)} ({n / whole:.1%})" for _, n in ordered],
        "hovertemplate": "%{y}: %{customdata}<extra></extra>"}],
        _horizontal("Requests received", len(ordered)))
    summary = ""
    if ordered:
        top, top_n = ordered[0]
        summary = (f"Of {count(whole)} requests in {period_words(chosen.period)}, the most "
                   f"went to {top} ({count(top_n)}, {top_n / whole:.1%})")
        if chosen.group:
            mine = totals.get(chosen.group, 0)
            summary += (f"; {chosen.group} (highlighted) received {count(mine)} "
                        f"({mine / whole:.1%})")
        summary += "."
    return accessible_chart(
        "services-volume-by", f"Requests received by {SINGULAR[chosen.by]}", summary, figure,
        [SINGULAR[chosen.by].capitalize(), "Requests received", "Share"],
        [(name, count(n), f"{n / whole:.1%}") for name, n in ordered])


# ------------------------------------------------------------------ the measures

def kpi_section(chosen: Choice, panel: KpiPanel,
                channel_rows: list[MonthlyCount] | None = None) -> html.Section:
    """One measure: its latest value and status in words, its trend, the latest month by the
    chosen breakdown (where the measure is published by it)."""
    d = panel.definition
    key = f"services-{d.id.replace('_', '-')}"
    trend = window_points(panel.trend, chosen.period)
    children: list = [html.H2(d.title, id=f"{key}-title"), html.P(d.description)]
    if not panel.declared:
        children.append(html.P(
            f"This measure is not published by {SINGULAR[chosen.by]}: the figures below are "
            "for the whole city.", className="services-city-only"))
    latest = trend[-1] if trend else None
    if latest is not None:
        children.append(latest_line(d, latest, panel.member))
    charts = [trend_chart(f"{key}-trend", d, trend, panel.member)]
    if panel.declared:
        charts.append(latest_by_chart(f"{key}-by", d, panel.groups, chosen))
    if channel_rows is not None:
        charts.append(channel_chart(chosen, channel_rows))
    children.append(html.Div(className="row g-4", children=[
        html.Div(c, className="col-12 col-lg-6") for c in charts]))
    return html.Section(id=key, className="services-measure",
                        **{"aria-labelledby": f"{key}-title"}, children=children)


def latest_line(d: Definition, point: Point, member: str | None) -> html.P:
    """'Oct 2026, Police: 2.1 days · Off target · target 2.0 days'."""
    head = [html.Span(f"{point.period_label}, {member or 'whole city'}: ",
                      className="services-latest-when"),
            html.Strong(kpi_value(point.value, d.unit, d.decimals))]
    if not judged([point]):
        return html.P(className="services-latest", children=[
            *head, f" (the target of {kpi_value(d.target, d.unit, d.decimals)} is for the "
                   "whole city)"])
    return html.P(className="services-latest", children=[
        *head,
        " · ",
        html.Span(className=f"kpi-status status-text-{point.status}", children=[
            html.Span(className=f"status-dot status-{point.status}",
                      **{"aria-hidden": "true"}),
            status_word(point.status)]),
        html.Span(f" · target {kpi_value(d.target, d.unit, d.decimals)}",
                  className="kpi-target"),
    ])


def trend_chart(chart_id: str, d: Definition, points: list[Point],
                member: str | None) -> html.Section:
    who = member or "whole city"
    layout = base_layout("Month", _axis_title(d), y_format=_axis_format(d))
    layout.update(showlegend=False)
    layout["xaxis"].update(tickformat="%b %Y", automargin=True)
    figure = dict_figure([{
        "type": "scatter", "x": [p.period_start for p in points],
        "y": [p.value for p in points], "mode": "lines+markers",
        "line": {"color": PALETTE[0], "width": 2},
        "customdata": [f"{kpi_value(p.value, d.unit, d.decimals)} ({status_word(p.status)})"
                       for p in points],
        "hovertemplate": "%{x|%b %Y}: %{customdata}<extra></extra>"}], layout)
    fair = judged(points)
    if fair:
        target_line(figure, d.target, f"Target {kpi_value(d.target, d.unit, d.decimals)}")
    summary = ""
    if points:
        first, last = points[0], points[-1]
        on = sum(p.status == "green" for p in points)
        summary = (f"From {first.period_label} to {last.period_label}, {who}: "
                   f"{kpi_value(first.value, d.unit, d.decimals)} to "
                   f"{kpi_value(last.value, d.unit, d.decimals)}"
                   + (f"; on target in {on} of {len(points)} months." if fair else "."))
    columns = ["Month", d.title, *(["Status"] if fair else [])]
    return accessible_chart(
        chart_id, f"Monthly trend: {who}", summary, figure, columns,
        [(p.period_label, kpi_value(p.value, d.unit, d.decimals),
          *([status_word(p.status)] if fair else [])) for p in points], heading_level=3)


def latest_by_chart(chart_id: str, d: Definition, groups: tuple[Point, ...],
                    chosen: Choice) -> html.Section:
    latest_start = max((p.period_start for p in groups), default=None)
    fair = judged(groups)  # a group's count is a part of the city's: no target
    latest = sorted((p for p in groups if p.period_start == latest_start),
                    key=lambda p: (-p.value if d.direction == "higher" or not fair
                                   else p.value, p.breakdown_value))
    label = latest[0].period_label if latest else ""
    names = [p.breakdown_value for p in latest]
    figure = dict_figure([{
        "type": "bar", "y": names, "x": [p.value for p in latest], "orientation": "h",
        "marker": {"color": [PALETTE[1] if n == chosen.group else PALETTE[0] for n in names]},
        "customdata": [kpi_value(p.value, d.unit, d.decimals)
                       + (f" ({status_word(p.status)})" if fair else "") for p in latest],
        "hovertemplate": "%{y}: %{customdata}<extra></extra>"}],
        _horizontal(_axis_title(d), len(latest), _axis_format(d)))
    if fair:
        target_line(figure, d.target, f"Target {kpi_value(d.target, d.unit, d.decimals)}",
                    axis="x")
    summary = ""
    if latest:
        first, last = latest[0], latest[-1]
        first_words = (f"{first.breakdown_value} "
                       f"({kpi_value(first.value, d.unit, d.decimals)})")
        last_words = f"{last.breakdown_value} ({kpi_value(last.value, d.unit, d.decimals)})"
        if fair:
            on = sum(p.status == "green" for p in latest)
            summary = (f"In {label}, {on} of {len(latest)} {PLURAL[chosen.by]} were on "
                       f"target; best {first_words}, worst {last_words}.")
        else:
            summary = (f"In {label}, the most were in {first_words} and the fewest in "
                       f"{last_words}. The target is for the whole city, so no "
                       f"{SINGULAR[chosen.by]} is held to it.")
        if chosen.group:
            summary += f" {chosen.group} is highlighted."
    columns = [SINGULAR[chosen.by].capitalize(), d.title, *(["Status"] if fair else [])]
    return accessible_chart(
        chart_id, f"{label or 'Latest month'} by {SINGULAR[chosen.by]}", summary, figure,
        columns, [(p.breakdown_value, kpi_value(p.value, d.unit, d.decimals),
                   *([status_word(p.status)] if fair else [])) for p in latest],
        heading_level=3)


def channel_chart(chosen: Choice, rows: list[MonthlyCount]) -> html.Section:
    """How requests were made, as each channel's share of the month's requests."""
    by_month: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in for_group(rows, chosen.group):
        by_month[r.month][r.channel or NOT_RECORDED] += r.requests
    months = sorted(by_month)
    channels = sorted({c for m in months for c in by_month[m]},
                      key=lambda c: (c not in CHANNEL_COLOURS, list(CHANNEL_COLOURS).index(c)
                                     if c in CHANNEL_COLOURS else 0, c))
    share = {(m, c): by_month[m][c] / sum(by_month[m].values()) for m in months
             for c in channels}
    traces = [{
        "type": "bar", "name": channel, "x": months, "y": [share[(m, channel)] for m in months],
        "marker": {"color": CHANNEL_COLOURS.get(channel, PALETTE[3 + index % 4])},
        "customdata": [f"{share[(m, channel)]:.1%} ({count(by_month[m][channel])})"
                       for m in months],
        "hovertemplate": f"{channel}: %{{customdata}}<extra></extra>"}
        for index, channel in enumerate(channels)]
    layout = base_layout("Month", "Share of requests (%)", y_format=".0%")
    layout.update(barmode="stack", legend={"orientation": "h", "x": 0, "y": 1.02,
                                          "yanchor": "bottom", "traceorder": "normal"},
                  margin={"l": 64, "r": 16, "t": 56, "b": 56})
    layout["xaxis"].update(tickformat="%b %Y", automargin=True)
    figure = dict_figure(traces, layout)
    who = chosen.group or "whole city"
    summary = ""
    if months:
        last = months[-1]
        parts = ", ".join(f"{c} {share[(last, c)]:.1%}" for c in channels)
        summary = f"How requests were made in {last:%B %Y} ({who}): {parts}."
    return accessible_chart(
        "services-channels", f"How requests were made: {who}", summary, figure,
        ["Month", *channels],
        [(f"{m:%b %Y}", *[f"{share[(m, c)]:.1%}" for c in channels]) for m in months],
        heading_level=3)


# ------------------------------------------------------------------ permits

def permits_section(chosen: Choice, panel: KpiPanel, permits: list[MonthlyPermits],
                    permit_by: str | None) -> html.Section:
    d = panel.definition
    children: list = [
        html.H2("Permits", id="services-permits-title"),
        html.P("Building, electrical and other permits: how many are applied for and issued, "
               "and how long residents and builders wait for one."),
    ]
    if permit_by is None:
        children.append(html.P(
            f"Permits are not recorded by {SINGULAR[chosen.by]}: the figures below are for "
            "the whole city.", className="services-city-only"))
    charts = []
    if d is not None:
        trend = window_points(panel.trend, chosen.period)
        if trend:
            children.append(latest_line(d, trend[-1], panel.member))
        charts.append(trend_chart("services-permit-days-trend", d, trend, panel.member))
        if panel.declared:
            charts.append(latest_by_chart("services-permit-days-by", d, panel.groups, chosen))
    charts.append(permit_volume_chart(chosen, permits, permit_by))
    children.append(html.Div(className="row g-4", children=[
        html.Div(c, className="col-12 col-lg-6") for c in charts]))
    return html.Section(id="services-permits", **{"aria-labelledby": "services-permits-title"},
                        children=children)


def permit_volume_chart(chosen: Choice, permits: list[MonthlyPermits],
                        permit_by: str | None) -> html.Section:
    member = chosen.group if permit_by else None
    applied: dict[date, int] = defaultdict(int)
    issued: dict[date, int] = defaultdict(int)
    for p in permits:
        if member is None or p.group == member:
            applied[p.month] += p.applied
            issued[p.month] += p.issued
    months = sorted(set(applied) | set(issued))
    if chosen.period == "12m" and months:
        start = months_before(months[-1], 11)
        months = [m for m in months if m >= start]
    traces = [{"type": "bar", "name": name, "x": months, "y": [values[m] for m in months],
               "marker": {"color": colour}, "customdata": [count(values[m]) for m in months],
               "hovertemplate": f"{name}: %{{customdata}}<extra></extra>"}
              for name, values, colour in (("Applied for", applied, PALETTE[0]),
                                           ("Issued", issued, PALETTE[1]))]
    layout = base_layout("Month", "Permits")
    layout.update(barmode="group", legend={"orientation": "h", "x": 0, "y": 1.02,
                                          "yanchor": "bottom"},
                  margin={"l": 64, "r": 16, "t": 56, "b": 56})
    layout["xaxis"].update(tickformat="%b %Y", automargin=True)
    figure = dict_figure(traces, layout)
    who = member or "whole city"
    summary = ""
    if months:
        summary = (f"In {period_words(chosen.period)} ({who}): "
                   f"{count(sum(applied[m] for m in months))} permits applied for and "
                   f"{count(sum(issued[m] for m in months))} issued; in {months[-1]:%B %Y}, "
                   f"{count(applied[months[-1]])} and {count(issued[months[-1]])}.")
    return accessible_chart(
        "services-permits-volume", f"Permits applied for and issued: {who}", summary, figure,
        ["Month", "Applied for", "Issued"],
        [(f"{m:%b %Y}", count(applied[m]), count(issued[m])) for m in months],
        heading_level=3)


# ------------------------------------------------------------------ chart helpers

def _axis_title(d: Definition) -> str:
    return {"percent": f"{d.title} (%)", "days": "Days", "count": "Requests open",
            "usd": "US dollars"}.get(d.unit, d.title)


def _axis_format(d: Definition) -> str | None:
    return ".0%" if d.unit == "percent" else None


def _horizontal(x_title: str, bars: int, x_format: str | None = None) -> dict:
    """Layout for a horizontal bar chart: one row a group, best or largest at the top."""
    layout = base_layout(x_title, "", height=max(200, 90 + 26 * bars))
    layout["xaxis"].update(tickformat=x_format, rangemode="tozero")
    layout["yaxis"].update(autorange="reversed", automargin=True, rangemode=None)
    layout.update(hovermode="closest", showlegend=False)
    return layout
