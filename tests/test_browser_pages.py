"""Every public page in a real Chromium (Debian's, driven by Playwright) over one published
sample city: it loads with no console, page or HTTP error, axe-core finds no serious or
critical problem, it fits a 375 px phone; each filter updates its charts and the URL, the URL
restores the view and Back brings the earlier one back; the budget page works from the keyboard.

With SCREENSHOTS_DIR set, `-k screenshot` saves the pages' screenshots there (`make
screenshots` writes those shown in the README).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from dashboards.components.formatting import kpi_value
from tests.browser import PREVIEW_GONE, axe_violations, chromium_page, open_live
from tests.helpers import query

pytestmark = pytest.mark.browser

WIDTHS = (1200, 375)  # a desktop window and a small phone

# Every chart on the page has been drawn by Plotly: assets/charts.js draws a chart when it
# comes into view, so the first one not drawn yet is scrolled to, until none is left.
CHARTS_DRAWN = ("() => { const waiting = [...document.querySelectorAll('.chart-graph')]"
                ".filter(graph => !graph.querySelector('.main-svg')); "
                "if (waiting.length) waiting[0].scrollIntoView(); return !waiting.length; }")
# What a filter re-renders, as a reader gets it: headings, chart summaries, data tables.
VIEW_TEXT = ("root => [...root.querySelectorAll('h2, h3, .chart-summary, table')]"
             ".map(e => e.textContent.trim()).join('\\n')")


class PublicPage(NamedTuple):
    path: str
    content: str  # a selector that matches once the page's main content is on screen
    heading: str  # the H1; "kpi:<id>" for the KPI's own title


PAGES = {
    "home": PublicPage("/", "#theme-engagement .kpi-tile", "How Millbrook is doing"),
    "budget": PublicPage("/budget", "#budget-treemap-graph .main-svg", "Budget"),
    "services": PublicPage("/services", "#services-volume-graph .main-svg", "Services"),
    "engagement": PublicPage("/engagement", "#engagement-signups-graph .main-svg",
                             "Community engagement"),
    "kpi-list": PublicPage("/kpi", "#kpi-list-engagement", "All measures"),
    "kpi": PublicPage("/kpi/median_days_to_close", "#kpi-breakdown-chart-graph .main-svg",
                      "kpi:median_days_to_close"),
    "kpi-fiscal-year": PublicPage("/kpi/budget_execution_rate",
                                  "#kpi-breakdown-chart-graph .main-svg",
                                  "kpi:budget_execution_rate"),
    "kpi-internal": PublicPage("/kpi/backlog_age", "#kpi-list-link", "KPI not found"),
}


def open_page(page, url: str, content: str) -> None:
    """Go to url and wait for React's copy of the page (the server's preview gone), every one of
    its charts (scrolling to each) and its main content; then back to the top."""
    open_live(page, url)
    page.wait_for_selector("main h1")
    page.wait_for_function(CHARTS_DRAWN)
    page.wait_for_selector(content)
    page.evaluate("window.scrollTo(0, 0)")


def fresh_page(page):
    """A new page in page's browser, in a context of its own (no history, no cookies shared),
    whose console errors, page errors and failed responses go to page.problems too."""
    other = page.context.browser.new_page(viewport=page.viewport_size)
    problems = page.problems
    other.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
             if m.type == "error" else None)
    other.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    other.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
             if r.status >= 400 else None)
    return other


def view_text(page, root: str) -> str:
    return page.eval_on_selector(root, VIEW_TEXT)


def wait_for_view(page, root: str, text: str, same: bool, timeout: float = 30_000) -> None:
    """Wait until the view's text is `text` (same) or is no longer `text`; the assertions
    after this say what went wrong if it never happens."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    script = ("([root, text, same]) => { const element = document.querySelector(root); "
              f"return element !== null && (({VIEW_TEXT})(element) === text) === same; }}")
    try:
        page.wait_for_function(script, arg=[root, text, same], timeout=timeout)
        page.wait_for_function(CHARTS_DRAWN)
    except PlaywrightTimeout:
        pass


def kpi_title(workspace, kpi_id: str) -> str:
    return query(workspace, "SELECT title FROM kpi.definitions WHERE kpi_id = ?", [kpi_id])[0][0]


