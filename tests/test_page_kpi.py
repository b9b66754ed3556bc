"""The KPI pages (/kpi/<id> and /kpi) served by a real app process over a real snapshot.

Dash draws a page's content by answering its routing callback (POST /_dash-update-component),
so the tests ask for that answer as a browser would and read the layout it returns. The
figures are checked against kpi.series read straight from the snapshot file with DuckDB.
"""

from __future__ import annotations

import json

import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboards.components.formatting import kpi_value, status_word
from tests.dash_client import (
    figure,
    find,
    find_type,
    ids,
    render,
    route,
    run_callback,
    table_rows,
    text,
)
from tests.helpers import Workspace, query, snapshot_file

# ---------------------------------------------------------------- the KPI page


def latest(workspace: Workspace, kpi_id: str, breakdown: str | None = None) -> list[tuple]:
    """(breakdown_value, period_label, value, status, previous_value) at the latest period."""
    return query(workspace, """
        SELECT breakdown_value, period_label, value, status, previous_value FROM kpi.series
        WHERE kpi_id = ? AND breakdown IS NOT DISTINCT FROM ? AND period_start = (
            SELECT max(period_start) FROM kpi.series
            WHERE kpi_id = ? AND breakdown IS NOT DISTINCT FROM ?)
        ORDER BY breakdown_value
    """, [kpi_id, breakdown, kpi_id, breakdown])


def definition(workspace: Workspace, kpi_id: str) -> dict:
    names = ["title", "unit", "decimals", "target", "breakdowns", "query", "audience"]
    row = query(workspace, f"SELECT {', '.join(names)} FROM kpi.definitions WHERE kpi_id = ?",
                [kpi_id])[0]
    return dict(zip(names, row, strict=True))


@pytest.mark.parametrize("kpi_id", ["on_time_rate", "webinar_attendance",
                                    "budget_execution_rate", "pages_found_useful"])
def test_a_kpi_page_shows_its_definition_latest_value_series_and_lineage(site, kpi_id):
    workspace, server = site
    d = definition(workspace, kpi_id)
    page = render(server, f"/kpi/{kpi_id}")
    shown = text(page)
    assert text(find(page, "kpi-title")) == d["title"]
    [(_, label, value, status, _)] = latest(workspace, kpi_id)
    assert text(find(page, "kpi-latest-value")) == kpi_value(value, d["unit"], d["decimals"])
    assert status_word(status) in text(find(page, "kpi-latest-status"))
    assert f"In {label}" in text(find(page, "kpi-latest"))
    assert "How it is measured" in shown and "Who answers for it" in shown
    # Every published value is in the table, newest first, with its status in words.
    series = query(workspace, "SELECT period_label, value, status FROM kpi.series "
                   "WHERE kpi_id = ? AND breakdown IS NULL ORDER BY period_start DESC",
                   [kpi_id])
    rows = table_rows(find(page, "kpi-values"))
    assert [row[:3] for row in rows] == [
        [p, kpi_value(v, d["unit"], d["decimals"]), status_word(s)] for p, v, s in series]
    # The series chart plots exactly those values, with the target as a dashed line.
    graph = figure(page, "kpi-series-graph")
    assert graph["data"][0]["y"] == pytest.approx([v for _, v, _ in reversed(series)])
    target_line = graph["layout"]["shapes"][0]
    assert target_line["line"]["dash"] == "dash" and target_line["y0"] == d["target"]
    # Lineage: the query as run, the data version and the runs that loaded its tables.
    snapshot_id, _ = snapshot_file(workspace)
    (version, runs, tables), = query(workspace, "SELECT catalogue_version, run_ids, tables "
                                     "FROM kpi.lineage WHERE kpi_id = ?", [kpi_id])
    lineage = text(find(page, "kpi-lineage"))
    assert version in lineage and snapshot_id in lineage
    assert all(run in lineage for run in runs) and all(t in lineage for t in tables)
    assert text(find(page, "kpi-query")) == d["query"]
    download = find(page, "kpi-download")
    assert download["props"]["href"] == f"/downloads/kpi/{kpi_id}.csv"
    assert text(download) == "Download the series (CSV)"


def test_the_target_is_said_in_words(site):
    _, server = site
    page = render(server, "/kpi/on_time_rate")
    assert "Target: 90% or more; below 85% is off target" in text(find(page, "kpi-about"))
    page = render(server, "/kpi/median_days_to_close")
    assert "Target: 2 days or less; above 3 days is off target" in text(find(page, "kpi-about"))
    page = render(server, "/kpi/budget_amendments")  # internal: never described
    assert find(page, "kpi-about") is None


def test_the_breakdown_defaults_to_the_first_and_follows_the_query_string(site):
    workspace, server = site
    d = definition(workspace, "on_time_rate")
    assert d["breakdowns"][0] == "department"
    for search, by in (("", "department"), ("?by=district", "district"),
                       ("?by=nonsense", "department"), ("?by=district&by=channel", "department")):
        page = render(server, "/kpi/on_time_rate", search)
        select = find(page, "kpi-by")
        assert select["props"]["value"] == by, search
        assert [o["value"] for o in select["props"]["options"]] == list(d["breakdowns"])
        groups = latest(workspace, "on_time_rate", by)
        chart = find(page, "kpi-breakdown-chart")
        assert f"By {by}, {groups[0][1]}" == text(find(chart, "kpi-breakdown-chart-title"))
        shown = {row[0]: row[1] for row in table_rows(chart)}
        assert shown == {g: kpi_value(v, d["unit"], d["decimals"]) for g, _, v, _, _ in groups}


