"""Faults in real processes: a web worker killed mid-download, the scheduler killed mid-run,
and a disk that fills up during a run. A truncated staged snapshot is refused at publish in
tests/test_snapshots.py (test_a_truncated_snapshot_file_is_never_published)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from config.settings import PROJECT_ROOT
from tests.fault_helpers import (
    Lines,
    child_pids,
    kernel_send_buffer_max,
    resize_tmpfs,
    serving_pid,
    slow_reader,
    tmpfs,
    until,
    used_kb,
)
from tests.helpers import ServerProcess, Workspace, free_port, write_sources
from warehouse.checksum import sha256_file
from warehouse.manifest import read_manifest
from warehouse.reader import WarehouseReader

WORKERS = 2


def _gunicorn(workspace: Workspace) -> tuple[ServerProcess, int]:
    """gunicorn as production runs it (deploy/gunicorn_conf.py), with WORKERS workers."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_conf.py", "app:server"]
    env = {**workspace.env, "DASHBOARD_WEB_WORKERS": str(WORKERS), "DASHBOARD_WEB_THREADS": "4",
           "DASHBOARD_LOG_LEVEL": "INFO"}  # gunicorn logs its workers booting at INFO
    return ServerProcess(command, env, port), port


def _workers(master: int, without: int | None = None) -> set[int] | None:
    """gunicorn's workers once there are WORKERS of them (none of them `without`)."""
    pids = child_pids(master)
    return pids if len(pids) == WORKERS and without not in pids else None


def _all_answer(server: ServerProcess, paths: list[str], rounds: int) -> None:
    for _ in range(rounds):
        for path in paths:
            answer = server.get(path)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])


def test_a_web_worker_killed_mid_download_is_replaced_and_the_next_requests_succeed(published):
    server, port = _gunicorn(published)
    survivor = None
    try:
        master = server.process.pid
        workers = until("two workers", lambda: _workers(master))
        datasets = server.get("/api/v1/datasets").json()["datasets"]
        biggest = max((d for dataset in datasets for d in dataset["downloads"] if d["bytes"]),
                      key=lambda d: d["bytes"])
        # The worker must still be writing when it dies: the kernel sends what is already in
        # its buffers even after the process is gone, so a file that fits there would arrive
        # whole however early the worker was killed.
        assert biggest["bytes"] > kernel_send_buffer_max() + 1_000_000, (
            f"the largest download ({biggest['bytes']:,} bytes) fits in the kernel's socket "
            "buffers: make the sample bigger for this test")
        download = urlsplit(biggest["url"]).path

        response = slow_reader().get(server.url + download, stream=True, timeout=30)
        assert response.status_code == 200
        length = int(response.headers["Content-Length"])
        client_port = response.raw.connection.sock.getsockname()[1]
        victim = serving_pid(port, client_port, workers)
        assert victim in workers
        chunks = response.iter_content(64 * 1024)
        received = len(next(chunks))
        os.kill(victim, signal.SIGKILL)
        # The client is told the download broke: it is not handed a short file as complete.
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
            for chunk in chunks:
                received += len(chunk)
        assert 0 < received < length

        now = until("a replacement worker", lambda: _workers(master, without=victim))
        (replacement,) = now - workers
        (survivor,) = now & workers
        until("the replacement's boot", lambda: f"Booting worker with pid: {replacement}"
               in server.output())
        assert f"Worker (pid:{victim}) was sent SIGKILL!" in server.output()

        pages = ["/", "/healthz", "/api/v1/datasets", "/api/v1/kpis",
                 f"/api/v1/datasets/{datasets[0]['id']}/rows?limit=5"]
        # With the other worker stopped, only the replacement can accept these.
        os.kill(survivor, signal.SIGSTOP)
        _all_answer(server, pages, rounds=3)
        whole = server.get(download)
        assert hashlib.sha256(whole.content).hexdigest() == biggest["sha256"]
        os.kill(survivor, signal.SIGCONT)
        survivor = None
        _all_answer(server, pages, rounds=4)
        assert child_pids(master) == now  # and nothing else died meanwhile
    finally:
        if survivor is not None:
            os.kill(survivor, signal.SIGCONT)
        server.stop()


