"""Targets in force: a KPI's target and amber threshold at each period, and its status there.

The catalogue (kpis.yaml) gives each KPI's target; changes made on the internal targets page
(appdb/targets.py) apply from a period on. The target in force at a period is the latest
change effective on or before it, else the catalogue's. The publish (kpis/compute.py) judges
every period by it, and the internal pages judge with the same rules at once, before the next
publish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

TOTALS = ("count", "usd")  # units that add up over groups, unlike rates, medians and averages


@dataclass(frozen=True)
class TargetRule:
    """A target and amber threshold from a period's first day on."""

    effective_from: date
    target: float
    amber: float


Rules = Mapping[str, Sequence[TargetRule]]  # by KPI id, in the order they were set


def in_force(rules: Sequence[TargetRule], period_start: date, target: float, amber: float
             ) -> tuple[float, float]:
    """(target, amber) at the period starting period_start; the given pair when no rule applies."""
    found = [r for r in rules if r.effective_from <= period_start]
    if not found:
        return target, amber
    # The latest effective date rules; among rules from the same date, the last one set.
    chosen = max(enumerate(found), key=lambda pair: (pair[1].effective_from, pair[0]))[1]
    return chosen.target, chosen.amber


def status(value: float | None, direction: str, target: float, amber: float) -> str | None:
    """'green' on or past target, 'amber' past the amber threshold, else 'red' (None: no value)."""
    if value is None:
        return None
    better = (lambda a, b: a >= b) if direction == "higher" else (lambda a, b: a <= b)
    if better(value, target):
        return "green"
    return "amber" if better(value, amber) else "red"


def judged(unit: str, breakdown: str | None) -> bool:
    """A group's count or dollar sum is a part of the city's total, not held to its target."""
    return breakdown is None or unit not in TOTALS


def sql_in_force(rules: Sequence[TargetRule], period: str, default: float, which: str) -> str:
    """SQL for the target (which='target') or amber threshold in force at the period `period`."""
    ordered = sorted(enumerate(rules), key=lambda pair: (pair[1].effective_from, pair[0]),
                     reverse=True)
    cases = " ".join(f"WHEN {period} >= DATE '{rule.effective_from.isoformat()}' "
                     f"THEN {float(getattr(rule, which))!r}" for _, rule in ordered)
    return f"(CASE {cases} ELSE {float(default)!r} END)" if cases else repr(float(default))
