"""Production serving on real processes: `make serve`'s supervisor, gunicorn's workers sharing
a Redis cache, and the application database on PostgreSQL (tests/services.py)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from config.settings import load_settings
from dashboards.cache import cache_key, key_prefix
from kpis.headlines import headline_figures
from tests.dash_client import callback
from tests.fault_helpers import child_pids, until
from tests.helpers import ServerProcess, Workspace, free_port, published_workspace, query
from tests.internal_client import add_user, signed_in
from tests.services import (
    REDIS_URL,
    PrivatePostgres,
    PrivateRedis,
    postgres_database,
    require_postgres,
    require_redis,
)

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_conf.py", "app:server"]


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return False


SERVING = {"DASHBOARD_WEB_WORKERS": "2", "DASHBOARD_WEB_THREADS": "4"}


def served_workspace(root: Path, sample: Path, **env: str) -> Workspace:
    """A published workspace whose servers run SERVING's workers and threads."""
    return published_workspace(root, sample, **SERVING, **env)


def test_serve_runs_the_web_workers_and_exactly_one_scheduler_and_stops_them_all(published_ws):
    workspace = published_ws
    server = ServerProcess([sys.executable, "-m", "deploy.serve"], workspace.env, free_port())
    try:
        supervisor = server.process.pid
        until("gunicorn and the scheduler", lambda: len(child_pids(supervisor)) == 2)
        kinds = {pid: command_line(pid) for pid in child_pids(supervisor)}
        [scheduler] = [p for p, c in kinds.items() if "etl scheduler" in c]
        [master] = [p for p, c in kinds.items() if "gunicorn" in c]
        until("2 web workers", lambda: len(child_pids(master)) == 2)
        workers = child_pids(master)
        for path in ("/", "/api/v1/datasets", "/healthz"):
            assert server.get(path).status_code == 200, path
        assert not any("etl scheduler" in command_line(p) for p in workers)

        # A scheduler that dies is started again: one scheduler, never two.
        os.kill(scheduler, signal.SIGKILL)
        until("a new scheduler", lambda: any("etl scheduler" in command_line(p) and p != scheduler
                                             for p in child_pids(supervisor)))
        schedulers = [p for p in child_pids(supervisor) if "etl scheduler" in command_line(p)]
        assert len(schedulers) == 1
        assert child_pids(master) == workers  # the web workers never noticed

        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
        for pid in (master, *workers, *schedulers):
            assert not alive(pid), command_line(pid)
        assert "the scheduler died (exit -9); starting it again" in server.output()
    finally:
        server.stop()


def test_fresh_workers_answer_the_public_callbacks_of_concurrent_first_requests(published_ws):
    # Each worker's first requests arrive together: none may leave the public pages' callbacks
    # to the internal app (Dash set each app up on its first request; app.py now does so first).
    env = {**published_ws.env, "DASHBOARD_WEB_WORKERS": "4"}
    server = ServerProcess(GUNICORN, env, free_port())
    try:
        def fire(_: int) -> dict:
            return callback(server, ["services-group.options", "services-group.value"],
                            {"services-by.value": "channel"},
                            state={"services-group.value": "all"})

        with ThreadPoolExecutor(max_workers=24) as pool:
            answers = list(pool.map(fire, range(48)))
        assert all(a["services-group.value"] == "all" for a in answers)
    finally:
        server.stop()


def test_gunicorn_workers_share_one_redis_cache_keyed_by_snapshot(published_ws):
    require_redis()
    workspace = published_ws
    city = f"Testville {os.getpid()}"  # its own key prefix in the shared Redis
    env = {**workspace.env, "DASHBOARD_REDIS_URL": REDIS_URL, "DASHBOARD_CITY_NAME": city}
    prefix = key_prefix(load_settings(env))
    client = redis.Redis.from_url(REDIS_URL)
    server = ServerProcess(GUNICORN, env, free_port())
    try:
        first = workspace.status()["current_snapshot"]
        assert server.get("/").status_code == 200
        key = prefix + cache_key(headline_figures, first, ())
        assert client.exists(key)
        keys = set(client.scan_iter(prefix + "*"))
        sets = _sets(client)
        # 20 more pages, served by both workers: every answer comes from the shared cache.
        answers = [server.get("/") for _ in range(20)]
        assert all(a.status_code == 200 for a in answers)
        assert _sets(client) == sets
        assert set(client.scan_iter(prefix + "*")) == keys

        # A new snapshot is a new key: the next page is computed from it, never the old one.
        second = workspace.etl("run").stdout.strip()
        assert second != first
        page = server.get("/")
        assert second in page.text
        assert client.exists(prefix + cache_key(headline_figures, second, ()))
        assert 0 < client.ttl(key) <= 24 * 3600  # old snapshots' keys clear themselves
    finally:
        server.stop()
        for found in client.scan_iter(prefix + "*"):
            client.delete(found)


