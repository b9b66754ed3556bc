"""Community: the platform's members and contributors, practices, events, feedback, satisfaction.

The window (the last 12 months, or every month) is in the query string (`?months=all`); the
charts are drawn in the layout with their data and re-drawn by one callback when it changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import dash
from dash import Input, Output, html

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
from dashboards.components.formatting import count
from dashboards.components.frame import page_title
from dashboards.components.kpi_tile import kpi_tile
from dashboards.components.states import safe_layout
from kpis.engagement_facts import (
    MIN_SCORES,
    WINDOW_MONTHS,
    ActivityMonth,
    EngagementFacts,
    FeedbackMonth,
    engagement_facts,
    window,
)
from kpis.read import Definition, tiles

PATH = "/engagement"
dash.register_page(__name__, path=PATH, name="Community", title=page_title("Community"),
                   order=3, description="The city's community platform and this site's "
                   "visitors: members, contributors, practices, events, feedback.")

MONTHS_ID = "engagement-months"
CHARTS_ID = "engagement-charts"
ALL = "all"
DEFAULT = str(WINDOW_MONTHS)
WINDOWS = ((DEFAULT, f"Last {WINDOW_MONTHS} months"), (ALL, "All months"))
SYNC = url_sync("engagement", {"months": MONTHS_ID}, {"months": DEFAULT})

# Which KPI's target a chart draws as a dashed line.
TARGET_OF = {"contributors": "active_contributors", "webinars": "webinar_attendance",
             "downloads": "open_data_downloads", "satisfaction": "member_satisfaction"}


@safe_layout
def layout(**query) -> html.Div:
    months = _months(query.get("months"))
    snapshot, engagement_tiles = snapshot_cached(tiles)("public", "engagement")
    return html.Div([
        html.H1("Community engagement"),
        html.P("How residents, city staff and partners take part: who joins the city's "
               "community platform and contributes to it, the ways of working they share and "
               "put into use, webinars, downloads of the city's open data, and what visitors "
               "to this site tell us.", className="lead"),
        html.Section(id="engagement-kpis", className="theme",
                     **{"aria-labelledby": "engagement-kpis-title"}, children=[
            html.H2("Community measures", id="engagement-kpis-title"),
            html.Div([kpi_tile(t) for t in engagement_tiles], className="row g-3")
            if engagement_tiles else html.P("No community measures have been published yet."),
        ]),
        html.Div(className="filters", id="engagement-filters", children=[
            select(MONTHS_ID, "Months shown in the charts", WINDOWS, months),
        ]),
        html.Div(charts(months), id=CHARTS_ID),
        SYNC,
        feedback_form(page=PATH, snapshot_id=snapshot.id, status=query.get("feedback")),
    ])


@dash.callback(Output(CHARTS_ID, "children"), Input(MONTHS_ID, "value"),
               prevent_initial_call=True)
def _redraw(months: str | None) -> html.Div:
    return safe_layout(charts)(months=_months(months))


def _months(value: object) -> str:
    """The window asked for in the query string, or the default for anything else."""
    return choice(value if isinstance(value, str) else None, WINDOWS, DEFAULT)


def charts(months: str = DEFAULT) -> html.Div:
    """Every chart of the page for the window `months` ("12" or "all")."""
    _, facts = snapshot_cached(engagement_facts)()
    _, engagement_tiles = snapshot_cached(tiles)("public", "engagement")
    targets = {t.definition.id: t.definition for t in engagement_tiles}
    shown = window(facts, None if months == ALL else WINDOW_MONTHS)
    if not shown.activity and not shown.feedback:
        return html.Div(html.P("No community data has been loaded yet. The charts appear "
                               "after the first load of the platform's records.",
                               className="empty-note"))
    activity, feedback = shown.activity, shown.feedback
    return html.Div([
        html.P(_period_sentence(shown), className="engagement-period", id="engagement-period"),
        _group("engagement-members", "Members", [
            _signups(activity), _members(activity)]),
        _group("engagement-taking-part", "Taking part", [
            _contributors(activity, targets.get(TARGET_OF["contributors"])),
            _practices(activity),
            _webinars(activity, targets.get(TARGET_OF["webinars"])),
            _downloads(activity, targets.get(TARGET_OF["downloads"]))]),
        _group("engagement-feedback-satisfaction", "Feedback and satisfaction", [
            _feedback(feedback),
            _satisfaction(activity, targets.get(TARGET_OF["satisfaction"]))]),
    ])


def _group(group_id: str, title: str, blocks: list[html.Section]) -> html.Section:
    return html.Section(id=group_id, className="engagement-group",
                        **{"aria-labelledby": f"{group_id}-title"}, children=[
        html.H2(title, id=f"{group_id}-title"),
        html.Div([html.Div(block, className="col-12 col-lg-6") for block in blocks],
                 className="row g-4"),
    ])


def _period_sentence(facts: EngagementFacts) -> str:
    months = sorted({row.month for row in (*facts.activity, *facts.feedback)})
    return (f"The charts show {len(months)} months, from {_long(months[0])} to "
            f"{_long(months[-1])}, the latest month with complete records.")


# ---------------------------------------------------------------- charts


def _month(day: date) -> str:
    return day.strftime("%b %Y")


def _long(day: date) -> str:
    return day.strftime("%B %Y")


def _span(rows: Sequence[ActivityMonth | FeedbackMonth]) -> str:
    return f"from {_long(rows[0].month)} to {_long(rows[-1].month)}"


def _layout(y_title: str, y_format: str | None = ",d", **extra) -> dict:
    figure_layout = base_layout("Month", y_title, y_format, height=300)
    figure_layout["xaxis"] |= {"tickformat": "%b %Y", "type": "date"}
    for key, value in extra.items():
        figure_layout[key] = figure_layout[key] | value if key in figure_layout else value
    return figure_layout


def _target_line(figure: dict, definition: Definition | None, words: str) -> None:
    if definition is not None:
        target_line(figure, definition.target, f"Target {words}")


def _peak(rows: Sequence[ActivityMonth], value: str) -> ActivityMonth:
    return max(rows, key=lambda row: (getattr(row, value), row.month))


def _signups(rows: Sequence[ActivityMonth]) -> html.Section:
    total = sum(r.sign_ups for r in rows)
    summary = "No one signed up in these months."
    if rows and total:
        peak = _peak(rows, "sign_ups")
        summary = (f"{count(total)} people joined the platform {_span(rows)}; the most in "
                   f"{_long(peak.month)}, with {count(peak.sign_ups)}.")
    figure = dict_figure([{"type": "bar", "x": [r.month for r in rows],
                           "y": [r.sign_ups for r in rows], "name": "New members",
                           "marker": {"color": PALETTE[0]}}], _layout("New members"))
    return accessible_chart("engagement-signups", "New members each month", summary, figure,
                            ["Month", "New members"],
                            [(_month(r.month), count(r.sign_ups)) for r in rows], 3)


def _members(rows: Sequence[ActivityMonth]) -> html.Section:
    summary = ""
    if rows:
        summary = (f"The platform had {count(rows[-1].members)} members at the end of "
                   f"{_long(rows[-1].month)}, against {count(rows[0].members)} at the end of "
                   f"{_long(rows[0].month)}.")
    figure = dict_figure([{"type": "scatter", "x": [r.month for r in rows],
                           "y": [r.members for r in rows], "mode": "lines+markers",
                           "name": "Members", "line": {"color": PALETTE[0], "width": 3}}],
                         _layout("Members"))
    return accessible_chart("engagement-members-total", "Members in total", summary, figure,
                            ["End of month", "Members"],
                            [(_month(r.month), count(r.members)) for r in rows], 3)


def _contributors(rows: Sequence[ActivityMonth], target: Definition | None) -> html.Section:
    summary = ""
    if rows:
        peak = _peak(rows, "contributors")
        summary = (f"{count(rows[-1].contributors)} members posted or shared a practice in "
                   f"{_long(rows[-1].month)}; the most {_span(rows)} was "
                   f"{count(peak.contributors)}, in {_long(peak.month)}.")
        if target is not None:
            met = sum(r.contributors >= target.target for r in rows)
            summary += (f" The target of {count(target.target)} was met in {met} of "
                        f"{len(rows)} months.")
    figure = dict_figure([{"type": "scatter", "x": [r.month for r in rows],
                           "y": [r.contributors for r in rows], "mode": "lines+markers",
                           "name": "Active contributors",
                           "line": {"color": PALETTE[0], "width": 3}}],
                         _layout("Active contributors"))
    _target_line(figure, target, count(target.target) if target else "")
    return accessible_chart("engagement-contributors", "Active contributors each month",
                            summary, figure, *_with_target(
                                ["Month", "Active contributors"],
                                [(_month(r.month), count(r.contributors)) for r in rows], target,
                                count), heading_level=3)


def _practices(rows: Sequence[ActivityMonth]) -> html.Section:
    shared = sum(r.practices_shared for r in rows)
    used = sum(r.practices_implemented for r in rows)
    summary = (f"{count(shared)} practices were shared and {count(used)} reported put into use "
               f"{_span(rows)}." if rows else "")
    months = [r.month for r in rows]
    figure = dict_figure([
        {"type": "bar", "x": months, "y": [r.practices_shared for r in rows], "name": "Shared",
         "marker": {"color": PALETTE[0]}},
        # A hatch as well as a colour, so the two bars differ without colour vision too.
        {"type": "bar", "x": months, "y": [r.practices_implemented for r in rows],
         "name": "Put into use", "marker": {"color": PALETTE[1], "pattern": {"shape": "/"}}},
    ], _layout("Practices", barmode="group"))
    return accessible_chart("engagement-practices", "Practices shared and put into use",
                            summary, figure, ["Month", "Shared", "Put into use"],
                            [(_month(r.month), count(r.practices_shared),
                              count(r.practices_implemented)) for r in rows], 3)


def _webinars(rows: Sequence[ActivityMonth], target: Definition | None) -> html.Section:
    total = sum(r.webinar_attendances for r in rows)
    summary = ""
    if rows:
        peak = _peak(rows, "webinar_attendances")
        summary = (f"{count(total)} webinar places were taken {_span(rows)}; the most in "
                   f"{_long(peak.month)}, with {count(peak.webinar_attendances)}.")
    figure = dict_figure([{"type": "bar", "x": [r.month for r in rows],
                           "y": [r.webinar_attendances for r in rows],
                           "name": "Webinar attendances", "marker": {"color": PALETTE[2]}}],
                         _layout("Attendances"))
    _target_line(figure, target, count(target.target) if target else "")
    return accessible_chart("engagement-webinars", "Webinar attendances each month", summary,
                            figure, *_with_target(
                                ["Month", "Attendances"],
                                [(_month(r.month), count(r.webinar_attendances)) for r in rows],
                                target, count), heading_level=3)


def _downloads(rows: Sequence[ActivityMonth], target: Definition | None) -> html.Section:
    total = sum(r.downloads for r in rows)
    summary = ""
    if rows:
        peak = _peak(rows, "downloads")
        summary = (f"The city's open data was downloaded {count(total)} times {_span(rows)}; "
                   f"the most in {_long(peak.month)}, {count(peak.downloads)} times.")
    figure = dict_figure([{"type": "bar", "x": [r.month for r in rows],
                           "y": [r.downloads for r in rows], "name": "Downloads",
                           "marker": {"color": PALETTE[0]}}], _layout("Downloads"))
    _target_line(figure, target, count(target.target) if target else "")
    return accessible_chart("engagement-downloads", "Open-data downloads each month", summary,
                            figure, *_with_target(
                                ["Month", "Downloads"],
                                [(_month(r.month), count(r.downloads)) for r in rows], target,
                                count), heading_level=3)


def _feedback(rows: Sequence[FeedbackMonth]) -> html.Section:
    yes, no = sum(r.useful_yes for r in rows), sum(r.useful_no for r in rows)
    comments = sum(r.comment_only for r in rows)
    summary = ""
    if rows:
        share = f", {yes / (yes + no):.0%} of them yes" if yes + no else ""
        summary = (f"Visitors answered \"Was this page useful?\" {count(yes + no)} times "
                   f"{_span(rows)}{share}; {count(comments)} more left a comment only.")
    months = [r.month for r in rows]
    figure = dict_figure([
        {"type": "bar", "x": months, "y": [r.useful_yes for r in rows], "name": "Yes, useful",
         "marker": {"color": PALETTE[0]}},
        {"type": "bar", "x": months, "y": [r.useful_no for r in rows], "name": "Not useful",
         "marker": {"color": PALETTE[1], "pattern": {"shape": "/"}}},
        {"type": "bar", "x": months, "y": [r.comment_only for r in rows],
         "name": "Comment only", "marker": {"color": PALETTE[4], "pattern": {"shape": "."}}},
    ], _layout("Answers", barmode="stack"))
    return accessible_chart("engagement-feedback", "Feedback on this site each month", summary,
                            figure, ["Month", "Yes, useful", "Not useful", "Comment only",
                                     "Total"],
                            [(_month(r.month), count(r.useful_yes), count(r.useful_no),
                              count(r.comment_only), count(r.total)) for r in rows], 3)


def _satisfaction(rows: Sequence[ActivityMonth], target: Definition | None) -> html.Section:
    scored = [r for r in rows if r.satisfaction is not None]
    summary = "Too few members gave a score in these months to show an average."
    if scored:
        last = scored[-1]
        low = min(scored, key=lambda r: (r.satisfaction, r.month))
        summary = (f"Members rated the platform {last.satisfaction:.2f} out of 5 on average in "
                   f"{_long(last.month)}; the lowest month {_span(rows)} was "
                   f"{_long(low.month)}, at {low.satisfaction:.2f}.")
        if target is not None:
            met = sum(r.satisfaction >= target.target for r in scored)
            summary += (f" The target of {target.target:.1f} was met in {met} of "
                        f"{len(scored)} months.")
        if len(scored) < len(rows):
            summary += (f" Months with fewer than {MIN_SCORES} scores have no average "
                        "(too few to show).")
    figure = dict_figure([{"type": "scatter", "x": [r.month for r in scored],
                           "y": [r.satisfaction for r in scored], "mode": "lines+markers",
                           "name": "Average score", "line": {"color": PALETTE[0], "width": 3}}],
                         _layout("Average score (1 to 5)", ".1f",
                                 yaxis={"range": [1, 5], "rangemode": "normal"}))
    _target_line(figure, target, f"{target.target:.1f}" if target else "")
    return accessible_chart("engagement-satisfaction", "Members' satisfaction each month",
                            summary, figure, *_with_target(
                                ["Month", "Average score (1 to 5)"],
                                [(_month(r.month), f"{r.satisfaction:.2f}") for r in scored],
                                target, lambda v: f"{v:.1f}"),
                            heading_level=3)


def _with_target(columns: list[str], rows: list[tuple], target: Definition | None,
                 shown) -> tuple[list[str], list[tuple]]:
    """The table's columns and rows, with the target line's value when one is drawn."""
    if target is None:
        return columns, rows
    return [*columns, "Target"], [(*row, shown(target.target)) for row in rows]
