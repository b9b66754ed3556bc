"""Public initiatives over a real `python app.py` serving the published sample city: on the
public page of the KPI they mean to move ("What the city is doing about it", marked on its
chart) and in the open dataset improvement_initiatives, in every format; an owner named only
where they agreed; and nothing of a private initiative anywhere public."""

from __future__ import annotations

import csv
import io
import json

import pytest
import requests

from kpis.evidence import METHOD
from tests.browser import axe_violations, chromium_page
from tests.dash_client import figure, find, render, text
from tests.helpers import query
from tests.public_walk import FILE_FORMATS, public_pages, public_urls, readable
from tests.test_browser_pages import open_page

DATASET = "improvement_initiatives"
TRIAGE = "Same-day triage of Public Works requests"  # public, owner agreed to be named
CHATBOT = "Chatbot for water bill questions"  # public, owner not named
# What no public page or file may show: the private initiatives (the park photos; the
# Transportation copy of the triage, whose title is the public one's) and the chatbot's
# owner, who did not agree to be named. (No "&": in HTML it is written &amp;.)
PRIVATE = ("Photo reports for park maintenance", "Luis Ortega", "Sewer customer service",
           "Transportation operations", "Transportation adopts Public Works")


def initiative(workspace, title: str) -> dict:
    """The public initiative of this title, as the application database exported it."""
    names = ["initiative_id", "title", "change", "department", "owner", "start_date"]
    row = query(workspace, f"SELECT {', '.join(names)} FROM initiatives "
                           "WHERE title = ? AND public", [title])[0]
    return dict(zip(names, row, strict=True))


def evidence(workspace, initiative_id: int, kpi_id: str) -> tuple[str, str]:
    """(verdict, words) of an initiative's finding on a KPI, as measured at publish."""
    return query(workspace, "SELECT verdict, words FROM initiative_evidence "
                            "WHERE initiative_id = ? AND kpi_id = ?", [initiative_id, kpi_id])[0]


# ---------------------------------------------------------------- the public KPI page


def test_a_kpi_page_shows_its_public_initiatives_with_their_evidence(site):
    workspace, server = site
    triage, chatbot = initiative(workspace, TRIAGE), initiative(workspace, CHATBOT)
    page = render(server, "/kpi/median_days_to_close")
    section = find(page, "kpi-initiatives")
    assert text(find(section, "kpi-initiatives-title")) == "What the city is doing about it"
    shown = text(find(section, f"initiative-{triage['initiative_id']}"))
    verdict, words = evidence(workspace, triage["initiative_id"], "median_days_to_close")
    assert verdict == "improved"  # the sample plants a real step change after it
    for field in (TRIAGE, triage["department"], triage["change"], "Dana Whitfield", "Done",
                  "1 Jul 2025 to 31 Jan 2026", "$18,000 once and $42,000 a year",
                  "The measure improved", words):
        assert field in shown, field
    other = text(find(section, f"initiative-{chatbot['initiative_id']}"))
    verdict, words = evidence(workspace, chatbot["initiative_id"], "median_days_to_close")
    assert verdict == "no clear change" and "No clear change" in other and words in other
    assert "Water & Sewer" in other and chatbot["owner"] not in other and "Led by" not in other
    # How it is measured, and where the same figures are open data.
    assert all(sentence in text(find(section, "kpi-initiatives-method")) for sentence in METHOD)
    assert find(section, "kpi-initiatives-data")["props"]["href"] == f"/data/{DATASET}"


def test_the_kpis_chart_marks_each_start_with_a_link_to_it(site):
    workspace, server = site
    triage, chatbot = initiative(workspace, TRIAGE), initiative(workspace, CHATBOT)
    page = render(server, "/kpi/median_days_to_close")
    marks = find(page, "kpi-series-marks")
    links = [c["props"]["href"] for c in marks["props"]["children"] if isinstance(c, dict)]
    assert links == [f"#initiative-{chatbot['initiative_id']}",  # started first
                     f"#initiative-{triage['initiative_id']}"]
    # On the plot, a label short enough for a phone, its link, and the whole title on hover.
    marked = {a.get("hovertext"): a["text"]
              for a in figure(page, "kpi-series-graph")["layout"]["annotations"]}
    assert marked[TRIAGE] == (f'<a href="#initiative-{triage["initiative_id"]}" target="_self" '
                              'style="color:#8a3b00">Same-day triage of Public W…</a>')
    table = json.loads(find(page, "kpi-series-data")["props"]["data-table"])
    started = {row[0]: row[-1] for row in table["rows"]}
    assert table["columns"][-1] == "Initiative started"
    assert started["Jul 2025"] == TRIAGE and started["May 2025"] == CHATBOT


def test_only_the_kpis_an_initiative_means_to_move_show_it(site):
    workspace, server = site
    triage = initiative(workspace, TRIAGE)
    on_time = render(server, "/kpi/on_time_rate")  # the triage's other KPI; not the chatbot's
    section = text(find(on_time, "kpi-initiatives"))
    assert TRIAGE in section and CHATBOT not in section
    assert evidence(workspace, triage["initiative_id"], "on_time_rate")[1] in section
    # No public initiative means to move this one: no section, no marks.
    other = render(server, "/kpi/webinar_attendance")
    assert find(other, "kpi-initiatives") is None and find(other, "kpi-series-marks") is None


def test_the_servers_preview_of_the_page_shows_the_initiatives_too(site):
    workspace, server = site
    triage = initiative(workspace, TRIAGE)
    html = requests.get(server.url + "/kpi/median_days_to_close", timeout=60).text
    preview = html.split('<div id="page-preview">', 1)[1]
    assert f'<article id="initiative-{triage["initiative_id"]}"' in preview
    assert TRIAGE in preview and "Dana Whitfield" in preview


