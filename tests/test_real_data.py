"""Real city files (tests/fixtures/) load through the example configurations alone.

Each dataset runs the real `python -m etl run` with `config/examples/<dataset>.yaml` as its
sources.yaml; the figures asserted were counted independently with pandas from the fixtures.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from config.settings import PROJECT_ROOT
from tests.helpers import Workspace
from tests.test_etl_run import open_current

EXAMPLES = PROJECT_ROOT / "config" / "examples"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SURVEY_DICTIONARY = ("not a code found in the dictionary tests/fixtures/"
                     "san_diego_resident_survey_2015/resident_survey_dictionary_datasd.csv")


def workspace_for(root: Path, example: str) -> Workspace:
    """A workspace whose sources.yaml is the example (its paths resolve in the project)."""
    (root / "config").mkdir(parents=True)
    shutil.copy(EXAMPLES / example, root / "config" / "sources.yaml")
    return Workspace(root=root, sample_dir=FIXTURES)


def loaded(example: str, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    workspace = workspace_for(tmp_path_factory.mktemp(example.removesuffix(".yaml")), example)
    workspace.etl("run")
    return open_current(workspace)


def reasons(connection: duckdb.DuckDBPyConnection, source: str) -> dict[tuple[str, str], int]:
    return dict(((column, reason), n) for column, reason, n in connection.execute(
        "SELECT column_name, reason, count(*) FROM quarantine WHERE source = ? GROUP BY ALL",
        [source]).fetchall())


def quarantined_records(connection: duckdb.DuckDBPyConnection, source: str) -> int:
    return connection.execute("SELECT count(DISTINCT row) FROM quarantine WHERE source = ?",
                              [source]).fetchone()[0]


@pytest.fixture(scope="module")
def budget(tmp_path_factory):
    with loaded("boston_budget.yaml", tmp_path_factory) as connection:
        yield connection


@pytest.fixture(scope="module")
def requests_311(tmp_path_factory):
    with loaded("boston_311.yaml", tmp_path_factory) as connection:
        yield connection


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    with loaded("san_diego_survey.yaml", tmp_path_factory) as connection:
        yield connection


# Boston operating budget ------------------------------------------------------------------

def test_boston_budget_year_columns_become_one_row_per_filled_cell(budget):
    # 943 lines x 4 year columns = 3,772 cells, less 544 '#Missing' (183 + 138 + 129 + 94).
    rows = dict(budget.execute(
        "SELECT fiscal_year || ' ' || amount_kind, count(*) FROM budget_lines GROUP BY ALL"
    ).fetchall())
    assert rows == {"2022 actual": 760, "2023 actual": 805, "2024 revised": 814,
                    "2025 budgeted": 849}
    assert budget.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0


def test_boston_budget_department_totals_match_the_file(budget):
    police = budget.execute(
        "SELECT fiscal_year, amount_kind, sum(amount) FROM budget_lines "
        "WHERE department = 'Police Department' AND fiscal_year >= 2024 GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert police == [(2024, "revised", Decimal("451864438.81")),
                      (2025, "budgeted", Decimal("474307787.48"))]
    total = budget.execute("SELECT sum(amount) FROM budget_lines WHERE fiscal_year = 2025"
                           ).fetchone()[0]
    assert total == Decimal("4636924670.23")  # the README's "about $4.64 billion"


def test_boston_budget_negative_actuals_and_constant_fund_load(budget):
    negative = budget.execute(
        "SELECT department, program, account_type, amount FROM budget_lines "
        "WHERE amount < 0 ORDER BY amount").fetchall()
    assert len(negative) == 2
    assert negative[0] == ("Office of Human Services", "Office of Early Childhood",
                           "Personnel Services", Decimal("-247302.69"))
    assert budget.execute("SELECT DISTINCT fund FROM budget_lines").fetchall() == [
        ("General Fund",)]


def test_boston_capital_plan_loads_from_windows_1252(tmp_path_factory):
    # The file is cp1252: the csv kind transcodes it, so its curly quotes and accents survive.
    with loaded("boston_capital_plan.yaml", tmp_path_factory) as connection:
        count, total = connection.execute(
            "SELECT count(*), sum(amount) FROM budget_lines").fetchone()
        assert (count, total) == (429, Decimal("467566658.00"))
        assert connection.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        schools = connection.execute(
            "SELECT sum(amount) FROM budget_lines WHERE department = 'Boston Public Schools'")
        assert schools.fetchone()[0] == Decimal("228282917.00")
        names = [n for (n,) in connection.execute("SELECT program FROM budget_lines").fetchall()]
        assert "Central Library Façade Study and Repairs" in names


# Boston 311 -------------------------------------------------------------------------------

def test_boston_311_loads_every_case_but_the_unclear_ones(requests_311):
    assert requests_311.execute("SELECT count(*) FROM service_requests").fetchone()[0] == 5436
    assert quarantined_records(requests_311, "boston_311") == 37  # 41 problems on 37 rows
    assert reasons(requests_311, "boston_311") == {
        ("city_council_district", "not one of the mapped codes (1, 2, 3, 4, 5, 6, 7, 8, 9)"): 27,
        ("case_topic", "required value missing"): 10,
        ("case_status", "not one of the mapped codes (Closed, In progress, Create, Submit)"): 4,
    }
    statuses = dict(requests_311.execute(
        "SELECT value, count(*) FROM quarantine WHERE column_name = 'case_status' GROUP BY ALL"
    ).fetchall())
    assert statuses == {"Error": 3, "Needs Reallocation": 1}


def test_boston_311_statuses_and_channels_are_mapped(requests_311):
    statuses = dict(requests_311.execute(
        "SELECT status, count(*) FROM service_requests GROUP BY ALL").fetchall())
    assert statuses == {"Closed": 4069, "In progress": 1359, "Open": 8}  # Create 5 + Submit 3
    channels = dict(requests_311.execute(
        "SELECT channel, count(*) FROM service_requests GROUP BY ALL").fetchall())
    assert channels == {"Phone": 3389, "Online": 2047}
    open_cases = requests_311.execute(
        "SELECT count(*) FROM service_requests WHERE closed_at IS NULL").fetchone()[0]
    assert open_cases == 1367


def test_boston_311_timestamps_with_any_fraction_of_a_second_parse(requests_311):
    row = requests_311.execute(
        "SELECT opened_at, channel, district, status FROM service_requests "
        "WHERE request_id = 'BCS-00139488'").fetchone()
    assert row == (datetime(2026, 1, 12, 14, 32, 42, 23000), "Phone", "6", "Open")
    first = requests_311.execute(
        "SELECT opened_at, closed_at, due_at FROM service_requests "
        "WHERE request_id = 'BCS-00065327'").fetchone()
    assert first == (datetime(2025, 8, 1, 6, 35, 6, 539000), datetime(2025, 8, 1, 8, 0, 9),
                     datetime(2025, 8, 4, 6, 35, 6, 539000))
    whole_seconds = requests_311.execute(  # '2025-10-19 15:17:24+00': no fraction at all
        "SELECT opened_at FROM service_requests WHERE request_id = 'BCS-00104292'").fetchone()
    assert whole_seconds == (datetime(2025, 10, 19, 15, 17, 24),)


# San Diego survey -------------------------------------------------------------------------

def test_san_diego_survey_unpivots_every_answered_coded_question(survey):
    # 111 coded question columns x 2,477 rows, less the blank cells: 264,863 answers. Q25_5th
    # (a fifth race) is blank in every row, so 110 questions have answers.
    answers = survey.execute("SELECT count(*) FROM survey_responses").fetchone()[0]
    assert answers == 264863 - 986
    assert survey.execute("SELECT count(DISTINCT question_id), count(DISTINCT respondent_id) "
                          "FROM survey_responses").fetchone() == (110, 2477)


def test_san_diego_codes_missing_from_the_dictionary_are_quarantined(survey):
    assert reasons(survey, "san_diego_survey_2015") == {("answer_text", SURVEY_DICTIONARY): 986}
    codes = dict(survey.execute(
        "SELECT value, count(*) FROM quarantine GROUP BY ALL").fetchall())
    # 6 and 9 (Q22), 9 (Q18, Q23, Q24, Q25_1st, Q26, Q27), 3 (Q27), 99 (Q4_1, Q4_3, Q4_4).
    assert codes == {"6": 430, "9": 455, "3": 8, "99": 93}


def test_san_diego_answers_are_decoded_per_question(survey):
    first = survey.execute(
        "SELECT question, answer_code, answer, district FROM survey_responses "
        "WHERE respondent_id = '1' AND question_id = 'Q1_1'").fetchone()
    assert first == ("As a place to live", 5, "Excellent", "7")
    # The same code 9 is "Don't Know" on a rating scale but a service in the Q4 ranking.
    nine = dict(survey.execute(
        "SELECT question_id, any_value(answer) FROM survey_responses "
        "WHERE answer_code = 9 AND question_id IN ('Q1_1', 'Q4_1') GROUP BY ALL").fetchall())
    assert nine == {"Q1_1": "Don't Know", "Q4_1": "Parks and recreation programs and facilities"}


def test_san_diego_labels_with_commas_inside_are_kept_whole(survey):
    labels = dict(survey.execute(
        "SELECT question_id || ':' || answer_code, any_value(answer) FROM survey_responses "
        "WHERE (question_id = 'Q4_1' AND answer_code = 8) "
        "OR (question_id = 'Q22' AND answer_code IN (2, 5)) GROUP BY ALL").fetchall())
    assert labels == {"Q4_1:8": "Maintenance of City streets, sidewalks, and infrastructure",
                      "Q22:2": "Between $25k and $49,999",
                      "Q22:5": "Between $100k and $149,999"}
