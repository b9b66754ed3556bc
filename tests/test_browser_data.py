"""The open-data pages in a real Chromium (Debian's, driven by Playwright) over one published
sample city: a reader finds a dataset from the catalogue, filters it, sees the filtered rows in
the preview grid and downloads exactly those rows; the grid pages by scrolling and by keyboard,
sorts by its headings, and never holds more than the blocks it shows; both pages pass axe-core,
fit a 375 px phone, and arrive prerendered by the server.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest
import requests

from opendata.browse import BLOCK_ROWS
from tests.browser import axe_violations, chromium_page, open_live
from tests.helpers import query
from tests.test_browser_pages import SEEN, WIDTHS

pytestmark = pytest.mark.browser

# The grid's API, or null until the grid is ready.
API = ("(() => { try { return window.dash_ag_grid.getApi('dataset-grid'); } "
       "catch (notYet) { return null; } })()")
# The rows the grid holds now (each block it fetched).
LOADED = (f"() => {{ const api = {API}, rows = []; if (api) api.forEachNode((node) => "
          "{ if (node.data) rows.push(node.data); }); return rows; }")
ROW_AT = (f"(index) => {{ const api = {API}; const node = api && "
          "api.getDisplayedRowAtIndex(index); return node && node.data ? node.data : null; }")
FIRST_BLOCK = f"() => ({LOADED})().length >= {BLOCK_ROWS}"
# The live page without what only the browser draws (charts, the grid's inside).
SEEN_BUT_THE_GRID = SEEN.replace("!node.classList.contains('chart-graph')",
                                 "!node.matches('.chart-graph, .data-grid')")


def control(key: str) -> str:
    """The selector of the filter control for one rows-API parameter."""
    return f"""[id='{{"key":"{key}","type":"row-filter"}}']"""


def permit_ids(workspace, where: str = "TRUE", params: list | None = None,
               order: str = "permit_id") -> list[str]:
    return [r[0] for r in query(workspace, f'SELECT permit_id FROM opendata."permits" '
                                           f"WHERE {where} ORDER BY {order}", params or [])]


def grid_requests(page) -> list[dict]:
    """Every getRowsRequest the page sends, as it sends them."""
    sent: list[dict] = []

    def seen(request) -> None:
        if "_dash-update-component" in request.url and "getRowsRequest" in (
                request.post_data or ""):
            sent.append(request.post_data_json["inputs"][0]["value"])

    page.on("request", seen)
    return sent


def test_from_the_catalogue_a_reader_filters_a_dataset_and_downloads_those_rows(site, tmp_path):
    """The acceptance test of the open-data pages: catalogue, search, dataset, filter, grid,
    download; the file holds exactly the filtered rows."""
    workspace, server = site
    title = query(workspace, "SELECT title FROM opendata.datasets "
                             "WHERE dataset_id = 'permits'")[0][0]
    where, params = "district = ? AND applied_on >= ?", ["Northgate", date(2024, 1, 1)]
    wanted = permit_ids(workspace, where, params)
    assert 100 < len(wanted) < len(permit_ids(workspace))
    with chromium_page() as page:
        open_live(page, server.url + "/data")
        page.fill("#data-search", "permits")
        page.wait_for_function("() => location.search === '?q=permits'")
        page.wait_for_function("() => !document.querySelector('#dataset-card-budget_lines')")
        assert page.is_visible("#dataset-card-permits")
        page.click("#dataset-card-permits a")

        page.wait_for_function("title => document.querySelector('main h1') && "
                               "document.querySelector('main h1').textContent === title",
                               arg=title)
        assert page.evaluate("location.pathname") == "/data/permits"
        page.wait_for_function(FIRST_BLOCK)
        assert [r["permit_id"] for r in page.evaluate(LOADED)][:BLOCK_ROWS] == \
            permit_ids(workspace)[:BLOCK_ROWS]

        page.fill(control("district"), "Northgate")
        page.fill(control("applied_on.gte"), "2024-01-01")
        page.wait_for_function("() => location.search === "
                               "'?district=Northgate&applied_on.gte=2024-01-01'")
        page.wait_for_function(f"() => {{ const rows = ({LOADED})(); return rows.length >= "
                               f"{BLOCK_ROWS} && rows.every((row) => row.district === "
                               "'Northgate' && row.applied_on >= '2024-01-01'); }")
        assert [r["permit_id"] for r in page.evaluate(LOADED)][:BLOCK_ROWS] == \
            wanted[:BLOCK_ROWS]
        page.wait_for_function("() => document.querySelector('#dataset-filtered-csv')")
        assert page.inner_text("#dataset-count").startswith(f"{len(wanted):,} of ")

        with page.expect_download() as download:
            page.click("#dataset-filtered-csv")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert page.problems == []
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == [c[0] for c in query(workspace, 'DESCRIBE opendata."permits"')]
    assert sorted(r["permit_id"] for r in rows) == wanted


def test_the_grid_pages_by_scrolling_and_by_keyboard_and_sorts_by_its_headings(site):
    workspace, server = site
    columns = [c[0] for c in query(workspace, 'DESCRIBE opendata."service_requests"')]
    total = query(workspace, 'SELECT count(*) FROM opendata."service_requests"')[0][0]

    def row(offset: int, order: str = "request_id") -> str:
        return query(workspace, 'SELECT request_id FROM opendata."service_requests" '
                                f"ORDER BY {order} LIMIT 1 OFFSET {offset}")[0][0]

    with chromium_page() as page:
        asked = grid_requests(page)
        open_live(page, server.url + "/data/service_requests")
        page.wait_for_function(FIRST_BLOCK)
        assert asked == [{"startRow": 0, "endRow": BLOCK_ROWS, "sortModel": [],
                          "filterModel": {}, "api": {}}]

        # Scrolling down fetches the blocks scrolled to, one request each.
        page.hover("#dataset-grid .ag-body")
        while page.evaluate(ROW_AT, 350) is None and len(asked) < 20:
            page.mouse.wheel(0, 2500)
            page.wait_for_timeout(300)
        page.wait_for_function(f"() => ({ROW_AT})(350) !== null")
        assert page.evaluate(ROW_AT, 350)["request_id"] == row(350)
        assert all(r["endRow"] - r["startRow"] == BLOCK_ROWS for r in asked)
        assert {r["startRow"] for r in asked} >= {0, 300}
        assert len(page.evaluate(LOADED)) < total  # only the blocks asked for

        # By keyboard: from a cell, Ctrl+End goes to the last row, fetched from the server.
        page.click("#dataset-grid .ag-row:not(.ag-row-loading) .ag-cell")
        page.wait_for_selector("#dataset-grid .ag-cell-focus")  # the key goes to the grid
        page.keyboard.press("Control+End")
        page.wait_for_function(f"() => ({ROW_AT})({total - 1}) !== null")
        assert page.evaluate(ROW_AT, total - 1)["request_id"] == row(total - 1)

        # A heading sorts on the server: ascending, then descending, ties by every column.
        heading = "#dataset-grid .ag-header-cell[col-id='opened_at'] .ag-header-cell-label"
        page.click(heading)
        page.click(heading)
        page.wait_for_function(f"() => {{ const r = ({ROW_AT})(0); return r !== null && "
                               f"r.request_id === {row(0, 'opened_at DESC')!r}; }}")
        ties = ", ".join(c for c in columns if c != "opened_at")
        assert page.evaluate(ROW_AT, 0)["request_id"] == row(0, f"opened_at DESC, {ties}")
        assert asked[-1]["sortModel"][0] == {"sort": "desc", "type": "default",
                                             "colId": "opened_at"}
        assert page.problems == []


def test_back_after_a_filter_brings_every_row_back(site):
    workspace, server = site
    with chromium_page() as page:
        open_live(page, server.url + "/data/permits")
        page.wait_for_function(FIRST_BLOCK)
        page.fill(control("district"), "Northgate")
        page.wait_for_function("() => location.search === '?district=Northgate'")
        page.wait_for_function(f"() => ({LOADED})().every((row) => row.district === "
                               "'Northgate')")
        page.go_back()
        page.wait_for_function("() => location.search === ''")
        page.wait_for_function(f"() => ({ROW_AT})(1) !== null && ({ROW_AT})(1).permit_id === "
                               f"{permit_ids(workspace)[1]!r}")
        assert page.input_value(control("district")) == ""
        assert page.inner_text("#dataset-count").startswith("All ")
        assert page.problems == []


def test_a_keyboard_reader_searches_the_catalogue_and_opens_a_dataset(site):
    workspace, server = site
    title = query(workspace, "SELECT title FROM opendata.datasets "
                             "WHERE dataset_id = 'permits'")[0][0]
    with chromium_page() as page:
        open_live(page, server.url + "/data")
        reached = []
        while "data-search" not in reached and len(reached) < 30:
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id"))
        assert "data-search" in reached, f"Tab never reached the search box: {reached}"
        page.keyboard.type("building")  # a keyword of the permits only
        page.wait_for_function("() => location.search === '?q=building'")
        page.wait_for_function("() => document.querySelectorAll('.dataset-card').length === 1")
        for expected in ("data-theme", "data-format"):
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == expected
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == title
        page.keyboard.press("Enter")
        page.wait_for_function("() => location.pathname === '/data/permits'")
        page.wait_for_function("title => document.querySelector('main h1') && "
                               "document.querySelector('main h1').textContent === title",
                               arg=title)
        assert page.problems == []


PAGES = {  # path: a selector that matches once the page's content is on screen
    "/data": "#dataset-card-permits",
    "/data?q=zebra": "#data-show-all",
    "/data/permits?district=Northgate&valuation.gte=1000": "#dataset-grid .ag-row .ag-cell",
    "/data/service_requests": "#dataset-grid .ag-row .ag-cell",
    "/data/no_such_dataset": "#dataset-list-link",
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", list(PAGES))
def test_the_data_pages_pass_axe_and_fit_a_phone(site, path, width):
    _, server = site
    with chromium_page(width=width) as page:
        open_live(page, server.url + path)
        if "#dataset-grid" in PAGES[path]:
            if width < 600:  # on a phone the grid is far below: its script waits for a scroll
                page.wait_for_load_state("networkidle")
                assert page.evaluate("() => window.dash_ag_grid === undefined")
            page.locator("#dataset-grid-slot").scroll_into_view_if_needed()
        page.wait_for_selector(PAGES[path])
        assert axe_violations(page) == []
        if "/data/" in path and "no_such" not in path:  # the grid is named for screen readers
            assert page.eval_on_selector(
                "#dataset-grid [role=grid]", "grid => document.getElementById("
                "grid.getAttribute('aria-labelledby')).textContent") == \
                "Preview and filter the rows"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.problems == []


@pytest.mark.parametrize("path", ["/data?theme=services", "/data/permits?district=Northgate"])
def test_the_servers_preview_is_the_page_react_draws(site, path):
    _, server = site
    raw = requests.get(server.url + path, timeout=60).text
    with chromium_page() as page:
        open_live(page, server.url + path)
        page.wait_for_selector("main h1")
        live = page.eval_on_selector("#react-entry-point > div", SEEN_BUT_THE_GRID)
        preview = page.evaluate(
            f"raw => ({SEEN_BUT_THE_GRID})(new DOMParser().parseFromString(raw, 'text/html')"
            ".querySelector('#page-preview > div'))", raw)
        assert without_times(preview) == without_times(live)
        assert page.problems == []


def without_times(seen: list[str]) -> list[str]:
    """What SEEN found, less the words of <time> elements ("3 minutes ago"), which the preview
    and the live page may say a minute apart."""
    return [line for before, line in zip(["", *seen], seen, strict=False)
            if not (before.startswith("TIME |") and line.startswith("text: "))]
