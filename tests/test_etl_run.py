"""`python -m etl run` on real sample files: what it loads, quarantines and refuses."""

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests import expected
from tests.helpers import Workspace, write_sources
from warehouse.checksum import sha256_file


def open_current(workspace: Workspace) -> duckdb.DuckDBPyConnection:
    snapshot = workspace.status()["current_snapshot"]
    path = workspace.root / "data" / "warehouse" / "snapshots" / f"{snapshot}.duckdb"
    return duckdb.connect(str(path), read_only=True)


def test_a_run_prints_the_snapshot_it_published_and_a_summary(workspace):
    result = workspace.etl("run")
    status = workspace.status()
    assert result.stdout.strip() == status["current_snapshot"]
    assert status["runs"][0]["status"] == "published"
    assert status["runs"][0]["snapshot_id"] == status["current_snapshot"]
    header = next(line for line in result.stderr.splitlines() if line.startswith("source "))
    assert header.split() == ["source", "kind", "table", "mode", "read", "loaded",
                              "quarantined", "blank", "seconds"]
    assert any(line.split()[:2] == ["permits", "csv"] for line in result.stderr.splitlines())
    table = workspace.etl("status").stdout
    assert f"Sources of run {status['current_snapshot']}:" in table
    assert any(line.split()[:2] == ["permits", "csv"] for line in table.splitlines())


def test_every_domain_holds_the_distinct_rows_of_its_file(published):
    with open_current(published) as connection:
        for table, rows in expected.row_counts(published.sample_dir).items():
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows, table


def test_exact_duplicate_rows_are_quarantined_as_duplicates(published):
    with open_current(published) as connection:
        reasons = connection.execute(
            "SELECT reason, count(*) FROM quarantine WHERE source = 'permits' "
            "GROUP BY starts_with(reason, 'duplicate of row '), reason").fetchall()
    assert all(reason.startswith("duplicate of row ") for reason, _ in reasons)
    assert sum(n for _, n in reasons) == expected.duplicate_rows(
        published.sample_dir / "permits.csv") > 0


def test_currency_strings_and_both_date_formats_are_parsed(published):
    raw = expected.read_raw(published.sample_dir / "service_requests.csv")
    legacy = raw[raw["opened"].str.contains("/")].iloc[0]
    modern = raw[raw["opened"].str.contains("-")].iloc[-1]
    fiscal_year, total = expected.budget_total(published.sample_dir)
    with open_current(published) as connection:
        for row in (legacy, modern):
            opened = connection.execute(
                "SELECT opened_at FROM service_requests WHERE request_id = ?", [row["case_id"]]
            ).fetchone()[0]
            assert opened == expected.timestamps(row[["opened"]]).iloc[0].to_pydatetime()
        loaded_total = connection.execute(
            "SELECT sum(amount) FROM budget_lines WHERE fiscal_year = ? "
            "AND amount_kind = 'budgeted'", [fiscal_year]).fetchone()[0]
        negatives = connection.execute(
            "SELECT count(*) FROM budget_lines WHERE amount_kind = 'actual' AND amount < 0")
        assert negatives.fetchone()[0] > 0  # "($1,234.50)" became a negative amount
    assert loaded_total == total
    assert legacy["opened"][2] == "/" and isinstance(opened, datetime)


def test_the_snapshot_records_which_run_and_files_built_it(published):
    status = published.status()
    with open_current(published) as connection:
        run_id, parent = connection.execute(
            "SELECT run_id, parent_snapshot_id FROM meta.snapshot").fetchone()
        inputs = dict(connection.execute("SELECT origin, sha256 FROM meta.inputs").fetchall())
        runs = connection.execute("SELECT run_id FROM meta.runs").fetchall()
    assert run_id == status["current_snapshot"] and parent is None and runs == [(run_id,)]
    budget = str(published.sample_dir / "budget_lines.csv")
    assert inputs[budget] == sha256_file(Path(budget))
    # One input a file source (the survey's dictionary is a lookup, not an input); the app
    # database's feedback table is an input too.
    assert len(inputs) == 8
    assert status["runs"][0]["sources"][0]["inputs"][0]["sha256"] == inputs[budget]


