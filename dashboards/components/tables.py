"""A wide table that scrolls sideways in its own box on a narrow screen, reachable by keyboard."""

from __future__ import annotations

from dash import html


def scrolling(table: html.Table, label: str) -> html.Div:
    """The table in a focusable, named region, so keyboard users can scroll it too."""
    return html.Div(table, className="table-responsive", tabIndex="0", role="region",
                    **{"aria-label": label})
