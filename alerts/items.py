"""One thing to tell subscribers about: a KPI that got worse, a source that failed or is late,
or a run that failed for a reason no source explains."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KPI_WORSE, SOURCE_FAILED, SOURCE_LATE, RUN_FAILED = (
    "kpi_worse", "source_failed", "source_late", "run_failed")


@dataclass(frozen=True)
class Item:
    kind: str  # one of the four above
    title: str  # the KPI's title, or the source's name
    kpi_id: str | None = None
    department: str | None = None  # a department's value of the KPI; None: city-wide
    owner: str | None = None  # the KPI's owner
    before: str | None = None  # the status before: green, amber, red; None: no value
    after: str | None = None  # the status now: amber or red
    value: float | None = None
    target: float | None = None  # the target in force at the value's period
    unit: str | None = None
    decimals: int | None = None
    period: str | None = None  # the value's period, e.g. "Oct 2026"
    source: str | None = None
    kpis: tuple[str, ...] = ()  # the KPIs reading a source's table
    error: str | None = None  # why a source or the run failed
    last_loaded: str | None = None  # a late source's last load (ISO 8601, UTC)
    due_by: str | None = None  # when a late source was due to load again

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"kpis": list(self.kpis)}
