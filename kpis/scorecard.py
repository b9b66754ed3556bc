"""The internal scorecard: every KPI's latest value judged by the target in force now.

Values come from the snapshot (kpis/read.py); targets from the catalogue and the changes made
since (kpis/targets.py), so a target changed on the internal pages shows here at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kpis.read import Tile
from kpis.targets import Rules, in_force, judged, status

STATUSES = ("red", "amber", "green")  # worst first
SORTS = ("title", "theme", "status", "against", "change", "owner")


@dataclass(frozen=True)
class ScoreRow:
    tile: Tile
    target: float
    amber: float
    status: str | None  # None: no value, or a group's share not held to a target
    against: float | None  # value against target: 1 on target, more is better
    change: float | None  # relative change since the period before, in the KPI's direction

    @property
    def id(self) -> str:
        return self.tile.definition.id


def score_rows(tiles: Sequence[Tile], rules: Rules, department: str | None = None
               ) -> list[ScoreRow]:
    """Each tile judged by the target in force at its latest period."""
    rows = []
    for tile in tiles:
        d, point = tile.definition, tile.latest
        if point is None:
            rows.append(ScoreRow(tile, d.target, d.amber, None, None, None))
            continue
        target, amber = in_force(rules.get(d.id, ()), point.period_start, d.target, d.amber)
        held = judged(d.unit, department and "department")
        rows.append(ScoreRow(
            tile, target, amber,
            status(point.value, d.direction, target, amber) if held else None,
            _against(point.value, target, d.direction) if held else None,
            _change(point.value, point.previous_value, d.direction)))
    return rows


def chosen(rows: Sequence[ScoreRow], theme: str | None = None, wanted: str | None = None
           ) -> list[ScoreRow]:
    """The rows of one theme and one status ("none": without a status), or all."""
    return [r for r in rows
            if (theme is None or r.tile.definition.domain == theme)
            and (wanted is None or (r.status or "none") == wanted)]


def ordered(rows: Sequence[ScoreRow], key: str, descending: bool = False) -> list[ScoreRow]:
    """Sorted by a SORTS key; rows without that value go last either way."""
    def value(row: ScoreRow) -> object:
        d = row.tile.definition
        return {"title": d.title.lower(), "theme": d.domain, "owner": d.owner.lower(),
                "status": STATUSES.index(row.status) if row.status in STATUSES else None,
                "against": row.against, "change": row.change}[key]

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    return sorted(present, key=value, reverse=descending) + missing


def _against(value: float, target: float, direction: str) -> float | None:
    if direction == "higher":
        return value / target if target else None
    return target / value if value > 0 else None


def _change(value: float, before: float | None, direction: str) -> float | None:
    if before is None or before == 0:
        return None
    change = (value - before) / abs(before)
    return change if direction == "higher" else -change
