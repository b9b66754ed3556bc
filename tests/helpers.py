"""Helpers for tests that run the product's real commands and server as separate processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from config.settings import PROJECT_ROOT, Settings, load_settings

SOURCES_YAML = PROJECT_ROOT / "config" / "sources.yaml"


def write_sources(config_dir: Path, sample_dir: Path) -> Path:
    """The project's sources.yaml with its sample paths pointed at another folder."""
    config_dir.mkdir(parents=True, exist_ok=True)
    text = SOURCES_YAML.read_text(encoding="utf-8").replace("data/sample/", f"{sample_dir}/")
    path = config_dir / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Workspace:
    """An isolated data folder and config folder, and the environment that points at them."""

    root: Path
    sample_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DASHBOARD_DATA_DIR": str(self.root / "data"),
            "DASHBOARD_CONFIG_DIR": str(self.root / "config"),
            "DASHBOARD_LOG_LEVEL": "WARNING",
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

    def status(self) -> dict:
        return json.loads(self.etl("status", "--json").stdout)

    def manifest_text(self) -> str:
        return (self.root / "data" / "warehouse" / "manifest.json").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A real server process (python app.py, gunicorn, ...) on a free loopback port."""

    def __init__(self, command: list[str], env: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.process.stdout.read()}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer within 60 s")

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=30)

    def stop(self) -> str:
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output or ""
