"""The internal pages in real Chromium: sign in, the scorecard, a filter, a drill-down to the
records, a target changed by an admin, sign out; axe-core and no sideways scrolling on every
internal page at phone and desktop widths (the pages' own tests also check theirs in use)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from appdb.audit import events
from appdb.targets import changes
from tests.browser import axe_violations, chromium_page
from tests.internal_client import browser_sign_in

PAGES = ("/internal/", "/internal/scorecard", "/internal/department",
         "/internal/department/Public%20Works",
         "/internal/department/Public%20Works/records?district=Eastfield",
         "/internal/targets", "/internal/targets?kpi=on_time_rate", "/internal/pipeline",
         "/internal/feedback", "/internal/audit", "/internal/alerts", "/internal/users",
         "/internal/initiatives", "/internal/initiatives?id=1", "/internal/initiatives?new=1",
         "/internal/practices", "/internal/practices?id=1")
# Pages with a chart below the fold: scrolled to, and checked once it is drawn.
CHARTS = {"/internal/initiatives?id=1": "#initiative-chart-on_time_rate"}


def heading(page) -> str:
    return page.inner_text("#internal-page h1")


def test_sign_in_scorecard_filter_drill_down_change_a_target_and_sign_out(admin_site):
    workspace, server = admin_site
    # The site's Content-Security-Policy enforced: a blocked script would show in page.problems.
    with chromium_page(bypass_csp=False) as page:
        browser_sign_in(page, server, "/internal/scorecard")
        assert heading(page) == "Scorecard"
        everything = page.locator("#scorecard-table tbody tr").count()
        assert everything == 24  # every KPI of the catalogue, the two internal ones too
        assert page.locator("#scorecard-table", has_text="(internal)").count() == 1

        page.select_option("#scorecard-status", "red")
        page.wait_for_url("**/internal/scorecard?status=red")
        expect(page.locator("#scorecard-summary")).not_to_contain_text(f"{everything} KPIs")
        statuses = page.locator("#scorecard-table tbody td.status-text-red").count()
        assert statuses == page.locator("#scorecard-table tbody tr").count() > 0
        page.select_option("#scorecard-department", "Public Works")
        page.wait_for_url("**department=Public+Works**")
        expect(page.locator("#scorecard-summary")).to_contain_text("Public Works:")

        page.click("text=Departments")
        page.click("#internal-page >> text=Public Works")
        page.wait_for_selector("#department-by-district")
        first = page.locator("#department-by-district tbody tr").first
        district = first.locator("th").inner_text()
        requests_shown = int(first.locator("td a").inner_text().split()[0].replace(",", ""))
        first.locator("td a").click()
        page.wait_for_selector("#records-summary")
        assert f"of {requests_shown:,}" in page.inner_text("#records-summary")
        assert page.locator("#department-records tbody tr").count() == min(50, requests_shown)
        columns = page.locator("#department-records thead th").all_inner_texts()
        district_cells = page.locator(
            f"#department-records tbody td:nth-child({columns.index('district') + 1})")
        assert set(district_cells.all_inner_texts()) == {district}

        page.goto(f"{server.url}/internal/targets?kpi=on_time_rate")
        page.wait_for_selector("#target-form")
        page.fill("#target-value", "92.5")
        page.fill("#target-amber", "88")
        page.fill("#target-note", "Stricter from the next period")
        page.click("#target-save")
        page.wait_for_selector("#target-message:has-text('Saved')")
        assert "92.5%" in page.inner_text("#target-changes")
        assert page.locator("#target-changes tbody tr").count() == 1

        page.click("#sign-out")
        page.wait_for_url("**/login?signed_out=1")
        assert "You are signed out." in page.content()
        page.goto(f"{server.url}/internal/scorecard")
        page.wait_for_url("**/login?next=**")
        assert not page.problems, page.problems

    made = changes(workspace.settings.database_url, "on_time_rate")
    assert [(c.target, c.amber, c.changed_by) for c in made] == [(0.925, 0.88, "ada")]
    audited = [e for e in events(workspace.settings.database_url) if e[0] == "target_changed"]
    assert audited[0][2] == "ada" and audited[0][3]["new_target"] == 0.925


@pytest.mark.parametrize("width", [375, 1200])
def test_internal_pages_pass_axe_and_fit_the_screen(admin_site, width):
    _, server = admin_site
    with chromium_page(width=width) as page:
        browser_sign_in(page, server, "/internal/")
        for path in PAGES:
            page.goto(server.url + path)
            page.wait_for_selector("#internal-page h1")
            page.wait_for_load_state("networkidle")  # the tab title follows by callback
            if path in CHARTS:
                page.locator(CHARTS[path]).scroll_into_view_if_needed()
                page.wait_for_selector(f"{CHARTS[path]}-graph .main-svg", timeout=60_000)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            assert axe_violations(page) == [], path
            assert page.title().endswith("· Internal"), path
        assert not page.problems, page.problems
