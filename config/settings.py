"""Deployment settings, read from environment variables and checked at start.

Every setting is declared once in SETTINGS with its default and help text; the README's
configuration table is checked against this list by a test.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"  # in DASHBOARD_DATA_DIR, when DASHBOARD_SECRET_KEY is unset
MIN_SECRET_KEY = 32
MIN_REQUEST_BYTES = 65_536

log = logging.getLogger(__name__)


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    field: str
    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False  # never echoed in an error message


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


def _request_bytes(value: str) -> int:
    number = _int(value)
    if number < MIN_REQUEST_BYTES:
        raise ValueError(f"must be at least {MIN_REQUEST_BYTES} (the feedback form needs "
                         "32,000 bytes, and Dash's requests room to spare)")
    return number


def _bool(value: str) -> bool:
    word = value.lower()
    if word not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ValueError("must be true or false")
    return word in {"true", "1", "yes", "on"}


def _secret_key(value: str) -> str:
    if value and len(value) < MIN_SECRET_KEY:
        raise ValueError(f"too short: use at least {MIN_SECRET_KEY} random characters")
    return value


def _rate_limits(value: str) -> str:
    from limits import parse_many  # here, so the ETL does not load the web's packages

    try:
        parse_many(value)
    except ValueError:
        raise ValueError("not a rate limit such as '5 per minute; 30 per day'") from None
    return value


def _limit_storage(value: str) -> str:
    from limits.storage import SCHEMES

    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in SCHEMES or scheme.startswith("async+"):
        raise ValueError("not a storage URI such as memory:// or redis://host:6379")
    return value


def _database_url(value: str) -> str:
    if not value:
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("not a SQLAlchemy URL such as "
                         "postgresql+psycopg://user:password@host:5432/dashboard") from None
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        # The one PostgreSQL driver installed (requirements.txt): say so, not "no module".
        raise ValueError("PostgreSQL URLs need the psycopg driver installed here: "
                         "postgresql+psycopg://user:password@host:5432/dashboard")
    return value


def _redis_url(value: str) -> str:
    if value and not re.fullmatch(r"rediss?://\S+", value):
        raise ValueError("must be an address such as redis://127.0.0.1:6379/0")
    return value


def _memory(value: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)", value, re.IGNORECASE):
        raise ValueError("must be an amount such as 128MB or 1GB")
    return value


def _public_url(value: str) -> str:
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError("must be an address such as https://dashboard.example.gov")
    return value.rstrip("/")


def _issuer(value: str) -> str:
    # The provider proves who a user is: only over HTTPS, or on this machine (tests, a local
    # provider behind the same proxy).
    if value and not re.fullmatch(r"(https://[^\s/?#]+|http://(127\.0\.0\.1|localhost)(:\d+)?)"
                                  r"(/[^\s?#]*)?", value):
        raise ValueError("must be an https:// address such as https://login.example.gov/realms/"
                         "city (http:// only for 127.0.0.1 or localhost)")
    return value  # as given: it must equal the `iss` of the provider's tokens, slash and all


def _claim(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", value):
        raise ValueError("must be a claim name such as preferred_username or email")
    return value


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
            "SQLAlchemy URL of the application database (run log, users, feedback, targets, "
            "initiatives): postgresql+psycopg://user:password@host:5432/dashboard for many "
            "workers or machines. Empty: a SQLite file app.db in DASHBOARD_DATA_DIR.",
            _database_url, secret=True),  # a URL may hold a password
    Setting("redis_url", "DASHBOARD_REDIS_URL", "",
            "Redis holding the page-data cache that every web worker shares "
            "(redis://host:6379/0). Empty: each process caches in its own memory.",
            _redis_url, secret=True),
    Setting("web_workers", "DASHBOARD_WEB_WORKERS", "4",
            "Web worker processes `make serve` starts (gunicorn); about 2 per core.",
            _positive_int),
    Setting("web_threads", "DASHBOARD_WEB_THREADS", "8",
            "Threads per web worker (a long download holds one).", _positive_int),
    Setting("city_name", "DASHBOARD_CITY_NAME", "Millbrook",
            "The city or agency name shown on every page."),
    Setting("snapshot_retention", "DASHBOARD_SNAPSHOT_RETENTION", "10",
            "How many published snapshots to keep for rollback (the current one is always kept).",
            _positive_int),
    Setting("duckdb_memory_limit", "DASHBOARD_DUCKDB_MEMORY_LIMIT", "128MB",
            "How much memory DuckDB may use in each web process, per snapshot open, mostly to "
            "cache the snapshot's blocks (a long download would otherwise fill it). The ETL "
            "is not limited.", _memory),
    Setting("host", "HOST", "127.0.0.1", "Address `python app.py` listens on."),
    Setting("port", "PORT", "8050", "Port `python app.py` listens on.", _port),
    Setting("log_level", "DASHBOARD_LOG_LEVEL", "INFO",
            "Logging level: DEBUG, INFO, WARNING or ERROR.", _log_level),
    Setting("secret_key", "DASHBOARD_SECRET_KEY", "",
            "Signs session cookies and form tokens (at least 32 random characters). Empty: a "
            f"random key made on first use and kept in the file {SECRET_KEY_FILE} (mode 0600) "
            "in DASHBOARD_DATA_DIR, shared by every process using that folder.",
            _secret_key, secret=True),
    Setting("secure_cookies", "DASHBOARD_SECURE_COOKIES", "false",
            "true: browsers send the session cookie over HTTPS only (set it when the site is "
            "served over HTTPS).", _bool),
    Setting("feedback_rate_limit", "DASHBOARD_FEEDBACK_RATE_LIMIT", "5 per minute; 30 per day",
            "How much page feedback one address may send (Flask-Limiter notation).",
            _rate_limits),
    Setting("login_rate_limit", "DASHBOARD_LOGIN_RATE_LIMIT", "10 per minute; 100 per day",
            "How many sign-in attempts one address may make (Flask-Limiter notation).",
            _rate_limits),
    Setting("rate_limit_storage", "DASHBOARD_RATE_LIMIT_STORAGE", "memory://",
            "Where rate-limit counters are kept: memory:// counts in each process; "
            "redis://host:6379 or memcached://host:11211 shares them between processes and "
            "machines (memcached needs its client package installed). Unset with "
            "DASHBOARD_REDIS_URL set: that Redis.", _limit_storage,
            secret=True),  # a URI may hold a password
    Setting("max_request_bytes", "DASHBOARD_MAX_REQUEST_BYTES", "1048576",
            "The largest request body accepted, in bytes (at least 65536); a larger one is "
            "refused with 413. The largest the pages send is about 32 kB (a feedback comment "
            "of 2,000 characters); Dash's requests are under 1 kB.", _request_bytes),
    Setting("smtp_host", "DASHBOARD_SMTP_HOST", "",
            "Mail server that sends alert e-mails. Empty: no alert e-mails are sent."),
    Setting("smtp_port", "DASHBOARD_SMTP_PORT", "587",
            "Port of the mail server (465: TLS from the start instead of STARTTLS).", _port),
    Setting("smtp_user", "DASHBOARD_SMTP_USER", "",
            "User name to sign in to the mail server. Empty: send without signing in."),
    Setting("smtp_password", "DASHBOARD_SMTP_PASSWORD", "",
            "Password to sign in to the mail server.", secret=True),
    Setting("smtp_from", "DASHBOARD_SMTP_FROM", "dashboard@localhost",
            "The From address of alert e-mails."),
    Setting("smtp_starttls", "DASHBOARD_SMTP_STARTTLS", "true",
            "true: switch the mail connection to TLS (STARTTLS) before signing in; false only "
            "for a mail server on this machine or a trusted network.", _bool),
    Setting("webhook_secret", "DASHBOARD_WEBHOOK_SECRET", "",
            "Key of the HMAC-SHA256 signature of alert webhooks (docs/alerts.md says how a "
            "receiver checks it). Empty: no webhooks are sent.", secret=True),
    Setting("public_url", "DASHBOARD_PUBLIC_URL", "",
            "The site's address as its users reach it (https://dashboard.example.gov), for "
            "links in alert messages. Empty: messages carry no links.", _public_url),
    Setting("oidc_issuer", "DASHBOARD_OIDC_ISSUER", "",
            "Issuer address of the city's OpenID Connect provider (single sign-on), exactly as "
            "its tokens name it; https:// (http:// only on 127.0.0.1 or localhost). Empty: "
            "sign-in by password only.", _issuer),
    Setting("oidc_client_id", "DASHBOARD_OIDC_CLIENT_ID", "",
            "This site's client id at the provider (needed with DASHBOARD_OIDC_ISSUER)."),
    Setting("oidc_client_secret", "DASHBOARD_OIDC_CLIENT_SECRET", "",
            "This site's client secret at the provider (needed with DASHBOARD_OIDC_ISSUER).",
            secret=True),
    Setting("oidc_name", "DASHBOARD_OIDC_NAME", "single sign-on",
            "The provider's name on the sign-in button (\"Sign in with ...\")."),
    Setting("oidc_username_claim", "DASHBOARD_OIDC_USERNAME_CLAIM", "preferred_username",
            "The ID token claim holding the user's name here: the provider's user signs in as "
            "the local active user of that name, with that user's role and departments.",
            _claim),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    config_dir: Path
    database_url: str = field(repr=False)
    redis_url: str = field(repr=False)
    web_workers: int
    web_threads: int
    city_name: str
    snapshot_retention: int
    duckdb_memory_limit: str
    host: str
    port: int
    log_level: str
    secret_key: str = field(repr=False)
    secure_cookies: bool
    feedback_rate_limit: str
    login_rate_limit: str
    rate_limit_storage: str
    max_request_bytes: int
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_from: str
    smtp_starttls: bool
    webhook_secret: str = field(repr=False)
    public_url: str
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str = field(repr=False)
    oidc_name: str
    oidc_username_claim: str

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
            shown = "(hidden)" if setting.secret else repr(raw)
            raise SettingsError(f"{setting.env}={shown} is not valid: {exc}") from None
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{values['data_dir'] / 'app.db'}"
    if values["redis_url"] and not environ.get("DASHBOARD_RATE_LIMIT_STORAGE", "").strip():
        # Workers sharing a cache share their rate-limit counts too, or each would allow it all.
        values["rate_limit_storage"] = values["redis_url"]
    _check_oidc(values)
    return Settings(**values)


def _check_oidc(values: Mapping[str, Any]) -> None:
    """SettingsError unless single sign-on is off or has its client id and secret."""
    missing = [s.env for s in SETTINGS if s.field in ("oidc_client_id", "oidc_client_secret")
               and not values[s.field]]
    if values["oidc_issuer"] and missing:
        raise SettingsError(f"DASHBOARD_OIDC_ISSUER is set, so {' and '.join(missing)} must be "
                            "set too: register this site as a client at the provider")


def secret_key(settings: Settings) -> str:
    """DASHBOARD_SECRET_KEY, else the key kept in the data folder (made on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / SECRET_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users: chmod 600 it", path)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET_KEY:
        raise SettingsError(f"{path} holds no usable key: delete it and start again")
    return key


def _write_new_key(path: Path) -> None:
    # Written whole to a private temporary file, then linked into place: os.link never
    # replaces an existing file, so when several workers start at once the first key wins
    # and nobody reads a half-written one.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
            log.info("made a new secret key in %s", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
