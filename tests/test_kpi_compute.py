"""KPI values computed at publish: series, status, changes, score, lineage, and failures."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from config.settings import PROJECT_ROOT
from kpis.catalogue import load_catalogue
from kpis.compute import KpiError, compute_kpis
from kpis.read import city_score, definitions, latest_by, lineage, series, tiles
from tests import expected
from tests.helpers import Workspace
from tests.test_kpi_catalogue import GOOD

MONTHLY = {**GOOD, "id": "closed", "title": "Requests closed", "unit": "count",
           "direction": "higher", "target": 3, "amber": 2, "breakdowns": ["district"],
           "query": "SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, "
                    "count(*) AS value FROM service_requests GROUP BY ALL"}


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A real DuckDB file with a small service_requests table whose figures are known."""
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("CREATE TABLE service_requests (opened_at TIMESTAMP, closed_at TIMESTAMP,"
                       " district VARCHAR)")
    closed = {  # month -> districts of the requests closed in it
        "2025-01-10": ["North", "North", "South"],
        "2025-12-05": ["North"],
        "2026-01-15": ["North", "South", "South", "South"],
        "2026-02-03": ["South"],  # the data ends in February: this month is incomplete
    }
    for day, districts in closed.items():
        for district in districts:
            connection.execute("INSERT INTO service_requests VALUES (?::TIMESTAMP - INTERVAL 1 "
                               "DAY, ?::TIMESTAMP, ?)", [day, day, district])
    yield connection
    connection.close()


def catalogue(tmp_path: Path, *kpis: dict, **top):
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump({
        "data_end": {"services": "SELECT max(closed_at) FROM service_requests"}, **top,
        "kpis": list(kpis)}))
    return load_catalogue(path)


def test_series_status_changes_and_score(tmp_path, warehouse) -> None:
    outcomes = compute_kpis(warehouse, catalogue(tmp_path, MONTHLY), "S1", "R1")
    assert [(o.kpi_id, o.rows, o.note) for o in outcomes] == [("closed", 3 + 5, "")]
    city = series(warehouse, "closed")
    # February is cut (the data ends on 3 February); December 2025 has one request.
    assert [(p.period_start, p.value, p.status) for p in city] == [
        (date(2025, 1, 1), 3, "green"), (date(2025, 12, 1), 1, "red"),
        (date(2026, 1, 1), 4, "green")]
    latest = city[-1]
    assert (latest.period_label, latest.previous_value, latest.previous_label,
            latest.year_ago_value) == ("Jan 2026", 1, "Dec 2025", 3)
    assert latest.score == pytest.approx(4 / 3)
    north = series(warehouse, "closed", "district", "North")
    assert [(p.period_label, p.value) for p in north] == [
        ("Jan 2025", 2), ("Dec 2025", 1), ("Jan 2026", 1)]
    # A count for one district is part of the city's total: not judged against its target.
    assert [(p.breakdown_value, p.value, p.status) for p in latest_by(
        warehouse, "closed", "district")] == [("South", 3, None), ("North", 1, None)]
    assert city_score(warehouse).score == pytest.approx(4 / 3)


def test_lower_is_better_inverts_status_and_score(tmp_path, warehouse) -> None:
    kpi = {**MONTHLY, "direction": "lower", "target": 2, "amber": 3}
    compute_kpis(warehouse, catalogue(tmp_path, kpi), "S1", "R1")
    latest = series(warehouse, "closed")[-1]
    assert (latest.value, latest.status, latest.score) == (4, "red", pytest.approx(0.5))
    assert [p.status for p in series(warehouse, "closed")] == ["amber", "green", "red"]


def test_groups_of_a_rate_are_judged_against_the_target(tmp_path, warehouse) -> None:
    kpi = {**MONTHLY, "unit": "days", "direction": "lower", "target": 2, "amber": 3}
    compute_kpis(warehouse, catalogue(tmp_path, kpi), "S1", "R1")
    assert [(p.breakdown_value, p.status) for p in latest_by(warehouse, "closed", "district")
            ] == [("North", "green"), ("South", "amber")]


def test_the_score_is_capped(tmp_path, warehouse) -> None:
    compute_kpis(warehouse, catalogue(tmp_path, {**MONTHLY, "target": 1, "amber": 0.5}),
                 "S1", "R1")
    assert series(warehouse, "closed")[-1].score == 1.5


