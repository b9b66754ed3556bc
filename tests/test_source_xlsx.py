"""The xlsx kind reads one sheet of real workbooks into the raw table, and names bad files."""

import datetime as dt
import zipfile
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from etl.sources import Input
from etl.sources.xlsx import XlsxSource, extract
from tests.source_files import FileKind, sha256

KIND = FileKind("xlsx", XlsxSource, extract)

BUDGET = [
    ["Department", "Fund", "Amount"],
    ["Parks", "General", 1200],
    ["Police", "General", 5400.5],
]
TITLED = [
    ["City of Springfield: budget by department"],
    ["Exported 2024-07-01"],
    *BUDGET,
]


def _workbook(path: Path, rows: list[list], title: str = "Data") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_the_header_on_row_1_gives_the_columns_and_every_row_under_it(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", BUDGET)
    extracted, rows = KIND.read(path)
    assert extracted.table == '"raw_budget_lines"'
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert extracted.rows == 2
    assert extracted.inputs == [Input(origin=str(path), sha256=sha256(path), rows=2)]
    assert rows == [
        (str(path), 1, "Parks", "General", "1200"),
        (str(path), 2, "Police", "General", "5400.5"),
    ]


def test_the_raw_table_is_all_text_plus_origin_and_record(tmp_path):
    connection = duckdb.connect()
    path = _workbook(tmp_path / "budget.xlsx", BUDGET)
    extracted = extract(connection, "budget_lines", KIND.source(path))
    types = connection.execute(f"SELECT column_name, column_type FROM (DESCRIBE {extracted.table})")
    assert types.fetchall() == [("_origin", "VARCHAR"), ("_record", "BIGINT"),
                                ("Department", "VARCHAR"), ("Fund", "VARCHAR"),
                                ("Amount", "VARCHAR")]


def test_header_row_3_skips_the_title_rows_above_it(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", TITLED)
    extracted, rows = KIND.read(path, header_row=3)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert [row[1:] for row in rows] == [(1, "Parks", "General", "1200"),
                                         (2, "Police", "General", "5400.5")]


def test_header_row_1_on_a_titled_sheet_takes_the_title_for_the_header(tmp_path):
    extracted, rows = KIND.read(_workbook(tmp_path / "budget.xlsx", TITLED), header_row=1)
    assert extracted.columns == ["City of Springfield: budget by department", "column_2",
                                 "column_3"]
    assert rows[1][1:] == (2, "Department", "Fund", "Amount")
    assert extracted.rows == 4


def _two_sheets(path: Path) -> Path:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["Read me first"])
    data = workbook.create_sheet("Data")
    for row in BUDGET:
        data.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize("sheet", ["Data", 1])
def test_a_sheet_is_chosen_by_name_or_by_0_based_position(tmp_path, sheet):
    extracted, rows = KIND.read(_two_sheets(tmp_path / "budget.xlsx"), sheet=sheet)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert [row[2] for row in rows] == ["Parks", "Police"]


def test_without_a_sheet_the_first_one_is_read(tmp_path):
    extracted, _ = KIND.read(_two_sheets(tmp_path / "budget.xlsx"))
    assert extracted.columns == ["Read me first"]


def test_cell_values_become_text(tmp_path):
    values = {
        "text": " Parks & Rec ",
        "code": "00123",
        "integer": 42,
        "integral float": 1234.0,
        "float": 0.1,
        "negative": -17.25,
        "timestamp": dt.datetime(2024, 3, 1, 8, 30, 15),
        "date": dt.date(2024, 3, 1),  # Excel keeps no dates, only date-formatted timestamps
        "time": dt.time(17, 45),
        "yes": True,
        "no": False,
        "empty": None,
    }
    path = _workbook(tmp_path / "types.xlsx", [list(values), list(values.values())])
    extracted, rows = KIND.read(path)
    assert extracted.columns == list(values)
    assert dict(zip(extracted.columns, rows[0][2:], strict=True)) == {
        "text": " Parks & Rec ",
        "code": "00123",
        "integer": "42",
        "integral float": "1234",
        "float": "0.1",
        "negative": "-17.25",
        "timestamp": "2024-03-01 08:30:15",
        "date": "2024-03-01 00:00:00",
        "time": "17:45:00",
        "yes": "true",
        "no": "false",
        "empty": None,
    }


def _with_cached_value(path: Path, formula: str, value: str) -> None:
    """Store the value Excel would have calculated for a formula (openpyxl stores none)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    empty = f"<f>{formula}</f><v />".encode()
    assert empty in parts[sheet]
    parts[sheet] = parts[sheet].replace(empty, f"<f>{formula}</f><v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


def test_a_formula_reads_as_its_calculated_value_or_null_when_never_calculated(tmp_path):
    path = _workbook(tmp_path / "formulas.xlsx",
                     [["Amount", "Doubled", "Tripled"], [21, "=A2*2", "=A2*3"]])
    _with_cached_value(path, "A2*2", "42")
    _, rows = KIND.read(path)
    assert rows[0][2:] == ("21", "42", None)


def test_header_names_are_stripped_and_empty_ones_named_by_position(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", [
        ["  Department ", None, "Amount", None],
        ["Parks", "General", 1200, None, None, "note"],
    ])
    extracted, rows = KIND.read(path)
    assert extracted.columns == ["Department", "column_2", "Amount", "column_4", "column_5",
                                 "column_6"]
    assert rows[0][2:] == ("Parks", "General", "1200", None, None, "note")


def test_repeated_header_names_get_a_suffix(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", [["Amount", "amount", "Amount", "_record"],
                                                [1, 2, 3, 4]])
    extracted, rows = KIND.read(path)
    assert extracted.columns == ["Amount", "amount_1", "Amount_2", "_record_1"]
    assert rows[0][2:] == ("1", "2", "3", "4")


def test_trailing_empty_rows_are_ignored_and_blank_rows_between_are_kept(tmp_path):
    path = tmp_path / "budget.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    for row in [BUDGET[0], BUDGET[1], [], BUDGET[2]]:
        sheet.append(row)
    # Formatted but empty cells far below, as a sheet someone styled whole columns of.
    for row in range(8, 12):
        sheet.cell(row=row, column=2).font = Font(bold=True)
    workbook.save(path)
    extracted, rows = KIND.read(path)
    assert extracted.rows == 3
    assert [row[1:3] for row in rows] == [(1, "Parks"), (2, None), (3, "Police")]


def test_a_header_without_data_rows_gives_the_columns_and_no_rows(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", [BUDGET[0]])
    extracted, rows = KIND.read(path)
    assert extracted.columns == ["Department", "Fund", "Amount"]
    assert (extracted.rows, rows) == (0, [])
    assert extracted.inputs == [Input(origin=str(path), sha256=sha256(path), rows=0)]


def test_a_glob_reads_every_workbook_with_its_origin_and_records_per_file(tmp_path):
    first = _workbook(tmp_path / "budget-2023.xlsx", BUDGET)
    second = _workbook(tmp_path / "budget-2024.xlsx", [BUDGET[0], ["Library", "Grants", 75]])
    # The lock file Excel leaves beside an open workbook is not a workbook.
    (tmp_path / "~$budget-2024.xlsx").write_bytes(b"\x00" * 162)
    extracted, rows = KIND.read(tmp_path / "budget-*.xlsx")
    assert extracted.rows == 3
    assert extracted.inputs == [Input(origin=str(first), sha256=sha256(first), rows=2),
                                Input(origin=str(second), sha256=sha256(second), rows=1)]
    assert [row[:3] for row in rows] == [(str(first), 1, "Parks"), (str(first), 2, "Police"),
                                         (str(second), 1, "Library")]


def test_a_file_named_with_brackets_is_read_as_itself(tmp_path):
    path = _workbook(tmp_path / "budget [FY24].xlsx", BUDGET)
    extracted, _ = KIND.read(path)
    assert extracted.inputs[0].origin == str(path)


def test_a_missing_file_is_named(tmp_path):
    message = KIND.error(tmp_path / "budget.xlsx")
    assert f"file not found: {tmp_path / 'budget.xlsx'}" in message


def test_a_glob_that_matches_nothing_is_named(tmp_path):
    assert f"no file matches {tmp_path / 'budget-*.xlsx'}" in KIND.error(tmp_path / "budget-*.xlsx")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"Department,Fund,Amount\nParks,General,1200\n", id="csv renamed .xlsx"),
        pytest.param(b"", id="empty file"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_named(tmp_path, content):
    path = tmp_path / "budget.xlsx"
    path.write_bytes(content)
    assert f"{path} is not a readable .xlsx workbook" in KIND.error(path)


def test_a_truncated_workbook_is_named(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", BUDGET)
    path.write_bytes(path.read_bytes()[:-200])
    assert f"{path} is not a readable .xlsx workbook" in KIND.error(path)


def test_a_workbook_is_recognised_by_content_not_by_name(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", BUDGET).rename(tmp_path / "export.xls")
    extracted, _ = KIND.read(path)
    assert extracted.rows == 2


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [("Budget", "has no sheet 'Budget'"), (2, "has no sheet at position 2")],
)
def test_a_missing_sheet_is_named_with_the_sheets_there_are(tmp_path, sheet, expected):
    path = _two_sheets(tmp_path / "budget.xlsx")
    message = KIND.error(path, sheet=sheet)
    assert f"{path} {expected}" in message
    assert "its sheets are: 'Notes', 'Data'" in message


def test_a_header_row_beyond_the_last_row_is_named(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", BUDGET)
    message = KIND.error(path, header_row=5)
    assert f"{path}, sheet 'Data': header_row 5 is beyond the last row with values (3)" in message


def test_an_empty_sheet_is_named(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", [])
    assert f"{path}, sheet 'Data': the sheet is empty" in KIND.error(path)


def test_an_empty_header_row_is_named(tmp_path):
    path = _workbook(tmp_path / "budget.xlsx", [["Budget"], [], *BUDGET])
    assert "the header row (2) is empty" in KIND.error(path, header_row=2)


def test_workbooks_of_one_glob_with_different_headers_are_refused(tmp_path):
    _workbook(tmp_path / "budget-2023.xlsx", BUDGET)
    second = _workbook(tmp_path / "budget-2024.xlsx", [["Department", "Amount"], ["Parks", 1]])
    message = KIND.error(tmp_path / "budget-*.xlsx")
    assert f"{second} has columns ['Department', 'Amount']" in message
    assert "every file of a source needs the same header" in message
