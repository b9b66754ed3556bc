"""How a source's columns become its domain's canonical columns: the part of a source's
configuration that every kind shares (renames, constants, value maps, parsing, reshaping,
dictionary look-ups, load mode, bad-row tolerance and schedule).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.settings import PROJECT_ROOT

Parse = Literal["text", "integer", "number", "currency", "timestamp", "date", "fiscal_year",
                "boolean"]


def project_path(value: str) -> Path:
    """A configured path: absolute, or relative to the project folder."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Lookup(Strict):
    """Decode a value through a dictionary file (CSV): the row whose `key` column equals it."""

    file: str
    key: str  # dictionary column matched against the value
    value: str  # dictionary column whose text replaces it
    # Optional: a dictionary cell listing several codes, e.g. "5 - Excellent, 4 - Good": the
    # regular expression's two groups are code and label; `by` names the source column whose
    # value picks the dictionary row (e.g. the question), and the value is the code.
    codes: str | None = None
    by: str | None = None


class ColumnRule(Strict):
    """How one canonical column is read from a source."""

    source_column: str | None = Field(default=None, alias="from")
    value: str | None = None  # a constant, for a column the source does not have
    parse: Parse = "text"
    formats: list[str] = Field(default_factory=list)  # strptime formats, tried in order
    pattern: str | None = None  # regular expression whose first group holds the value
    map: dict[str, str] | None = None  # code -> label, applied to the cleaned text
    lookup: Lookup | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnRule:
        if (self.source_column is None) == (self.value is None):
            raise ValueError("give exactly one of 'from' (a source column) or 'value' (a constant)")
        if self.parse in ("timestamp", "date") and not self.formats:
            raise ValueError(f"parse: {self.parse} needs a list of formats")
        return self


class Unpivot(Strict):
    """Turn wide columns (e.g. 'FY22 Actual Expense', 'FY25 Budget') into rows."""

    columns: str  # regular expression: the header names it matches become rows
    name: str = "column"  # new column holding each matched header name
    value: str = "value"  # new column holding its cell


class Schedule(Strict):
    cron: str | None = None  # five-field crontab, e.g. "0 3 * * *"
    interval_minutes: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        if (self.cron is None) == (self.interval_minutes is None):
            raise ValueError("give exactly one of 'cron' or 'interval_minutes'")
        return self


class SourceBase(Strict):
    """What every source kind's configuration shares."""

    domain: str
    columns: dict[str, ColumnRule]
    nulls: list[str] = Field(default_factory=list)  # tokens meaning "no value", besides blanks
    unpivot: Unpivot | None = None
    mode: Literal["replace", "upsert"] = "replace"
    watermark: str | None = None  # canonical column; with upsert, only newer rows are pulled
    max_bad_share: float = Field(default=0.05, ge=0, le=1)  # share of rows that may be quarantined
    schedule: Schedule | None = None
    description: str | None = None