# ---------------------------------------------------------------- the open dataset


def test_the_dataset_holds_the_public_initiatives_and_names_only_agreed_owners(site):
    workspace, server = site
    triage, chatbot = initiative(workspace, TRIAGE), initiative(workspace, CHATBOT)
    answer = requests.get(f"{server.url}/api/v1/datasets/{DATASET}.csv", timeout=60)
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {(int(r["initiative_id"]), r["kpi_id"]) for r in rows} == {
        (triage["initiative_id"], "median_days_to_close"),
        (triage["initiative_id"], "on_time_rate"),
        (chatbot["initiative_id"], "median_days_to_close")}
    mine = next(r for r in rows if r["title"] == TRIAGE and r["kpi_id"] == "on_time_rate")
    verdict, words = evidence(workspace, triage["initiative_id"], "on_time_rate")
    assert (mine["department"], mine["change"], mine["owner"], mine["start_date"],
            mine["verdict"], mine["evidence"]) == (
        "Public Works", triage["change"], "Dana Whitfield", "2025-07-01", verdict, words)
    assert mine["cost_once"] and mine["cost_yearly"] and mine["effect"]
    assert {r["owner"] for r in rows if r["title"] == CHATBOT} == {""}
    served = requests.get(f"{server.url}/api/v1/datasets/{DATASET}/rows", timeout=60).json()
    assert {(r["title"], r["kpi_id"], r["owner"]) for r in served["rows"]} == {
        (TRIAGE, "median_days_to_close", "Dana Whitfield"),
        (TRIAGE, "on_time_rate", "Dana Whitfield"), (CHATBOT, "median_days_to_close", None)}
    # It is in the catalogue with the others.
    listed = requests.get(f"{server.url}/api/v1/datasets", timeout=60).json()["datasets"]
    assert DATASET in {d["id"] for d in listed}


def test_nothing_of_a_private_initiative_or_an_unnamed_owner_is_anywhere_public(site):
    workspace, server = site
    urls = public_urls(workspace, FILE_FORMATS)
    assert {f"/api/v1/datasets/{DATASET}.{f}" for f in FILE_FORMATS} <= urls
    assert "/data.json" in urls
    for url in sorted(urls):
        answer = requests.get(server.url + url, timeout=120)
        assert answer.status_code < 500, url
        found = [s for s in PRIVATE if s in readable(answer)]
        assert not found, (url, found)
    for path in public_pages():
        for shown in (json.dumps(render(server, path)),  # as Dash draws it in a browser
                      requests.get(server.url + path, timeout=60).text):  # the server's preview
            assert not [s for s in PRIVATE if s in shown], path


# ---------------------------------------------------------------- in a real browser

# The site scrolls smoothly (Bootstrap's scroll-behavior): wait until a scroll has ended, the
# page still for a tenth of a second.
SCROLLED = ("() => new Promise(done => { let last = -1; const check = () => { "
            "if (scrollY === last) done(true); else { last = scrollY; setTimeout(check, 100); }"
            " }; check(); })")
# The element's top is in the upper half of the window.
IN_VIEW = ("selector => (top => top >= 0 && top < innerHeight / 2)("
           "document.querySelector(selector).getBoundingClientRect().top)")


@pytest.mark.browser
@pytest.mark.parametrize("width", (375, 1200))
def test_a_chart_mark_is_reached_by_keyboard_and_leads_to_its_initiative(site, width):
    workspace, server = site
    triage = initiative(workspace, TRIAGE)
    anchor = f"#initiative-{triage['initiative_id']}"
    with chromium_page(width=width) as page:
        open_page(page, server.url + "/kpi/on_time_rate", "#kpi-initiatives")
        mark = f"#kpi-series-marks a[href='{anchor}']"
        assert TRIAGE in page.inner_text(mark)
        for _ in range(200):  # Tab from the top of the page until the mark's link has focus
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches(\"{mark}\")"):
                break
        else:
            pytest.fail("the mark's link is never reached by Tab")
        page.evaluate(SCROLLED)  # focus scrolls the link into view: Enter once it is seen
        page.keyboard.press("Enter")
        page.wait_for_function("anchor => location.hash === anchor", arg=anchor)
        page.evaluate(SCROLLED)  # the page scrolls to the initiative, and the keyboard goes
        assert page.evaluate(IN_VIEW, anchor)  # on from there
        assert TRIAGE in page.inner_text(anchor)
        page.keyboard.press("Tab")  # the first thing to focus after the initiative
        assert page.evaluate("document.activeElement.matches('#kpi-initiatives-method summary')")
        # The chart's data table names the initiative on the period it started in.
        page.click("#kpi-series-data summary")
        table = page.wait_for_selector("#kpi-series-data table")
        header = [th.inner_text() for th in table.query_selector_all("thead th")]
        assert header[-1] == "Initiative started"
        label = query(workspace, "SELECT period_label FROM kpi.series WHERE kpi_id = "
                                 "'on_time_rate' AND breakdown IS NULL AND period_start = ?",
                      [triage["start_date"]])[0][0]
        rows = [[cell.inner_text() for cell in row.query_selector_all("th, td")]
                for row in table.query_selector_all("tbody tr")]
        assert [row[-1] for row in rows if row[0] == label] == [TRIAGE]
        assert all(row[-1] == "" for row in rows if row[0] != label)
        assert axe_violations(page) == []
        if width == 375:  # nothing sticks out sideways on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.problems == []