def _every_minute(workspace: Workspace) -> None:
    """Put every source of the workspace's sources.yaml on one schedule: each minute."""
    path = workspace.root / "config" / "sources.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["schedule"] = {"cron": "* * * * *"}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def test_the_scheduler_killed_mid_run_leaves_the_snapshot_published_and_the_next_run_publishes(
        published):
    _every_minute(published)
    warehouse = published.settings.warehouse_dir
    manifest = published.manifest_text()
    current = read_manifest(warehouse).current
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "etl", "scheduler"], cwd=PROJECT_ROOT,
        env=published.env | {"DASHBOARD_LOG_LEVEL": "INFO"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lines = Lines(scheduler.stderr)
        # Cron's unit is the minute: the job fires at the next one, within 60 s.
        lines.wait_for("scheduled run starting", timeout=75)
        lines.wait_for("step=load source=", timeout=60)
        os.kill(scheduler.pid, signal.SIGKILL)
        assert scheduler.wait(timeout=30) == -signal.SIGKILL
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait()
    assert any(p.suffix == ".duckdb" for p in (warehouse / "staging").iterdir())
    killed = published.status()["runs"][0]
    assert (killed["trigger"], killed["status"]) == ("schedule", "running")

    assert published.manifest_text() == manifest
    assert sha256_file(current.path(warehouse)) == current.sha256
    reader = WarehouseReader(warehouse)
    try:
        with reader.cursor() as (snapshot, cursor):
            assert snapshot == current
            for table, fingerprint in snapshot.tables.items():
                assert cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == (
                    fingerprint["rows"])

        # The lock is a flock, which the kernel let go of with the process; the next run
        # removes the half-built file and marks the killed run abandoned.
        newest = published.etl("run").stdout.strip()
        assert reader.snapshot().id == newest != current.id
    finally:
        reader.close()
    runs = published.status()["runs"]
    assert (runs[0]["snapshot_id"], runs[0]["status"]) == (newest, "published")
    assert (runs[1]["run_id"], runs[1]["status"]) == (killed["run_id"], "abandoned")
    assert list((warehouse / "staging").iterdir()) == []
    latest = read_manifest(warehouse).current
    assert sha256_file(latest.path(warehouse)) == latest.sha256


@dataclass
class Outcome:
    """A run on a small disk, and the warehouse as it was right after."""

    result: subprocess.CompletedProcess
    run: dict[str, Any]  # its entry in the run log
    state: dict[str, Any]


@dataclass
class DiskFull:
    before: dict[str, Any]  # the warehouse after the first publish
    failed: dict[str, Outcome]  # by where the disk filled up
    freed: Outcome  # the run once there was room again


def _state(workspace: Workspace) -> dict[str, Any]:
    """What is published, whether it reads back whole, and what files the warehouse holds."""
    warehouse = workspace.settings.warehouse_dir
    current = read_manifest(warehouse).current
    reader = WarehouseReader(warehouse)
    try:
        with reader.cursor() as (snapshot, cursor):
            rows = {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in snapshot.tables}
    finally:
        reader.close()
    return {
        "manifest": workspace.manifest_text(),
        "current": current.id,
        "sha256 matches": sha256_file(current.path(warehouse)) == current.sha256,
        "rows read back": rows == {t: f["rows"] for t, f in current.tables.items()},
        **{folder: sorted(p.name for p in (warehouse / folder).iterdir())
           for folder in ("staging", "snapshots", "downloads")},
    }


def _run(workspace: Workspace) -> Outcome:
    result = workspace.etl("run", check=False)
    return Outcome(result, workspace.status()["runs"][0], _state(workspace))


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
              ) -> Iterator[DiskFull]:
    """One publish on a tmpfs, then runs with too little room left: first less than the
    staging copy of the snapshot needs, then room for the copy but not for the new snapshot
    and its download files; then one with room again."""
    root = tmp_path_factory.mktemp("disk-full")
    write_sources(root / "config", small_sample)
    workspace = Workspace(root=root, sample_dir=small_sample)
    warehouse = workspace.settings.warehouse_dir
    # Only the warehouse is on the small disk: the run log (data/app.db) stays where it can
    # record the failure, as when snapshots live on a volume of their own.
    with tmpfs(warehouse, 256 * 1024):
        workspace.etl("run")
        before = _state(workspace)
        used = used_kb(warehouse)
        snapshot_kb = read_manifest(warehouse).current.size // 1024
        failed = {}
        resize_tmpfs(warehouse, used + snapshot_kb // 2)
        failed["staging copy"] = _run(workspace)
        # A new snapshot and its files take as much room as the current ones, plus DuckDB's
        # write-ahead log: a run cannot fit in as much again.
        resize_tmpfs(warehouse, 2 * used)
        failed["mid-run"] = _run(workspace)
        resize_tmpfs(warehouse, 256 * 1024)
        yield DiskFull(before, failed, _run(workspace))


@pytest.mark.parametrize("where", ["staging copy", "mid-run"])
def test_a_run_that_fills_the_disk_fails_with_nothing_published(disk_full, where):
    outcome = disk_full.failed[where]
    assert outcome.result.returncode == 1, outcome.result.stderr
    assert "No space left on device" in outcome.result.stderr
    assert outcome.run["status"] == "failed"
    assert "No space left on device" in outcome.run["error"]
    if where == "mid-run":
        assert outcome.run["sources"], "it failed before loading anything"
    # Same manifest, the same snapshot reading back whole, and nothing left behind.
    assert outcome.state == disk_full.before
    assert disk_full.before["staging"] == []


def test_once_there_is_room_again_the_next_run_publishes(disk_full):
    freed = disk_full.freed
    assert freed.result.returncode == 0, freed.result.stderr
    newest = freed.result.stdout.strip()
    assert (freed.run["snapshot_id"], freed.run["status"]) == (newest, "published")
    assert freed.state["current"] == newest
    assert freed.state["sha256 matches"] and freed.state["rows read back"]
    assert freed.state["staging"] == []
    assert freed.state["downloads"] == sorted([disk_full.before["current"], newest])


@pytest.mark.parametrize("where", ["staging copy", "mid-run"])
def test_a_run_that_fills_the_disk_says_so_in_one_line(disk_full, where):
    outcome = disk_full.failed[where]
    stderr = outcome.result.stderr
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "no space left" in last.lower(), last
    assert not outcome.run["error"].startswith("internal error"), outcome.run["error"]