def test_a_breakdown_the_kpi_does_not_declare_falls_back(site):
    workspace, server = site
    assert "channel" not in definition(workspace, "backlog")["breakdowns"]
    page = render(server, "/kpi/backlog", "?by=channel")
    assert find(page, "kpi-by")["props"]["value"] == "department"


def test_a_kpi_without_breakdowns_says_so_and_has_no_select(site):
    _, server = site
    page = render(server, "/kpi/webinar_attendance", "?by=district")
    assert find(page, "kpi-by") is None
    assert "no breakdown by group" in text(find(page, "kpi-breakdown"))


def test_changing_the_breakdown_redraws_its_chart(site):
    workspace, server = site
    d = definition(workspace, "median_days_to_close")
    chart = run_callback(server, "kpi-breakdown-content.children",
                         {"kpi-by.value": "channel"}, {"kpi-page-id.data": "median_days_to_close"})
    groups = latest(workspace, "median_days_to_close", "channel")
    assert text(find(chart, "kpi-breakdown-chart-title")) == f"By channel, {groups[0][1]}"
    assert {row[0]: row[1] for row in table_rows(chart)} == {
        g: kpi_value(v, d["unit"], d["decimals"]) for g, _, v, _, _ in groups}
    # The callback checks the KPI as the page does: an internal KPI gets no figures.
    refused = run_callback(server, "kpi-breakdown-content.children",
                           {"kpi-by.value": "district"}, {"kpi-page-id.data": "backlog_age"})
    assert find(refused, "kpi-breakdown-chart") is None
    assert not any(ch.isdigit() for ch in text(refused))


@pytest.mark.parametrize("kpi_id", ["no_such_kpi", "backlog_age", "budget_amendments",
                                    "on_time_rate%2F..", "x" * 300])
def test_an_unknown_or_internal_kpi_is_not_found_and_shows_none_of_its_figures(site, kpi_id):
    workspace, server = site
    page = render(server, f"/kpi/{kpi_id}")
    shown = text(page)
    assert text(find(page, "kpi-not-found")).startswith("KPI not found")
    assert find(page, "kpi-list-link")["props"]["href"] == "/kpi"
    assert not {"kpi-latest", "kpi-values", "kpi-lineage", "kpi-download"} & ids(page)
    internal = query(workspace, "SELECT kpi_id, title, unit, decimals FROM kpi.definitions "
                     "WHERE audience = 'internal'")
    assert {"backlog_age", "budget_amendments"} <= {row[0] for row in internal}
    for internal_id, title, unit, decimals in internal:
        assert title not in shown
        for (value,) in query(workspace, "SELECT value FROM kpi.series WHERE kpi_id = ?",
                              [internal_id])[:50]:
            assert kpi_value(value, unit, decimals) not in shown


def test_the_page_title_names_the_kpi(site):
    _, server = site
    for path, title in (("/kpi/on_time_rate", "Requests closed on time"),
                        ("/kpi/backlog_age", "KPI not found"), ("/kpi", "All measures")):
        full = f"{title} · Millbrook Open Data & Performance"
        # What the browser's tab shows (set from the routing callback) and what links preview.
        assert route(server, path)["_pages_store.data"]["title"] == full
        assert f'<meta property="og:title" content="{full.replace("&", "&amp;")}">' in \
            server.get(path).text


def test_the_list_shows_every_public_kpi_by_theme_and_no_internal_one(site):
    workspace, server = site
    page = render(server, "/kpi")
    shown = text(page)
    for kpi_id, title, audience in query(workspace, "SELECT kpi_id, title, audience "
                                         "FROM kpi.definitions"):
        assert (title in shown) == (audience == "public"), kpi_id
    budget = find(page, "kpi-list-budget")
    assert "Budget execution rate" in text(budget) and "Active contributors" not in text(budget)


def test_the_kpi_page_is_not_in_the_main_navigation(site):
    _, server = site
    layout = server.get("/_dash-layout").json()
    nav = text(find_type(layout, "Nav"))
    assert "Home" in nav and "Community" in nav
    assert "KPI" not in nav


def test_layout_without_arguments_lists_the_kpis_and_keeps_the_callback_ids(site):
    """Dash checks callbacks against each page's layout() with no arguments."""
    workspace, _ = site
    from app import create_app
    from dashboards.public import kpi

    server = create_app(workspace.settings)
    with server.test_request_context("/"):
        tree = json.loads(json.dumps(kpi.layout(), cls=PlotlyJSONEncoder))
    assert text(tree).startswith("All measures")
    assert {"kpi-by", "kpi-breakdown-content", "kpi-page-id", "kpi-url-sync"} <= ids(tree)

