"""Helpers for tests that run the product's real commands and server as separate processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import requests

from config.settings import PROJECT_ROOT, Settings, load_settings

SOURCES_YAML = PROJECT_ROOT / "config" / "sources.yaml"
KPIS_YAML = PROJECT_ROOT / "config" / "kpis.yaml"
DATASETS_YAML = PROJECT_ROOT / "config" / "datasets.yaml"


def write_sources(config_dir: Path, sample_dir: Path) -> Path:
    """The project's sources.yaml with its sample paths pointed at another folder, beside its
    kpis.yaml and datasets.yaml."""
    config_dir.mkdir(parents=True, exist_ok=True)
    text = SOURCES_YAML.read_text(encoding="utf-8").replace("data/sample/", f"{sample_dir}/")
    path = config_dir / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(KPIS_YAML, config_dir / "kpis.yaml")
    shutil.copy(DATASETS_YAML, config_dir / "datasets.yaml")
    return path


@dataclass
class Workspace:
    """An isolated data folder and config folder, and the environment that points at them."""

    root: Path
    sample_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. DASHBOARD_DATABASE_URL

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DASHBOARD_DATA_DIR": str(self.root / "data"),
            "DASHBOARD_CONFIG_DIR": str(self.root / "config"),
            "DASHBOARD_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    def etl(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        """Run `python -m etl ARGS` as the operator would, with extra environment variables."""
        result = subprocess.run(
            [sys.executable, "-m", "etl", *args], cwd=PROJECT_ROOT, env=self.env | env,
            capture_output=True, text=True, timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"etl {args} exited {result.returncode}:\n{result.stderr}")
        return result

    def import_initiatives(self, path: Path | None = None, check: bool = True
                           ) -> subprocess.CompletedProcess:
        """`python -m appdb initiatives import` of a file (the sample's by default, as `make
        run` does)."""
        return subprocess.run([sys.executable, "-m", "appdb", "initiatives", "import",
                               str(path or self.sample_dir / "initiatives.json")],
                              cwd=PROJECT_ROOT, env=self.env, check=check, capture_output=True,
                              text=True, timeout=120)

    def status(self) -> dict:
        return json.loads(self.etl("status", "--json").stdout)

    def manifest_text(self) -> str:
        return (self.root / "data" / "warehouse" / "manifest.json").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A real server process (python app.py, gunicorn, ...) on a free loopback port.

    The health check waits out a slow first answer (Dash can take seconds to answer its first
    request on a busy machine) instead of failing on it. The server's output is read as it
    comes (it logs a line a request): a full pipe would stop a long-lived server mid-answer."""

    def __init__(self, command: list[str], env: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._lines.extend, args=(self.process.stdout,),
                                        daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            try:
                requests.get(self.url + "/healthz", timeout=30)
                return
            except requests.RequestException:  # not listening yet, or busy starting up
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer within 90 s")

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=30)

    def output(self) -> str:
        """Everything the server has written (all of it once it has stopped)."""
        if self.process.poll() is not None:
            self._reader.join(timeout=10)
        return "".join(self._lines)

    def stop(self) -> str:
        """Stop the server; everything it wrote."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.output()


def published_workspace(root: Path, sample: Path, **env: str) -> Workspace:
    """A workspace at root (its extra settings in env) with the sample's initiatives imported
    and one snapshot published by a real ETL run, as `make run` leaves it."""
    write_sources(root / "config", sample)
    workspace = Workspace(root=root, sample_dir=sample, extra_env=env)
    workspace.import_initiatives()
    workspace.etl("run")
    return workspace


@contextmanager
def published_site(root: Path, sample: Path) -> Iterator[tuple[Workspace, ServerProcess]]:
    """A snapshot published by a real ETL run of `sample` in a workspace at `root`, and
    `python app.py` serving it."""
    workspace = published_workspace(root, sample)
    server = ServerProcess([sys.executable, "app.py"], workspace.env, free_port())
    try:
        yield workspace, server
    finally:
        server.stop()


def snapshot_file(workspace: Workspace) -> tuple[str, Path]:
    """The current snapshot's id and file, from the manifest."""
    manifest = json.loads(workspace.manifest_text())
    entry = next(s for s in manifest["snapshots"] if s["id"] == manifest["current"])
    return entry["id"], workspace.root / "data" / "warehouse" / entry["file"]


def query(workspace: Workspace, sql: str, params: list | None = None) -> list[tuple]:
    """Rows read straight from the current snapshot file, read-only, as an analyst would."""
    _, path = snapshot_file(workspace)
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()
