"""The open-data pages (/data and /data/<id>) served by a real app process over a real snapshot.

Dash draws a page by answering its routing callback, and the preview grid by answering its
`getRowsRequest` callback; the tests ask for both as a browser would. Every figure is checked
against the snapshot file read directly with DuckDB: the catalogue (`opendata.datasets`,
`opendata.files`) and the published views (`opendata."<id>"`).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dashboards.components.datasets import file_size
from dashboards.components.freshness import ago, is_late
from opendata.browse import MAX_BLOCK_ROWS
from tests.dash_client import (
    callback,
    find,
    find_type,
    ids,
    ordered_ids,
    render,
    route,
    run_callback,
    table_rows,
    text,
)
from tests.helpers import ServerProcess, free_port, query, snapshot_file

GRID = "dataset-grid.getRowsResponse"
FILTERED = ["dataset-count.children", "dataset-filtered.children", "dataset-citation.children"]
PERMITS_ORDER = ["permit_id", "permit_type", "district", "applied_on", "issued_on", "status",
                 "valuation", "channel"]


def public_datasets(workspace) -> dict[str, tuple]:
    """id -> (title, description, theme, keywords, rows) of every public dataset."""
    return {row[0]: row[1:] for row in query(
        workspace, "SELECT dataset_id, title, description, theme, keywords, rows "
        "FROM opendata.datasets WHERE audience = 'public' ORDER BY position")}


def cards(page) -> list[str]:
    """The dataset ids of the catalogue's cards, in the order shown."""
    return [i.removeprefix("dataset-card-") for i in ordered_ids(page)
            if i.startswith("dataset-card-")]