# ---------------------------------------------------------------- every page, both widths


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_every_public_page_loads_cleanly_and_passes_axe(site, name, width):
    workspace, server = site
    shown = PAGES[name]
    heading = (kpi_title(workspace, shown.heading.removeprefix("kpi:"))
               if shown.heading.startswith("kpi:") else shown.heading)
    with chromium_page(width=width) as page:
        open_page(page, server.url + shown.path, shown.content)
        assert page.inner_text("main h1") == heading
        assert page.problems == []
        assert axe_violations(page) == []
        if width == 375:  # nothing sticks out sideways on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.problems == []


def test_an_internal_kpi_is_not_found_and_none_of_its_numbers_are_shown(site):
    workspace, server = site
    title, unit, decimals, audience = query(
        workspace, "SELECT title, unit, decimals, audience FROM kpi.definitions "
        "WHERE kpi_id = 'backlog_age'")[0]
    assert audience == "internal"
    values = [kpi_value(v, unit, decimals) for (v,) in query(
        workspace, "SELECT DISTINCT value FROM kpi.series WHERE kpi_id = 'backlog_age'")]
    assert values  # the snapshot really holds its figures
    with chromium_page() as page:
        open_page(page, server.url + "/kpi/backlog_age", "#kpi-list-link")
        assert page.inner_text("main h1") == "KPI not found"
        assert "not found" in page.title()
        shown = page.inner_text("body")
        assert title not in shown and title not in page.title()
        assert not [v for v in values if v in shown]
        assert page.eval_on_selector("#kpi-list-link", "a => a.getAttribute('href')") == "/kpi"
        assert page.problems == []


# ---------------------------------------------------------------- filters and the URL


class Filter(NamedTuple):
    path: str
    select: str  # the select's id
    key: str  # its key in the query string
    value: str | None  # the value to choose; None: the option after the one shown
    view: str  # the element whose charts the change re-renders


FILTERS = {
    "budget-year": Filter("/budget", "budget-fy", "fy", None, "#budget-view"),
    "budget-department": Filter("/budget", "budget-department", "department", "Police",
                                "#budget-view"),
    "services-breakdown": Filter("/services", "services-by", "by", "district",
                                 "#services-view"),
    "services-period": Filter("/services", "services-period", "period", "all",
                              "#services-view"),
    "engagement-window": Filter("/engagement", "engagement-months", "months", "all",
                                "#engagement-charts"),
    "kpi-breakdown": Filter("/kpi/median_days_to_close", "kpi-by", "by", "district",
                            "#kpi-breakdown-content"),
}


class Change(NamedTuple):
    old: str  # the select's value before
    value: str  # and after
    before: str  # the view's text before
    after: str  # and after
    search: str  # location.search before


def change_filter(page, url: str, f: Filter) -> Change:
    """Open the page, choose a new value in the select, and wait for the view to change."""
    select = f"#{f.select}"
    open_page(page, url + f.path, f"{f.view} .chart-summary")
    before, old = view_text(page, f.view), page.input_value(select)
    search = page.evaluate("location.search")
    options = page.eval_on_selector_all(f"{select} option:not([disabled])",
                                        "options => options.map(o => o.value)")
    value = f.value or options[options.index(old) + 1]
    assert value in options and value != old
    page.select_option(select, value)
    wait_for_view(page, f.view, before, same=False)
    after = view_text(page, f.view)
    assert after != before, "the charts were not re-rendered"
    assert page.input_value(select) == value
    return Change(old, value, before, after, search)


@pytest.mark.parametrize("name", list(FILTERS))
def test_a_filter_updates_the_charts_and_the_url_which_restores_the_view(site, name):
    _, server = site
    f = FILTERS[name]
    with chromium_page() as page:
        changed = change_filter(page, server.url, f)
        assert page.evaluate("key => new URLSearchParams(location.search).get(key)",
                             f.key) == changed.value

        # The URL alone restores the view: the select and the same charts.
        other = fresh_page(page)
        open_page(other, page.url, f"{f.view} .chart-summary")
        assert other.input_value(f"#{f.select}") == changed.value
        assert view_text(other, f.view) == changed.after
        other.close()
        assert page.problems == []


@pytest.mark.parametrize("name", list(FILTERS))
def test_back_after_a_filter_change_brings_the_earlier_view_back(site, name):
    _, server = site
    f = FILTERS[name]
    with chromium_page() as page:
        changed = change_filter(page, server.url, f)
        page.go_back()
        wait_for_view(page, f.view, changed.before, same=True, timeout=15_000)
        assert page.evaluate("location.search") == changed.search
        assert page.input_value(f"#{f.select}") == changed.old, "Back did not restore the select"
        assert view_text(page, f.view) == changed.before, "Back did not restore the charts"
        assert page.problems == []


