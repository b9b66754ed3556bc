"""Citizen feedback sources: the application database through `url: app` (a real SQLite file
read into a real DuckDB), the previous form's CSV through the real `etl run`, and
`parse: boolean`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    text,
)

from config.settings import PROJECT_ROOT
from etl.clean import clean
from etl.domains import all_domains
from etl.errors import SourceError
from etl.load import ensure_table, load, record_quarantine
from etl.sources.registry import extract
from etl.sources.sql import resolve_url
from etl.sources_config import load_sources
from etl.validate import validate
from tests import expected
from tests.helpers import Workspace
from tests.test_etl_run import open_current

NOW = datetime(2026, 11, 1)  # the run's start: nothing below is in its future
SECRET = "My neighbour's address is 12 Elm St, call me on 555-0100"

# The application's feedback table, with exactly the columns appdb.models.Feedback declares.
metadata = MetaData()
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("submitted_at", DateTime, nullable=False),
    Column("page", String(512), nullable=False),
    Column("kpi_id", String(128)),
    Column("dataset_id", String(128)),
    Column("snapshot_id", String(64)),
    Column("useful", Boolean),
    Column("comment", Text),
    Column("status", String(16), nullable=False),
    Column("answered_at", DateTime),
)
ROWS = [
    {"id": 1, "submitted_at": datetime(2026, 10, 1, 14, 3, 22, 123456), "page": "/budget",
     "kpi_id": None, "dataset_id": None, "snapshot_id": "20261001T030112345Z", "useful": True,
     "comment": SECRET, "status": "answered", "answered_at": datetime(2026, 10, 2, 15, 0)},
    {"id": 2, "submitted_at": datetime(2026, 10, 5, 9, 30), "page": "/kpi/median_days_to_close",
     "kpi_id": "median_days_to_close", "dataset_id": None, "snapshot_id": "20261005T030100001Z",
     "useful": False, "comment": None, "status": "closed", "answered_at": None},
    {"id": 3, "submitted_at": datetime(2026, 10, 7, 18, 45, 1), "page": "/data", "kpi_id": None,
     "dataset_id": "permits", "snapshot_id": None, "useful": None,
     "comment": "Please add the inspection dates", "status": "new", "answered_at": None},
    # A clock gone wrong: answered a day before it was given.
    {"id": 4, "submitted_at": datetime(2026, 10, 9, 12, 0), "page": "/", "kpi_id": None,
     "dataset_id": None, "snapshot_id": None, "useful": True, "comment": "Thanks",
     "status": "answered", "answered_at": datetime(2026, 10, 8, 12, 0)},
]


def _configured(name: str):
    return load_sources(PROJECT_ROOT / "config" / "sources.yaml")[name]


def _app_database(data_dir: Path, rows: list[dict]) -> str:
    """A SQLite application database in data_dir with the feedback table and the rows."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'app.db'}"
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            if rows:
                connection.execute(feedback.insert(), rows)
    finally:
        engine.dispose()
    return url


def _run_source(connection: duckdb.DuckDBPyConnection, name: str, source):
    """Extract, clean, validate and load one source, as a run does; what was extracted."""
    domain = all_domains()[source.domain]
    ensure_table(connection, domain)
    raw = extract(connection, name, source)
    cleaned = clean(connection, name, source, domain, raw)
    validated = validate(connection, name, source, domain, cleaned, NOW)
    record_quarantine(connection, "test-run", name, validated)
    load(connection, name, source, domain, validated)
    return raw


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder the settings name; the application database is its default app.db."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(folder))
    monkeypatch.delenv("DASHBOARD_DATABASE_URL", raising=False)
    return folder


# url: app --------------------------------------------------------------------------------------


