"""Readers and ETL runs in separate processes, as in production."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from flask import Flask

from config.settings import PROJECT_ROOT


def _warehouse(workspace) -> Path:
    return Path(workspace.env["DASHBOARD_DATA_DIR"]) / "warehouse"


def test_a_reader_process_sees_no_errors_while_another_process_publishes_5_times(published):
    stop = published.root / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.reader_probe", str(_warehouse(published)), str(stop)],
        cwd=PROJECT_ROOT, env=published.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        published_ids = [published.etl("run").stdout.strip() for _ in range(5)]
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    report = json.loads(out)
    assert report["errors"] == [], err
    assert report["last"] == published_ids[-1] == published.status()["current_snapshot"]
    assert report["queries"] > 50
    assert len(report["seen"]) >= 2  # it moved between snapshots while running


def test_an_etl_run_killed_mid_write_changes_nothing_published(published):
    from app import create_app

    before = published.status()
    previous = before["current_snapshot"]
    manifest = published.manifest_text()
    run = subprocess.Popen(
        [sys.executable, "-m", "etl", "run"], cwd=PROJECT_ROOT,
        env=published.env | {"DASHBOARD_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Kill it once it has begun writing the new snapshot's tables.
    for line in run.stderr:
        if "step=load source=budget_lines" in line:
            os.kill(run.pid, signal.SIGKILL)
            break
    assert run.wait(timeout=60) == -signal.SIGKILL
    staged = {p.suffix for p in (_warehouse(published) / "staging").iterdir()}
    assert ".duckdb" in staged  # it died holding a half-built snapshot (and its WAL)

    assert published.manifest_text() == manifest
    after = published.status()
    assert after["current_snapshot"] == previous
    assert after["runs"][0]["status"] == "running"  # no one marked it finished
    server: Flask = create_app(published.settings)
    health = server.test_client().get("/healthz").get_json()
    assert health == {"status": "ok", "snapshot": previous,
                      "published_at": before["published_at"]}
    reader = server.extensions["dashboard.reader"]
    with reader.cursor() as (snapshot, cursor):
        for table, fingerprint in snapshot.tables.items():
            assert cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == (
                fingerprint["rows"])

    newest = published.etl("run").stdout.strip()
    runs = published.status()["runs"]
    assert runs[0]["snapshot_id"] == newest and runs[0]["status"] == "published"
    assert runs[1]["status"] == "abandoned"
    assert list((_warehouse(published) / "staging").iterdir()) == []
    assert server.test_client().get("/healthz").get_json()["snapshot"] == newest