# ---------------------------------------------------------------- the server's preview

# What a reader sees of an element tree, element by element: tag, id, classes, link, inline
# style and text (not the chart drawings, which are drawn into the live copy only, nor the
# class plotly.js adds to a chart it drew).
SEEN = """root => { const seen = []; const walk = (element) => {
    for (const node of element.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
            if (node.textContent.trim()) seen.push('text: ' + node.textContent.trim());
        } else if (node.nodeType === Node.ELEMENT_NODE) {
            const style = (node.getAttribute('style') || '').replace(/;\\s*$/, '');
            const classes = node.className.replace(' js-plotly-plot', '');  // plotly's own
            seen.push([node.tagName, node.id, classes, node.getAttribute('href') || '', style]
                      .join(' | '));
            if (!node.classList.contains('chart-graph')) walk(node);
        }
    } }; walk(root); return seen; }"""


@pytest.mark.parametrize("name", ["home", "budget", "services", "engagement", "kpi",
                                  "kpi-internal"])
def test_the_servers_preview_is_the_page_react_draws_and_gives_way_to_it(site, name):
    _, server = site
    shown = PAGES[name]
    raw = requests.get(server.url + shown.path, timeout=60).text
    with chromium_page() as page:
        open_page(page, server.url + shown.path, shown.content)
        assert page.query_selector("#page-preview") is None
        live = page.eval_on_selector("#react-entry-point > div", SEEN)
        preview = page.evaluate(
            f"raw => ({SEEN})(new DOMParser().parseFromString(raw, 'text/html')"
            ".querySelector('#page-preview > div'))", raw)
        assert preview == live
        assert page.problems == []


def test_what_a_reader_did_in_the_preview_is_kept_when_react_takes_over(site):
    _, server = site
    with chromium_page(width=375) as page:
        held, released = [], []  # the page's callbacks wait until the reader has acted

        def hold(route) -> None:
            route.continue_() if released else held.append(route)

        page.route("**/_dash-update-component**", hold)
        page.goto(server.url + "/budget")
        while not held:
            page.wait_for_timeout(50)
        assert page.is_visible("#page-preview")
        years = page.eval_on_selector_all("#page-preview #budget-fy option:not([disabled])",
                                          "options => options.map(o => o.value)")
        page.select_option("#page-preview #budget-fy", years[1])
        page.fill("#page-preview #feedback-comment", "Typed before the page was ready")
        page.focus("#page-preview #feedback-comment")
        released.append(True)
        for route in held:
            route.continue_()

        page.wait_for_function(PREVIEW_GONE)
        page.wait_for_function("year => document.querySelector('#budget-view').textContent"
                               ".includes(`FY${year} at a glance`)", arg=years[1])
        assert page.input_value("#budget-fy") == years[1]
        assert page.evaluate("location.search") == f"?fy={years[1]}"
        assert page.input_value("#feedback-comment") == "Typed before the page was ready"
        assert page.evaluate("document.activeElement.id") == "feedback-comment"
        assert page.problems == []


def test_without_javascript_a_reader_still_gets_the_page(site):
    _, server = site
    with chromium_page(java_script_enabled=False) as page:
        page.goto(server.url + "/budget?fy=2025")
        assert page.inner_text("main h1") == "Budget"
        assert "FY2025 at a glance" in page.inner_text("main")
        assert page.input_value("#budget-fy") == "2025"
        assert page.is_visible("#page-preview")


# ---------------------------------------------------------------- charts and their tables

TABLE_ROWS = ("details => [...details.querySelectorAll('tbody tr')]"
              ".map(row => [...row.cells].map(cell => cell.textContent))")
DATA_ROWS = "details => JSON.parse(details.dataset.table).rows.map(row => row.map(String))"
CHART_DRAWN = "graph => graph.querySelector('.main-svg') !== null"