def test_incomplete_periods_can_be_kept(tmp_path, warehouse) -> None:
    kpi = {**MONTHLY, "complete_periods_only": False}
    compute_kpis(warehouse, catalogue(tmp_path, kpi), "S1", "R1")
    assert series(warehouse, "closed")[-1].period_label == "Feb 2026"


def test_fiscal_year_periods(tmp_path, warehouse) -> None:
    kpi = {**MONTHLY, "period": "fiscal_year", "breakdowns": [],
           "query": "SELECT fiscal_year(closed_at) AS period, count(*) AS value "
                    "FROM service_requests GROUP BY ALL"}
    compute_kpis(warehouse, catalogue(tmp_path, kpi, fiscal_year_starts=7), "S1", "R1")
    # FY2025 = Jul 2024-Jun 2025: 3 requests; FY2026 = Jul 2025-Jun 2026, not over on 3 Feb.
    assert [(p.period_label, p.period_start, p.value) for p in series(warehouse, "closed")] == [
        ("FY2025", date(2024, 7, 1), 3)]


def test_definitions_keep_the_catalogue_and_internal_kpis_stay_internal(tmp_path, warehouse):
    internal = {**MONTHLY, "id": "closed_internal", "audience": "internal"}
    cat = catalogue(tmp_path, MONTHLY, internal)
    compute_kpis(warehouse, cat, "S1", "R1")
    assert [d.id for d in definitions(warehouse)] == ["closed"]
    assert [d.id for d in definitions(warehouse, audience=None)] == ["closed", "closed_internal"]
    assert [t.definition.id for t in tiles(warehouse)] == ["closed"]
    assert definitions(warehouse)[0].catalogue_version == cat.version


def test_lineage_names_version_query_snapshot_and_tables(tmp_path, warehouse) -> None:
    cat = catalogue(tmp_path, MONTHLY)
    compute_kpis(warehouse, cat, "S1", "R1")
    found = lineage(warehouse, "closed")
    assert (found.catalogue_version, found.snapshot_id, found.tables, found.rows) == (
        cat.version, "S1", ("service_requests",), 8)
    assert "count(*) AS value" in found.query


def test_a_kpi_over_a_table_not_loaded_has_no_data_but_does_not_fail(tmp_path, warehouse):
    kpi = {**MONTHLY, "id": "permits", "breakdowns": [], "query":
           "SELECT date_trunc('month', issued_on) AS period, count(*) AS value FROM permits "
           "GROUP BY ALL"}
    outcomes = compute_kpis(warehouse, catalogue(tmp_path, kpi), "S1", "R1")
    assert outcomes[0].note == "no data: permits not loaded"
    assert lineage(warehouse, "permits").note == "no data: permits not loaded"
    assert tiles(warehouse)[0].latest is None


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, count(nope) AS value "
     "FROM service_requests GROUP BY ALL", "KPI 'closed': its query failed: Binder Error"),
    ("SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, count(*) AS total "
     "FROM service_requests GROUP BY ALL",
     "KPI 'closed': its query returns columns (period, breakdown, total); expected "
     "(period, breakdown, value)"),
    ("SELECT 2025 AS period, {by} AS breakdown, count(*) AS value FROM service_requests "
     "GROUP BY ALL", "KPI 'closed': column 'period' is INTEGER, but a month KPI needs a date"),
    ("SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, 'many' AS value "
     "FROM service_requests GROUP BY ALL",
     "KPI 'closed': column 'value' is VARCHAR, not a number"),
    ("SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, count(*) AS value "
     "FROM service_request GROUP BY ALL", "KPI 'closed': its query failed: Catalog Error"),
    ("SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, count(*) AS value "
     "FROM service_requests WHERE district = {by} || 1 GROUP BY ALL", None),
])
def test_a_query_that_fails_or_returns_the_wrong_columns_is_named(tmp_path, warehouse, query,
                                                                  message) -> None:
    cat = catalogue(tmp_path, {**MONTHLY, "query": query})
    if message is None:  # runs: the placeholder may appear anywhere
        compute_kpis(warehouse, cat, "S1", "R1")
        return
    with pytest.raises(KpiError) as caught:
        compute_kpis(warehouse, cat, "S1", "R1")
    assert str(caught.value).startswith(message)


