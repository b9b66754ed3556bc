"""The home page in a real Chromium: the warehouse's numbers, no errors, keyboard and phone."""

import pytest

from dashboards.components.formatting import count, money
from tests import expected
from tests.browser import chromium_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1200, 375])
def test_the_home_page_shows_real_numbers_with_no_errors(app_server, published, width):
    status = published.status()
    year, budget = expected.budget_total(published.sample_dir)
    with chromium_page(width=width) as page:
        page.goto(app_server.url + "/")
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
        page.goto(app_server.url + "/")
        page.wait_for_selector("#figure-budget_total")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main-content"