def test_url_app_names_the_default_application_database_in_the_data_folder(tmp_path):
    environ = {"DASHBOARD_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "data").mkdir()
    assert resolve_url("site_feedback", "app", environ) == f"sqlite:///{tmp_path}/data/app.db"
    assert resolve_url("site_feedback", " app ", environ) == f"sqlite:///{tmp_path}/data/app.db"


def test_url_app_follows_dashboard_database_url_and_creates_the_apps_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    environ = {"DASHBOARD_DATA_DIR": str(tmp_path), "DASHBOARD_DATABASE_URL": url}
    assert resolve_url("site_feedback", "app", environ) == url
    engine = create_engine(url)
    try:
        assert "feedback" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_other_urls_still_take_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_DB", str(tmp_path / "x.db"))
    assert resolve_url("s", "sqlite:///${FEEDBACK_DB}") == f"sqlite:///{tmp_path}/x.db"


def test_url_app_with_a_bad_setting_names_the_source_and_the_variable(tmp_path):
    environ = {"DASHBOARD_DATA_DIR": str(tmp_path), "DASHBOARD_SNAPSHOT_RETENTION": "none"}
    with pytest.raises(SourceError, match=r"source 's'.*DASHBOARD_SNAPSHOT_RETENTION"):
        resolve_url("s", "app", environ)


# site_feedback, as configured in config/sources.yaml ----------------------------------------


def test_site_feedback_loads_the_app_databases_rows_without_their_comments(data_dir):
    _app_database(data_dir, ROWS)
    with duckdb.connect() as connection:
        raw = _run_source(connection, "site_feedback", _configured("site_feedback"))
        loaded = connection.execute(
            "SELECT feedback_id, submitted_at, page, kpi_id, dataset_id, snapshot_id, useful, "
            "status, answered_at FROM citizen_feedback ORDER BY feedback_id").fetchall()
        quarantined = connection.execute(
            "SELECT source, \"row\", column_name, value, reason FROM quarantine").fetchall()
        everything = connection.execute(
            "SELECT * FROM citizen_feedback UNION ALL BY NAME SELECT * FROM quarantine"
        ).fetchall()
    assert "comment" not in raw.columns and raw.rows == len(ROWS)
    assert raw.inputs[0].origin == f"sqlite:///{data_dir}/app.db"
    assert loaded == [
        ("W-1", datetime(2026, 10, 1, 14, 3, 22, 123456), "/budget", None, None,
         "20261001T030112345Z", True, "answered", datetime(2026, 10, 2, 15, 0)),
        ("W-2", datetime(2026, 10, 5, 9, 30), "/kpi/median_days_to_close",
         "median_days_to_close", None, "20261005T030100001Z", False, "closed", None),
        ("W-3", datetime(2026, 10, 7, 18, 45, 1), "/data", None, "permits", None, None, "new",
         None),
    ]
    assert quarantined == [("site_feedback", 4, "answered_at", "2026-10-08 12:00:00.000000",
                            "answered before it was submitted")]
    assert SECRET not in str(everything)


def test_times_written_without_fractions_and_booleans_as_true_false_load_too(data_dir):
    url = _app_database(data_dir, [])
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            # Another writer (the sqlite3 shell, a default of CURRENT_TIMESTAMP) drops the
            # microseconds; PostgreSQL would hand booleans over as true/false.
            connection.execute(text(
                "INSERT INTO feedback (id, submitted_at, page, useful, status) VALUES "
                "(7, '2026-10-20 08:15:00', '/services', 'true', 'new'), "
                "(8, '2026-10-21 09:00:00', '/services', 'false', 'new')"))
    finally:
        engine.dispose()
    with duckdb.connect() as connection:
        _run_source(connection, "site_feedback", _configured("site_feedback"))
        loaded = connection.execute(
            "SELECT feedback_id, submitted_at, useful FROM citizen_feedback ORDER BY 1").fetchall()
    assert loaded == [("W-7", datetime(2026, 10, 20, 8, 15), True),
                      ("W-8", datetime(2026, 10, 21, 9, 0), False)]


def test_a_fresh_install_with_no_feedback_yet_loads_zero_rows(data_dir):
    assert not (data_dir / "app.db").exists()
    data_dir.mkdir()
    with duckdb.connect() as connection:
        raw = _run_source(connection, "site_feedback", _configured("site_feedback"))
        count = connection.execute("SELECT count(*) FROM citizen_feedback").fetchone()[0]
    assert (raw.rows, count) == (0, 0)
    engine = create_engine(f"sqlite:///{data_dir / 'app.db'}")
    try:
        assert "feedback" in inspect(engine).get_table_names()  # made, as the app would
    finally:
        engine.dispose()


# The real command, both sources ------------------------------------------------------------


def test_etl_run_loads_the_history_file_and_the_site_feedback_side_by_side(
    workspace: Workspace,
):
    _app_database(workspace.root / "data", ROWS[:3])
    workspace.etl("run", "--source", "feedback_history", "--source", "site_feedback")
    history = expected.read_raw(workspace.sample_dir / "citizen_feedback.csv")
    answers = history["Was this useful?"].str.lower().value_counts()
    with open_current(workspace) as connection:
        by_source = dict(connection.execute(
            "SELECT _source, count(*) FROM citizen_feedback GROUP BY 1").fetchall())
        useful = dict(connection.execute(
            "SELECT CAST(useful AS VARCHAR), count(*) FROM citizen_feedback "
            "WHERE _source = 'feedback_history' GROUP BY 1").fetchall())
        statuses = {row[0] for row in connection.execute(
            "SELECT DISTINCT status FROM citizen_feedback").fetchall()}
        reasons = {row[0] for row in connection.execute(
            "SELECT reason FROM quarantine WHERE source = 'feedback_history'").fetchall()}
    assert by_source == {"feedback_history": len(history), "site_feedback": 3}
    assert useful == {"true": answers["yes"], "false": answers["no"], None: answers[""]}
    assert statuses == {"new", "answered", "closed"}
    assert all(reason.startswith("duplicate of row ") for reason in reasons)


# parse: boolean ------------------------------------------------------------------------------


BOOLEAN_SOURCE = """
sources:
  form:
    kind: csv
    domain: feedback
    path: {path}
    columns:
      feedback_id: {{from: id}}
      submitted_at: {{value: '2026-10-01 12:00:00', parse: timestamp,
                      formats: ['%Y-%m-%d %H:%M:%S']}}
      page: {{value: /}}
      useful: {{from: answer, parse: boolean}}
      status: {{value: new}}
"""


def test_parse_boolean_reads_true_false_yes_no_1_0_in_any_case_and_quarantines_the_rest(
    tmp_path,
):
    answers = ["true", "FALSE", "Yes", "no", "1", "0", " YES ", "", "maybe", "2"]
    path = tmp_path / "form.csv"
    path.write_text("id,answer\n" + "".join(f"{i},{a}\n" for i, a in enumerate(answers)))
    config = tmp_path / "sources.yaml"
    config.write_text(BOOLEAN_SOURCE.format(path=path))
    with duckdb.connect() as connection:
        _run_source(connection, "form", load_sources(config)["form"])
        loaded = connection.execute(
            "SELECT CAST(feedback_id AS INTEGER), useful FROM citizen_feedback ORDER BY 1"
        ).fetchall()
        quarantined = connection.execute(
            "SELECT value, reason FROM quarantine ORDER BY \"row\"").fetchall()
    assert loaded == [(0, True), (1, False), (2, True), (3, False), (4, True), (5, False),
                      (6, True), (7, None)]
    reason = "not a yes/no value (true, yes, 1, false, no, 0)"
    assert quarantined == [("maybe", reason), ("2", reason)]
