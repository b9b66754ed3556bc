"""config/sources.yaml is checked at start, and every mistake is named."""

from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT
from etl.domains import all_domains
from etl.errors import ConfigError
from etl.sources_config import load_sources

GOOD = """
sources:
  budget_lines:
    kind: csv
    domain: budget
    path: budget.csv
    columns:
      fiscal_year: {from: Fiscal Year, parse: integer}
      department: {from: Department}
      amount_kind: {value: budgeted}
      amount: {from: Adopted, parse: currency}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_and_examples_feed_every_domain():
    sample = load_sources(PROJECT_ROOT / "config" / "sources.yaml")
    examples = [load_sources(path) for path in (PROJECT_ROOT / "config" / "examples").glob("*")]
    fed = {s.domain for sources in (sample, *examples) for s in sources.values()}
    assert fed == set(all_domains())
    # The sample city feeds every domain.
    assert {s.domain for s in sample.values()} == set(all_domains())


def test_a_minimal_source_is_accepted(tmp_path):
    sources = load_sources(_write(tmp_path, GOOD))
    assert sources["budget_lines"].columns["fiscal_year"].source_column == "Fiscal Year"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    path: budget.csv\n", "    path: budget.csv\n    delimeter: ';'\n"),
         "source 'budget_lines': key 'delimeter': unknown key"),
        (("    path: budget.csv\n", ""), "source 'budget_lines': key 'path': Field required"),
        (("parse: integer}", "parse: integr}"), "key 'columns.fiscal_year.parse'"),
        (("domain: budget", "domain: budgets"), "unknown domain 'budgets'"),
        (("      department: {from: Department}\n", ""),
         "required column 'department' of the budget domain is not mapped"),
        (("department: {from: Department}", "department: {from: Department}\n"
          "      dept_code: {from: Code}"),
         "key 'columns.dept_code': the budget domain has no such column"),
        (("parse: integer}", "parse: date}"), "parse: date needs a list of formats"),
        (("path: budget.csv", "path: budget.csv\n    encoding: klingon"),
         "unknown encoding 'klingon'"),
    ],
)
def test_a_mistake_is_reported_naming_the_source_and_key(tmp_path, change, expected):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as error:
        load_sources(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_a_missing_file_and_broken_yaml_are_named(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_sources(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sources(_write(tmp_path, "sources: [unclosed"))
