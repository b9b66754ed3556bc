"""Datasets built into a real DuckDB snapshot at publish: the dictionary enforced, private
columns left out, coordinates rounded, small counts withheld, formula-like text defused, and
every file (CSV, JSON, Parquet, XLSX) parsing back to the same rows."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from opendata.catalogue import DatasetCatalogue
from opendata.exports import EXCEL_MAX_ROWS
from opendata.publish import DatasetError, publish_datasets
from warehouse.checksum import sha256_file

TOP = {"publisher": "City of Millbrook",
       "contact": {"name": "Open Data Team", "email": "opendata@millbrook.example"}}
SECRET = "my name is Jane Roe, 12 Elm Street"
REQUESTS = {
    "id": "requests", "title": "Requests", "description": "Requests.", "theme": "services",
    "keywords": ["311"], "frequency": "daily", "table": "requests",
    "columns": [
        {"name": "request_id", "type": "string", "description": "Number."},
        {"name": "opened_at", "type": "datetime", "description": "Opened."},
        {"name": "opened_on", "type": "date", "description": "Day opened."},
        {"name": "online", "type": "boolean", "description": "Made online."},
        {"name": "district", "type": "string", "description": "District.",
         "allowed": ["North", "South"]},
        {"name": "latitude", "type": "number", "description": "Latitude.", "round": 3},
        {"name": "cost", "type": "number", "description": "Cost.", "unit": "USD"},
        {"name": "note", "type": "string", "description": "Free text.", "private": True},
    ],
}
COUNTS = {
    "id": "counts", "title": "Counts", "description": "Counts.", "theme": "services",
    "keywords": ["311"], "frequency": "daily",
    "query": "SELECT district, count(*) AS requests FROM requests GROUP BY ALL",
    "columns": [{"name": "district", "type": "string", "description": "District."},
                {"name": "requests", "type": "integer", "description": "Requests.",
                 "suppress": True}],
}
# Text a spreadsheet would run as a formula, and text that only looks a little like it.
FORMULAS = ["=HYPERLINK(\"http://evil.example\")", "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"]
PLAIN = ["SR-1", "a=b", "Jane's"]


@pytest.fixture
def snapshot(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "snapshot.duckdb"))
    connection.execute("""CREATE TABLE requests (request_id VARCHAR, opened_at TIMESTAMP,
        opened_on DATE, online BOOLEAN, district VARCHAR, latitude DOUBLE, cost DECIMAL(10, 2),
        note VARCHAR, _source VARCHAR)""")
    ids = FORMULAS + PLAIN
    for i, request_id in enumerate(ids):
        connection.execute(
            "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'file.csv')",
            [request_id, datetime(2026, 1, 2, 3, 4, 5 + i), date(2026, 1, 2 + i), i % 2 == 0,
             "North" if i < 7 else "South", 41.123456 + i, 10.5 + i, SECRET])
    connection.execute("INSERT INTO requests VALUES ('SR-null', NULL, NULL, NULL, NULL, NULL, "
                       "NULL, NULL, 'file.csv')")
    yield connection
    connection.close()


def catalogue(*datasets: dict, **top) -> DatasetCatalogue:
    return DatasetCatalogue.model_validate({**TOP, **top, "datasets": list(datasets)})


def files(folder: Path, stem: str) -> dict[str, list[list]]:
    """Every format's rows (header first), read back with the reader its users would use."""
    with open(folder / f"{stem}.csv", newline="", encoding="utf-8") as handle:
        from_csv = list(csv.reader(handle))
    records = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    from_json = [list(records[0])] + [list(r.values()) for r in records]
    table = pq.read_table(folder / f"{stem}.parquet")
    from_parquet = [table.column_names] + [list(r.values()) for r in table.to_pylist()]
    book = load_workbook(folder / f"{stem}.xlsx", read_only=True)
    from_xlsx = [list(r) for r in book["data"].iter_rows(values_only=True)]
    return {"csv": from_csv, "json": from_json, "parquet": from_parquet, "xlsx": from_xlsx}


