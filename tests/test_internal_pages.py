"""The scorecard, department view and targets over a real server and real snapshots: values
and statuses as the snapshot has them, sorting, filters, exports, breakdowns that add up to
the records behind them, and target changes judged at once and at the next publish."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from appdb.accounts import users
from appdb.audit import events
from kpis.targets import TargetRule, in_force, sql_in_force, status
from tests.dash_client import find, table_rows, text
from tests.helpers import ServerProcess, Workspace, query
from tests.internal_client import STAFF, fire, page, sign_in, signed_in, staffed_site

SAVE = ("target-message.children", "target-history.children")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    owner = {"coo": ("--role", "manager", "--department", "Chief Operating Officer")}
    with staffed_site(tmp_path_factory.mktemp("internal-pages"), small_sample,
                      STAFF | owner) as both:
        yield both


def scorecard(browser, server, search: str = "") -> list[list[str]]:
    rows = table_rows(find(page(browser, server, "/internal/scorecard", search),
                           "scorecard-table"))
    return [[" ".join(cell.split()) for cell in row] for row in rows]


def latest(workspace: Workspace, department: str | None = None) -> dict[str, str | None]:
    """Each KPI's latest status in the snapshot, city-wide or for one department."""
    return dict(query(workspace, """
        SELECT s.kpi_id, s.status FROM kpi.series s
        WHERE s.is_latest AND breakdown IS NOT DISTINCT FROM ?
          AND breakdown_value IS NOT DISTINCT FROM ?""",
                      [department and "department", department]))


def test_the_scorecard_shows_every_kpi_with_the_snapshots_values_and_statuses(served):
    workspace, server = served
    viewer = signed_in(server, "vic")
    rows = scorecard(viewer, server, "?sort=title")
    titles = dict(query(workspace, "SELECT title, audience FROM kpi.definitions"))
    assert len(rows) == len(titles) == 24
    assert [r[0].removesuffix(" (internal)") for r in rows] == sorted(titles, key=str.lower)
    assert {r[0] for r in rows if r[0].endswith("(internal)")} == {
        f"{t} (internal)" for t, a in titles.items() if a == "internal"}
    words = {"green": "On target", "amber": "Near target", "red": "Off target"}
    by_title = {r[0].removesuffix(" (internal)"): r for r in rows}
    kpi_titles = dict(query(workspace, "SELECT kpi_id, title FROM kpi.definitions"))
    for kpi_id, state in latest(workspace).items():  # no change yet: the same judgement
        assert by_title[kpi_titles[kpi_id]][3] == words[state], kpi_id


def test_sorting_and_filters_narrow_and_order_the_rows(served):
    workspace, server = served
    viewer = signed_in(server, "vic")
    by_status = scorecard(viewer, server, "?sort=status")
    ranks = {"Off target": 0, "Near target": 1, "On target": 2}
    order = [ranks[r[3]] for r in by_status if r[3] in ranks]
    assert order == sorted(order) and len(set(order)) > 1
    descending = scorecard(viewer, server, "?sort=status&order=desc")
    assert [ranks[r[3]] for r in descending if r[3] in ranks] == sorted(order, reverse=True)
    budget = scorecard(viewer, server, "?theme=budget")
    assert len(budget) == query(workspace, "SELECT count(*) FROM kpi.definitions "
                                           "WHERE domain = 'budget'")[0][0]
    red = scorecard(viewer, server, "?status=red")
    assert red and {r[3] for r in red} == {"Off target"}
    police = scorecard(viewer, server, "?department=Police")
    broken_down = query(workspace, "SELECT count(*) FROM kpi.definitions "
                                   "WHERE list_contains(breakdowns, 'department')")[0][0]
    assert len(police) == broken_down < 21


def test_a_manager_chooses_among_their_own_departments_only(served):
    _, server = served
    manager = signed_in(server, "maria")
    drawn = page(manager, server, "/internal/scorecard")
    options = [o["label"] for o in find(drawn, "scorecard-department")["props"]["options"]]
    assert options == ["City-wide", "Public Works"]
    assert len(scorecard(manager, server, "?department=Public%20Works")) > 0


