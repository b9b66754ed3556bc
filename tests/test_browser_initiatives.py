"""Initiatives and the practice library in real Chromium: an admin creates an initiative, sees
its start marked on its KPI's chart (in the plot, and as a link reached by keyboard), marks it
done, finds it in the practice library and adopts it into another department (axe-core on these
pages: tests/test_browser_internal.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from appdb import initiatives as store
from tests.browser import chromium_page
from tests.internal_client import browser_sign_in

TITLE = "Evening callbacks for open requests"
KPI_TITLE = "Requests closed on time"  # on_time_rate
MARKS = "#initiative-chart-on_time_rate-marks"


def test_create_see_it_on_the_chart_mark_it_done_find_it_in_the_library_and_adopt_it(admin_site):
    workspace, server = admin_site
    with chromium_page() as page:
        browser_sign_in(page, server, "/internal/initiatives")
        page.click("#initiatives-new")
        page.wait_for_selector("#initiative-form")
        page.wait_for_load_state("networkidle")
        page.fill("#initiative-title", TITLE)
        page.fill("#initiative-change", "A clerk phones back every resident whose request is "
                                        "still open at 4 pm.")
        page.select_option("#initiative-department", "Public Works")
        page.fill("#initiative-owner", "Public Works call centre")
        page.fill("#initiative-start", "2026-03-01")
        page.select_option("#initiative-status", "running")
        page.locator("label.initiative-aim", has_text=KPI_TITLE).locator("select") \
            .select_option("up")
        page.click("#initiative-create")
        page.wait_for_url("**/internal/initiatives?id=*")
        expect(page.locator("#internal-page h1")).to_have_text(TITLE)

        # The start on the chart: a link under it (reached by Tab) and the plot's label.
        mark = page.locator(f"{MARKS} a", has_text=TITLE)
        expect(mark).to_have_count(1)
        page.locator("#initiative-chart-on_time_rate-graph").scroll_into_view_if_needed()
        # plotly.js loads when the first chart nears the screen: give it time on a busy machine.
        page.wait_for_selector("#initiative-chart-on_time_rate-graph .main-svg", timeout=60_000)
        # The plot's label (shortened for a phone) links to the initiative.
        label = page.locator("#initiative-chart-on_time_rate-graph .annotation",
                             has_text="Evening callbacks")
        expect(label).to_have_count(1)
        assert label.locator("a").first.get_attribute("xlink:href") == mark.get_attribute("href")
        page.click("#initiative-chart-on_time_rate-summary")  # Tab starts from here
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.closest('{MARKS}') !== null && "
                             f"document.activeElement.textContent.startsWith({TITLE!r})"):
                break
        else:
            pytest.fail("the chart's mark link was not reached by keyboard")

        page.fill("#initiative-done-date", "2026-10-31")
        page.click("#initiative-done")
        expect(page.locator("#initiative-done-message")).to_contain_text("Marked as done")
        expect(page.locator("#initiative-facts")).to_contain_text("Done")

        page.click(".internal-header nav a:has-text('Practice library')")
        page.wait_for_selector("#practices-q")
        page.wait_for_load_state("networkidle")
        page.fill("#practices-q", "evening callbacks")
        page.press("#practices-q", "Enter")
        page.wait_for_url("**/internal/practices?q=evening+callbacks")
        expect(page.locator("#practices-summary")).to_contain_text("1 of ")
        page.click(f"#practices-list >> text={TITLE}")
        page.wait_for_selector("#practice-adopt")
        page.wait_for_load_state("networkidle")
        page.select_option("#practice-adopt-department", "Water & Sewer")
        page.click("#practice-adopt")
        page.click("#practice-adopted-link")
        page.wait_for_selector("#initiative-facts")
        expect(page.locator("#internal-page h1")).to_have_text(TITLE)
        expect(page.locator("#initiative-facts")).to_contain_text("Water & Sewer")
        expect(page.locator("#initiative-facts")).to_contain_text("Planned")
        expect(page.locator("#initiative-spread")).to_contain_text("Public Works")
        assert not page.problems, page.problems

    made = [i for i in store.listing(workspace.settings.database_url) if i.title == TITLE]
    assert sorted((i.department, i.status) for i in made) == [
        ("Public Works", "done"), ("Water & Sewer", "planned")]
