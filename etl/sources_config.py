"""config/sources.yaml: which sources feed which domain, and how their columns map.

Validated at start: an unknown key, a missing field or an unknown column gets a message that
names the file, the source and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.settings import PROJECT_ROOT
from etl.domains import all_domains
from etl.errors import ConfigError

Parse = Literal["text", "integer", "number", "currency", "timestamp", "date"]


class ColumnRule(BaseModel):
    """How one canonical column is read from a source column."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source_column: str = Field(alias="from")
    parse: Parse = "text"
    formats: list[str] = Field(default_factory=list)  # strptime formats, tried in order
    pattern: str | None = None  # regular expression whose first group holds the value

    @model_validator(mode="after")
    def _formats_for_dates(self) -> ColumnRule:
        if self.parse in ("timestamp", "date") and not self.formats:
            raise ValueError(f"parse: {self.parse} needs a list of formats")
        return self


class CsvSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["csv"]
    domain: str
    path: str  # relative to the project folder, or absolute; .gz is read as gzip
    delimiter: str = ","
    encoding: str = "utf-8"
    nulls: list[str] = Field(default_factory=list)  # tokens that mean "no value"
    columns: dict[str, ColumnRule]

    def resolved_path(self) -> Path:
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: dict[str, CsvSource]


def load_sources(path: Path) -> dict[str, CsvSource]:
    """Read and check sources.yaml, or raise ConfigError naming what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        sources = SourcesFile.model_validate(raw).sources
    except ValidationError as exc:
        raise ConfigError(f"{path}:\n" + _describe(exc)) from None
    problems = [p for name, src in sources.items() for p in _check_mapping(name, src)]
    if problems:
        raise ConfigError(f"{path}:\n" + "\n".join(problems))
    return sources


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        where = f"source '{loc[1]}': " if len(loc) > 1 and loc[0] == "sources" else ""
        key = ".".join(loc[2:] if where else loc) or "(top level)"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"  {where}key '{key}': {message}")
    return "\n".join(lines)


def _check_mapping(name: str, source: CsvSource) -> list[str]:
    domains = all_domains()
    domain = domains.get(source.domain)
    if domain is None:
        known = ", ".join(sorted(domains))
        return [f"  source '{name}': unknown domain '{source.domain}' (known: {known})"]
    problems = [
        f"  source '{name}': key 'columns.{column}': the {domain.name} domain has no such column"
        for column in source.columns if domain.column(column) is None
    ]
    problems += [
        f"  source '{name}': required column '{c.name}' of the {domain.name} domain is not mapped"
        for c in domain.columns if c.required and c.name not in source.columns
    ]
    return problems