def test_the_exports_hold_the_rows_of_the_view(served):
    workspace, server = served
    viewer = signed_in(server, "vic")
    shown = scorecard(viewer, server, "?theme=services&status=red")
    answer = viewer.get(f"{server.url}/internal/scorecard.csv?theme=services&status=red",
                        timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="scorecard_')
    assert answer.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["title"] for r in rows] == [r[0].removesuffix(" (internal)") for r in shown]
    assert {r["status"] for r in rows} == {"red"} and {r["theme"] for r in rows} == {"services"}
    snapshot = dict(query(workspace, "SELECT kpi_id, value FROM kpi.series "
                                     "WHERE is_latest AND breakdown IS NULL"))
    for row in rows:
        assert float(row["value"]) == pytest.approx(snapshot[row["kpi_id"]])
    book = viewer.get(f"{server.url}/internal/scorecard.xlsx?theme=services&status=red",
                      timeout=30)
    sheet = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == list(rows[0].keys())
    assert [c[0] for c in cells[1:]] == [r["kpi_id"] for r in rows]


def test_a_departments_breakdowns_add_up_to_the_records_behind_them(served):
    workspace, server = served
    manager = signed_in(server, "maria")
    drawn = page(manager, server, "/internal/department/Public%20Works")
    window = ("department = 'Public Works' AND opened_at > "
              "(SELECT max(opened_at) FROM service_requests) - INTERVAL 12 MONTH")
    (total,) = query(workspace, f"SELECT count(*) FROM service_requests WHERE {window}")[0]
    for by in ("district", "request_type", "channel"):
        rows = table_rows(find(drawn, f"department-by-{by}"))
        assert sum(int(r[1].split()[0].replace(",", "")) for r in rows) == total, by
        expected = dict(query(workspace, f"SELECT coalesce({by}, '(none)'), count(*) "
                                         f"FROM service_requests WHERE {window} GROUP BY 1"))
        assert {r[0]: int(r[1].split()[0].replace(",", "")) for r in rows} == expected
    district, count = query(workspace, f"SELECT district, count(*) FROM service_requests "
                                       f"WHERE {window} GROUP BY 1 ORDER BY 2 DESC")[0]
    first = page(manager, server, "/internal/department/Public%20Works/records",
                 f"?district={district}")
    assert f"Requests 1 to 50 of {count:,}" in text(find(first, "records-summary"))
    second = page(manager, server, "/internal/department/Public%20Works/records",
                  f"?district={district}&page=2")
    one, two = (table_rows(find(p, "department-records")) for p in (first, second))
    assert len(one) == len(two) == 50 and not {r[0] for r in one} & {r[0] for r in two}
    newest = [r[0] for r in query(workspace, f"SELECT request_id FROM service_requests "
                                             f"WHERE {window} AND district = ? "
                                             "ORDER BY opened_at DESC, request_id LIMIT 50",
                                  [district])]
    assert [r[0] for r in one] == newest


def test_a_target_change_is_checked_stored_and_judged_at_once_and_at_the_next_publish(served):
    workspace, server = served
    kpi = "median_days_to_close"  # owned by the Chief Operating Officer; lower is better
    periods = [p for (p,) in query(workspace, "SELECT period_start FROM kpi.series WHERE "
                                              "kpi_id = ? AND breakdown IS NULL "
                                              "ORDER BY 1", [kpi])]
    start = periods[-3]
    state = {"target-kpi.data": kpi, "target-from.value": start.isoformat(),
             "target-value.value": 0.5, "target-amber.value": 0.4, "target-note.value": None}
    owner = signed_in(server, "coo")
    wrong_side = fire(owner, server, SAVE, {"target-save.n_clicks": 1}, state)
    assert "the amber threshold must be at or above the target" in wrong_side.text
    not_a_period = fire(owner, server, SAVE, {"target-save.n_clicks": 1},
                        state | {"target-from.value": "1999-01-01",
                                 "target-amber.value": 0.8})
    assert "Choose the period" in not_a_period.text
    for name in ("vic", "maria"):  # a viewer; a manager who does not own the KPI
        refused = fire(signed_in(server, name), server, SAVE, {"target-save.n_clicks": 1},
                       state | {"target-amber.value": 0.8})
        assert refused.status_code == 403
    saved = fire(owner, server, SAVE, {"target-save.n_clicks": 1},
                 state | {"target-amber.value": 0.8, "target-note.value": "Faster"})
    assert saved.status_code == 200 and "Saved" in saved.text
    # At once on the scorecard: every value is above half a day, so the KPI is red now.
    drawn = page(signed_in(server, "vic"), server, "/internal/targets", f"?kpi={kpi}")
    history = table_rows(find(drawn, "target-periods"))
    assert [r[3] for r in history[:3]] == ["Off target"] * 3  # the newest three periods
    before = latest(workspace)[kpi]
    workspace.etl("run")
    judged = dict(query(workspace, "SELECT period_start, status FROM kpi.series "
                                   "WHERE kpi_id = ? AND breakdown IS NULL", [kpi]))
    assert all(judged[p] == "red" for p in periods if p >= start)
    assert any(judged[p] != "red" for p in periods if p < start) or before != "red"


