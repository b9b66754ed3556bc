"""config/kpis.yaml: the KPI catalogue, read and checked at start.

An unknown key, a duplicate id, a threshold on the wrong side of its target or a query without
its placeholder gets a message naming the file and the KPI. Whether each query runs and returns
the right columns is checked against a snapshot (`kpis.compute`, `python -m kpis check`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Literal

import yaml
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.settings import Settings
from etl.errors import ConfigError
from kpis.evidence import MIN_PERIODS, WINDOW

# How long each kind of period lasts, to step from one period's first day to the next.
PERIOD_STEP = {"month": relativedelta(months=1), "quarter": relativedelta(months=3),
               "fiscal_year": relativedelta(years=1)}

log = logging.getLogger(__name__)

DOMAINS = ("budget", "services", "engagement")
BREAKDOWNS = ("department", "district", "channel", "request_type")
UNITS = ("percent", "usd", "days", "hours", "count", "score")
DEFAULT_DECIMALS = {"percent": 1, "usd": 0, "days": 1, "hours": 1, "count": 0, "score": 2}
BY = "{by}"  # replaced by the breakdown column, or by NULL for the city-wide figure


class Kpi(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)  # what it measures and why it matters, plainly
    method: str = Field(min_length=1)  # how it is computed, in words
    domain: Literal["budget", "services", "engagement"]
    unit: Literal["percent", "usd", "days", "hours", "count", "score"]
    decimals: int | None = Field(default=None, ge=0, le=4)
    direction: Literal["higher", "lower"]  # which way is better
    target: float
    amber: float  # worse than target but not yet red
    period: Literal["month", "quarter", "fiscal_year"]
    audience: Literal["public", "internal"] = "public"
    owner: str = Field(min_length=1)
    breakdowns: tuple[Literal["department", "district", "channel", "request_type"], ...] = ()
    # A period after the data's end is incomplete; leave it out (false for adopted budgets).
    complete_periods_only: bool = True
    query: str = Field(min_length=1)

    @field_validator("breakdowns")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a breakdown is listed twice")
        return value

    @property
    def places(self) -> int:
        return DEFAULT_DECIMALS[self.unit] if self.decimals is None else self.decimals

    def sql(self, breakdown: str | None) -> str:
        """The query for the city-wide figure (None) or one breakdown."""
        return self.query.replace(BY, breakdown or "CAST(NULL AS VARCHAR)")


class CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fiscal_year_starts: int = Field(default=7, ge=1, le=12)  # month the fiscal year begins
    # Per domain, a query giving the moment its data reaches; periods ending later are
    # incomplete. A domain without one uses the run's date.
    data_end: dict[Literal["budget", "services", "engagement"], str] = {}
    # Periods compared on each side of an initiative's start (kpis/evidence.py).
    evidence_periods: int = Field(default=WINDOW, ge=MIN_PERIODS, le=36)
    kpis: list[Kpi]


class Catalogue(BaseModel):
    fiscal_year_starts: int
    data_end: dict[str, str]
    evidence_periods: int = WINDOW
    kpis: tuple[Kpi, ...]
    version: str  # sha256 of the file's bytes, first 12 hex digits

    def get(self, kpi_id: str) -> Kpi | None:
        return next((k for k in self.kpis if k.id == kpi_id), None)


def catalogue_path(settings: Settings) -> Path:
    return settings.config_dir / "kpis.yaml"


def load_catalogue(path: Path, missing_ok: bool = False) -> Catalogue:
    """Read and check kpis.yaml, or raise ConfigError naming the file and the KPI.

    With missing_ok, a city without the file has an empty catalogue (no KPIs yet)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            log.warning("%s not found: no KPIs are computed", path)
            return Catalogue(fiscal_year_starts=7, data_end={}, kpis=(), version="none")
        raise ConfigError(f"{path}: file not found") from None
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        parsed = CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}:\n" + _describe(exc, raw)) from None
    problems = _duplicates(parsed.kpis) + [p for k in parsed.kpis for p in _check(k)]
    if problems:
        raise ConfigError(f"{path}:\n" + "\n".join(problems))
    return Catalogue(fiscal_year_starts=parsed.fiscal_year_starts, data_end=parsed.data_end,
                     evidence_periods=parsed.evidence_periods, kpis=tuple(parsed.kpis),
                     version=hashlib.sha256(data).hexdigest()[:12])


def _describe(exc: ValidationError, raw: object) -> str:
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ""
        if len(loc) > 1 and loc[0] == "kpis" and isinstance(loc[1], int):
            kpi_id = _raw_id(raw, loc[1])
            where = f"KPI '{kpi_id}': " if kpi_id else f"KPI number {loc[1] + 1}: "
            loc = loc[2:]
        key = ".".join(str(part) for part in loc) or "(the KPI)"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"  {where}key '{key}': {message}")
    return "\n".join(lines)


def _raw_id(raw: object, index: int) -> str | None:
    try:
        kpi_id = raw["kpis"][index].get("id")  # type: ignore[index]
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
    return str(kpi_id) if kpi_id else None


def _duplicates(kpis: list[Kpi]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for kpi in kpis:
        if kpi.id in seen:
            problems.append(f"  KPI '{kpi.id}': id is used by more than one KPI")
        seen.add(kpi.id)
    return problems


def _check(kpi: Kpi) -> list[str]:
    problems = []
    worse = kpi.amber > kpi.target if kpi.direction == "higher" else kpi.amber < kpi.target
    if worse:
        side = "above" if kpi.direction == "higher" else "below"
        problems.append(f"  KPI '{kpi.id}': key 'amber': {kpi.amber:g} is {side} the target "
                        f"{kpi.target:g}, but {kpi.direction} is better")
    if kpi.target == 0 and kpi.direction == "lower":
        problems.append(f"  KPI '{kpi.id}': key 'target': a lower-is-better target must not be "
                        "0 (the city score divides by it)")
    has_by = BY in kpi.query
    if kpi.breakdowns and not has_by:
        problems.append(f"  KPI '{kpi.id}': key 'query': it declares breakdowns but has no "
                        f"{BY} placeholder to group by")
    if has_by and not kpi.breakdowns:
        problems.append(f"  KPI '{kpi.id}': key 'query': it uses {BY} but declares no "
                        "breakdowns")
    if re.search(r";\s*\S", kpi.query):
        problems.append(f"  KPI '{kpi.id}': key 'query': one SELECT statement only")
    return problems
