"""Load modes, incremental pulls, selecting sources, dry runs and `validate`."""

import json
from pathlib import Path

from tests.helpers import Workspace
from tests.test_etl_run import open_current

UPSERT_CONFIG = """
sources:
  requests_feed:
    kind: csv
    domain: service_requests
    path: {path}
    mode: upsert
    watermark: opened_at
    columns:
      request_id: {{from: id}}
      opened_at: {{from: opened, parse: timestamp, formats: ['%Y-%m-%d %H:%M']}}
      request_type: {{from: type}}
      status: {{from: status}}
"""


def _feed(workspace: Workspace, rows: list[str]) -> Path:
    path = workspace.root / "feed.csv"
    path.write_text("id,opened,type,status\n" + "\n".join(rows) + "\n")
    (workspace.root / "config" / "sources.yaml").write_text(UPSERT_CONFIG.format(path=path))
    return path


def _requests(workspace: Workspace) -> list[tuple]:
    with open_current(workspace) as connection:
        return connection.execute(
            "SELECT request_id, CAST(opened_at AS VARCHAR), status FROM service_requests "
            "ORDER BY request_id").fetchall()


def test_upsert_with_a_watermark_adds_only_newer_rows_and_keeps_earlier_ones(workspace):
    _feed(workspace, ["A,2026-01-01 10:00,Pothole,Open", "B,2026-01-02 10:00,Pothole,Open"])
    workspace.etl("run")
    # The next export repeats B (now closed, but not newer than the watermark) and adds C.
    _feed(workspace, ["B,2026-01-02 10:00,Pothole,Closed", "C,2026-01-03 09:00,Noise,Open"])
    workspace.etl("run")
    assert _requests(workspace) == [
        ("A", "2026-01-01 10:00:00", "Open"),
        ("B", "2026-01-02 10:00:00", "Open"),
        ("C", "2026-01-03 09:00:00", "Open"),
    ]
    run = workspace.status()["runs"][0]["sources"][0]
    assert run["since"] == "2026-01-02 10:00:00"
    assert (run["skipped_rows"], run["rows_loaded"]) == (1, 1)


def test_running_the_same_inputs_twice_gives_identical_tables(published):
    first = published.status()["snapshots"][0]
    published.etl("run")
    second = published.status()["snapshots"][0]
    assert first["id"] != second["id"]
    manifest = json.loads(published.manifest_text())
    tables = [s["tables"] for s in manifest["snapshots"]]
    # (The quarantine differs by its run_id column; the domain tables must not differ at all.)
    for name in ("budget_lines", "service_requests", "permits", "engagement_events",
                 "population"):
        assert tables[0][name] == tables[1][name], name


def test_a_run_of_one_source_leaves_the_other_tables_as_they_were(published):
    before = json.loads(published.manifest_text())["snapshots"][-1]["tables"]
    published.etl("run", "--source", "population")
    manifest = json.loads(published.manifest_text())
    after = manifest["snapshots"][-1]["tables"]
    assert after["service_requests"] == before["service_requests"]
    assert after["budget_lines"] == before["budget_lines"]
    assert [s["source"] for s in published.status()["runs"][0]["sources"]] == ["population"]


def test_unknown_source_or_domain_names_are_refused_with_exit_2(published):
    result = published.etl("run", "--source", "budgets", check=False)
    assert result.returncode == 2 and "unknown source(s): budgets" in result.stderr
    result = published.etl("run", "--domain", "weather", check=False)
    assert result.returncode == 2 and "no source feeds domain(s): weather" in result.stderr


def test_a_dry_run_and_validate_check_everything_and_publish_nothing(published):
    before = published.manifest_text()
    dry = published.etl("run", "--dry-run", "--domain", "budget")
    assert dry.stdout.strip() == "dry run: nothing published"
    assert "budget_lines" in dry.stderr
    check = published.etl("validate")
    assert check.stdout.strip() == "dry run: nothing published"
    assert published.manifest_text() == before
    statuses = [r["status"] for r in published.status()["runs"][:2]]
    assert statuses == ["dry-run", "dry-run"]
    staging = Path(published.env["DASHBOARD_DATA_DIR"]) / "warehouse" / "staging"
    assert list(staging.iterdir()) == []


def test_the_quarantine_is_replaced_per_source_on_each_run(published):
    published.etl("run", "--source", "permits")
    with open_current(published) as connection:
        runs = connection.execute(
            "SELECT source, count(DISTINCT run_id) FROM quarantine GROUP BY source").fetchall()
    assert all(count == 1 for _, count in runs)