def test_private_columns_are_in_no_output_and_the_rest_is_everywhere(snapshot, tmp_path):
    publish_datasets(snapshot, catalogue(REQUESTS), tmp_path / "out", "run1")
    published = ["request_id", "opened_at", "opened_on", "online", "district", "latitude", "cost"]
    view = snapshot.execute("DESCRIBE opendata.requests").fetchall()
    assert [row[0] for row in view] == published
    for fmt, rows in files(tmp_path / "out", "requests").items():
        assert rows[0] == published, fmt
        assert len(rows) == 1 + 10, fmt
    for path in (tmp_path / "out").iterdir():
        assert b"Jane Roe" not in path.read_bytes() and b"Elm Street" not in path.read_bytes()
    dictionary = json.loads(snapshot.execute(
        "SELECT columns FROM opendata.datasets WHERE dataset_id = 'requests'").fetchone()[0])
    assert [c["name"] for c in dictionary] == published


def test_every_format_reads_back_as_the_same_rows(snapshot, tmp_path):
    publish_datasets(snapshot, catalogue(REQUESTS), tmp_path / "out", "run1")
    expected = snapshot.execute("SELECT * FROM opendata.requests ORDER BY request_id").fetchall()
    read = files(tmp_path / "out", "requests")

    def by_id(rows):
        return sorted(rows[1:], key=lambda r: r[0].lstrip("'"))

    for got, want in zip(by_id(read["parquet"]), expected, strict=True):
        assert tuple(got) == want
    for got, want in zip(by_id(read["json"]), expected, strict=True):
        opened = None if want[1] is None else want[1].isoformat(sep=" ")
        assert got == [want[0], opened, want[2] and want[2].isoformat(), want[3], want[4],
                       want[5], None if want[6] is None else float(want[6])]
    for got, want in zip(by_id(read["csv"]), expected, strict=True):
        assert got[1:] == ["" if v is None else
                           ("true" if v is True else "false" if v is False else
                            v.isoformat(sep=" ") if isinstance(v, datetime) else str(v))
                           for v in want[1:]]
    for got, want in zip(by_id(read["xlsx"]), expected, strict=True):
        day = None if want[2] is None else datetime.combine(want[2], datetime.min.time())
        assert got[1:] == [want[1], day, want[3], want[4], want[5],
                           None if want[6] is None else float(want[6])]


def test_formula_like_text_is_defused_in_csv_and_xlsx_only(snapshot, tmp_path):
    publish_datasets(snapshot, catalogue(REQUESTS), tmp_path / "out", "run1")
    read = files(tmp_path / "out", "requests")
    for fmt in ("csv", "xlsx"):
        ids = {row[0] for row in read[fmt][1:]}
        assert {"'" + text for text in FORMULAS} <= ids, fmt
        assert set(PLAIN) <= ids, fmt  # only a leading character triggers it
    for fmt in ("json", "parquet"):
        assert set(FORMULAS + PLAIN) <= {row[0] for row in read[fmt][1:]}, fmt


def test_coordinates_are_rounded(snapshot, tmp_path):
    publish_datasets(snapshot, catalogue(REQUESTS), tmp_path / "out", "run1")
    latitudes = {row[5] for row in files(tmp_path / "out", "requests")["parquet"][1:]}
    assert latitudes == {round(41.123456 + i, 3) for i in range(9)} | {None}


@pytest.mark.parametrize("threshold", [5, 3])
def test_small_counts_are_withheld_and_the_dictionary_says_so(snapshot, tmp_path, threshold):
    publish_datasets(snapshot, catalogue(COUNTS, small_count_threshold=threshold),
                     tmp_path / "out", "run1")
    counts = dict(snapshot.execute("SELECT district, requests FROM opendata.counts").fetchall())
    # North has 7 requests, South 2, the unknown district 1.
    assert counts == {"North": 7, "South": None if threshold > 2 else 2, None: None}
    for fmt, rows in files(tmp_path / "out", "counts").items():
        south = next(r for r in rows[1:] if r[0] == "South")
        assert south[1] in (None, ""), fmt
    column = json.loads(snapshot.execute(
        "SELECT columns FROM opendata.datasets").fetchone()[0])[1]
    assert column["suppressed_below"] == threshold
    assert f"Counts from 1 to {threshold - 1} are withheld" in column["description"]


