"""Pipeline health over a real `python app.py`, real ETL runs and real users: the runs and each
source's freshness against its schedule (a late one flagged), the quarantine and its CSV,
rollback and "Run ETL now" for admins only (both audited), and the page in real Chromium."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from appdb.audit import events
from tests.browser import axe_violations, chromium_page
from tests.dash_client import find, table_rows, text
from tests.helpers import ServerProcess, Workspace, free_port, query, write_sources
from tests.internal_client import PASSWORD, UPDATE, add_user, fire, page, signed_in
from tests.test_bad_inputs import _set_field
from tests.test_etl_run import broken_copy
from warehouse.writer import warehouse_lock

PATH = "/internal/pipeline"
RUN_NOW = ("pipeline-run-message.children", "pipeline-run-signal.data")
ROLLBACK = ("pipeline-rollback-message.children", "pipeline-rollback-signal.data")
REFRESH = ("pipeline-status.children", "pipeline-live.children", "pipeline-snapshots.children",
           "pipeline-poll.disabled")
# Line 10 of service_requests.csv gets a latitude a spreadsheet would run as a formula.
FORMULA = "=1+2"


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess, datetime]]:
    """A city whose one source is to be loaded every minute, loaded once, whose file then
    came empty: the server's scheduler fails to load it every minute, and it is late two
    minutes after its last load (due a minute after it, plus a minute's grace). Also the time
    of that load."""
    root = tmp_path_factory.mktemp("late")
    workspace = Workspace(root=root, sample_dir=small_sample)
    (root / "config").mkdir()
    source = root / "population.csv"
    shutil.copy(small_sample / "population.csv", source)
    (root / "config" / "sources.yaml").write_text(
        "sources:\n  population:\n    kind: csv\n    domain: population\n"
        f"    path: {source}\n    schedule: {{interval_minutes: 1}}\n    columns:\n"
        "      year: {from: year, parse: integer}\n      district: {from: district}\n"
        "      population: {from: population, parse: integer}\n")
    workspace.etl("run")
    loaded = datetime.fromisoformat(workspace.status()["published_at"])
    source.write_text("")  # every load from now on fails: "population.csv is empty"
    assert add_user(workspace, "ada", "--role", "admin").returncode == 0
    server = ServerProcess([sys.executable, "app.py"], workspace.env, free_port())
    yield workspace, server, loaded
    server.stop()


@pytest.fixture(scope="module")
def site(late, tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """The sample city, with a formula-like bad latitude, published twice (two snapshots to
    roll back between), an admin, a viewer and a manager. Made after `late`, so that city's
    wait to become late passes while this one is built and tested."""
    root = tmp_path_factory.mktemp("pipeline")
    write_sources(root / "config", small_sample)
    workspace = Workspace(root=root, sample_dir=small_sample)
    broken_copy(workspace, "service_requests.csv", _set_field(10, 9, FORMULA))
    workspace.etl("run")
    workspace.etl("run")
    for args in (("ada", "--role", "admin"), ("vic", "--role", "viewer"),
                 ("maria", "--role", "manager", "--department", "Public Works")):
        assert add_user(workspace, *args).returncode == 0
    server = ServerProcess([sys.executable, "app.py"], workspace.env, free_port())
    yield workspace, server
    server.stop()


def snapshot_now(server: ServerProcess) -> str:
    return server.get("/healthz").json()["snapshot"]


def rollback_body(snapshot_id: str) -> dict:
    """The rollback callback's request when the "Make current" button of a snapshot is pressed
    (a pattern-matching input: a list of the buttons)."""
    button = {"type": "pipeline-rollback", "snapshot": snapshot_id}
    return {"output": f"..{'...'.join(ROLLBACK)}..",
            "outputs": [{"id": k.split(".")[0], "property": k.split(".")[1]} for k in ROLLBACK],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":"))
                               + ".n_clicks"],
            "state": []}


def roll_back(browser: requests.Session, server: ServerProcess, snapshot_id: str
              ) -> requests.Response:
    return browser.post(server.url + UPDATE, json=rollback_body(snapshot_id), timeout=60)


def run_now(browser: requests.Session, server: ServerProcess) -> requests.Response:
    return fire(browser, server, RUN_NOW, {"pipeline-run-now.n_clicks": 1})


def message(answer: requests.Response, output: str) -> str:
    assert answer.status_code == 200, answer.text[:300]
    component, prop = output.split(".")
    return answer.json()["response"][component][prop]


def test_the_page_shows_the_runs_and_each_source_against_its_schedule(site):
    workspace, server = site
    for name in ("vic", "maria", "ada"):  # every role reads it
        shown = page(signed_in(server, name), server, PATH)
        runs = table_rows(find(shown, "pipeline-runs"))
        logged = workspace.status()["runs"]
        assert [r[0] for r in runs] == [r["started_at"][:19].replace("T", " ") for r in logged]
        assert [r[1:3] for r in runs] == [["Published", "command line"]] * 2
        assert runs[0][7] == workspace.status()["current_snapshot"]
        assert int(runs[0][5].replace(",", "")) == sum(
            s["rows_loaded"] for s in logged[0]["sources"])
        chart = find(shown, "pipeline-runs-chart")
        assert "Of the last 2 finished runs, 0 failed" in text(chart)
        sources = table_rows(find(shown, "pipeline-sources"))
        assert [s[0] for s in sources] == [s["source"] for s in logged[0]["sources"]]
        assert {(s[2], s[5]) for s in sources} == {("cron 0 3 * * * (Etc/UTC)", "On time")}
        assert text(find(shown, "pipeline-late")) == "No source is late."
        assert find(shown, "pipeline-status") is not None
    viewer = page(signed_in(server, "vic"), server, PATH)
    assert find(viewer, "pipeline-run-now") is None  # no admin controls for a viewer
    assert "Make current" not in text(find(viewer, "pipeline-snapshots"))


def test_the_quarantine_shows_its_reasons_and_downloads_its_rows_defused(site):
    workspace, server = site
    viewer = signed_in(server, "vic")
    held = table_rows(find(page(viewer, server, PATH), "pipeline-quarantine"))
    assert ["service_requests", "service_requests", "latitude", "not a number", "1"] in \
        [row[:5] for row in held]
    assert any(row[3] == "duplicate of an earlier row" for row in held)
    answer = viewer.get(server.url + PATH + "/quarantine.csv", timeout=60)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    snapshot = snapshot_now(server)
    assert f'filename="quarantine_{snapshot}.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == query(workspace, "SELECT count(*) FROM quarantine")[0][0] == \
        sum(int(row[4].replace(",", "")) for row in held)
    bad = [r for r in rows if r["column"] == "latitude"]
    assert len(bad) == 1
    assert bad[0]["value"] == "'" + FORMULA  # defused, as the open-data files are
    assert (bad[0]["source"], bad[0]["table"], bad[0]["row"], bad[0]["reason"]) == \
        ("service_requests", "service_requests", "10", "not a number")
    assert requests.get(server.url + PATH + "/quarantine.csv", timeout=30).status_code == 401


def test_rollback_and_run_now_are_refused_to_viewers_and_managers(site):
    workspace, server = site
    before = workspace.manifest_text()
    older = workspace.status()["snapshots"][1]["id"]
    for name in ("vic", "maria"):
        browser = signed_in(server, name)
        for answer in (roll_back(browser, server, older), run_now(browser, server)):
            assert answer.status_code == 403
            assert answer.json()["error"] == "this needs the role admin"
    assert workspace.manifest_text() == before
    assert workspace.status()["runs"][0]["trigger"] == "cli"


def test_an_admin_rolls_back_and_it_is_audited(site):
    workspace, server = site
    newer, older = (s["id"] for s in workspace.status()["snapshots"][:2])
    assert snapshot_now(server) == newer
    admin = signed_in(server, "ada")
    said = message(roll_back(admin, server, older), ROLLBACK[0])
    assert said == (f"Snapshot {older} is current now (it was {newer}): every page, API answer "
                    "and download shows its data.")
    assert snapshot_now(server) == older
    rolled = [e for e in events(workspace.settings.database_url) if e[0] == "rollback"]
    assert (rolled[0][2], rolled[0][3]) == ("ada", {"from": newer, "to": older})
    snapshots = table_rows(find(page(admin, server, PATH), "pipeline-snapshot-table"))
    assert [row[0] for row in snapshots if row[4] == "Current"] == [older]
    # and forward again, to where the other tests expect it
    message(roll_back(admin, server, newer), ROLLBACK[0])
    assert snapshot_now(server) == newer


def test_an_admin_is_told_when_the_warehouse_is_busy(site):
    workspace, server = site
    admin = signed_in(server, "ada")
    older = workspace.status()["snapshots"][1]["id"]
    before = workspace.manifest_text()
    with warehouse_lock(workspace.settings.warehouse_dir):  # as a run or a rollback holds it
        rolled = message(roll_back(admin, server, older), ROLLBACK[0])
        started = message(run_now(admin, server), RUN_NOW[0])
    assert rolled.startswith("Not rolled back: the ETL is running")
    assert started.startswith("Not started: a run (or a rollback) is in progress")
    assert workspace.manifest_text() == before


def test_an_admin_runs_the_etl_now_and_a_new_snapshot_is_published(site):
    workspace, server = site
    before = snapshot_now(server)
    admin = signed_in(server, "ada")
    answer = run_now(admin, server)
    said = message(answer, RUN_NOW[0])
    assert said == "Run started. This page follows it and shows its outcome when it ends."
    started = [e for e in events(workspace.settings.database_url) if e[0] == "etl_run_started"]
    assert started[0][2] == "ada"
    deadline = time.monotonic() + 300
    while snapshot_now(server) == before:
        assert time.monotonic() < deadline, "the run started by hand published nothing"
        time.sleep(1)
    run = workspace.status()["runs"][0]
    assert (run["trigger"], run["status"], run["snapshot_id"]) == \
        ("manual", "published", snapshot_now(server))
    runs = table_rows(find(page(admin, server, PATH), "pipeline-runs"))
    assert runs[0][1:3] == ["Published", "by hand"]
    # The page asks again while it waits for a run it started, and stops once it has ended.
    clicked = answer.json()["response"]["pipeline-run-signal"]["data"]
    ended = refresh(admin, server, clicked)
    assert ended["pipeline-poll"]["disabled"] is True
    assert f"published snapshot {run['snapshot_id']}" in \
        text(ended["pipeline-status"]["children"])
    waiting = {"at": datetime.now(UTC).isoformat()}  # as if just clicked, no run seen yet
    assert refresh(admin, server, waiting)["pipeline-poll"]["disabled"] is False


def refresh(browser: requests.Session, server: ServerProcess, signal: dict | None) -> dict:
    """What the page's periodic refresh answers, by component then property."""
    answer = fire(browser, server, REFRESH, {"pipeline-poll.n_intervals": 1,
                                             "pipeline-run-signal.data": signal,
                                             "pipeline-rollback-signal.data": None})
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["response"]


def test_a_source_not_loaded_as_its_schedule_asks_is_flagged_late(late):
    _, server, loaded = late
    admin = signed_in(server, "ada")
    # Due a minute after its load, late after a minute's grace: wait that long (the wait
    # mostly passed while the other tests ran).
    wait = (loaded + timedelta(minutes=2, seconds=5) - datetime.now(UTC)).total_seconds()
    time.sleep(max(0.0, wait))
    shown = page(admin, server, PATH)
    assert text(find(shown, "pipeline-late")) == "Late: population."
    (row,) = table_rows(find(shown, "pipeline-sources"))
    assert row[:3] == ["population", "population", "every minute"]
    assert row[5].startswith("Late: a load was due ")
    # the scheduler's failed tries, in the runs and marked on the chart
    runs = table_rows(find(shown, "pipeline-runs"))
    # The scheduler tries every minute: the page may be drawn while its next try is running.
    latest = next(row for row in runs if row[1] != "Running")
    assert latest[1:3] == ["Failed", "schedule"] and "population.csv is empty" in latest[8]
    assert runs[-1][1:3] == ["Published", "command line"]
    failed = sum(row[1] == "Failed" for row in runs)
    assert f"{failed} failed (marked with a cross)" in text(find(shown, "pipeline-runs-chart"))


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1200])
def test_the_pipeline_and_audit_pages_pass_axe_and_fit_the_screen(site, width):
    _, server = site
    with chromium_page(width=width) as browser:
        browser.goto(f"{server.url}/login?next={PATH}")
        browser.fill("#login-name", "ada")
        browser.fill("#login-password", PASSWORD)
        browser.press("#login-password", "Enter")
        browser.wait_for_selector("#pipeline-runs")
        assert browser.locator("#pipeline-run-now").is_visible()
        for path, ready in ((PATH, "#pipeline-snapshot-table"), ("/internal/audit",
                                                                 "#audit-events")):
            browser.goto(server.url + path)
            browser.wait_for_selector(ready)
            assert axe_violations(browser) == [], path
            assert browser.evaluate("document.documentElement.scrollWidth") <= width, path
