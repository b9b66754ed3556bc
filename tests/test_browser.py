"""The home page in a real Chromium: real numbers, no errors, keyboard, phone, axe, its files."""

import time

import pytest

from dashboards.components.formatting import count, money
from dashboards.static_assets import PLOTLY_JS_VERSION, PLOTLY_PATH
from tests import expected
from tests.browser import axe_violations, chromium_page, open_live

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1200, 375])
def test_the_home_page_shows_real_numbers_with_no_errors(app_server, published, width):
    status = published.status()
    year, budget = expected.budget_total(published.sample_dir)
    with chromium_page(width=width) as page:
        open_live(page, app_server.url + "/")
        page.wait_for_selector("#figure-budget_total .figure-value")
        assert page.inner_text("#figure-budget_total .figure-value") == money(float(budget))
        assert f"fiscal year {year}" in page.inner_text("#figure-budget_total")
        closed = expected.requests_closed_in(published.sample_dir, 2026, 10)
        assert page.inner_text("#figure-requests_closed .figure-value") == count(closed)
        members = expected.active_members(published.sample_dir)
        assert page.inner_text("#figure-active_members .figure-value") == count(members)
        assert f"(snapshot {status['current_snapshot']})" in page.inner_text("#data-version")
        assert page.title() == "Home · Millbrook Open Data & Performance"
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.problems == []


def test_the_first_tab_reaches_a_skip_link_to_the_content(app_server):
    with chromium_page() as page:
        open_live(page, app_server.url + "/")
        page.wait_for_selector("#figure-budget_total")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main-content"


@pytest.mark.parametrize("width", [1200, 375])
def test_axe_finds_no_serious_accessibility_problem_on_the_home_page(app_server, width):
    with chromium_page(width=width) as page:
        open_live(page, app_server.url + "/")
        page.wait_for_selector("#figure-budget_total .figure-value")
        assert axe_violations(page) == []


def test_static_files_are_cached_for_a_year_and_the_page_and_its_data_are_not(app_server):
    with chromium_page() as page:
        responses = []
        page.on("response", lambda response: responses.append(response))
        open_live(page, app_server.url + "/")
        page.wait_for_selector("#figure-budget_total .figure-value")
        static = [r for r in responses
                  if "/_dash-component-suites/" in r.url or "/assets/" in r.url]
        assert len(static) > 5
        for response in static:  # every file the home page names carries its version in its URL
            cache = response.headers.get("cache-control", "")
            assert "max-age=31536000" in cache and "immutable" in cache, (response.url, cache)
        for response in responses:
            if response.url.endswith(("/", "/_dash-layout")) or "_dash-update" in response.url:
                assert "max-age" not in response.headers.get("cache-control", ""), response.url
        # The home page's tiles and sparklines are HTML and SVG: no chart library to download.
        assert not [r.url for r in responses if "plotly" in r.url]
        assert page.problems == []


def test_graphs_get_the_small_plotly_bundle_and_it_draws_every_trace_type_it_holds(app_server):
    with chromium_page() as page:
        open_live(page, app_server.url + "/")
        page.wait_for_selector("#figure-budget_total .figure-value")
        # The URL dcc.Graph loads plotly.js from, the first time a page draws a graph.
        page.add_script_tag(url=f"{app_server.url}/{PLOTLY_PATH}")
        assert page.evaluate("Plotly.version") == PLOTLY_JS_VERSION
        types = page.evaluate("Object.keys(Plotly.PlotSchema.get().traces).sort()")
        assert types == ["bar", "pie", "scatter", "treemap"]
        drawn = page.evaluate("""async () => {
            const traces = {
                bar: {x: ["a", "b"], y: [1, 2]}, scatter: {x: [1, 2], y: [3, 1], mode: "lines"},
                pie: {labels: ["a", "b"], values: [1, 2]},
                treemap: {labels: ["all", "a", "b"], parents: ["", "all", "all"],
                          values: [0, 1, 2]},
            };
            const drawn = {};
            for (const [type, trace] of Object.entries(traces)) {
                const div = document.createElement("div");
                document.body.appendChild(div);
                await Plotly.newPlot(div, [{type, ...trace}]);
                drawn[type] = div.querySelectorAll(".point, .slice, .js-line").length;
            }
            return drawn;
        }""")
        assert all(drawn.values()), drawn
        assert page.problems == []


def test_static_files_are_served_compressed_at_the_smallest_setting_once_ready(app_server):
    with chromium_page() as page:
        open_live(page, app_server.url + "/")
        page.wait_for_selector("#figure-budget_total .figure-value")
        script = page.evaluate("[...document.scripts].map(s => s.src)"
                               ".find(src => src.includes('dash_core_components.v'))")
        # The first requests get flask-compress's quick zstd; brotli 11 follows in the background.
        deadline = time.monotonic() + 60
        while True:
            response = page.request.get(script, headers={"Accept-Encoding": "br, gzip"})
            if response.headers.get("content-encoding") == "br" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert response.headers.get("content-encoding") == "br"
        plain = page.request.get(script, headers={"Accept-Encoding": "identity"})
        assert response.body() == plain.body()  # Playwright decodes the br body
        assert int(response.headers["content-length"]) < len(plain.body()) / 4
