"""The csv kind reads real files, plain or gzip, into the raw table, and names bad files."""

import gzip
import hashlib
from pathlib import Path

import duckdb
import pytest

from etl.errors import SourceError
from etl.sources import Extracted, Input
from etl.sources.csv import CsvSource, extract

BUDGET = b"Department,Fund,Amount\nParks,General,1200\nPolice,General,5400.50\n"


def _file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _source(path: Path | str, **options) -> CsvSource:
    return CsvSource(kind="csv", domain="budget", columns={}, path=str(path), **options)


def _read(path: Path | str, **options) -> tuple[Extracted, list[tuple]]:
    connection = duckdb.connect()
    extracted = extract(connection, "budget_lines", _source(path, **options))
    rows = connection.execute(f"SELECT * FROM {extracted.table} ORDER BY _origin, _record")
    return extracted, rows.fetchall()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _error(path: Path | str, **options) -> str:
    with pytest.raises(SourceError) as error:
        _read(path, **options)
    assert "source 'budget_lines'" in str(error.value)
    return str(error.value)


def test_a_plain_file_gives_its_header_and_rows_as_text(tmp_path):
    path = _file(tmp_path / "budget.csv", BUDGET)
    extracted, rows = _read(path)
    assert extracted.table == '"raw_budget_lines"'
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert extracted.inputs == [Input(origin=str(path), sha256=_sha256(path), rows=2)]
    assert rows == [(str(path), 1, "Parks", "General", "1200"),
                    (str(path), 2, "Police", "General", "5400.50")]


def test_a_gzip_file_is_read_and_its_checksum_is_of_the_compressed_file(tmp_path):
    path = _file(tmp_path / "budget.csv.gz", gzip.compress(BUDGET))
    extracted, rows = _read(path)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert extracted.inputs == [Input(origin=str(path), sha256=_sha256(path), rows=2)]
    assert [row[2] for row in rows] == ["Parks", "Police"]


def test_a_glob_reads_every_file_with_its_origin_and_records_per_file(tmp_path):
    first = _file(tmp_path / "budget-2023.csv", BUDGET)
    second = _file(tmp_path / "budget-2024.csv.gz",
                   gzip.compress(b"Department,Fund,Amount\nLibrary,Grants,75\n"))
    extracted, rows = _read(tmp_path / "budget-*")
    assert extracted.rows == 3
    assert extracted.inputs == [Input(origin=str(first), sha256=_sha256(first), rows=2),
                                Input(origin=str(second), sha256=_sha256(second), rows=1)]
    assert [row[:3] for row in rows] == [(str(first), 1, "Parks"), (str(first), 2, "Police"),
                                         (str(second), 1, "Library")]


def test_a_byte_order_mark_and_stray_spaces_around_header_names_are_dropped(tmp_path):
    content = "\ufeff Department , Fund,Amount \nParks, General ,1200\n".encode()
    extracted, rows = _read(_file(tmp_path / "budget.csv", content))
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert rows[0][2:] == ("Parks", " General ", "1200")  # values keep theirs, for cleaning


def test_header_row_3_skips_the_title_lines_above_it(tmp_path):
    content = b"City of Springfield: budget by department\nExported 2024-07-01, by ERP\n" + BUDGET
    extracted, rows = _read(_file(tmp_path / "budget.csv", content), header_row=3)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert [row[1:3] for row in rows] == [(1, "Parks"), (2, "Police")]


def test_a_semicolon_delimiter_is_used_when_configured(tmp_path):
    content = b"Department;Fund;Amount\nParks;General;1200,50\n"
    extracted, rows = _read(_file(tmp_path / "budget.csv", content), delimiter=";")
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert rows[0][2:] == ("Parks", "General", "1200,50")


def test_latin_1_text_is_decoded_when_configured(tmp_path):
    content = "Département,Montant\nÉcoles,1200\n".encode("latin-1")
    extracted, rows = _read(_file(tmp_path / "budget.csv", content), encoding="latin-1")
    assert extracted.columns == ["Département", "Montant"]
    assert rows[0][2:] == ("Écoles", "1200")


def test_a_wrong_delimiter_gives_one_column_named_by_the_whole_header_line(tmp_path):
    content = b"Department;Fund;Amount\nParks;General;1200\n"
    extracted, rows = _read(_file(tmp_path / "budget.csv", content))
    assert extracted.columns == ["Department;Fund;Amount"]
    assert rows[0][2:] == ("Parks;General;1200",)


def test_an_empty_file_is_named_as_empty(tmp_path):
    path = _file(tmp_path / "budget.csv", b"")
    assert f"{path} is empty (0 bytes): no header, no rows" in _error(path)


def test_a_header_only_file_gives_its_columns_and_no_rows(tmp_path):
    extracted, rows = _read(_file(tmp_path / "budget.csv", b"Department,Fund,Amount\n"))
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert (extracted.rows, rows) == (0, [])


def test_a_truncated_gzip_file_is_named(tmp_path):
    content = gzip.compress(b"".join(b"Parks,General,%d\n" % i for i in range(5000)))
    path = _file(tmp_path / "budget.csv.gz", content[: len(content) // 2])
    assert f"cannot read {path}" in _error(path)


def test_a_missing_file_is_named(tmp_path):
    assert f"file not found: {tmp_path / 'budget.csv'}" in _error(tmp_path / "budget.csv")


def test_a_glob_that_matches_nothing_is_named(tmp_path):
    assert f"no file matches {tmp_path / 'budget-*.csv'}" in _error(tmp_path / "budget-*.csv")


def test_files_of_one_glob_with_different_headers_are_refused(tmp_path):
    _file(tmp_path / "budget-2023.csv", BUDGET)
    second = _file(tmp_path / "budget-2024.csv", b"Department,Amount\nParks,1\n")
    message = _error(tmp_path / "budget-*.csv")
    assert f"{second} has columns ['Department', 'Amount']" in message
    assert "every file of a source needs the same header" in message


def test_a_file_named_with_brackets_is_read_as_itself(tmp_path):
    path = _file(tmp_path / "budget [FY24].csv", BUDGET)
    extracted, _ = _read(path)
    assert extracted.inputs[0].origin == str(path)