def test_the_status_rules_in_python_and_in_sql_agree():
    import duckdb

    rules = [TargetRule(__import__("datetime").date(2026, 1, 1), 10.0, 12.0),
             TargetRule(__import__("datetime").date(2026, 6, 1), 8.0, 9.0),
             TargetRule(__import__("datetime").date(2026, 1, 1), 11.0, 13.0)]  # set later
    connection = duckdb.connect()
    for day, value in (("2025-12-01", 10.5), ("2026-02-01", 11.5), ("2026-07-01", 8.5)):
        when = __import__("datetime").date.fromisoformat(day)
        target, amber = in_force(rules, when, 9.0, 10.0)
        sql = (f"SELECT {sql_in_force(rules, 'p', 9.0, 'target')}, "
               f"{sql_in_force(rules, 'p', 10.0, 'amber')} FROM (SELECT DATE '{day}' AS p)")
        assert connection.execute(sql).fetchall()[0] == (target, amber), day
        assert status(value, "lower", target, amber) in {"green", "amber", "red"}
    assert in_force(rules, __import__("datetime").date(2026, 2, 1), 9.0, 10.0) == (11.0, 13.0)


USERS = ("users-add-message.children", "users-edit-message.children", "users-list.children",
         "users-add-password.value")


def test_an_admin_adds_changes_and_stops_users_and_each_change_is_audited(served):
    workspace, server = served
    admin = signed_in(server, "ada")
    form = {"users-add-name.value": "nina", "users-add-role.value": "manager",
            "users-add-departments.value": "Parks & Recreation\n",
            "users-add-password.value": "short", "users-edit-name.value": None,
            "users-edit-role.value": None, "users-edit-departments.value": None,
            "users-edit-active.value": None}
    adding = {"users-add-save.n_clicks": 1, "users-edit-save.n_clicks": None}
    editing = {"users-edit-save.n_clicks": 1, "users-add-save.n_clicks": None}
    refused = fire(admin, server, USERS, adding, form)
    assert "Not added: the password must have at least 12 characters" in refused.text
    added = fire(admin, server, USERS, adding,
                 form | {"users-add-password.value": "a long first password"})
    assert "Added nina (manager)." in added.text
    nina, answer = sign_in(server, "nina", "a long first password")  # the admin's choice
    assert answer.status_code == 303
    assert page(nina, server, "/internal/department/Parks%20%26%20Recreation") is not None

    listed = table_rows(find(page(admin, server, "/internal/users"), "users-table"))
    ids = {u.account.name: str(u.account.id) for u in users(workspace.settings.database_url)}
    row = listed[[r[0] for r in listed].index("nina")]
    assert row[:4] == ["nina", "manager", "Parks & Recreation", "Yes"]
    stopped = fire(admin, server, USERS, editing, form | {
        "users-edit-name.value": ids["nina"], "users-edit-role.value": "viewer",
        "users-edit-departments.value": "", "users-edit-active.value": []})
    assert "Saved nina." in stopped.text
    # Her session ends with her sign-in: the guard no longer finds an active user.
    assert nina.get(server.url + "/internal/_dash-layout", timeout=30).status_code == 401
    own = fire(admin, server, USERS, editing, form | {
        "users-edit-name.value": ids["ada"], "users-edit-role.value": "viewer",
        "users-edit-departments.value": "", "users-edit-active.value": ["on"]})
    assert "you cannot take away your own admin role" in own.text
    for name in ("vic", "maria"):
        assert fire(signed_in(server, name), server, USERS, adding, form).status_code == 403
        drawn = page(signed_in(server, name), server, "/internal/users")
        assert "Not for your role" in text(drawn) and find(drawn, "users-table") is None
    done = [(e[0], e[2], e[3].get("user")) for e in events(workspace.settings.database_url)
            if e[0] in ("user_added", "user_changed")]
    assert ("user_added", "ada", "nina") in done and ("user_changed", "ada", "nina") in done
