"""GET /downloads/kpi/<id>.csv from a real app process: rows, headers, refusals, injection."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from kpis.series_export import COLUMNS, neutralise
from tests.helpers import ServerProcess, Workspace, published_site, query, snapshot_file


def download(server: ServerProcess, kpi_id: str, **headers: str) -> requests.Response:
    return requests.get(f"{server.url}/downloads/kpi/{kpi_id}.csv", headers=headers, timeout=60)


def read_csv(answer: requests.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))


def as_text(value: object) -> str:
    """How a value read with DuckDB is expected in the file."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


@pytest.mark.parametrize("kpi_id", ["on_time_rate", "budget_growth", "webinar_attendance"])
def test_the_file_holds_exactly_the_kpi_series_of_the_snapshot(site, kpi_id):
    workspace, server = site
    snapshot_id, _ = snapshot_file(workspace)
    answer = download(server, kpi_id)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == \
        f'attachment; filename="{kpi_id}_{snapshot_id}.csv"'
    assert answer.headers["ETag"] == f'"{snapshot_id}-{kpi_id}"'
    assert answer.text.splitlines()[0] == ",".join(COLUMNS)
    expected = query(workspace, """
        SELECT s.kpi_id, s.breakdown, s.breakdown_value, s.period_start, s.period_label,
               s.value, s.status, d.target, s.previous_value, s.year_ago_value,
               s.catalogue_version
        FROM kpi.series s JOIN kpi.definitions d USING (kpi_id) WHERE s.kpi_id = ?
        ORDER BY s.breakdown NULLS FIRST, s.breakdown_value, s.period_start
    """, [kpi_id])
    rows = read_csv(answer)
    assert len(rows) == len(expected) > 0
    for row, want in zip(rows, expected, strict=True):
        assert [row[c] for c in COLUMNS[:-1]] == [as_text(v) for v in want]
        assert row["snapshot_id"] == snapshot_id
        assert float(row["value"]) == want[5]  # every digit survives the trip
    if kpi_id == "on_time_rate":
        assert {r["breakdown"] for r in rows} == {"", "department", "district", "channel",
                                                  "request_type"}


def test_negative_numbers_stay_numbers(site):
    """Only text is neutralised: a value of -0.01 is a number, not a formula."""
    workspace, server = site
    negative = query(workspace, "SELECT count(*) FROM kpi.series "
                     "WHERE kpi_id = 'budget_growth' AND value < 0")[0][0]
    assert negative > 0
    values = [r["value"] for r in read_csv(download(server, "budget_growth"))]
    assert sum(v.startswith("-") for v in values) == negative
    assert not any(v.startswith("'") for v in values)


def test_the_etag_answers_304_until_the_data_changes(site):
    workspace, server = site
    snapshot_id, _ = snapshot_file(workspace)
    again = download(server, "on_time_rate", **{"If-None-Match": f'"{snapshot_id}-on_time_rate"'})
    assert again.status_code == 304 and again.content == b""
    other = download(server, "on_time_rate", **{"If-None-Match": '"20000101T000000000Z-x"'})
    assert other.status_code == 200 and other.content


@pytest.mark.parametrize("kpi_id", ["backlog_age", "budget_amendments", "no_such_kpi",
                                    "ON_TIME_RATE"])
def test_an_internal_or_unknown_kpi_is_a_plain_404(site, kpi_id):
    _, server = site
    answer = download(server, kpi_id)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "No public KPI has this id. The list of KPIs is at /kpi\n"
    assert "Content-Disposition" not in answer.headers


def test_the_route_does_not_collide_with_the_kpi_pages(site):
    _, server = site
    page = server.get("/kpi/on_time_rate")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert download(server, "on_time_rate").headers["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("cell, shown", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@cmd", "'@cmd"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Police", "Police"), (-0.5, -0.5), (None, None),
])
def test_neutralise(cell, shown):
    assert neutralise(cell) == shown


# ---------------------------------------------------------------- a city with hostile names

HOSTILE_TYPE = '=HYPERLINK("http://example.com","Noise complaint")'
HOSTILE_DISTRICT = "@Hillcrest"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
                 ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """The sample city with a request type and a district that a spreadsheet would run."""
    root = tmp_path_factory.mktemp("hostile")
    sample = root / "sample"
    shutil.copytree(small_sample, sample)
    path = sample / "service_requests.csv"
    with path.open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    for row in rows:
        if row["request_type"] == "Noise complaint":
            row["request_type"] = HOSTILE_TYPE
        if row["district"] == "Hillcrest":
            row["district"] = HOSTILE_DISTRICT
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with published_site(root, sample) as both:
        yield both


def test_a_name_a_spreadsheet_would_run_is_written_as_text(hostile_site):
    workspace, server = hostile_site
    stored = {value for (value,) in query(
        workspace, "SELECT DISTINCT breakdown_value FROM kpi.series "
        "WHERE kpi_id = 'median_days_to_close'")}
    assert {HOSTILE_TYPE, HOSTILE_DISTRICT} <= stored  # the data really holds them
    rows = read_csv(download(server, "median_days_to_close"))
    groups = {r["breakdown_value"] for r in rows}
    assert "'" + HOSTILE_TYPE in groups and "'" + HOSTILE_DISTRICT in groups
    assert HOSTILE_TYPE not in groups and HOSTILE_DISTRICT not in groups
    assert not any(g.startswith(("=", "+", "-", "@")) for g in groups)
    # Everything else is as stored: the same number of rows, the same values.
    assert len(rows) == query(workspace, "SELECT count(*) FROM kpi.series "
                              "WHERE kpi_id = 'median_days_to_close'")[0][0]
