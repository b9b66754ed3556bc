"""The embeddable KPI chart (/embed/kpi/<id>) and the KPI page's embed code, over a published
sample city and a real `python app.py`: the chart's figure and table hold the KPI's series read
straight from the snapshot file, the page states its snapshot, source and licence, internal and
unknown KPIs are not found, any site may frame it; in Chromium the chart draws inside another
page's iframe and axe finds no serious problem."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from dashboards.components.formatting import kpi_value, status_word
from opendata.catalogue import load_datasets
from tests.browser import axe_violations, chromium_page
from tests.dash_client import find, render, text
from tests.helpers import Workspace, query, snapshot_file

VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}


class Elements(HTMLParser):
    """Every element with an id: its attributes and its text; and the page's <meta> tags."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.metas: dict[str, str] = {}
        self.scripts: list[str] = []
        self._open: list[str | None] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and "name" in values:
            self.metas[values["name"]] = values["content"]
        if tag == "script":
            self.scripts.append(values.get("src", "inline"))
        if "id" in values:
            self.by_id[values["id"]] = {**values, "text": ""}
        if tag not in VOID:
            self._open.append(values.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for open_id in filter(None, self._open):
            self.by_id[open_id]["text"] += data

    def text(self, element_id: str) -> str:
        return " ".join(self.by_id[element_id]["text"].split())


@contextmanager
def newspaper(article: str) -> Iterator[str]:
    """A real web server of another origin serving one page, article; the page's address."""
    class Article(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = article.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # quiet: the test's output is for failures
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Article)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/story"
    finally:
        server.shutdown()
        server.server_close()


def embed(server, kpi_id: str, **params) -> requests.Response:
    return requests.get(f"{server.url}/embed/kpi/{kpi_id}", params=params, timeout=30)


def city_wide(workspace: Workspace, kpi_id: str) -> list[tuple]:
    """(period_start, period_label, value, status) of every city-wide value, oldest first."""
    return query(workspace, "SELECT period_start, period_label, value, status FROM kpi.series "
                            "WHERE kpi_id = ? AND breakdown IS NULL ORDER BY period_start",
                 [kpi_id])


@pytest.mark.parametrize("kpi_id", ["on_time_rate", "budget_execution_rate",
                                    "webinar_attendance"])
def test_the_embed_page_shows_the_kpis_series_as_the_snapshot_holds_it(site, kpi_id):
    workspace, server = site
    title, unit, decimals, period = query(
        workspace, "SELECT title, unit, decimals, period FROM kpi.definitions WHERE kpi_id = ?",
        [kpi_id])[0]
    points = city_wide(workspace, kpi_id)
    answer = embed(server, kpi_id)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    page = Elements(answer.text)
    assert page.text("embed-title") == title
    [trace] = json.loads(page.by_id["kpi-series-graph"]["data-figure"])["data"]
    assert trace["y"] == [value for _, _, value, _ in points]
    assert trace["x"] == [label if period == "fiscal_year" else start.isoformat()
                          for start, label, _, _ in points]
    table = json.loads(page.by_id["kpi-series-data"]["data-table"])
    assert [row[:2] for row in table["rows"]] == [
        [label, kpi_value(value, unit, decimals)] for _, label, value, _ in points]
    _, _, latest, status = points[-1]
    assert page.text("kpi-latest-value") == kpi_value(latest, unit, decimals)
    assert page.text("kpi-latest-status").startswith(status_word(status))
    snapshot, _ = snapshot_file(workspace)
    source = page.text("embed-source")
    assert source.startswith("Source: Millbrook open data, snapshot " + snapshot)
    assert source.endswith(f"{server.url}/kpi/{kpi_id}")
    licence = load_datasets(workspace.root / "config" / "datasets.yaml").licence
    assert page.text("embed-licence") == f"Licence: {licence.title}"
    assert licence.url in answer.text
    # No site frame and no Dash: the chart is drawn by assets/charts.js and plotly.js alone.
    assert "site-header" not in answer.text and "_dash-config" not in answer.text
    [charts_js] = page.scripts
    for address in (charts_js, page.metas["plotly-src"]):
        assert requests.get(server.url + address, timeout=30).status_code == 200


def test_a_pinned_snapshot_is_cached_and_one_not_kept_is_not_found(site):
    workspace, server = site
    snapshot, _ = snapshot_file(workspace)
    pinned = embed(server, "on_time_rate", snapshot=snapshot)
    assert pinned.status_code == 200 and snapshot in Elements(pinned.text).text("embed-source")
    assert "max-age=31536000" in pinned.headers["Cache-Control"]
    assert embed(server, "on_time_rate").headers["Cache-Control"] == "no-cache"
    gone = embed(server, "on_time_rate", snapshot="19990101T000000000Z")
    assert gone.status_code == 404 and "19990101T000000000Z" in gone.text


@pytest.mark.parametrize("kpi_id", ["backlog_age", "no_such_kpi"])
def test_internal_and_unknown_kpis_are_not_found(site, kpi_id):
    workspace, server = site
    if kpi_id == "backlog_age":
        assert query(workspace, "SELECT audience FROM kpi.definitions WHERE kpi_id = ?",
                     [kpi_id]) == [("internal",)]
    answer = embed(server, kpi_id)
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")
    page = Elements(answer.text)
    assert page.text("embed-title") == "KPI not found"
    assert "kpi-series-graph" not in page.by_id and "Average age" not in answer.text


@pytest.mark.parametrize("kpi_id", ["on_time_rate", "backlog_age"])
def test_any_site_may_frame_the_page(site, kpi_id):
    _, server = site
    answer = embed(server, kpi_id)
    assert "X-Frame-Options" not in answer.headers
    assert "frame-ancestors *" in answer.headers["Content-Security-Policy"].split("; ")


def test_the_kpi_page_offers_the_code_that_embeds_its_chart(site):
    _, server = site
    page = render(server, "/kpi/on_time_rate")
    assert text(find(page, "kpi-embed-title")) == "Embed this chart"
    code = text(find(page, "kpi-embed-code"))
    found = re.fullmatch(r'<iframe src="([^"]+)" title="([^"]+)" [^<>]*></iframe>', code)
    assert found, code
    source, title = found.groups()
    assert source == f"{server.url}/embed/kpi/on_time_rate"
    assert title == "Requests closed on time: Millbrook open data"
    assert requests.get(source, timeout=30).status_code == 200


@pytest.mark.browser
def test_the_chart_draws_inside_another_pages_frame_and_passes_axe(site):
    workspace, server = site
    address = f"{server.url}/embed/kpi/median_days_to_close"
    points = city_wide(workspace, "median_days_to_close")
    article = (f'<!DOCTYPE html><html lang="en"><title>A story</title><iframe src="{address}" '
               'title="chart" width="100%" height="900"></iframe></html>')
    with newspaper(article) as story, chromium_page(width=800, height=1000) as page:
        page.goto(story)
        frame = page.frame_locator("iframe")
        frame.locator("#kpi-series-graph .main-svg").first.wait_for(timeout=30_000)
        frame.locator("#kpi-series-data summary").click()
        # The table is built on the "toggle" event, which the browser sends after the click.
        frame.locator(".chart-data-table tbody tr").first.wait_for(timeout=30_000)
        assert frame.locator(".chart-data-table tbody tr").count() == len(points)
        assert page.problems == []
    with chromium_page(width=375, height=800) as page:
        page.goto(address)
        page.locator("#kpi-series-graph .main-svg").first.wait_for(timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert axe_violations(page) == []
        assert page.problems == []
