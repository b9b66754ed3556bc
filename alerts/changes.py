"""Which KPIs got worse between two snapshots: each KPI's latest city-wide status, and each
department's value of it, in the snapshot a run published against the one current before.

A status counts as worse when it is amber or red now and was better before (green -> amber,
green -> red, amber -> red), or when the KPI (or that department's value of it) had no value
before: a new KPI, or a department that appears, that starts off target is news too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from alerts.items import KPI_WORSE, Item
from kpis.read import definitions, has_kpis
from kpis.targets import Rules, in_force

RANK = {"green": 0, "amber": 1, "red": 2}
ALERTING = ("amber", "red")


@dataclass(frozen=True)
class Latest:
    period_start: date
    period_label: str
    value: float
    status: str | None  # None: a department's share of a total, not held to a target


Key = tuple[str, str | None]  # (KPI id, department or None for city-wide)


def latest_statuses(cursor: duckdb.DuckDBPyConnection) -> dict[Key, Latest]:
    """Each KPI's latest city-wide value and each department's, with their status."""
    if not has_kpis(cursor):
        return {}
    rows = cursor.execute("""
        SELECT kpi_id, breakdown_value, period_start, period_label, value, status
        FROM kpi.series
        WHERE is_latest AND (breakdown IS NULL OR breakdown = 'department')
    """).fetchall()
    return {(kpi_id, department): Latest(*rest) for kpi_id, department, *rest in rows}


def worse(before: duckdb.DuckDBPyConnection, after: duckdb.DuckDBPyConnection, rules: Rules
          ) -> list[Item]:
    """The KPI values whose status got worse from `before` to `after` (cursors on two
    snapshots), in catalogue order, city-wide before departments."""
    old = latest_statuses(before)
    found = definitions(after, None)
    position = {d.id: n for n, d in enumerate(found)}
    by_id = {d.id: d for d in found}
    items = []
    for (kpi_id, department), now in latest_statuses(after).items():
        kpi = by_id.get(kpi_id)
        was = old.get((kpi_id, department))
        was_status = was.status if was else None
        if kpi is None or now.status not in ALERTING or \
                RANK.get(was_status or "", -1) >= RANK[now.status]:
            continue
        target, _ = in_force(rules.get(kpi_id, ()), now.period_start, kpi.target, kpi.amber)
        items.append(Item(KPI_WORSE, kpi.title, kpi_id=kpi_id, department=department,
                          owner=kpi.owner, before=was_status, after=now.status,
                          value=now.value, target=target, unit=kpi.unit,
                          decimals=kpi.decimals, period=now.period_label))
    return sorted(items, key=lambda i: (position[i.kpi_id], i.department is not None,
                                        i.department or ""))
