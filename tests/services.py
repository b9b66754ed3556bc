"""PostgreSQL and Redis for the tests of production serving: the servers `.ci/start-services`
starts on loopback, and private ones a test may stop and start again.

On a developer's machine without them the tests skip, saying how to start them; in CI
(`CI=true`) their absence is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.helpers import free_port

POSTGRES_URL = os.environ.get(
    "DASHBOARD_TEST_POSTGRES_URL",
    "postgresql+psycopg://dashboard:dashboard@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("DASHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
START_THEM = ("start them with `sudo .ci/start-services` (installs Debian's postgresql and "
              "redis-server, runs both on 127.0.0.1), or point DASHBOARD_TEST_POSTGRES_URL and "
              "DASHBOARD_TEST_REDIS_URL at yours")


def _missing(what: str) -> None:
    message = f"{what}: {START_THEM}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_postgres() -> None:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except Exception as exc:  # any failure to reach it means the same to the test
        _missing(f"PostgreSQL is not reachable at {_shown(POSTGRES_URL)} ({type(exc).__name__})")
    finally:
        engine.dispose()


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        _missing(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__})")


@contextmanager
def postgres_database(base_url: str = POSTGRES_URL) -> Iterator[str]:
    """A new, empty database on the server of base_url, dropped afterwards; its URL."""
    name = f"dashboard_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None)
    return Path(found).parent if found else None


class PrivatePostgres:
    """A PostgreSQL server of its own (initdb in a temporary folder) that a test may restart."""

    def __init__(self) -> None:
        bindir = _postgres_bin()
        if bindir is None:
            _missing("PostgreSQL's programs (initdb, pg_ctl) are not installed")
        self.bindir = bindir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="dashboard-pg-"))
        self.data = self.folder / "data"
        # PostgreSQL refuses to run as root: as root, its files and server are the postgres
        # user's (Debian's package makes that user).
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bindir / program), *args], check=True,
                       capture_output=True, text=True, timeout=120)

    def _ctl(self, action: str, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l",
                  str(self.folder / "server.log"), *args, action)

    def start(self) -> None:
        self._ctl("start", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
                                 f"-c unix_socket_directories={self.folder}")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """A redis-server of its own on a free port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.program = shutil.which("redis-server")
        if self.program is None:
            _missing("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [self.program, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