def broken_copy(workspace: Workspace, name: str, edit) -> Path:
    """Point the workspace at a copy of the sample where one file is edited."""
    broken = workspace.root / "broken"
    shutil.copytree(workspace.sample_dir, broken)
    path = broken / name
    path.write_text(edit(path.read_text(encoding="utf-8-sig")), encoding="utf-8")
    write_sources(workspace.root / "config", broken)
    return path


def replace_line(number: int, old: str, new: str):
    def edit(text: str) -> str:
        lines = text.split("\n")
        assert old in lines[number], lines[number]
        lines[number] = lines[number].replace(old, new, 1)
        return "\n".join(lines)
    return edit


@pytest.mark.parametrize(
    ("file", "edit", "source", "column", "row", "value", "reason"),
    [
        ("budget_lines.csv", replace_line(3, ',"$', ',"about $'), "budget_lines",
         "amount_text", 3, "about $", "not a currency amount"),
        ("permits.csv", replace_line(2, ",20", ",year 20"), "permits", "applied_date", 2,
         "year 20", "not a date in one of the formats"),
        ("service_requests.csv", replace_line(4, ",Phone,", ",Fax,"), "service_requests",
         "channel", 4, "Fax", "not one of: Online, Phone, In person"),
        ("service_requests.csv", replace_line(5, "SR-2023-0000005", "SR-2023-0000004"),
         "service_requests", "request_id", 4, "SR-2023-0000004",
         "the same request_id is used by 2 rows"),
    ],
)
def test_a_bad_row_is_quarantined_with_its_place_value_and_reason(
    published, file, edit, source, column, row, value, reason
):
    path = broken_copy(published, file, edit)
    published.etl("run")
    with open_current(published) as connection:
        found = connection.execute(
            "SELECT origin, \"row\", column_name, value, reason FROM quarantine "
            "WHERE source = ? AND NOT starts_with(reason, 'duplicate of row') ORDER BY \"row\"",
            [source]).fetchall()
    assert found, f"nothing quarantined for {source}"
    origin, found_row, found_column, found_value, found_reason = found[0]
    assert origin == str(path)
    assert found_column == column
    assert found_value.startswith(value)
    assert found_reason.startswith(reason)
    if row is not None:
        assert found_row == row


def test_too_many_bad_rows_fail_the_source_and_publish_nothing(published):
    before = published.manifest_text()
    broken_copy(published, "population.csv",
                lambda text: text.replace(",Northgate,", ",Northgate,-").replace("-5", "x5"))
    result = published.etl("run", check=False)
    assert result.returncode == 1
    assert "source 'population':" in result.stderr
    assert "failed validation, more than the 5% allowed (max_bad_share)" in result.stderr
    assert "column 'population'" in result.stderr and "first: row 1 of" in result.stderr
    assert "Traceback" not in result.stderr
    assert published.manifest_text() == before
    failed = published.status()["runs"][0]
    assert failed["status"] == "failed" and "source 'population'" in failed["error"]
    assert list((published.root / "data" / "warehouse" / "staging").iterdir()) == []


def test_a_missing_column_fails_the_run_naming_it(published):
    before = published.manifest_text()
    broken_copy(published, "budget_lines.csv", replace_line(0, "Department", "Dept"))
    result = published.etl("run", check=False)
    assert result.returncode == 1
    assert "source 'budget_lines': missing column(s) 'Department'" in result.stderr
    assert "'Dept'" in result.stderr
    assert published.manifest_text() == before


def test_a_missing_source_file_fails_the_run(published):
    before = published.manifest_text()
    missing = published.root / "nowhere"
    missing.mkdir()
    write_sources(published.root / "config", missing)
    result = published.etl("run", check=False)
    assert result.returncode == 1
    assert f"file not found: {missing / 'budget_lines.csv'}" in result.stderr
    assert published.manifest_text() == before


def test_bad_configuration_exits_2_and_publishes_nothing(published):
    before = published.manifest_text()
    config = published.root / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("kind: csv", "kind: cvs", 1))
    result = published.etl("run", check=False)
    assert result.returncode == 2
    assert "source 'budget_lines': key 'kind'" in result.stderr
    assert published.manifest_text() == before


def test_a_second_run_while_one_holds_the_lock_is_refused(published):
    from warehouse.writer import warehouse_lock

    with warehouse_lock(Path(published.env["DASHBOARD_DATA_DIR"]) / "warehouse"):
        result = published.etl("run", check=False)
    assert result.returncode == 1
    assert "another ETL run or rollback is using" in result.stderr
