"""config/datasets.yaml: the open-data catalogue, read and checked at start.

An unknown key, a duplicate id, a dataset with both or neither of `table` and `query`, a column
listed twice, a private column that is also rounded or suppressed: each gets a message naming
the file and the dataset. Whether the table or query has exactly the columns described, of the
types described, is checked against the snapshot at publish (`opendata.publish`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.settings import Settings
from etl.errors import ConfigError

TYPES = ("string", "integer", "number", "boolean", "date", "datetime")
FREQUENCIES = {  # ISO 8601 repeating durations, as DCAT's accrualPeriodicity wants them
    "hourly": "R/PT1H", "daily": "R/P1D", "weekly": "R/P1W", "monthly": "R/P1M",
    "quarterly": "R/P3M", "yearly": "R/P1Y"}


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*$", max_length=63)
    type: Literal["string", "integer", "number", "boolean", "date", "datetime"]
    description: str = Field(min_length=1)
    unit: str | None = None
    allowed: tuple[str, ...] | None = None  # the only values it may hold
    private: bool = False  # never published
    round: int | None = Field(default=None, ge=0, le=6)  # published rounded to N decimals
    suppress: bool = False  # small counts withheld

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if self.private and (self.round is not None or self.suppress):
            raise ValueError(f"column {self.name}: a private column is not published, so it "
                             "cannot also be rounded or suppressed")
        if self.round is not None and self.type != "number":
            raise ValueError(f"column {self.name}: only a number can be rounded")
        if self.suppress and self.type != "integer":
            raise ValueError(f"column {self.name}: only a count (integer) can be suppressed")
        return self


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=63)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    theme: str = Field(min_length=1)
    keywords: tuple[str, ...] = Field(min_length=1)
    frequency: Literal["hourly", "daily", "weekly", "monthly", "quarterly", "yearly"]
    audience: Literal["public", "internal"] = "public"
    table: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]*$")
    query: str | None = None
    columns: tuple[Column, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Dataset:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` and `query`")
        names = [c.name for c in self.columns]
        twice = _repeated(names)
        if twice:
            raise ValueError(f"column(s) listed twice: {', '.join(twice)}")
        if all(c.private for c in self.columns):
            raise ValueError("every column is private: nothing would be published")
        return self

    @property
    def published(self) -> tuple[Column, ...]:
        """The dictionary a reader gets: every column but the private ones."""
        return tuple(c for c in self.columns if not c.private)


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Licence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)  # an SPDX id: CC-BY-4.0, CC0-1.0, PDDL-1.0, ...
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")


PUBLIC_DOMAIN = Licence(id="CC0-1.0", title="Creative Commons Zero v1.0 Universal",
                        url="https://creativecommons.org/publicdomain/zero/1.0/")


class DatasetCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    publisher: str = Field(min_length=1)
    contact: Contact
    licence: Licence = PUBLIC_DOMAIN  # public domain unless the city says otherwise
    small_count_threshold: int = Field(default=5, ge=1, le=100)
    datasets: tuple[Dataset, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> DatasetCatalogue:
        ids = [d.id for d in self.datasets]
        twice = _repeated(ids)
        if twice:
            raise ValueError(f"dataset id(s) used twice: {', '.join(twice)}")
        return self

    def find(self, dataset_id: str) -> Dataset | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)


def _repeated(values: list[str]) -> list[str]:
    """The values listed more than once, sorted."""
    return sorted({v for v in values if values.count(v) > 1})


def datasets_path(settings: Settings) -> Path:
    return settings.config_dir / "datasets.yaml"


def load_datasets(path: Path, missing_ok: bool = False) -> DatasetCatalogue | None:
    """Read and check datasets.yaml; None when it is absent and missing_ok (no open data)."""
    if not path.exists():
        if missing_ok:
            return None
        raise ConfigError(f"{path}: not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with `publisher`, `contact` and "
                          "`datasets`")
    try:
        return DatasetCatalogue.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}:\n" + "\n".join(_describe(error, raw)
                                                    for error in exc.errors())) from None


def _describe(error: dict, raw: dict) -> str:
    """One validation error as the operator wants it: dataset, column, key, what is wrong."""
    loc, where = list(error["loc"]), ""
    if len(loc) > 1 and loc[0] == "datasets" and isinstance(loc[1], int):
        entry = _item(raw.get("datasets"), loc[1])
        where = (f"dataset '{entry['id']}': " if entry.get("id")
                 else f"dataset number {loc[1] + 1}: ")
        loc = loc[2:]
        if len(loc) > 1 and loc[0] == "columns" and isinstance(loc[1], int):
            column = _item(entry.get("columns"), loc[1])
            where += (f"column '{column['name']}': " if column.get("name")
                      else f"column number {loc[1] + 1}: ")
            loc = loc[2:]
    key = ".".join(str(part) for part in loc)
    message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
    message = message.removeprefix("Value error, ")
    return f"  {where}key '{key}': {message}" if key else f"  {where}{message}"


def _item(items: object, index: int) -> dict:
    """items[index] if it is a mapping, else an empty one (the YAML may be anything)."""
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        return items[index]
    return {}
