"""config/sources.yaml: which sources feed which domain, and how their columns map.

Validated at start: an unknown key, a missing field or an unknown column gets a message that
names the file, the source and the key.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from etl.domains import all_domains
from etl.errors import ConfigError
from etl.sources.registry import AnySource


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: dict[str, AnySource]


def load_sources(path: Path) -> dict[str, AnySource]:
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
        # Drop the union tag pydantic inserts after the source name (e.g. 'csv').
        rest = loc[2:] if where else loc
        if where and rest and rest[0] in ("csv", "xlsx", "sql", "http_json"):
            rest = rest[1:]
        key = ".".join(rest) or "(the source)"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        if error["type"] == "union_tag_invalid":
            key = "kind"
            message = (f"{error['ctx']['tag']!r} is not a source kind "
                       f"(kinds: {error['ctx']['expected_tags']})")
        lines.append(f"  {where}key '{key}': {message}")
    return "\n".join(lines)


def _check_mapping(name: str, source: AnySource) -> list[str]:
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
    if source.watermark and source.watermark not in source.columns:
        problems.append(f"  source '{name}': key 'watermark': '{source.watermark}' is not one of "
                        "its mapped columns")
    if source.mode == "upsert" and not domain.key:
        problems.append(f"  source '{name}': key 'mode': upsert needs a domain with a key, and "
                        f"{domain.name} has none")
    return problems
