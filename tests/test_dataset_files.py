"""Dataset files made at publish and served at /api/v1/datasets/<id>.<format>, over real ETL
runs of the small sample city and a real `python app.py`: checksums, ETag, Range, file names,
earlier snapshots, refusals, download counts; and a dataset that breaks its dictionary
publishing nothing."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml
from openpyxl import load_workbook

from appdb.db import sessions
from appdb.downloads import count_download, download_counts
from appdb.models import DownloadCount
from config.settings import PROJECT_ROOT
from opendata.exports import EXCEL_MAX_ROWS
from tests.helpers import (
    ServerProcess,
    Workspace,
    free_port,
    query,
    snapshot_file,
    write_sources,
)
from tests.test_dataset_exports import files

FORMULAS = ["=HYPERLINK(\"http://evil.example\")", "+1+2", "@SUM(A1)", "plain"]
TRICKY = {"id": "tricky_text", "title": "Text", "description": "Text a spreadsheet would run.",
          "theme": "test", "keywords": ["test"], "frequency": "daily",
          "query": "SELECT * FROM (VALUES " + ", ".join(
              f"({i}, '{text}')" for i, text in enumerate(FORMULAS)) + ") AS t(n, s)",
          "columns": [{"name": "n", "type": "integer", "description": "A number."},
                      {"name": "s", "type": "string", "description": "Some text."}]}
BIG = {"id": "big_numbers", "title": "Numbers", "description": "More rows than Excel holds.",
       "theme": "test", "keywords": ["test"], "frequency": "daily",
       "query": f"SELECT range AS n FROM range({EXCEL_MAX_ROWS + 1})",
       "columns": [{"name": "n", "type": "integer", "description": "A number."}]}


def downloads(workspace: Workspace) -> Path:
    return workspace.root / "data" / "warehouse" / "downloads"


def add_dataset(workspace: Workspace, dataset: dict) -> None:
    path = workspace.root / "config" / "datasets.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["datasets"].append(dataset)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
           ) -> Iterator[tuple[Workspace, ServerProcess, str]]:
    """Two snapshots published (the first id returned too) and a server on the second, with
    two more datasets: one over Excel's limit and one of formula-like text."""
    root = tmp_path_factory.mktemp("files")
    write_sources(root / "config", small_sample)
    workspace = Workspace(root=root, sample_dir=small_sample)
    add_dataset(workspace, BIG)
    add_dataset(workspace, TRICKY)
    workspace.etl("run")
    first, _ = snapshot_file(workspace)
    workspace.etl("run")
    server = ServerProcess([sys.executable, "app.py"], workspace.env, free_port())
    yield workspace, server, first
    server.stop()


def recorded(workspace: Workspace, dataset_id: str, file_format: str) -> tuple:
    return query(workspace, "SELECT file_name, bytes, sha256, note FROM opendata.files "
                 "WHERE dataset_id = ? AND format = ?", [dataset_id, file_format])[0]


@pytest.mark.parametrize("file_format", ["csv", "json", "parquet", "xlsx"])
def test_a_full_download_is_the_file_made_at_publish(served, file_format):
    workspace, server, _ = served
    snapshot, _ = snapshot_file(workspace)
    name, size, digest, _ = recorded(workspace, "permits", file_format)
    answer = server.get(f"/api/v1/datasets/permits.{file_format}")
    assert answer.status_code == 200
    assert answer.content == (downloads(workspace) / snapshot / name).read_bytes()
    assert len(answer.content) == size == int(answer.headers["Content-Length"])
    assert hashlib.sha256(answer.content).hexdigest() == digest
    assert answer.headers["ETag"] == f'"{digest}"'
    assert answer.headers["Content-Disposition"] == \
        f"attachment; filename=permits_{snapshot}.{file_format}"
    assert answer.headers["X-Snapshot-Id"] == snapshot
    assert answer.headers["Cache-Control"] == "no-cache"


