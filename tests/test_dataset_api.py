"""The open-data API over a published sample city and a real `python app.py`: the catalogue,
rows with paging, columns, order, every filter operator and the `where` syntax, checked
against the snapshot read directly; bad and hostile parameters answered 400, never 500."""

from __future__ import annotations

import string

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import query, snapshot_file

PERMITS = "/api/v1/datasets/permits/rows"
COLUMNS = ["permit_id", "permit_type", "district", "applied_on", "issued_on", "status",
           "valuation", "channel"]


def get(server, path: str, **params) -> requests.Response:
    return requests.get(server.url + path, params=params, timeout=30)


def ids(answer: requests.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [row["permit_id"] for row in answer.json()["rows"]]


def expected(workspace, where: str = "TRUE", params: list | None = None,
             order: str = "permit_id") -> list[str]:
    """Permit ids straight from the snapshot's permits table."""
    return [r[0] for r in query(workspace, f"SELECT permit_id FROM permits WHERE {where} "
                                           f"ORDER BY {order}", params or [])]


def test_the_catalogue_lists_public_datasets_with_files_and_dictionary(site):
    workspace, server = site
    answer = get(server, "/api/v1/datasets").json()
    snapshot, _ = snapshot_file(workspace)
    assert answer["snapshot"]["id"] == snapshot
    listed = {d["id"]: d for d in answer["datasets"]}
    assert "quarantine_summary" not in listed and "permits" in listed
    permits = listed["permits"]
    assert [c["name"] for c in permits["columns"]] == COLUMNS
    assert permits["rows"] == query(workspace, "SELECT count(*) FROM permits")[0][0]
    assert permits["licence"]["id"] == "CC-BY-4.0"
    csv_file = next(d for d in permits["downloads"] if d["format"] == "csv")
    assert csv_file["url"].endswith("/api/v1/datasets/permits.csv")
    assert requests.get(csv_file["url"], timeout=30).headers["ETag"] == \
        f'"{csv_file["sha256"]}"'
    requests_columns = [c["name"] for c in listed["service_requests"]["columns"]]
    assert "description" not in requests_columns  # private
    one = get(server, "/api/v1/datasets/permits").json()["dataset"]
    assert one == permits


def test_pages_follow_next_links_to_every_row_once(site):
    workspace, server = site
    want = expected(workspace, "district = ?", ["Northgate"])
    got, url, pages = [], f"{server.url}{PERMITS}?district=Northgate&limit=1000", 0
    while url:
        answer = requests.get(url, timeout=30).json()
        got += [row["permit_id"] for row in answer["rows"]]
        url, pages = answer["next"], pages + 1
    assert got == want and pages == len(want) // 1000 + 1


def test_select_and_order(site):
    workspace, server = site
    answer = get(server, PERMITS, select="valuation,permit_id", order="valuation desc",
                 limit="5").json()
    assert answer["columns"] == ["valuation", "permit_id"]
    assert [list(r) for r in answer["rows"]] == [["valuation", "permit_id"]] * 5
    top = query(workspace, "SELECT permit_id, valuation FROM permits "
                           "ORDER BY valuation DESC, permit_id LIMIT 5")
    assert [(r["permit_id"], r["valuation"]) for r in answer["rows"]] == \
        [(i, float(v)) for i, v in top]


@pytest.mark.parametrize(("params", "where", "values"), [
    ({"district": "Northgate"}, "district = ?", ["Northgate"]),
    ({"valuation.gt": "100000"}, "valuation > ?", [100000]),
    ({"valuation.gte": "100000"}, "valuation >= ?", [100000]),
    ({"applied_on.lt": "2024-01-01"}, "applied_on < ?", ["2024-01-01"]),
    ({"applied_on.lte": "2024-01-01"}, "applied_on <= ?", ["2024-01-01"]),
    ({"status.ne": "Issued"}, "status != ?", ["Issued"]),
    ({"$where": "district IN ('Northgate', 'Hillcrest') AND valuation BETWEEN 1000 AND 5000"},
     "district IN ('Northgate', 'Hillcrest') AND valuation BETWEEN 1000 AND 5000", []),
    ({"where": "NOT (status = 'Issued' OR status = 'Denied') AND issued_on IS NULL"},
     "NOT (status = 'Issued' OR status = 'Denied') AND issued_on IS NULL", []),
    ({"where": "permit_type LIKE 'Building%' AND issued_on IS NOT NULL"},
     "permit_type LIKE 'Building%' AND issued_on IS NOT NULL", []),
    ({"where": "valuation <> 0 AND channel = 'Online'", "district": "Eastfield"},
     "valuation <> 0 AND channel = 'Online' AND district = 'Eastfield'", []),
])
def test_every_filter_operator_matches_the_snapshot(site, params, where, values):
    workspace, server = site
    want = expected(workspace, where, values)
    assert want  # the sample has rows for every case
    assert ids(get(server, PERMITS, limit="5000", **params)) == want[:5000]


@pytest.mark.parametrize(("params", "wanted"), [
    ({"select": "permit_id,secret"}, "select: no column 'secret'"),
    ({"order": "valuation sideways"}, "order: 'valuation sideways' is not"),
    ({"nonsense": "1"}, "filter 'nonsense': no column 'nonsense'"),
    ({"valuation.about": "1"}, "'about' is not one of gt, gte, lt, lte, ne"),
    ({"limit": "0"}, "limit: '0' is not a whole number from 1 to 5,000"),
    ({"limit": "-1"}, "limit"), ({"offset": "x"}, "offset"),
    ({"valuation": "lots"}, "filter valuation: 'lots' is not a valid number"),
    ({"where": "valuation >"}, "where: the condition ends too early"),
    ({"where": "district = 'North"}, "where: unexpected character"),
    ({"where": "district = 'a' extra"}, "where: unexpected 'extra'"),
    ({"where": "(" * 30 + "district = 'a'" + ")" * 30}, "nested more than 20 deep"),
    ({"where": "x" * 2001}, "longer than 2,000 characters"),
    ({"where": "valuation LIKE 'x%'"}, "LIKE takes a text column"),
    ({"limit": "5", "$limit": "6"}, "both with and without '$'"),
])
def test_bad_parameters_answer_400_saying_what_is_wrong(site, params, wanted):
    _, server = site
    answer = get(server, PERMITS, **params)
    assert answer.status_code == 400
    assert wanted in answer.json()["error"]


@pytest.mark.parametrize("hostile", [
    "district = 'x'; DROP TABLE permits; --'",
    "district = 'x' OR 1=1",
    "district = 'x'' OR ''1''=''1'",
    "\"district\" = 'x'",
    "district = (SELECT max(district) FROM permits)",
    "read_csv('/etc/passwd') IS NULL",
])
def test_injection_attempts_are_refused_or_taken_as_plain_values(site, hostile):
    workspace, server = site
    answer = get(server, PERMITS, where=hostile)
    assert answer.status_code in (200, 400)
    if answer.status_code == 200:  # a quoted value, compared as text: no district has it
        assert answer.json()["rows"] == []
    assert query(workspace, "SELECT count(*) FROM permits")[0][0] > 0
    for name in ("permit_id", "district"):
        answer = get(server, PERMITS, **{name: hostile})
        assert answer.status_code == 200 and answer.json()["rows"] == []


def test_unknown_and_internal_datasets_and_snapshots_are_404(site):
    _, server = site
    for path in ("/api/v1/datasets/quarantine_summary/rows", "/api/v1/datasets/none",
                 "/api/v1/datasets/none/rows"):
        answer = get(server, path)
        assert answer.status_code == 404 and "no public dataset" in answer.json()["error"]
    answer = get(server, PERMITS, snapshot="19990101T000000000Z")
    assert answer.status_code == 404 and "is not kept" in answer.json()["error"]


def test_a_pinned_snapshot_answers_the_same_and_is_cacheable(site):
    workspace, server = site
    snapshot, _ = snapshot_file(workspace)
    pinned = get(server, PERMITS, snapshot=snapshot, limit="3")
    assert pinned.json()["snapshot"]["id"] == snapshot
    assert pinned.json()["rows"] == get(server, PERMITS, limit="3").json()["rows"]
    assert "max-age=31536000" in pinned.headers["Cache-Control"]


WORDS = st.sampled_from(["AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN", "(", ")",
                         ",", "=", "<", ">=", "<>", "'x'", "'", "1", "-2.5e3", "true",
                         *COLUMNS, "secret", ";", "--", "\x00"])
TEXT = st.text(alphabet=string.printable + "é€\x00", max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.one_of(TEXT, st.lists(WORDS, max_size=12).map(" ".join)),
       key=st.sampled_from(["select", "order", "limit", "offset", "$where", "valuation",
                            "applied_on.gte", "district", "issued_on.ne", "x.y"]),
       value=TEXT)
def test_no_input_gives_a_server_error(site, where, key, value):
    _, server = site
    answer = get(server, PERMITS, where=where, **{key: value})
    assert answer.status_code in (200, 400), answer.text
    assert "error" in answer.json() or "rows" in answer.json()


# ---------------------------------------------------------------- KPI values


def test_the_kpi_list_has_every_public_kpi_with_its_latest_city_wide_value(site):
    workspace, server = site
    answer = get(server, "/api/v1/kpis").json()
    public = [r[0] for r in query(workspace, "SELECT kpi_id FROM kpi.definitions "
                                             "WHERE audience = 'public' ORDER BY position")]
    assert [k["id"] for k in answer["kpis"]] == public
    latest = dict(query(workspace, "SELECT kpi_id, value FROM kpi.series "
                                   "WHERE breakdown IS NULL AND is_latest"))
    assert len(latest) > len(public) / 2
    for kpi in answer["kpis"]:
        if kpi["id"] not in latest:  # no value yet ("No data yet" on its tile)
            assert kpi["latest"] is None
            continue
        assert kpi["latest"]["value"] == pytest.approx(latest[kpi["id"]])
        assert kpi["series_url"].endswith(f"/api/v1/kpis/{kpi['id']}")
    assert answer["snapshot"]["id"] == snapshot_file(workspace)[0]


def test_a_kpi_answers_its_whole_series_and_lineage(site):
    workspace, server = site
    answer = get(server, "/api/v1/kpis/median_days_to_close").json()
    assert answer["kpi"]["title"] == query(
        workspace, "SELECT title FROM kpi.definitions WHERE kpi_id = 'median_days_to_close'"
    )[0][0]
    stored = query(workspace, "SELECT breakdown, breakdown_value, period_start, value "
                              "FROM kpi.series WHERE kpi_id = 'median_days_to_close' "
                              "ORDER BY breakdown NULLS FIRST, breakdown_value, period_start")
    assert [(r["breakdown"], r["breakdown_value"], r["period_start"], r["value"])
            for r in answer["series"]] == [(b, v, p.isoformat(), x) for b, v, p, x in stored]
    assert answer["lineage"]["snapshot_id"] == snapshot_file(workspace)[0]


@pytest.mark.parametrize("kpi_id", ["backlog_age", "no_such_kpi"])
def test_an_internal_or_unknown_kpi_is_404(site, kpi_id):
    _, server = site
    answer = get(server, f"/api/v1/kpis/{kpi_id}")
    assert answer.status_code == 404 and "no public KPI" in answer.json()["error"]
    assert kpi_id not in {k["id"] for k in get(server, "/api/v1/kpis").json()["kpis"]}

