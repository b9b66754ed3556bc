"""A KPI's values over time as an accessible chart, with the starts of initiatives marked.

Shared by the public KPI page, the embeddable chart and the internal initiative pages. An
initiative's start is a dashed vertical line labelled with its title, the label a link; since
a link inside the plot's SVG is no use to a keyboard or a screen reader, each mark is also a
plain link under the chart and a column of the chart's data table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from dash import html

from dashboards.components.chart import (
    PALETTE,
    accessible_chart,
    base_layout,
    dict_figure,
    target_line,
)
from dashboards.components.formatting import kpi_value, status_word
from kpis.read import Definition, Point

PERIOD_WORDS = {"month": ("Every month", "months"), "quarter": ("Every quarter", "quarters"),
                "fiscal_year": ("Every fiscal year", "fiscal years")}
UNIT_AXIS = {"percent": ("Per cent", ".0%"), "usd": ("US dollars", "$,.0f"),
             "days": ("Days", ",.1f"), "hours": ("Hours", ",.1f"), "count": ("Number", ",d"),
             "score": ("Score (1 to 5)", ".1f")}
MARK_COLOUR = PALETTE[5]
MARK_TEXT = "#8a3b00"  # the mark's colour, dark enough for text on white


@dataclass(frozen=True)
class Mark:
    """An initiative's start, to mark on a KPI's chart."""

    start: date
    title: str
    href: str  # the initiative's page (or its place on the page)


def shown(d: Definition, value: float | None) -> str:
    return kpi_value(value, d.unit, d.decimals)


def threshold(d: Definition, value: float) -> str:
    """A target or threshold with no needless zeros: 90%, not 90.0%."""
    scale = 100 if d.unit == "percent" else 1
    places = next(p for p in range(d.decimals + 1)
                  if round(value * scale, p) == round(value * scale, d.decimals))
    return kpi_value(value, d.unit, places)


def x_values(d: Definition, points: list[Point]) -> list:
    # Fiscal years read best as their names; months and quarters on a date axis.
    return [p.period_label if d.period == "fiscal_year" else p.period_start for p in points]


def figure_layout(d: Definition, x_title: str, horizontal: bool = False, **extra) -> dict:
    value_title, value_format = UNIT_AXIS.get(d.unit, ("Value", None))
    if horizontal:
        layout = base_layout(value_title, x_title, None, **extra)
        layout["xaxis"] |= {"tickformat": value_format, "rangemode": "tozero"}
        layout["yaxis"] |= {"autorange": "reversed", "automargin": True, "type": "category"}
        layout["hovermode"] = "closest"
        return layout
    layout = base_layout(x_title, value_title, value_format, **extra)
    # A line need not start at zero; small moves around the target stay visible.
    layout["yaxis"] |= {"rangemode": "normal"}
    if d.period == "fiscal_year":
        layout["xaxis"] |= {"type": "category"}
    else:
        layout["xaxis"] |= {"type": "date", "tickformat": "%b %Y"}
    return layout


def series_chart(d: Definition, points: list[Point], marks: Sequence[Mark] = (),
                 chart_id: str = "kpi-series") -> html.Section:
    """The KPI's city-wide values over time against its target, initiatives' starts marked."""
    summary = ""
    if points:
        first, last = points[0], points[-1]
        on_target = sum(p.status == "green" for p in points)
        summary = (f"{d.title} went from {shown(d, first.value)} in {first.period_label} to "
                   f"{shown(d, last.value)} in {last.period_label}; it was on target in "
                   f"{on_target} of {len(points)} {PERIOD_WORDS[d.period][1]}.")
    figure = dict_figure([{
        "type": "scatter", "x": x_values(d, points), "y": [p.value for p in points],
        "mode": "lines+markers", "name": d.title, "line": {"color": PALETTE[0], "width": 3},
        "customdata": [status_word(p.status) for p in points],
        "hovertemplate": "%{y}<br>%{customdata}<extra></extra>",
    }], figure_layout(d, "Period"))
    target_line(figure, d.target, f"Target {threshold(d, d.target)}")
    on_chart = _within(d, points, marks)
    for number, mark in enumerate(on_chart):
        _draw_mark(figure, d, points, mark, number)
    if on_chart:  # plotly widens its autorange to fit the labels: keep the axis to the data
        figure["layout"]["xaxis"]["range"] = _x_range(d, points)
    started = {p.period_label: "; ".join(m.title for m in on_chart if _period_of(points, m) is p)
               for p in points}
    columns = ["Period", "Value", "Target"] + (["Initiative started"] if on_chart else [])
    rows = [(p.period_label, shown(d, p.value), threshold(d, d.target),
             *([started[p.period_label]] if on_chart else [])) for p in points]
    chart = accessible_chart(chart_id, f"{d.title} over time", summary, figure, columns, rows)
    if on_chart:
        chart.children.insert(2, html.P(className="chart-marks", id=f"{chart_id}-marks", children=[
            "Initiatives marked on the chart: ",
            *_joined([html.A(f"{m.title} (started {m.start:%-d %b %Y})", href=m.href)
                      for m in on_chart])]))
    return chart


def _within(d: Definition, points: list[Point], marks: Sequence[Mark]) -> list[Mark]:
    """The marks whose start falls within the plotted periods, oldest first."""
    if not points:
        return []
    return sorted((m for m in marks if _period_of(points, m) is not None), key=lambda m: m.start)


def _period_of(points: list[Point], mark: Mark) -> Point | None:
    """The plotted period the start falls in (the last one starting on or before it)."""
    before = [p for p in points if p.period_start <= mark.start]
    if not before or (before[-1] is points[-1] and mark.start > _end_guess(points)):
        return None
    return before[-1]


def _end_guess(points: list[Point]) -> date:
    """About where the last plotted period ends: as long after it starts as the one before."""
    if len(points) < 2:
        return points[-1].period_start
    last, previous = points[-1].period_start, points[-2].period_start
    return last + (last - previous)


def _draw_mark(figure: dict, d: Definition, points: list[Point], mark: Mark, number: int
               ) -> None:
    """A dotted line at the start and its label, a link; labels of later marks step down so
    that starts close together stay readable, and a start in the right half of the plot is
    labelled to its left so the label is not cut off at the edge."""
    period = _period_of(points, mark)
    x = period.period_label if d.period == "fiscal_year" else mark.start.isoformat()
    right_half = points.index(period) >= len(points) / 2
    layout = figure.setdefault("layout", {})
    layout.setdefault("shapes", []).append(
        {"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
         "line": {"dash": "dot", "color": MARK_COLOUR, "width": 2}})
    layout.setdefault("annotations", []).append(
        {"xref": "x", "x": x, "yref": "paper", "y": 1, "yanchor": "top",
         "xanchor": "right" if right_half else "left", "yshift": -18 * number,
         "showarrow": False, "bgcolor": "rgba(255,255,255,0.85)",
         "hovertext": escape(mark.title),
         "text": f'<a href="{escape(mark.href)}" target="_self" style="color:{MARK_TEXT}">'
                 f"{escape(_short(mark.title))}</a>"})


def _short(title: str, most: int = 28) -> str:
    """A label short enough for a phone's chart (the full title is in the list under it)."""
    return title if len(title) <= most else title[:most - 1].rstrip() + "…"


def _x_range(d: Definition, points: list[Point]) -> list:
    """The plotted periods and half a period either side."""
    if d.period == "fiscal_year":
        return [-0.5, len(points) - 0.5]
    half = (points[-1].period_start - points[0].period_start) / max(len(points) - 1, 1) / 2
    return [(points[0].period_start - half).isoformat(),
            (points[-1].period_start + half).isoformat()]


def _joined(links: list[html.A]) -> list:
    parts: list = []
    for number, link in enumerate(links):
        parts += ([" · "] if number else []) + [link]
    return parts
