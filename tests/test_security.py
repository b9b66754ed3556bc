"""HTTP hardening (dashboards/security.py) on a real `python app.py`: every answer carries the
security headers, the policy allows exactly the inline scripts Dash writes and never eval, only
the KPI embed may be framed; in Chromium every kind of page runs under the policy without a
violation and draws its charts; unknown addresses answer 404 (a page, or JSON under /api/),
oversized requests 413, and a view that fails a 500 page whose traceback is in the log only."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest
import requests

from config.settings import SettingsError, load_settings
from dashboards.static_assets import asset_url
from tests.browser import axe_violations, chromium_page, open_live
from tests.test_browser_pages import CHARTS_DRAWN
from tests.test_embed import newspaper

KPI = "median_days_to_close"  # a public KPI of config/kpis.yaml
MiB = 2**20
SAME_FOR_ALL = {
    "default-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
HASH = re.compile(r"'sha256-[A-Za-z0-9+/]{43}='")
# Every Content-Security-Policy violation in the page, as the browser reports it to the page.
LISTEN = ("window.cspViolations = []; document.addEventListener('securitypolicyviolation', "
          "(e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));")


def policy(answer: requests.Response) -> dict[str, list[str]]:
    """The answer's Content-Security-Policy, directive -> its values."""
    directives = (d.split() for d in answer.headers["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


class InlineScripts(HTMLParser):
    """The text of every inline script of a page that the browser would run."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[str] = []
        self._open = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._open = (tag == "script" and "src" not in values
                      and values.get("type") != "application/json")  # data, not run
        if self._open:
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.found[-1] += data


def sha256(script: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("path", [
    "/", f"/kpi/{KPI}", "/data/service_requests", "/api/v1/datasets", "/api/v1/",
    asset_url("site.css"), "/_dash-layout", "/data.json", "/login", "/healthz",
    f"/downloads/kpi/{KPI}.csv", "/no-such-page", "/api/v1/no-such-thing", "/favicon.ico",
])
def test_every_kind_of_answer_carries_the_security_headers(site, path):
    _, server = site
    answer = requests.get(server.url + path, allow_redirects=False, timeout=30)
    assert answer.status_code in (200, 302, 404), answer.status_code
    found = policy(answer)
    assert {name: found.get(name) for name in SAME_FOR_ALL} == SAME_FOR_ALL
    assert found["script-src"][0] == "'self'"
    assert all(HASH.fullmatch(value) for value in found["script-src"][1:])
    assert found["frame-ancestors"] == ["'none'"] and answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "unsafe-eval" not in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/data/service_requests", "/services"])
def test_the_scripts_allowed_are_the_inline_scripts_dash_writes_into_its_pages(site, path):
    _, server = site
    answer = requests.get(server.url + path, timeout=30)
    scripts = InlineScripts(answer.text).found
    assert any("DashRenderer" in script for script in scripts)  # the one that starts the page
    allowed = policy(answer)["script-src"]
    assert [script[:60] for script in scripts if sha256(script) not in allowed] == []
    assert "'unsafe-inline'" not in allowed


def test_only_the_kpi_embed_may_be_framed_and_its_policy_is_otherwise_the_same(site):
    _, server = site
    embedded = requests.get(f"{server.url}/embed/kpi/{KPI}", timeout=30)
    home = requests.get(server.url + "/", timeout=30)
    assert embedded.status_code == 200
    assert policy(embedded)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in embedded.headers
    assert {**policy(embedded), "frame-ancestors": None} == {**policy(home),
                                                            "frame-ancestors": None}
    assert embedded.headers["X-Content-Type-Options"] == "nosniff"
    assert policy(home)["frame-ancestors"] == ["'none'"]


# ---------------------------------------------------------------- in Chromium


# The browser tests of the policy have Chromium apply it (bypass_csp=False).


def assert_clean(page) -> None:
    """No console error, failed answer or policy violation in the page so far."""
    assert page.evaluate("window.cspViolations") == []
    assert page.problems == []


@pytest.mark.browser
def test_every_kind_of_page_runs_under_the_policy_and_draws_its_charts(site):
    _, server = site
    with chromium_page(bypass_csp=False) as page:
        page.add_init_script(LISTEN)

        open_live(page, server.url + "/")  # React drew the page: Dash's inline scripts ran
        page.wait_for_selector("img.sparkline")
        assert page.eval_on_selector_all(  # data: images are allowed
            "img.sparkline", "images => images.every(i => i.complete && i.naturalWidth > 0)")
        assert_clean(page)

        for path in (f"/kpi/{KPI}", "/services"):
            open_live(page, server.url + path)
            page.wait_for_function(CHARTS_DRAWN)
            assert page.locator(".chart-graph .main-svg").count() > 0
            assert_clean(page)

        open_live(page, server.url + "/data")
        page.wait_for_selector("#dataset-card-permits")
        assert_clean(page)

        open_live(page, server.url + "/data/service_requests")
        page.locator("#dataset-grid-slot").scroll_into_view_if_needed()  # the grid loads
        page.wait_for_selector("#dataset-grid .ag-row .ag-cell")
        assert_clean(page)

        page.goto(f"{server.url}/embed/kpi/{KPI}")
        page.locator("#kpi-series-graph .main-svg").first.wait_for()
        assert_clean(page)

        for path, content in (("/login", "#login-name"), ("/api/v1/", "main h1")):
            page.goto(server.url + path)
            page.wait_for_selector(content)
            assert_clean(page)


@pytest.mark.browser
def test_another_site_frames_the_chart_but_not_a_page(site):
    _, server = site
    article = (f'<!DOCTYPE html><html lang="en"><title>A story</title>'
               f'<iframe id="chart" src="{server.url}/embed/kpi/{KPI}" title="chart" '
               'width="100%" height="900"></iframe>'
               f'<iframe id="page" src="{server.url}/" title="page"></iframe></html>')
    with newspaper(article) as story, chromium_page(bypass_csp=False) as page:
        page.goto(story)
        page.frame_locator("#chart").locator("#kpi-series-graph .main-svg").first.wait_for()
        refused = [p for p in page.problems if "frame-ancestors 'none'" in p]
        for _ in range(100):  # the browser reports the refusal once the page's answer is in
            if refused:
                break
            page.wait_for_timeout(100)
            refused = [p for p in page.problems if "frame-ancestors 'none'" in p]
        framed = {frame.name: frame.url for frame in page.frames if frame.name}
        assert framed["chart"] == f"{server.url}/embed/kpi/{KPI}"
        assert framed["page"].startswith("chrome-error://")  # the browser refused it
        assert len(refused) == 1 and f"'{server.url}/'" in refused[0]
        assert page.problems == refused


@pytest.mark.browser
def test_the_404_page_is_plain_accessible_and_leads_home(site):
    _, server = site
    with chromium_page(width=375, height=800) as page:  # axe is an inline script
        answer = page.goto(server.url + "/no-such-page")
        assert answer.status == 404
        assert page.inner_text("main h1") == "Page not found"
        assert page.evaluate("document.documentElement.lang") == "en"
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert sorted(page.problems) == [  # the page's own status, and nothing else
            "HTTP 404 " + server.url + "/no-such-page",
            "console error: Failed to load resource: the server responded with a status of 404 "
            "(NOT FOUND)"]
        page.click("#error-home")
        page.wait_for_url(server.url + "/")


# ---------------------------------------------------------------- errors


def test_an_unknown_page_answers_404_and_every_real_page_still_200(site):
    _, server = site
    missing = requests.get(server.url + "/no-such-page", timeout=30)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert '<html lang="en">' in missing.text and "<h1" in missing.text
    assert "Page not found" in missing.text and 'href="/"' in missing.text
    for path in ("/", "/budget", "/budget/", "/services", "/engagement", "/kpi", f"/kpi/{KPI}",
                 "/data", "/data/service_requests", "/data/service_requests?district=Northgate"):
        assert requests.get(server.url + path, timeout=30).status_code == 200, path
    # Dash's unknown scripts were a 500 with a traceback in the log.
    script = requests.get(server.url + "/_dash-component-suites/nothing/here.js", timeout=30)
    assert script.status_code == 404


def test_an_unknown_api_address_answers_json(site):
    _, server = site
    missing = requests.get(server.url + "/api/v1/no-such-thing", timeout=30)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/json"
    assert missing.json()["status"] == 404 and missing.json()["error"]
    refused = requests.post(server.url + "/api/v1/datasets", timeout=30)
    assert refused.status_code == 405 and refused.json()["status"] == 405
    assert set(refused.headers["Allow"].split(", ")) >= {"GET"}


@pytest.mark.parametrize(("path", "kind"), [("/_dash-update-component", "application/json"),
                                            ("/feedback", "text/html")])
def test_an_oversized_post_is_refused_with_413(site, path, kind):
    _, server = site
    body = json.dumps({"output": "x" * (2 * MiB)})
    answer = requests.post(server.url + path, data=body, allow_redirects=False, timeout=30,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.headers["Content-Type"].startswith(kind)
    assert "larger than this site accepts (1,048,576 bytes)" in answer.text


def test_the_longest_feedback_comment_is_well_within_the_limit(site):
    _, server = site
    # 2,000 characters of four bytes each, percent-encoded: the most the form can send.
    answer = requests.post(server.url + "/feedback", data={"page": "/", "comment": "𝄞" * 2000},
                           allow_redirects=False, timeout=30)
    assert len(answer.request.body) > 24_000
    assert answer.status_code == 303  # the form's own answer (here: no token), not a 413


def test_a_failing_view_answers_500_and_only_the_log_has_the_traceback(published, app_server):
    # A manifest the reader cannot parse makes every view that reads the warehouse fail.
    (published.root / "data" / "warehouse" / "manifest.json").write_text("{not json")
    page = app_server.get("/data.json")
    api = app_server.get("/api/v1/datasets")
    output = app_server.stop()
    assert page.status_code == 500 and page.headers["Content-Type"].startswith("text/html")
    assert "Something went wrong" in page.text
    assert api.status_code == 500 and api.headers["Content-Type"] == "application/json"
    assert api.json()["status"] == 500
    for answer in (page, api):
        assert not re.search(r"Traceback|File \"|ManifestError|manifest|\.py", answer.text)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/data.json", "/api/v1/datasets"):
        assert f"Exception on {path} [GET]" in output
    assert output.count("Traceback (most recent call last)") >= 2
    assert "ManifestError" in output


# ---------------------------------------------------------------- the setting


def test_the_size_limit_is_one_mib_unless_set_and_never_below_64_kib():
    assert load_settings({}).max_request_bytes == MiB
    assert load_settings({"DASHBOARD_MAX_REQUEST_BYTES": "5000000"}).max_request_bytes == 5_000_000
    with pytest.raises(SettingsError, match=r"DASHBOARD_MAX_REQUEST_BYTES='1000'.*at least 65536"):
        load_settings({"DASHBOARD_MAX_REQUEST_BYTES": "1000"})