def test_a_run_publishes_kpi_values_with_lineage(published: Workspace) -> None:
    snapshot = published.status()["current_snapshot"]
    path = published.root / "data" / "warehouse" / "snapshots" / f"{snapshot}.duckdb"
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute("""
            SELECT count(DISTINCT kpi_id), count(*) FILTER (WHERE is_latest AND breakdown IS NULL)
            FROM kpi.series""").fetchone()
        assert rows[0] >= 18 and rows[1] == rows[0]
        found = lineage(connection, "budget_execution_rate")
        assert found.snapshot_id == snapshot and found.run_ids == (snapshot,)
        # The execution rate of the latest finished year, counted from the source CSV.
        point = series(connection, "budget_execution_rate")[-1]
    budget = expected.read_raw(published.sample_dir / "budget_lines.csv")
    year = budget[budget["Fiscal Year"] == point.period_label]
    actual = sum(expected.currency(v) for v in year["Actual Amount"])
    revised = sum(expected.currency(v) for v in year["Revised Amount"])
    assert point.value == pytest.approx(float(actual / revised), rel=1e-9)


def test_a_failing_kpi_fails_the_run_and_publishes_nothing(published: Workspace) -> None:
    before = published.manifest_text()
    path = published.root / "config" / "kpis.yaml"
    path.write_text(path.read_text().replace("count(DISTINCT member_id) AS value",
                                             "count(DISTINCT member) AS value"))
    result = published.etl("run", check=False)
    assert result.returncode == 1
    assert "KPI 'active_contributors': its query failed" in result.stderr
    assert published.manifest_text() == before


def test_a_bad_catalogue_exits_2_and_publishes_nothing(published: Workspace) -> None:
    before = published.manifest_text()
    path = published.root / "config" / "kpis.yaml"
    path.write_text(path.read_text().replace("  - id: backlog\n", "  - id: backlog\n    x: 1\n"))
    result = published.etl("run", check=False)
    assert result.returncode == 2
    assert "KPI 'backlog': key 'x': unknown key" in result.stderr
    assert published.manifest_text() == before


def test_kpis_check_runs_every_kpi_against_the_current_snapshot(published: Workspace) -> None:
    def check() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kpis", "check"], cwd=PROJECT_ROOT,
                              env=published.env, capture_output=True, text=True, timeout=120)

    result = check()
    assert result.returncode == 0, result.stderr
    assert "median_days_to_close" in result.stdout and "FAILED" not in result.stdout
    path = published.root / "config" / "kpis.yaml"
    path.write_text(path.read_text().replace("median(date_diff('day', applied_on, issued_on))",
                                             "median(issued_on - applied)"))
    result = check()
    assert result.returncode == 1
    assert "FAILED: KPI 'permit_processing_days': its query failed" in result.stdout


def test_the_readme_worked_example_publishes_values(published: Workspace) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Adding a KPI"):]
    example = yaml.safe_load(section.split("```yaml\n")[1].split("```")[0])
    path = published.root / "config" / "kpis.yaml"
    shipped = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**shipped, "kpis": shipped["kpis"] + example}))
    published.etl("run")
    snapshot = published.status()["current_snapshot"]
    file = published.root / "data" / "warehouse" / "snapshots" / f"{snapshot}.duckdb"
    with duckdb.connect(str(file), read_only=True) as connection:
        city = series(connection, "potholes_in_two_days")
        by_district = latest_by(connection, "potholes_in_two_days", "district")
        # Independently: the share of the latest month's closed potholes fixed within 48 hours.
        (share,) = connection.execute("""
            SELECT count(*) FILTER (WHERE epoch(closed_at) - epoch(opened_at) <= 48 * 3600)
                   / count(*)
            FROM service_requests WHERE request_type = 'Pothole' AND status = 'Closed'
              AND strftime(closed_at, '%b %Y') = ?""", [city[-1].period_label]).fetchone()
    assert len(city) > 12 and city[-1].value == pytest.approx(share)
    assert len(by_district) >= 5 and all(0 <= p.value <= 1 for p in by_district)