def test_charts_below_the_fold_are_drawn_when_scrolled_to_and_tables_built_when_opened(site):
    _, server = site
    with chromium_page(width=375) as page:
        open_live(page, server.url + "/services")
        first = page.wait_for_selector("#services-volume-graph")
        first.scroll_into_view_if_needed()
        page.wait_for_function(CHART_DRAWN, arg=first)
        last = page.query_selector_all(".chart-graph")[-1]
        assert not last.evaluate(CHART_DRAWN), "a chart far below the fold was drawn at once"
        assert page.query_selector(".chart-data table") is None
        last.scroll_into_view_if_needed()
        page.wait_for_function(CHART_DRAWN, arg=last)
        assert last.evaluate("graph => graph.getBoundingClientRect().height") == pytest.approx(
            float(last.evaluate("graph => parseFloat(graph.style.height)")), abs=1)

        # "Show the data": the numbers plotted, as a table with a caption and headers.
        details = page.query_selector("#services-volume-data")
        details.query_selector("summary").click()
        page.wait_for_selector("#services-volume-data table")
        rows = details.evaluate(TABLE_ROWS)
        assert rows and rows == details.evaluate(DATA_ROWS)
        assert details.evaluate("d => d.querySelector('caption').textContent") == \
            page.inner_text("#services-volume-title") + ": the values plotted"
        assert details.evaluate("d => [...d.querySelectorAll('tbody tr > :first-child')]"
                                ".every(cell => cell.tagName === 'TH' && cell.scope === 'row')")

        # A filter change re-draws the chart and rebuilds the open table with the new numbers.
        figure = page.eval_on_selector("#services-volume-graph", "g => g.dataset.figure")
        page.select_option("#services-period", "all")
        page.wait_for_function("old => document.querySelector('#services-volume-graph')"
                               ".dataset.drawn !== old", arg=figure)
        page.wait_for_function(f"() => {{ const d = document.querySelector("
                               f"'#services-volume-data'); return d.open && "
                               f"JSON.stringify(({TABLE_ROWS})(d)) === "
                               f"JSON.stringify(({DATA_ROWS})(d)); }}")
        details = page.query_selector("#services-volume-data")
        assert len(details.evaluate(TABLE_ROWS)) > len(rows)
        assert page.problems == []


# ---------------------------------------------------------------- the keyboard


def test_the_budget_selects_are_reached_in_order_and_work_from_the_keyboard(site):
    _, server = site
    with chromium_page() as page:
        open_page(page, server.url + "/budget", "#budget-treemap-graph .main-svg")
        reached = []
        while "budget-fy" not in reached and len(reached) < 30:
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id || "
                                         "document.activeElement.textContent"))
        assert reached[0] == "Skip to main content"
        assert "budget-fy" in reached, f"Tab never reached the fiscal year: {reached}"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "budget-department"

        # The year, with the arrow keys: the charts and the URL follow, the focus stays.
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.id") == "budget-fy"
        years = page.eval_on_selector_all("#budget-fy option:not([disabled])",
                                          "options => options.map(o => o.value)")
        before = view_text(page, "#budget-view")
        page.keyboard.press("ArrowDown")
        wait_for_view(page, "#budget-view", before, same=False)
        assert page.input_value("#budget-fy") == years[1]
        assert f"FY{years[1]} at a glance: All departments" in view_text(page, "#budget-view")
        assert page.evaluate("location.search") == f"?fy={years[1]}"
        assert page.evaluate("document.activeElement.id") == "budget-fy"

        # The department, with End: the last one.
        page.keyboard.press("Tab")
        last = page.eval_on_selector("#budget-department", "s => s.options[s.length - 1].value")
        before = view_text(page, "#budget-view")
        page.keyboard.press("End")
        wait_for_view(page, "#budget-view", before, same=False)
        assert page.input_value("#budget-department") == last
        assert f"FY{years[1]} at a glance: {last}" in view_text(page, "#budget-view")
        assert page.evaluate("document.activeElement.id") == "budget-department"
        assert page.problems == []


# ---------------------------------------------------------------- screenshots for the README

SCREENSHOTS = {  # file name: (page, width)
    "home.png": ("home", 1200),
    "budget.png": ("budget", 1200),
    "services.png": ("services", 1200),
    "engagement.png": ("engagement", 1200),
    "kpi.png": ("kpi", 1200),
    "home-phone.png": ("home", 375),
}


@pytest.mark.parametrize("file_name", list(SCREENSHOTS))
def test_screenshot(site, file_name, tmp_path):
    """Into SCREENSHOTS_DIR when set (`make screenshots`), else a temporary folder: the page
    renders whole and its picture is a real PNG."""
    folder = os.environ.get("SCREENSHOTS_DIR") or str(tmp_path)
    _, server = site
    name, width = SCREENSHOTS[file_name]
    with chromium_page(width=width) as page:
        open_page(page, server.url + PAGES[name].path, PAGES[name].content)
        page.evaluate("document.fonts.ready")
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / file_name), full_page=True, animations="disabled")
        assert page.problems == []
    assert (Path(folder) / file_name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
