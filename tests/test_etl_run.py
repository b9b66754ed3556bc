"""`python -m etl run` on real sample files: what it loads, and what it refuses."""

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests import expected
from tests.helpers import Workspace, write_sources
from warehouse.checksum import sha256_file


def _open_current(workspace: Workspace) -> duckdb.DuckDBPyConnection:
    snapshot = workspace.status()["current_snapshot"]
    path = workspace.root / "data" / "warehouse" / "snapshots" / f"{snapshot}.duckdb"
    return duckdb.connect(str(path), read_only=True)


def test_a_run_prints_the_snapshot_it_published(published):
    status = published.status()
    assert status["current_snapshot"] is not None
    assert status["runs"][0]["status"] == "published"
    assert status["runs"][0]["snapshot_id"] == status["current_snapshot"]
    assert published.etl("run").stdout.strip() != status["current_snapshot"]


def test_every_domain_holds_the_distinct_rows_of_its_file(published):
    with _open_current(published) as connection:
        for table, rows in expected.row_counts(published.sample_dir).items():
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows, table


def test_currency_strings_and_both_date_formats_are_parsed(published):
    raw = expected.read_raw(published.sample_dir / "service_requests.csv")
    legacy = raw[raw["opened"].str.contains("/")].iloc[0]
    modern = raw[raw["opened"].str.contains("-")].iloc[-1]
    fiscal_year, total = expected.budget_total(published.sample_dir)
    with _open_current(published) as connection:
        for row in (legacy, modern):
            opened = connection.execute(
                "SELECT opened_at FROM service_requests WHERE request_id = ?", [row["case_id"]]
            ).fetchone()[0]
            assert opened == expected.timestamps(row[["opened"]]).iloc[0].to_pydatetime()
        loaded_total = connection.execute(
            "SELECT sum(budgeted) FROM budget_lines WHERE fiscal_year = ?", [fiscal_year]
        ).fetchone()[0]
        negatives = connection.execute("SELECT count(*) FROM budget_lines WHERE actual < 0")
        assert negatives.fetchone()[0] > 0  # "($1,234.50)" became a negative amount
    assert loaded_total == total
    assert legacy["opened"][2] == "/" and isinstance(opened, datetime)


def test_the_snapshot_records_which_run_and_files_built_it(published):
    status = published.status()
    with _open_current(published) as connection:
        run_id, parent = connection.execute(
            "SELECT run_id, parent_snapshot_id FROM meta.snapshot").fetchone()
        loads = dict(connection.execute("SELECT file, sha256 FROM meta.source_loads").fetchall())
    assert run_id == status["current_snapshot"] and parent is None
    assert loads["budget_lines.csv"] == sha256_file(published.sample_dir / "budget_lines.csv")
    assert set(loads) == {"budget_lines.csv", "service_requests.csv", "permits.csv",
                          "engagement_events.csv.gz", "population.csv"}


def _broken_copy(workspace: Workspace, name: str, edit) -> None:
    """Point the workspace at a copy of the sample where one file is edited."""
    broken = workspace.root / "broken"
    shutil.copytree(workspace.sample_dir, broken)
    path = broken / name
    path.write_text(edit(path.read_text(encoding="utf-8-sig")), encoding="utf-8")
    write_sources(workspace.root / "config", broken)


def _replace_line(number: int, old: str, new: str):
    def edit(text: str) -> str:
        lines = text.split("\n")
        assert old in lines[number], lines[number]
        lines[number] = lines[number].replace(old, new, 1)
        return "\n".join(lines)
    return edit


@pytest.mark.parametrize(
    ("file", "edit", "words"),
    [
        ("budget_lines.csv", _replace_line(3, ",\"$", ",\"about $"),
         ["budget_lines.csv", "column 'Budgeted Amount'", "not currency", "row 3: 'about $"]),
        ("budget_lines.csv", _replace_line(0, "Department", "Dept"),
         ["budget_lines.csv", "missing column(s) 'Department'", "'Dept'"]),
        ("permits.csv", _replace_line(2, ",20", ",year 20"),
         ["permits.csv", "column 'applied_date'", "not date", "row 2: 'year 20"]),
        ("population.csv", lambda text: text.replace("\n2026,", "\n2025,", 1),
         ["population.csv", "key year, district is not unique", "(2025, "]),
    ],
)
def test_bad_input_fails_the_run_naming_what_is_wrong_and_publishes_nothing(
    published, file, edit, words
):
    before = published.manifest_text()
    _broken_copy(published, file, edit)
    result = published.etl("run", check=False)
    assert result.returncode == 1
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr
    assert published.manifest_text() == before
    failed = published.status()["runs"][0]
    assert failed["status"] == "failed" and words[1] in failed["error"]
    assert list((published.root / "data" / "warehouse" / "staging").iterdir()) == []


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