def plain(value):
    """A DuckDB value as the grid receives it in JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def view_rows(workspace, dataset_id: str, where: str, params: list, order: str,
              limit: int, offset: int) -> list[dict]:
    """Rows of a published view straight from the snapshot file, as dicts of plain values."""
    columns = [c[0] for c in query(workspace, f'DESCRIBE opendata."{dataset_id}"')]
    got = query(workspace, f'SELECT * FROM opendata."{dataset_id}" WHERE {where} '
                           f"ORDER BY {order} LIMIT {limit} OFFSET {offset}", params)
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in got]


def grid(server, dataset_id: str, search: str, request: object) -> dict:
    return run_callback(server, GRID, {"dataset-grid.getRowsRequest": request},
                        {"dataset-query.data": search, "dataset-id.data": dataset_id})


# ---------------------------------------------------------------- the catalogue


def test_the_catalogue_lists_exactly_the_public_datasets_with_their_rows_and_files(site):
    workspace, server = site
    page = render(server, "/data")
    public = public_datasets(workspace)
    internal = query(workspace, "SELECT dataset_id, title FROM opendata.datasets "
                                "WHERE audience <> 'public'")
    assert internal and public
    assert cards(page) == list(public)
    assert text(find(page, "data-showing")) == f"Showing all {len(public)} datasets."
    for dataset_id, (title, _, _, _, rows) in public.items():
        shown = text(find(page, f"dataset-card-{dataset_id}"))
        counted = query(workspace, f'SELECT count(*) FROM opendata."{dataset_id}"')[0][0]
        assert rows == counted
        assert title in shown and f"{counted:,} rows" in shown, dataset_id
        link = find_type(find(page, f"dataset-card-{dataset_id}"), "Link")
        assert link["props"]["href"] == f"/data/{dataset_id}"
    for _, title in internal:
        assert title not in text(page)
    # Last updated: the snapshot's publication, in words, the exact moment in <time>.
    (published_at,) = [s["published_at"] for s in json.loads(workspace.manifest_text())[
        "snapshots"] if s["id"] == snapshot_file(workspace)[0]]
    moment = find_type(page, "Time")["props"]
    assert datetime.fromisoformat(moment["dateTime"]) == datetime.fromisoformat(published_at)
    assert moment["children"].endswith("ago") or moment["children"] == "just now"


def test_the_search_finds_words_in_titles_descriptions_and_keywords(site):
    workspace, server = site
    public = public_datasets(workspace)

    def expected(*words: str) -> list[str]:
        return [i for i, (title, description, _, keywords, _) in public.items()
                if all(w.casefold() in " ".join([title, description, *keywords]).casefold()
                       for w in words)]

    for search in ("permits", "311", "DISTRICT month", "community"):
        want = expected(*search.split())
        assert want, search  # each search finds something in the sample city
        page = render(server, "/data", "?" + f"q={search.replace(' ', '+')}")
        assert cards(page) == want, search
        assert find(page, "data-search")["props"]["value"] == search
        # The same through the search box's callback.
        answer = callback(server, ["data-list.children", "data-showing.children"],
                          {"data-search.value": search, "data-theme.value": "all",
                           "data-format.value": "all"})
        assert cards(answer["data-list.children"]) == want
        assert answer["data-showing.children"].startswith(f"{len(want)} of {len(public)}")


def test_theme_and_format_filters(site):
    workspace, server = site
    public = public_datasets(workspace)
    themes = {theme for _, _, theme, _, _ in public.values()}
    assert {"services", "budget"} <= themes
    for theme in themes:
        page = render(server, "/data", f"?theme={theme}")
        assert cards(page) == [i for i, d in public.items() if d[2] == theme], theme
        assert find(page, "data-theme")["props"]["value"] == theme
    offered = query(workspace, "SELECT dataset_id, format FROM opendata.files "
                               "WHERE file_name IS NOT NULL")
    for fmt in ("csv", "parquet", "xlsx"):
        answer = callback(server, ["data-list.children", "data-showing.children"],
                          {"data-search.value": "", "data-theme.value": "services",
                           "data-format.value": fmt})
        assert cards(answer["data-list.children"]) == [
            i for i, d in public.items() if d[2] == "services" and (i, fmt) in offered]
    # A value that is not an option falls back to all, as the other pages' selects do.
    assert cards(render(server, "/data", "?theme=nonsense&format=docx")) == list(public)


def test_a_search_that_finds_nothing_says_so_and_offers_every_dataset(site):
    _, server = site
    page = render(server, "/data", "?q=zebra+crossing+quantum")
    assert cards(page) == []
    assert "No dataset matches your search" in text(find(page, "data-list"))
    assert find(page, "data-show-all")["props"]["href"] == "/data"


def test_the_catalogue_is_in_the_main_navigation_and_fully_prerendered(site):
    workspace, server = site
    items = find_type(find_type(server.get("/_dash-layout").json(), "Nav"), "Ul")
    links = {text(item): item["props"]["children"]["props"]["href"]
             for item in items["props"]["children"]}
    assert links["Data"] == "/data"
    assert "Dataset" not in links  # a dataset's page is reached from the catalogue
    html = server.get("/data?theme=services").text
    assert '<div id="page-preview">' in html
    preview = html.split('<div id="page-preview">', 1)[1]
    for dataset_id, (_, _, theme, _, _) in public_datasets(workspace).items():
        assert (f'id="dataset-card-{dataset_id}"' in preview) == (theme == "services")
    assert 'href="/data/permits"' in preview


# ---------------------------------------------------------------- one dataset


def test_a_dataset_page_describes_it_with_downloads_licence_and_freshness(site):
    workspace, server = site
    page = render(server, "/data/permits")
    (title, description, publisher, licence_title, licence_url, frequency), = query(
        workspace, "SELECT title, description, publisher, licence_title, licence_url, "
        "frequency FROM opendata.datasets WHERE dataset_id = 'permits'")
    assert text(find(page, "dataset-title")) == title
    assert text(find(page, "dataset-description")) == description
    about = text(find(page, "dataset-about"))
    assert publisher in about
    assert find(page, "dataset-licence")["props"]["href"] == licence_url
    assert licence_title in text(find(page, "dataset-licence"))
    freshness = text(find(page, "dataset-freshness"))
    assert freshness.startswith("Updated ") and f"expected {frequency}." in freshness
    assert "Older than expected" not in freshness  # published moments ago
    for fmt, size in query(workspace, "SELECT format, bytes FROM opendata.files "
                                      "WHERE dataset_id = 'permits'"):
        link = find(page, f"dataset-download-{fmt}")
        assert link["props"]["href"] == f"/api/v1/datasets/permits.{fmt}"
        assert f"({file_size(size)})" in text(find(page, "dataset-downloads"))
    # Without filters: no filtered downloads, the API address of every row.
    assert not {i for i in ids(page) if i.startswith("dataset-filtered-")}
    assert find(page, "dataset-api")["props"]["href"] == \
        f"{server.url}/api/v1/datasets/permits/rows"
    rows = query(workspace, 'SELECT count(*) FROM opendata."permits"')[0][0]
    assert text(find(page, "dataset-count")) == f"All {rows:,} rows."
    snapshot_id, _ = snapshot_file(workspace)
    citation = text(find(page, "dataset-citation"))
    assert citation.startswith(f"{publisher} (")
    assert f"{title} [dataset], snapshot {snapshot_id}" in citation
    assert f"{server.url}/api/v1/datasets/permits.csv?snapshot={snapshot_id}" in citation
    assert route(server, "/data/permits")["_pages_store.data"]["title"].startswith(title)


def test_the_dictionary_has_every_public_column_and_no_private_one(site):
    workspace, server = site
    for dataset_id, columns_json in query(workspace, "SELECT dataset_id, columns FROM "
                                          "opendata.datasets WHERE audience = 'public'"):
        columns = json.loads(columns_json)
        published = [c[0] for c in query(workspace, f'DESCRIBE opendata."{dataset_id}"')]
        page = render(server, f"/data/{dataset_id}")
        rows = table_rows(find(page, "dataset-dictionary-table"))
        assert [r[0] for r in rows] == [c["name"] for c in columns] == published
        assert [r[1] for r in rows] == [c["type"] for c in columns]
    page = render(server, "/data/service_requests")
    shown = text(page)
    assert "description" not in [r[0] for r in table_rows(find(page, "dataset-dictionary-"
                                                                     "table"))]
    assert "The resident's own words" not in shown  # the private column's own description
    notes = {r[0]: r[5] for r in table_rows(find(page, "dataset-dictionary-table"))}
    assert notes["latitude"].startswith("Rounded to 3 decimal places")
    suppressed = {r[0]: r[5] for r in table_rows(find(render(
        server, "/data/requests_by_district_type"), "dataset-dictionary-table"))}
    assert suppressed["requests"].startswith("Counts from 1 to 4 are withheld")


def test_filters_in_the_url_set_the_controls_count_links_and_citation(site):
    workspace, server = site
    search = "?district=Northgate&applied_on.gte=2024-01-01"
    page = render(server, "/data/permits", search + "&unknown=1&feedback=sent")
    (matched,), = query(workspace, 'SELECT count(*) FROM opendata."permits" '
                        "WHERE district = 'Northgate' AND applied_on >= DATE '2024-01-01'")
    assert find(page, "dataset-query")["props"]["data"] == search
    assert text(find(page, "dataset-count")).startswith(f"{matched:,} of 30,000 rows match")
    assert find(page, "dataset-filtered-csv")["props"]["href"] == \
        f"/api/v1/datasets/permits.csv{search}"
    assert find(page, "dataset-api")["props"]["href"] == \
        f"{server.url}/api/v1/datasets/permits/rows{search}"
    snapshot_id, _ = snapshot_file(workspace)
    assert f"permits.csv{search}&snapshot={snapshot_id}." in text(find(page, "dataset-citation"))
    # The same from the callback the filters drive, for another filter.
    answer = callback(server, FILTERED, {"dataset-query.data": "?status=Issued&valuation.lte=5000"},
                      {"dataset-id.data": "permits"})
    (matched,), = query(workspace, 'SELECT count(*) FROM opendata."permits" '
                        "WHERE status = 'Issued' AND valuation <= 5000")
    assert text(answer["dataset-count.children"]).startswith(f"{matched:,} of 30,000 rows")
    assert find(answer["dataset-filtered.children"], "dataset-filtered-parquet")["props"][
        "href"] == "/api/v1/datasets/permits.parquet?status=Issued&valuation.lte=5000"


def test_a_filter_that_cannot_be_applied_says_why_and_the_grid_gets_no_rows(site):
    _, server = site
    page = render(server, "/data/permits", "?valuation.gte=lots")
    assert "'lots' is not a valid number" in text(find(page, "dataset-count"))
    assert not {i for i in ids(page) if i.startswith("dataset-filtered-")}
    answer = grid(server, "permits", "?valuation.gte=lots", {"startRow": 0, "endRow": 100})
    assert answer == {"rowData": [], "rowCount": 0}


# ---------------------------------------------------------------- the grid


def test_the_grid_answers_the_block_asked_for_sorted_and_filtered(site):
    workspace, server = site
    answer = grid(server, "permits", "?district=Northgate&applied_on.gte=2024-01-01", {
        "startRow": 100, "endRow": 200, "sortModel": [{"colId": "valuation", "sort": "desc"}],
        "filterModel": {}})
    where = "district = ? AND applied_on >= ?"
    params = ["Northgate", date(2024, 1, 1)]
    others = ", ".join(c for c in PERMITS_ORDER if c != "valuation")
    assert answer["rowData"] == view_rows(workspace, "permits", where, params,
                                          f"valuation DESC, {others}", 100, 100)
    assert answer["rowCount"] == query(workspace, 'SELECT count(*) FROM opendata."permits" '
                                       f"WHERE {where}", params)[0][0]

    # Two sort columns, a datetime filter, another dataset.
    answer = grid(server, "service_requests", "?channel=Online&opened_at.gte=2025-06-01T00:00", {
        "startRow": 0, "endRow": 100, "sortModel": [{"colId": "district", "sort": "asc"},
                                                    {"colId": "opened_at", "sort": "desc"}]})
    columns = [c[0] for c in query(workspace, 'DESCRIBE opendata."service_requests"')]
    order = ", ".join(["district ASC", "opened_at DESC",
                       *(c for c in columns if c not in ("district", "opened_at"))])
    want = view_rows(workspace, "service_requests", "channel = ? AND opened_at >= ?",
                     ["Online", datetime(2025, 6, 1)], order, 100, 0)
    assert len(want) == 100 and answer["rowData"] == want


def test_a_block_is_never_larger_than_the_limit_whatever_is_asked(site):
    workspace, server = site
    total = query(workspace, 'SELECT count(*) FROM opendata."service_requests"')[0][0]
    assert total > MAX_BLOCK_ROWS
    answer = grid(server, "service_requests", "", {"startRow": 0, "endRow": 10_000_000})
    assert len(answer["rowData"]) == MAX_BLOCK_ROWS and answer["rowCount"] == total
    # Past the last row: nothing, and the count that tells the grid where the end is.
    answer = grid(server, "service_requests", "", {"startRow": total, "endRow": total + 100})
    assert answer == {"rowData": [], "rowCount": total}


@pytest.mark.parametrize("dataset_id, request_", [
    ("quarantine_summary", {"startRow": 0, "endRow": 100}),  # internal
    ("no_such_dataset", {"startRow": 0, "endRow": 100}),
    ("permits", {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "secret", "sort": "asc"}]}),
    ("permits", {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "valuation",
                                                              "sort": "sideways"}]}),
    ("permits", {"startRow": -5, "endRow": 100}),
    ("permits", {"startRow": "0; DROP TABLE permits", "endRow": 100}),
    ("permits", {"startRow": 50, "endRow": 10}),
    ("permits", "not a request"),
])
def test_a_bad_or_hostile_grid_request_gets_no_rows(site, dataset_id, request_):
    workspace, server = site
    assert grid(server, dataset_id, "", request_) == {"rowData": [], "rowCount": 0}
    assert query(workspace, 'SELECT count(*) FROM opendata."permits"')[0][0] > 0


# ---------------------------------------------------------------- not found


@pytest.mark.parametrize("dataset_id", ["no_such_dataset", "quarantine_summary", "x" * 300,
                                        "permits%2F.."])
def test_an_unknown_or_internal_dataset_is_not_found_and_shows_none_of_it(site, dataset_id):
    workspace, server = site
    page = render(server, f"/data/{dataset_id}")
    assert text(find(page, "dataset-not-found")).startswith("Dataset not found")
    assert find(page, "dataset-list-link")["props"]["href"] == "/data"
    assert not {"dataset-about", "dataset-dictionary", "dataset-grid"} & ids(page)
    (title, columns), = query(workspace, "SELECT title, columns FROM opendata.datasets "
                                         "WHERE dataset_id = 'quarantine_summary'")
    assert title not in text(page)
    assert not any(c["description"] in text(page) for c in json.loads(columns))
    assert route(server, f"/data/{dataset_id}")["_pages_store.data"]["title"].startswith(
        "Dataset not found")


def test_the_dataset_page_is_prerendered_with_a_placeholder_for_the_grid(site):
    _, server = site
    html = server.get("/data/permits?district=Northgate").text
    preview = html.split('<div id="page-preview">', 1)[1]
    assert '<div id="dataset-grid-slot" class="data-grid grid-slot" style="height: 28rem; ' \
        'width: 100%"></div>' in preview
    assert "Data dictionary" in preview and 'id="dataset-filtered-csv"' in preview
    # The filter's control, under the id Dash gives it in the browser.
    assert 'id="{&quot;key&quot;:&quot;district&quot;,&quot;type&quot;:&quot;row-filter' \
           '&quot;}" value="Northgate"' in preview


def test_no_page_loads_the_grids_script_but_every_page_says_where_it_is(site):
    """assets/grid-loader.js loads it when a dataset's grid comes near the screen."""
    _, server = site
    for path in ("/", "/data", "/budget", "/data/permits"):
        html = server.get(path).text
        assert '<script defer src="/_dash-component-suites/dash_ag_grid/' not in html, path
        src = html.split('<meta name="grid-src" content="', 1)[1].split('"', 1)[0]
        assert src.startswith("/_dash-component-suites/dash_ag_grid/dash_ag_grid.")
        assert server.get(src).status_code == 200


def test_before_any_publish_both_pages_say_there_is_no_data_yet(workspace):
    server = ServerProcess([sys.executable, "app.py"], workspace.env, free_port())
    try:
        for path in ("/data", "/data/permits"):
            assert text(render(server, path)).startswith("No data has been published yet")
            assert server.get(path).status_code == 200
    finally:
        server.stop()


# ---------------------------------------------------------------- words


@pytest.mark.parametrize("seconds, words", [
    (5, "just now"), (60, "1 minute ago"), (3 * 3600 + 59, "3 hours ago"),
    (86400, "1 day ago"), (9 * 86400, "1 week ago"), (45 * 86400, "1 month ago"),
    (800 * 86400, "2 years ago")])
def test_ago_says_the_largest_whole_unit(seconds, words):
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert ago(now - timedelta(seconds=seconds), now) == words


def test_a_dataset_is_late_once_older_than_its_frequency():
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert not is_late("2026-11-23T13:00:00+00:00", "daily", now)
    assert is_late("2026-11-23T11:00:00+00:00", "daily", now)
    assert not is_late("2026-11-01T11:00:00+00:00", "monthly", now)
    assert is_late("2026-11-24T10:59:00", "hourly", now)  # no zone: UTC