def test_file_sizes_and_checksums_are_recorded(snapshot, tmp_path):
    publish_datasets(snapshot, catalogue(REQUESTS), tmp_path / "out", "run1")
    recorded = snapshot.execute(
        "SELECT format, file_name, bytes, sha256 FROM opendata.files ORDER BY format").fetchall()
    assert [r[0] for r in recorded] == ["csv", "json", "parquet", "xlsx"]
    for _, name, size, digest in recorded:
        path = tmp_path / "out" / name
        assert path.stat().st_size == size and sha256_file(path) == digest


def test_an_xlsx_over_excels_limit_is_not_made_and_says_why(snapshot, tmp_path):
    big = {**COUNTS, "id": "big", "query": f"SELECT range AS n FROM range({EXCEL_MAX_ROWS + 1})",
           "columns": [{"name": "n", "type": "integer", "description": "A number."}]}
    publish_datasets(snapshot, catalogue(big), tmp_path / "out", "run1")
    name, note = snapshot.execute(
        "SELECT file_name, note FROM opendata.files WHERE format = 'xlsx'").fetchone()
    assert name is None and not (tmp_path / "out" / "big.xlsx").exists()
    assert "1,048,576 rows is more than Excel's limit of 1,048,575" in note
    assert "CSV" in note and "Parquet" in note
    assert (tmp_path / "out" / "big.csv").read_bytes().count(b"\n") == EXCEL_MAX_ROWS + 2


@pytest.mark.parametrize(("change", "wanted"), [
    ({"columns": REQUESTS["columns"][:-1]},
     "dataset 'requests': column 'note' (VARCHAR) is not in the data dictionary"),
    ({"columns": [*REQUESTS["columns"], {"name": "ward", "type": "string",
                                         "description": "Ward."}]},
     "dataset 'requests': column 'ward' is described but the table has no such column"),
    ({"columns": [{**REQUESTS["columns"][0], "type": "integer"}, *REQUESTS["columns"][1:]]},
     "dataset 'requests': column 'request_id' is described as integer but holds VARCHAR"),
    ({"columns": [*REQUESTS["columns"][:4], {**REQUESTS["columns"][4], "allowed": ["North"]},
                  *REQUESTS["columns"][5:]]},
     "dataset 'requests': column 'district' holds values its dictionary does not allow: "
     "'South' (2 rows) (allowed: North)"),
    ({"table": None, "query": "SELECT nonsense FROM requests"},
     "dataset 'requests': its query failed"),
])
def test_a_dataset_that_breaks_its_dictionary_is_refused_by_name(snapshot, tmp_path, change,
                                                                 wanted):
    dataset = {k: v for k, v in {**REQUESTS, **change}.items() if v is not None}
    with pytest.raises(DatasetError) as raised:
        publish_datasets(snapshot, catalogue(dataset), tmp_path / "out", "run1")
    assert wanted in str(raised.value)


def test_a_dataset_over_a_table_no_source_loads_has_no_data(snapshot, tmp_path):
    absent = {**COUNTS, "id": "absent", "query": "SELECT 'x' AS district, 1 AS requests "
              "FROM permits"}
    outcomes = publish_datasets(snapshot, catalogue(absent, REQUESTS), tmp_path / "out", "r")
    assert [(o.dataset_id, o.rows) for o in outcomes] == [("absent", None), ("requests", 10)]
    assert snapshot.execute("SELECT rows FROM opendata.datasets WHERE dataset_id = 'absent'"
                            ).fetchone() == (None,)
    assert not list((tmp_path / "out").glob("absent.*"))