def _sets(client: redis.Redis) -> int:
    return client.info("commandstats").get("cmdstat_set", {}).get("calls", 0)


def test_pages_are_served_while_redis_is_down_and_use_it_again_when_it_is_back(published_ws):
    workspace = published_ws
    private = PrivateRedis()
    try:
        env = {**workspace.env, "DASHBOARD_REDIS_URL": private.url}
        server = ServerProcess(GUNICORN, env, free_port())
        try:
            client = redis.Redis.from_url(private.url)
            assert server.get("/").status_code == 200
            assert client.dbsize() > 0
            private.stop()
            for path in ("/", "/services", "/api/v1/datasets", "/healthz") * 3:
                assert server.get(path).status_code == 200, path
            private.start()
            assert client.dbsize() == 0  # a new, empty Redis
            time.sleep(11)  # each worker tries again 10 s after it found Redis down
            until("pages cached in Redis again",
                  lambda: server.get("/").status_code == 200 and client.dbsize() > 0)
            log = server.output()
            assert "the page cache (Redis) cannot be reached" in log
            assert "Traceback" not in log
        finally:
            server.stop()
        assert "the page cache (Redis) answers again" in server.output()
    finally:
        private.stop()


@pytest.fixture
def published_ws(tmp_path: Path, small_sample: Path) -> Workspace:
    return served_workspace(tmp_path, small_sample)


def test_the_application_database_on_postgresql_serves_every_worker(tmp_path, small_sample):
    require_postgres()
    with postgres_database() as url:
        _the_app_on_postgresql(served_workspace(tmp_path, small_sample,
                                                   DASHBOARD_DATABASE_URL=url))


def _the_app_on_postgresql(workspace: Workspace) -> None:
    env = workspace.env
    assert add_user(workspace, "ada", "--role", "admin").returncode == 0
    # The initiatives went through PostgreSQL into the snapshot (an `url: app` source).
    assert query(workspace, "SELECT count(*) FROM initiatives")[0][0] == 4
    server = ServerProcess(GUNICORN, env, free_port())
    try:
        browser = signed_in(server, "ada")
        for _ in range(6):  # both workers read the same users and targets
            answer = browser.get(server.url + "/internal/scorecard.csv", timeout=60)
            assert answer.status_code == 200 and answer.text.count("\n") > 20
    finally:
        server.stop()
    engine = create_engine(env["DASHBOARD_DATABASE_URL"])
    with engine.connect() as connection:
        runs = connection.execute(text("SELECT status FROM etl_runs")).scalars().all()
        signins = connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'login'")).scalar()
    engine.dispose()
    assert runs == ["published"]
    assert signins >= 1


def test_a_postgresql_restart_under_load_is_survived_without_restarting_the_app(
        tmp_path: Path, small_sample: Path):
    postgres = PrivatePostgres()
    try:
        workspace = served_workspace(tmp_path, small_sample,
                                        DASHBOARD_DATABASE_URL=postgres.url)
        assert add_user(workspace, "ada", "--role", "admin").returncode == 0
        server = ServerProcess(GUNICORN, workspace.env, free_port())
        try:
            master = server.process.pid
            until("2 web workers", lambda: len(child_pids(master)) == 2)
            workers = child_pids(master)
            browser = signed_in(server, "ada")
            results: list[tuple[float, int, str]] = []
            stop = threading.Event()

            def load() -> None:
                session = signed_in(server, "ada")
                while not stop.is_set():
                    try:
                        answer = session.get(server.url + "/internal/scorecard.csv", timeout=30)
                        results.append((time.monotonic(), answer.status_code, answer.text[:2000]))
                    except Exception as exc:  # a broken connection counts as a failure
                        results.append((time.monotonic(), 0, repr(exc)))

            threads = [threading.Thread(target=load) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(3)
            postgres.stop()
            time.sleep(2)
            postgres.start()
            restarted = time.monotonic()
            time.sleep(6)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)

            before = [r for r in results if r[0] < restarted - 2]
            after = [r for r in results if r[0] > restarted + 1]
            assert before and all(status == 200 for _, status, _ in before[:10])
            assert len(after) >= 10 and all(status == 200 for _, status, _ in after), \
                {status for _, status, _ in after}
            # While it was down, requests failed cleanly: an error page, no traceback.
            failed = [r for r in results if r[1] != 200]
            assert failed  # the pages did need the database while it was down
            assert all(status == 500 and "Traceback" not in body for _, status, body in failed)
            assert child_pids(master) == workers  # the same workers, never restarted
            assert browser.get(server.url + "/internal/scorecard.csv",
                               timeout=30).status_code == 200
        finally:
            server.stop()
    finally:
        postgres.close()
