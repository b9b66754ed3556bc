"""The csv kind reads real files, plain or gzip, into the raw table, and names bad files."""

import gzip
from pathlib import Path

from etl.sources import Input
from etl.sources.csv import CsvSource, extract
from tests.source_files import FileKind, sha256

KIND = FileKind("csv", CsvSource, extract)

BUDGET = b"Department,Fund,Amount\nParks,General,1200\nPolice,General,5400.50\n"


def _file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_a_plain_file_gives_its_header_and_rows_as_text(tmp_path):
    path = _file(tmp_path / "budget.csv", BUDGET)
    extracted, rows = KIND.read(path)
    assert extracted.table == '"raw_budget_lines"'
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert extracted.inputs == [Input(origin=str(path), sha256=sha256(path), rows=2)]
    assert rows == [(str(path), 1, "Parks", "General", "1200"),
                    (str(path), 2, "Police", "General", "5400.50")]


def test_a_gzip_file_is_read_and_its_checksum_is_of_the_compressed_file(tmp_path):
    path = _file(tmp_path / "budget.csv.gz", gzip.compress(BUDGET))
    extracted, rows = KIND.read(path)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert extracted.inputs == [Input(origin=str(path), sha256=sha256(path), rows=2)]
    assert [row[2] for row in rows] == ["Parks", "Police"]


def test_a_glob_reads_every_file_with_its_origin_and_records_per_file(tmp_path):
    first = _file(tmp_path / "budget-2023.csv", BUDGET)
    second = _file(tmp_path / "budget-2024.csv.gz",
                   gzip.compress(b"Department,Fund,Amount\nLibrary,Grants,75\n"))
    extracted, rows = KIND.read(tmp_path / "budget-*")
    assert extracted.rows == 3
    assert extracted.inputs == [Input(origin=str(first), sha256=sha256(first), rows=2),
                                Input(origin=str(second), sha256=sha256(second), rows=1)]
    assert [row[:3] for row in rows] == [(str(first), 1, "Parks"), (str(first), 2, "Police"),
                                         (str(second), 1, "Library")]


def test_a_byte_order_mark_and_stray_spaces_around_header_names_are_dropped(tmp_path):
    content = "\ufeff Department , Fund,Amount \nParks, General ,1200\n".encode()
    extracted, rows = KIND.read(_file(tmp_path / "budget.csv", content))
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert rows[0][2:] == ("Parks", " General ", "1200")  # values keep theirs, for cleaning


def test_header_row_3_skips_the_title_lines_above_it(tmp_path):
    content = b"City of Springfield: budget by department\nExported 2024-07-01, by ERP\n" + BUDGET
    extracted, rows = KIND.read(_file(tmp_path / "budget.csv", content), header_row=3)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert [row[1:3] for row in rows] == [(1, "Parks"), (2, "Police")]


def test_a_semicolon_delimiter_is_used_when_configured(tmp_path):
    content = b"Department;Fund;Amount\nParks;General;1200,50\n"
    extracted, rows = KIND.read(_file(tmp_path / "budget.csv", content), delimiter=";")
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert rows[0][2:] == ("Parks", "General", "1200,50")


def test_latin_1_text_is_decoded_when_configured(tmp_path):
    content = "Département,Montant\nÉcoles,1200\n".encode("latin-1")
    extracted, rows = KIND.read(_file(tmp_path / "budget.csv", content), encoding="latin-1")
    assert extracted.columns == ["Département", "Montant"]
    assert rows[0][2:] == ("Écoles", "1200")


def test_a_wrong_delimiter_gives_one_column_named_by_the_whole_header_line(tmp_path):
    content = b"Department;Fund;Amount\nParks;General;1200\n"
    extracted, rows = KIND.read(_file(tmp_path / "budget.csv", content))
    assert extracted.columns == ["Department;Fund;Amount"]
    assert rows[0][2:] == ("Parks;General;1200",)


def test_an_empty_file_is_named_as_empty(tmp_path):
    path = _file(tmp_path / "budget.csv", b"")
    assert f"{path} is empty (0 bytes): no header, no rows" in KIND.error(path)


def test_a_header_only_file_gives_its_columns_and_no_rows(tmp_path):
    extracted, rows = KIND.read(_file(tmp_path / "budget.csv", b"Department,Fund,Amount\n"))
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert (extracted.rows, rows) == (0, [])


def test_a_truncated_gzip_file_is_named(tmp_path):
    content = gzip.compress(b"".join(b"Parks,General,%d\n" % i for i in range(5000)))
    path = _file(tmp_path / "budget.csv.gz", content[: len(content) // 2])
    assert f"cannot read {path}" in KIND.error(path)


def test_a_missing_file_is_named(tmp_path):
    assert f"file not found: {tmp_path / 'budget.csv'}" in KIND.error(tmp_path / "budget.csv")


def test_a_glob_that_matches_nothing_is_named(tmp_path):
    assert f"no file matches {tmp_path / 'budget-*.csv'}" in KIND.error(tmp_path / "budget-*.csv")


def test_files_of_one_glob_with_different_headers_are_refused(tmp_path):
    _file(tmp_path / "budget-2023.csv", BUDGET)
    second = _file(tmp_path / "budget-2024.csv", b"Department,Amount\nParks,1\n")
    message = KIND.error(tmp_path / "budget-*.csv")
    assert f"{second} has columns ['Department', 'Amount']" in message
    assert "every file of a source needs the same header" in message


def test_a_file_named_with_brackets_is_read_as_itself(tmp_path):
    path = _file(tmp_path / "budget [FY24].csv", BUDGET)
    extracted, _ = KIND.read(path)
    assert extracted.inputs[0].origin == str(path)


def test_a_windows_1252_file_is_transcoded_and_read_right(tmp_path):
    content = "Project,Amount\nCity\u2019s Façade,1200\n".encode("cp1252")
    _, rows = KIND.read(_file(tmp_path / "plan.csv", content), encoding="cp1252")
    assert rows[0][2:] == ("City\u2019s Façade", "1200")


def test_a_file_not_in_its_declared_encoding_is_named(tmp_path):
    path = _file(tmp_path / "plan.csv", b"Project\n\x81\x8d\n")  # bytes cp1252 leaves undefined
    assert f"cannot read {path} as cp1252" in KIND.error(path, encoding="cp1252")
