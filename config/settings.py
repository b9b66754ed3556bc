"""Deployment settings, read from environment variables and checked at start.

Every setting is declared once in SETTINGS with its default and help text; the README's
configuration table is checked against this list by a test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    field: str
    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError("not a whole number") from None


def _port(value: str) -> int:
    port = _int(value)
    if not 0 < port < 65536:
        raise ValueError("not between 1 and 65535")
    return port


def _positive_int(value: str) -> int:
    number = _int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "DASHBOARD_DATA_DIR", "./data",
            "Where the warehouse snapshots and the application database live.", _path),
    Setting("config_dir", "DASHBOARD_CONFIG_DIR", str(PROJECT_ROOT / "config"),
            "Folder holding sources.yaml (and later datasets.yaml, kpis.yaml).", _path),
    Setting("database_url", "DASHBOARD_DATABASE_URL", "",
            "SQLAlchemy URL of the application database (run log; users later). "
            "Empty: a SQLite file app.db in DASHBOARD_DATA_DIR."),
    Setting("city_name", "DASHBOARD_CITY_NAME", "Millbrook",
            "The city or agency name shown on every page."),
    Setting("snapshot_retention", "DASHBOARD_SNAPSHOT_RETENTION", "10",
            "How many published snapshots to keep for rollback (the current one is always kept).",
            _positive_int),
    Setting("host", "HOST", "127.0.0.1", "Address `python app.py` listens on."),
    Setting("port", "PORT", "8050", "Port `python app.py` listens on.", _port),
    Setting("log_level", "DASHBOARD_LOG_LEVEL", "INFO",
            "Logging level: DEBUG, INFO, WARNING or ERROR.", _log_level),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    config_dir: Path
    database_url: str
    city_name: str
    snapshot_retention: int
    host: str
    port: int
    log_level: str

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def sources_file(self) -> Path:
        return self.config_dir / "sources.yaml"



def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from the environment (os.environ by default), or raise SettingsError."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env, "").strip() or setting.default
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{setting.env}={raw!r} is not valid: {exc}") from None
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{values['data_dir'] / 'app.db'}"
    return Settings(**values)
