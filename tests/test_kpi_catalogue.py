"""config/kpis.yaml is checked at start: each kind of mistake gets a message naming the KPI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.settings import PROJECT_ROOT
from etl.errors import ConfigError
from kpis.catalogue import load_catalogue

GOOD = {
    "id": "on_time",
    "title": "Requests closed on time",
    "description": "Share closed by the promised date.",
    "method": "Closed on or before due, over closed with a due date.",
    "domain": "services",
    "unit": "percent",
    "direction": "higher",
    "target": 0.9,
    "amber": 0.85,
    "period": "month",
    "owner": "Chief Operating Officer",
    "breakdowns": ["district"],
    "query": "SELECT date_trunc('month', closed_at) AS period, {by} AS breakdown, "
             "avg((closed_at <= due_at)::INT) AS value FROM service_requests GROUP BY ALL",
}


def write(tmp_path: Path, kpis: list[dict], **top) -> Path:
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump({**top, "kpis": kpis}, sort_keys=False))
    return path


def error(tmp_path: Path, kpis: list[dict], **top) -> str:
    with pytest.raises(ConfigError) as caught:
        load_catalogue(write(tmp_path, kpis, **top))
    return str(caught.value)


def test_the_shipped_catalogue_is_valid_and_covers_the_issue() -> None:
    catalogue = load_catalogue(PROJECT_ROOT / "config" / "kpis.yaml")
    ids = {k.id for k in catalogue.kpis}
    assert len(ids) >= 18
    assert {k.domain for k in catalogue.kpis} == {"budget", "services", "engagement"}
    for required in ("budget_execution_rate", "budget_variance", "spend_per_resident",
                     "budget_growth", "savings_achieved", "median_days_to_close", "on_time_rate",
                     "backlog", "backlog_age", "permit_processing_days", "digital_takeup",
                     "resident_satisfaction", "active_contributors", "practices_shared",
                     "practices_implemented", "webinar_attendance", "open_data_downloads",
                     "feedback_response_time"):
        assert required in ids
    assert {k.audience for k in catalogue.kpis} == {"public", "internal"}
    assert len(catalogue.version) == 12


def test_a_good_kpi_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(write(tmp_path, [GOOD]))
    kpi = catalogue.get("on_time")
    assert kpi.places == 1 and kpi.audience == "public"
    assert "district AS breakdown" in kpi.sql("district")
    assert "CAST(NULL AS VARCHAR) AS breakdown" in kpi.sql(None)


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, [{**GOOD, "colour": "blue"}])
    assert "KPI 'on_time': key 'colour': unknown key" in message


def test_an_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    assert "key 'kpi_list': unknown key" in error(tmp_path, [GOOD], kpi_list=[])


def test_a_duplicate_id_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, [GOOD, {**GOOD, "title": "Again"}])
    assert "KPI 'on_time': id is used by more than one KPI" in message


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    kpi = {k: v for k, v in GOOD.items() if k != "owner"}
    assert "KPI 'on_time': key 'owner': Field required" in error(tmp_path, [kpi])


def test_a_bad_value_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, [{**GOOD, "period": "week"}])
    assert "KPI 'on_time': key 'period':" in message and "month" in message
    message = error(tmp_path, [{**GOOD, "breakdowns": ["ward"]}])
    assert "KPI 'on_time': key 'breakdowns.0':" in message


def test_a_bad_id_without_id_is_named_by_position(tmp_path: Path) -> None:
    kpi = {k: v for k, v in GOOD.items() if k != "id"}
    assert "KPI number 2: key 'id': Field required" in error(tmp_path, [GOOD, kpi])


def test_an_amber_threshold_on_the_wrong_side_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, [{**GOOD, "amber": 0.95}])
    assert "KPI 'on_time': key 'amber': 0.95 is above the target 0.9" in message
    message = error(tmp_path, [{**GOOD, "direction": "lower"}])
    assert "key 'amber': 0.85 is below the target 0.9, but lower is better" in message


def test_breakdowns_without_the_placeholder_are_named(tmp_path: Path) -> None:
    query = GOOD["query"].replace("{by} AS breakdown, ", "")
    message = error(tmp_path, [{**GOOD, "query": query}])
    assert "KPI 'on_time': key 'query': it declares breakdowns but has no {by}" in message
    message = error(tmp_path, [{**GOOD, "breakdowns": []}])
    assert "KPI 'on_time': key 'query': it uses {by} but declares no breakdowns" in message


def test_two_statements_are_refused(tmp_path: Path) -> None:
    message = error(tmp_path, [{**GOOD, "query": GOOD["query"] + "; DROP TABLE permits"}])
    assert "KPI 'on_time': key 'query': one SELECT statement only" in message


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kpis\.yaml: file not found"):
        load_catalogue(tmp_path / "kpis.yaml")
    assert load_catalogue(tmp_path / "kpis.yaml", missing_ok=True).kpis == ()
    (tmp_path / "kpis.yaml").write_text("kpis: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_catalogue(tmp_path / "kpis.yaml")
