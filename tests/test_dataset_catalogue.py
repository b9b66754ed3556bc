"""config/datasets.yaml: the shipped catalogue, and each mistake an operator can make in it,
reported with the file, the dataset and the column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.settings import PROJECT_ROOT
from etl.errors import ConfigError
from opendata.catalogue import PUBLIC_DOMAIN, load_datasets

GOOD = {
    "id": "permits", "title": "Permits", "description": "Permits issued.", "theme": "services",
    "keywords": ["permits"], "frequency": "daily", "table": "permits",
    "columns": [{"name": "permit_id", "type": "string", "description": "The number."},
                {"name": "valuation", "type": "number", "description": "Value.", "unit": "USD"}],
}
TOP = {"publisher": "City of Millbrook",
       "contact": {"name": "Open Data Team", "email": "opendata@millbrook.example"}}


def write(tmp_path: Path, datasets: list[dict], **top) -> Path:
    path = tmp_path / "datasets.yaml"
    path.write_text(yaml.safe_dump({**TOP, **top, "datasets": datasets}), encoding="utf-8")
    return path


def error(tmp_path: Path, datasets: list[dict], **top) -> str:
    with pytest.raises(ConfigError) as raised:
        load_datasets(write(tmp_path, datasets, **top))
    message = str(raised.value)
    assert message.startswith(str(tmp_path / "datasets.yaml"))
    return message


def test_the_shipped_catalogue_is_valid_and_covers_the_issue() -> None:
    catalogue = load_datasets(PROJECT_ROOT / "config" / "datasets.yaml")
    ids = {d.id: d for d in catalogue.datasets}
    assert {"budget_lines", "service_requests", "permits", "engagement_monthly", "kpi_values",
            "quarantine_summary"} <= set(ids)
    assert ids["quarantine_summary"].audience == "internal"
    requests = {c.name: c for c in ids["service_requests"].columns}
    assert requests["description"].private and requests["latitude"].round == 3
    assert any(c.suppress for c in ids["engagement_monthly"].columns)
    assert catalogue.licence.id == "CC-BY-4.0" and catalogue.small_count_threshold == 5


def test_a_good_dataset_loads_with_public_domain_by_default(tmp_path: Path) -> None:
    catalogue = load_datasets(write(tmp_path, [GOOD]))
    assert catalogue.licence == PUBLIC_DOMAIN
    assert [c.name for c in catalogue.find("permits").published] == ["permit_id", "valuation"]


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    assert "dataset 'permits': key 'colour': unknown key" in error(
        tmp_path, [{**GOOD, "colour": "blue"}])


def test_an_unknown_column_key_is_named_with_its_column(tmp_path: Path) -> None:
    columns = [GOOD["columns"][0], {**GOOD["columns"][1], "units": "USD"}]
    assert "dataset 'permits': column 'valuation': key 'units': unknown key" in error(
        tmp_path, [{**GOOD, "columns": columns}])


def test_a_duplicate_dataset_id_is_named(tmp_path: Path) -> None:
    assert "dataset id(s) used twice: permits" in error(tmp_path, [GOOD, GOOD])


def test_a_column_listed_twice_is_named(tmp_path: Path) -> None:
    columns = [GOOD["columns"][0], GOOD["columns"][0]]
    assert "dataset 'permits': column(s) listed twice: permit_id" in error(
        tmp_path, [{**GOOD, "columns": columns}])


@pytest.mark.parametrize("change", [{"table": None}, {"query": "SELECT 1 AS permit_id"}])
def test_a_dataset_needs_exactly_one_of_table_and_query(tmp_path: Path, change: dict) -> None:
    dataset = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert "dataset 'permits': give exactly one of `table` and `query`" in error(
        tmp_path, [dataset])


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    dataset = {k: v for k, v in GOOD.items() if k != "description"}
    assert "dataset 'permits': key 'description': Field required" in error(tmp_path, [dataset])


def test_a_bad_value_is_named(tmp_path: Path) -> None:
    assert "dataset 'permits': key 'frequency'" in error(
        tmp_path, [{**GOOD, "frequency": "fortnightly"}])
    columns = [{**GOOD["columns"][0], "type": "text"}]
    assert "dataset 'permits': column 'permit_id': key 'type'" in error(
        tmp_path, [{**GOOD, "columns": columns}])


def test_a_dataset_without_an_id_is_named_by_position(tmp_path: Path) -> None:
    dataset = {k: v for k, v in GOOD.items() if k != "id"}
    assert "dataset number 2: key 'id': Field required" in error(
        tmp_path, [{**GOOD, "id": "other"}, dataset])


@pytest.mark.parametrize(("column", "wanted"), [
    ({"private": True, "round": 2}, "a private column is not published"),
    ({"round": 2, "type": "string"}, "only a number can be rounded"),
    ({"suppress": True}, "only a count (integer) can be suppressed"),
])
def test_contradictory_privacy_rules_are_named(tmp_path: Path, column: dict,
                                               wanted: str) -> None:
    columns = [GOOD["columns"][0], {**GOOD["columns"][1], **column}]
    message = error(tmp_path, [{**GOOD, "columns": columns}])
    assert "dataset 'permits': column 'valuation': " in message and wanted in message


def test_a_dataset_with_only_private_columns_is_refused(tmp_path: Path) -> None:
    columns = [{**c, "private": True} for c in GOOD["columns"]]
    assert "every column is private" in error(tmp_path, [{**GOOD, "columns": columns}])


def test_a_bad_contact_or_licence_is_named(tmp_path: Path) -> None:
    assert "key 'contact.email'" in error(
        tmp_path, [GOOD], contact={"name": "Team", "email": "not an address"})
    assert "key 'licence.url'" in error(
        tmp_path, [GOOD], licence={"id": "X", "title": "X", "url": "ftp://x"})


def test_a_missing_file_is_an_error_or_no_catalogue(tmp_path: Path) -> None:
    assert load_datasets(tmp_path / "none.yaml", missing_ok=True) is None
    with pytest.raises(ConfigError, match="not found"):
        load_datasets(tmp_path / "none.yaml")


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "datasets.yaml"
    path.write_text("datasets: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_datasets(path)
