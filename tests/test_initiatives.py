"""Initiatives in the application database (real SQLite), the import command, and their
evidence measured at publish from a real ETL run of the sample city."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from appdb import initiatives as store
from appdb.audit import events
from appdb.db import sessions
from appdb.models import Initiative as InitiativeRow
from config.settings import PROJECT_ROOT
from etl.errors import ConfigError
from etl.sample.initiatives import INITIATIVES, PLANTED
from kpis.catalogue import load_catalogue
from kpis.initiative_evidence import compute_evidence
from tests.helpers import query, snapshot_file
from tests.services import postgres_database, require_postgres

KPIS = ("median_days_to_close", "on_time_rate")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The application database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    require_postgres()
    with postgres_database() as database:
        yield database


def draft(**changes) -> store.Draft:
    base = store.Draft(title="Online bulky-item booking", change="Residents book a pickup slot "
                       "online instead of calling.", department="Public Works", owner="Ann Lee",
                       start_date=date(2025, 3, 1), status=store.RUNNING,
                       kpis=(("on_time_rate", "up"),))
    return replace(base, **changes)


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"title": "ab"}, "title", "3 to 200 characters"),
    ({"change": "  "}, "change", "say what changes"),
    ({"department": ""}, "department", "name the department"),
    ({"status": "paused"}, "status", "'paused' is not one of"),
    ({"end_date": date(2025, 1, 1)}, "end_date", "before the start"),
    ({"status": store.DONE}, "end_date", "say when it ended"),
    ({"cost_once": -5.0}, "cost_once", "not a cost"),
    ({"kpis": ()}, "kpis", "at least one KPI"),
    ({"kpis": (("no_such_kpi", "up"),)}, "kpis", "'no_such_kpi' is not a KPI"),
    ({"kpis": (("on_time_rate", "sideways"),)}, "kpis", "say up or down"),
    ({"links": ("javascript:alert(1)",)}, "links", "not a web address"),
])
def test_a_draft_is_refused_naming_the_field(changes, field, words):
    with pytest.raises(store.InitiativeError) as refused:
        store.checked(draft(**changes), KPIS)
    assert refused.value.field == field and words in refused.value.message


def test_a_checked_draft_is_tidied():
    tidy = store.checked(draft(title="  Online booking \r\n", links=(" https://a.example/x ", ""),
                               kpis=(("on_time_rate", "up"), ("median_days_to_close", "down"))),
                         KPIS)
    assert tidy.title == "Online booking" and tidy.links == ("https://a.example/x",)
    assert tidy.kpis == (("median_days_to_close", "down"), ("on_time_rate", "up"))


def test_create_update_and_adopt_are_stored_and_audited(url):
    first = store.create(url, store.checked(draft(), KPIS), "maria", "127.0.0.1")
    assert store.update(url, first, store.checked(draft(), KPIS), "maria") == {}  # no change
    changed = store.update(url, first, store.checked(
        draft(status=store.DONE, end_date=date(2025, 9, 30)), KPIS), "maria", "127.0.0.1")
    assert changed == {"status": ["running", "done"], "end_date": [None, "2025-09-30"]}
    copy = store.adopt(url, first, "Water & Sewer", "walt")
    again = store.adopt(url, copy, "Transportation", "tom")
    adopted = store.get(url, copy)
    assert (adopted.department, adopted.status, adopted.adopted_from, adopted.owner) == (
        "Water & Sewer", store.PLANNED, first, "walt")
    assert adopted.kpis == (("on_time_rate", "up"),) and adopted.start_date.day == 1
    assert [i.id for i in store.spread(url, again)] == [first, copy, again]
    with pytest.raises(store.InitiativeError, match="runs this initiative already"):
        store.adopt(url, first, "Public Works", "maria")
    logged = [(action, actor, detail) for action, _, actor, detail in reversed(events(url))]
    assert [a for a, *_ in logged] == ["initiative_created", "initiative_changed",
                                       "initiative_adopted", "initiative_adopted"]
    assert logged[1][2]["changes"]["status"] == ["running", "done"]
    assert logged[2][2] == {"initiative": copy, "title": "Online bulky-item booking",
                            "department": "Water & Sewer", "adopted_from": first}


def test_attachments_are_checked_by_content_and_size(url):
    initiative = store.create(url, store.checked(draft(), KPIS), "maria")
    kept = store.add_attachment(url, initiative, "process map.png", PNG, "maria")
    assert store.attachment(url, kept)[2] == PNG
    assert store.get(url, initiative).attachments[0].media_type == "image/png"
    refusals = {
        "map.png": (b"GIF89a" + bytes(10), "content does not match its name"),
        "notes.exe": (b"MZ" + bytes(10), "only .pdf, .png, .jpg, .jpeg, .docx, .pptx"),
        "huge.pdf": (b"%PDF-" + bytes(store.MAX_ATTACHMENT_BYTES), "at most 1,048,576"),
        "empty.pdf": (b"", "is empty"),
    }
    for name, (content, words) in refusals.items():
        with pytest.raises(store.InitiativeError, match=words):
            store.add_attachment(url, initiative, name, content, "maria")
    assert len(store.get(url, initiative).attachments) == 1


def test_only_the_author_edits_a_comment(url):
    initiative = store.create(url, store.checked(draft(), KPIS), "maria")
    said = store.add_comment(url, initiative, "walt", "We tried it too: fewer calls.")
    with pytest.raises(store.InitiativeError, match="only its author"):
        store.edit_comment(url, said, "maria", "changed")
    store.edit_comment(url, said, "walt", "We tried it too: far fewer calls.")
    (comment,) = store.comments(url, initiative)
    assert comment.text == "We tried it too: far fewer calls." and comment.edited_at
    assert events(url)[0][3]["old"] == "We tried it too: fewer calls."


def test_the_import_command_fills_an_empty_database_once(workspace, tmp_path):
    first = workspace.import_initiatives()
    assert first.returncode == 0 and "added 4 initiatives" in first.stdout
    second = workspace.import_initiatives()
    assert second.returncode == 0 and "nothing imported" in second.stdout
    lines = store.spread(workspace.settings.database_url, 1)
    assert [(i.department, i.status) for i in lines] == [("Public Works", "done"),
                                                         ("Transportation", "planned")]


def test_a_bad_import_file_names_the_entry_and_adds_nothing(workspace, tmp_path):
    entries = json.loads(json.dumps(INITIATIVES))
    entries[2]["kpis"][0]["kpi_id"] = "no_such_kpi"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(entries), encoding="utf-8")
    refused = workspace.import_initiatives(bad, check=False)
    assert refused.returncode == 1
    assert f"{bad}, entry 3: kpis: 'no_such_kpi' is not a KPI" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_each_publish_measures_the_evidence_from_its_own_data(workspace):
    workspace.import_initiatives()
    workspace.etl("run")
    first, _ = snapshot_file(workspace)
    found = {(number, kpi): (measured_on, verdict) for number, kpi, measured_on, verdict in query(
        workspace, "SELECT initiative_id, kpi_id, measured_on, verdict FROM initiative_evidence")}
    triage, chatbot, photos, copy = range(1, 5)  # the sample's, in the file's order
    # The step the generator planted after the triage is found on the department's own series,
    # on both its KPIs; the chatbot, after which nothing was planted, shows no clear change.
    assert found[(triage, "median_days_to_close")] == (PLANTED[0], "improved")
    assert found[(triage, "on_time_rate")] == (PLANTED[0], "improved")
    assert found[(chatbot, "median_days_to_close")] == ("Water & Sewer", "no clear change")
    assert found[(photos, "on_time_rate")] == ("Parks & Recreation", "too little data")
    assert found[(copy, "on_time_rate")] == ("Transportation", "too little data")
    shared = query(workspace, "SELECT period_label, value FROM kpi.series WHERE breakdown IS NULL "
                              "AND kpi_id = 'initiatives_with_evidence' ORDER BY period_start")
    assert shared and all(value == 1.0 for _, value in shared)

    # Moved to a start with nothing after it, the next publish says so; the first keeps its own.
    database = workspace.settings.database_url
    with sessions(database).begin() as session:
        moved = session.get(InitiativeRow, 1)
        moved.start_date, moved.end_date, moved.status = date(2026, 10, 1), None, "running"
    workspace.etl("run")
    assert query(workspace, "SELECT verdict FROM initiative_evidence WHERE initiative_id = 1 "
                            "AND kpi_id = 'on_time_rate'") == [("too little data",)]
    older = workspace.root / "data" / "warehouse" / "snapshots" / f"{first}.duckdb"
    with duckdb.connect(str(older), read_only=True) as connection:
        assert connection.execute(
            "SELECT verdict FROM initiative_evidence WHERE initiative_id = 1 "
            "AND kpi_id = 'on_time_rate'").fetchall() == [("improved",)]


def test_the_periods_compared_come_from_the_catalogue(tmp_path):
    text = (PROJECT_ROOT / "config" / "kpis.yaml").read_text(encoding="utf-8")
    for periods, accepted in ((3, True), (2, False), (37, False)):
        path = tmp_path / "kpis.yaml"
        path.write_text(text.replace("evidence_periods: 6", f"evidence_periods: {periods}"),
                        encoding="utf-8")
        if accepted:
            assert load_catalogue(path).evidence_periods == periods
        else:
            with pytest.raises(ConfigError, match="evidence_periods"):
                load_catalogue(path)


def test_evidence_compares_the_window_on_the_departments_series_without_the_split_period():
    connection = duckdb.connect()
    connection.execute("""
        CREATE TABLE initiatives AS SELECT 1::BIGINT AS initiative_id,
            'Public Works' AS department, DATE '2025-07-15' AS start_date;
        CREATE TABLE initiative_kpis AS SELECT 1::BIGINT AS initiative_id,
            'on_time_rate' AS kpi_id, 'up' AS direction;
        CREATE SCHEMA kpi;
        CREATE TABLE kpi.definitions AS SELECT 'on_time_rate' AS kpi_id, 'higher' AS direction,
            'percent' AS unit, 1 AS decimals, 'month' AS period, ['department'] AS breakdowns;
        CREATE TABLE kpi.series AS
            SELECT 'on_time_rate' AS kpi_id, b AS breakdown, v AS breakdown_value,
                   CAST(d AS DATE) AS period_start, strftime(d, '%b %Y') AS period_label,
                   CASE WHEN d >= DATE '2025-07-01' THEN 0.9 ELSE 0.8 END
                     + (month(d) % 3) * 0.001 AS value,
                   NULL AS status, NULL AS previous_value, NULL AS previous_label,
                   NULL AS year_ago_value, NULL AS score
            FROM range(DATE '2025-01-01', DATE '2026-01-01', INTERVAL 1 MONTH) t(d),
                 (VALUES (NULL, NULL), ('department', 'Public Works')) g(b, v);
    """)
    assert compute_evidence(connection, window=3) == 1
    (row,) = connection.execute(
        "SELECT measured_on, verdict, periods_before, periods_after, round(effect, 3), seasonal, "
        "due_on FROM initiative_evidence").fetchall()
    # July, which the start splits, is on neither side: April-June against August-October.
    assert row == ("Public Works", "improved", 3, 3, 0.1, False, date(2025, 10, 15))
