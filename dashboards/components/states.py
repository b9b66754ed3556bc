"""What a page shows when there is no data yet, or when building it failed."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from dash import html

from warehouse.reader import NoSnapshotError

log = logging.getLogger(__name__)


def no_data() -> html.Div:
    return html.Div(className="empty-state", role="status", children=[
        html.H2("No data has been published yet"),
        html.P(["The figures appear here after the first data load. Operators: run ",
                html.Code("python -m etl run"), " (or ", html.Code("make run"), ")."]),
    ])


def failed() -> html.Div:
    return html.Div(className="empty-state", role="alert", children=[
        html.H2("This page could not be shown"),
        html.P("Something went wrong on our side; it has been logged. Please try again later."),
    ])


def safe_layout(build: Callable[..., html.Div]) -> Callable[..., html.Div]:
    """Wrap a page's layout so a visitor sees a plain message, never a traceback."""

    @functools.wraps(build)
    def layout(**kwargs) -> html.Div:
        try:
            return build(**kwargs)
        except NoSnapshotError:
            return no_data()
        except Exception:
            log.exception("page layout %s failed", build.__module__)
            return failed()

    return layout