def test_the_etag_answers_304_and_a_range_answers_its_bytes(served):
    workspace, server, _ = served
    name, _, digest, _ = recorded(workspace, "service_requests", "csv")
    whole = (downloads(workspace) / snapshot_file(workspace)[0] / name).read_bytes()
    again = requests.get(server.url + "/api/v1/datasets/service_requests.csv", timeout=30,
                         headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.content == b""
    part = requests.get(server.url + "/api/v1/datasets/service_requests.csv", timeout=30,
                        headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == whole[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"


def test_an_earlier_snapshot_is_served_by_its_id_and_cached_for_good(served):
    workspace, server, first = served
    answer = server.get(f"/api/v1/datasets/budget_lines.csv?snapshot={first}")
    assert answer.status_code == 200
    assert answer.headers["X-Snapshot-Id"] == first
    assert answer.content == (downloads(workspace) / first / "budget_lines.csv").read_bytes()
    assert f"budget_lines_{first}.csv" in answer.headers["Content-Disposition"]
    assert "max-age=31536000" in answer.headers["Cache-Control"]


@pytest.mark.parametrize(("path", "status", "wanted"), [
    ("/api/v1/datasets/quarantine_summary.csv", 404, "no public dataset 'quarantine_summary'"),
    ("/api/v1/datasets/nothing.csv", 404, "no public dataset 'nothing'"),
    ("/api/v1/datasets/permits.xml", 404, "the formats are csv, json, parquet, xlsx"),
    ("/api/v1/datasets/permits.csv?snapshot=20000101T000000000Z", 404,
     "snapshot '20000101T000000000Z' is not kept"),
    ("/api/v1/datasets/big_numbers.xlsx", 406,
     "1,048,576 rows is more than Excel's limit of 1,048,575: download the CSV or the Parquet"),
    ("/api/v1/datasets/permits.csv?district.near=x", 400, "'near' is not one of gt, gte"),
    ("/api/v1/datasets/permits.csv?colour=red", 400, "no column 'colour'"),
    ("/api/v1/datasets/permits.json?applied_on.gte=yesterday", 400, "not a valid date"),
    ("/api/v1/datasets/permits.parquet?where=1=1;DROP TABLE permits", 400, "where:"),
    ("/api/v1/datasets/service_requests.csv?description=x", 400, "no column 'description'"),
    ("/api/v1/datasets/quarantine_summary.csv?rows.gt=0", 404, "no public dataset"),
    ("/api/v1/datasets/big_numbers.xlsx?n.gte=0", 406,
     "1,048,576 rows match, more than Excel's limit of 1,048,575: download them as CSV"),
])
def test_what_cannot_be_served_is_refused_with_a_reason(served, path, status, wanted):
    _, server, _ = served
    answer = server.get(path)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    assert wanted in answer.json()["error"]


def test_downloads_are_counted_per_dataset_and_format_without_who(served):
    workspace, server, _ = served
    url = workspace.settings.database_url
    before = {(d, f): n for _, d, f, n in download_counts(url)}
    for _ in range(3):
        assert server.get("/api/v1/datasets/engagement_monthly.parquet").status_code == 200
    resumed = requests.get(server.url + "/api/v1/datasets/engagement_monthly.parquet",
                           headers={"Range": "bytes=100-"}, timeout=30)
    assert resumed.status_code == 206  # a resumed download is not a new one
    assert server.get("/api/v1/datasets/quarantine_summary.csv").status_code == 404
    after = {(d, f): n for _, d, f, n in download_counts(url)}
    assert after[("engagement_monthly", "parquet")] == \
        before.get(("engagement_monthly", "parquet"), 0) + 3
    assert ("quarantine_summary", "csv") not in after


def test_a_dataset_that_breaks_its_dictionary_publishes_nothing(published: Workspace):
    before = published.manifest_text()
    current, _ = snapshot_file(published)
    add_dataset(published, {**BIG, "id": "wrong", "query": "SELECT 1 AS n, 2 AS extra"})
    failed = published.etl("run", check=False)
    assert failed.returncode != 0
    assert "dataset 'wrong': column 'extra' (INTEGER) is not in the data dictionary" \
        in failed.stderr
    assert published.manifest_text() == before
    assert sorted(p.name for p in downloads(published).iterdir()) == [current]
    assert not list((published.root / "data" / "warehouse" / "staging").iterdir())


def test_download_files_go_with_their_snapshot_when_it_is_pruned(published: Workspace):
    first, _ = snapshot_file(published)
    published.etl("run", DASHBOARD_SNAPSHOT_RETENTION="1")
    second, _ = snapshot_file(published)
    assert [p.name for p in downloads(published).iterdir()] == [second] != [first]
    manifest = json.loads(published.manifest_text())
    assert [s["id"] for s in manifest["snapshots"]] == [second]


def test_the_readme_worked_example_publishes_its_files(published: Workspace):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Adding a dataset"):]
    (example,) = yaml.safe_load(section.split("```yaml\n")[1].split("```")[0])
    add_dataset(published, example)
    published.etl("run")
    snapshot, _ = snapshot_file(published)
    # Independently: pandas over the permits the run loaded.
    permits = pd.DataFrame(query(published, "SELECT applied_on, permit_type, district "
                                 "FROM permits"), columns=["applied_on", "type", "district"])
    year = pd.to_datetime(permits["applied_on"]).dt.year
    counts = permits.groupby([year, "type", "district"]).size()
    with open(downloads(published) / snapshot / "permits_by_district.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(counts)
    for row in rows:
        expected = counts[(int(row["year"]), row["permit_type"], row["district"])]
        assert row["permits"] == (str(expected) if expected >= 5 else "")
    assert any(row["permits"] == "" for row in rows)  # the sample has small groups to hide



REQUEST_COLUMNS = ["request_id", "opened_at", "closed_at", "due_at", "request_type", "department",
                   "district", "channel", "status", "latitude", "longitude"]
NORTHGATE = {"district": "Northgate", "applied_on.gte": "2024-01-01", "order": "valuation desc"}


def fetch_all_formats(server: ServerProcess, dataset_id: str, params: dict,
                      folder: Path) -> dict[str, list[list]]:
    """Each format of a download, saved into folder and read back (header first)."""
    folder.mkdir()
    for fmt in ("csv", "json", "parquet", "xlsx"):
        answer = requests.get(f"{server.url}/api/v1/datasets/{dataset_id}.{fmt}",
                              params=params, timeout=60)
        assert answer.status_code == 200, answer.text
        (folder / f"{dataset_id}.{fmt}").write_bytes(answer.content)
    return files(folder, dataset_id)


def test_a_filtered_download_has_just_the_rows_asked_for_in_every_format(served, tmp_path):
    workspace, server, _ = served
    wanted = [row[0] for row in query(
        workspace, "SELECT permit_id FROM permits WHERE district = 'Northgate' AND "
        "applied_on >= DATE '2024-01-01' ORDER BY valuation DESC, permit_id")]
    assert 10 < len(wanted) < query(workspace, "SELECT count(*) FROM permits")[0][0]
    whole = fetch_all_formats(server, "permits", {}, tmp_path / "whole")
    part = fetch_all_formats(server, "permits", NORTHGATE, tmp_path / "part")
    for fmt, rows in whole.items():
        by_id = {row[0]: row for row in rows[1:]}
        assert part[fmt][0] == rows[0], fmt
        # valuation ties keep table order, as the prebuilt file has it
        assert sorted(part[fmt][1:], key=lambda r: wanted.index(r[0])) == \
            [by_id[i] for i in wanted], fmt
        assert [r[0] for r in part[fmt][1:]] != sorted(wanted), fmt  # ordered as asked


def test_a_filtered_download_is_named_for_it_and_says_its_snapshot(served):
    workspace, server, first = served
    snapshot, _ = snapshot_file(workspace)
    answer = requests.get(f"{server.url}/api/v1/datasets/permits.csv", params=NORTHGATE,
                          timeout=30)
    assert answer.headers["Content-Disposition"] == \
        f'attachment; filename="permits_{snapshot}_filtered.csv"'
    assert answer.headers["X-Snapshot-Id"] == snapshot and "ETag" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-cache"
    pinned = requests.get(f"{server.url}/api/v1/datasets/budget_lines.json",
                          params={"snapshot": first, "select": "fiscal_year"}, timeout=30)
    assert pinned.headers["X-Snapshot-Id"] == first
    assert "max-age=31536000" in pinned.headers["Cache-Control"]
    assert {row["fiscal_year"] for row in pinned.json()} == {
        row[0] for row in query(workspace, "SELECT fiscal_year FROM budget_lines")}


@pytest.mark.parametrize(("dataset_id", "params"), [
    ("permits", {"where": "permit_id IS NOT NULL"}),
    ("service_requests", {"select": ",".join(REQUEST_COLUMNS)}),
    ("tricky_text", {"n.gte": "0"}),
])
def test_a_filter_keeping_every_row_gives_the_whole_file(served, dataset_id, params):
    """JSON to the byte; CSV to the value (the stream quotes every text, COPY only where
    needed)."""
    workspace, server, _ = served
    snapshot, _ = snapshot_file(workspace)
    folder = downloads(workspace) / snapshot
    url = f"{server.url}/api/v1/datasets/{dataset_id}"
    as_json = requests.get(f"{url}.json", params=params, timeout=60)
    assert "filtered" in as_json.headers["Content-Disposition"]
    assert as_json.content == (folder / f"{dataset_id}.json").read_bytes()
    as_csv = requests.get(f"{url}.csv", params=params, timeout=60)
    whole = (folder / f"{dataset_id}.csv").read_text(encoding="utf-8")
    assert list(csv.reader(as_csv.text.splitlines())) == list(csv.reader(whole.splitlines()))


def test_formula_like_text_is_defused_in_a_filtered_csv(served):
    _, server, _ = served
    answer = requests.get(f"{server.url}/api/v1/datasets/tricky_text.csv",
                          params={"n.lt": "3"}, timeout=30)
    rows = list(csv.reader(answer.text.splitlines()))
    assert rows == [["n", "s"]] + [[str(i), "'" + text] for i, text in enumerate(FORMULAS[:3])]


def test_a_filtered_xlsx_under_excels_limit_is_made(served, tmp_path):
    _, server, _ = served
    answer = server.get("/api/v1/datasets/big_numbers.xlsx?n.gte=1048570")
    assert answer.status_code == 200
    (tmp_path / "big.xlsx").write_bytes(answer.content)
    book = load_workbook(tmp_path / "big.xlsx", read_only=True)
    assert [r for r in book["data"].iter_rows(values_only=True)] == \
        [("n",)] + [(n,) for n in range(1048570, EXCEL_MAX_ROWS + 1)]


def test_downloads_counted_on_the_site_feed_the_downloads_kpi(published: Workspace):
    """Today's counts reach the warehouse; a complete month's add to the KPI's value."""
    def kpi_value(month: date) -> float:
        return query(published, "SELECT value FROM kpi.series WHERE kpi_id = "
                     "'open_data_downloads' AND breakdown IS NULL AND period_start = ?",
                     [month])[0][0]

    month = query(published, "SELECT max(period_start) FROM kpi.series "
                  "WHERE kpi_id = 'open_data_downloads'")[0][0]
    before = kpi_value(month)
    url = published.settings.database_url
    for _ in range(2):
        count_download(url, "permits", "csv")
    with sessions(url).begin() as session:  # as the route counted them that month
        session.add(DownloadCount(day=month + timedelta(days=14), dataset_id="budget_lines",
                                  format="xlsx", downloads=40))
    published.etl("run")
    today = datetime.now(UTC).date()
    assert query(published, "SELECT day, dataset_id, format, downloads FROM dataset_downloads "
                 "ORDER BY day") == [(month + timedelta(days=14), "budget_lines", "xlsx", 40),
                                     (today, "permits", "csv", 2)]
    assert kpi_value(month) == before + 40
