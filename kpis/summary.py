"""The home page's plain-words summary of what changed since each KPI's previous period."""

from __future__ import annotations

from dataclasses import dataclass

from kpis.read import Tile


@dataclass(frozen=True)
class Movement:
    tile: Tile
    better: bool  # moved the way the KPI's direction calls better
    relative: float  # size of the change relative to the previous value


def movements(tiles: list[Tile]) -> list[Movement]:
    """KPIs whose latest value differs from the previous period's, largest move first."""
    moved = []
    for tile in tiles:
        point = tile.latest
        if point is None or point.previous_value is None or point.value == point.previous_value:
            continue
        rising = point.value > point.previous_value
        better = rising == (tile.definition.direction == "higher")
        base = abs(point.previous_value) or 1.0
        moved.append(Movement(tile, better, abs(point.value - point.previous_value) / base))
    return sorted(moved, key=lambda m: m.relative, reverse=True)


def status_counts(tiles: list[Tile]) -> dict[str, int]:
    counts = {"green": 0, "amber": 0, "red": 0}
    for tile in tiles:
        if tile.latest is not None:
            counts[tile.latest.status] += 1
    return counts
