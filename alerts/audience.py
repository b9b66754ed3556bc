"""Who hears about what: each subscriber's share of a run's items (their digest).

- A KPI's city-wide value: those subscribed to the KPI, and to the department that owns it
  (its `owner` is the department's name).
- A department's value of a KPI: those subscribed to that department.
- A source that failed or is late: whoever hears about the city-wide value of a KPI reading
  its table.
- A run that failed for a reason naming no source: every subscriber (nothing was published).

A manager's subscription to a department that is not theirs (any more) is ignored. Every user
is internal staff, so internal KPIs need no further filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alerts.items import KPI_WORSE, RUN_FAILED, Item
from appdb.subscriptions import Subscriber


def departments_heard(subscriber: Subscriber) -> frozenset[str]:
    """The departments a subscriber hears about: a manager's only within their own."""
    if subscriber.role == "manager":
        return subscriber.subscribed_departments & frozenset(subscriber.departments)
    return subscriber.subscribed_departments


def hears(subscriber: Subscriber, item: Item, owners: Mapping[str, str]) -> bool:
    """Whether the item goes into this subscriber's digest (owners: KPI id -> owner)."""
    departments = departments_heard(subscriber)
    if item.kind == KPI_WORSE:
        if item.department is not None:
            return item.department in departments
        return item.kpi_id in subscriber.kpis or item.owner in departments
    if item.kind == RUN_FAILED:
        return bool(subscriber.kpis or departments)
    return any(kpi_id in subscriber.kpis or owners.get(kpi_id) in departments
               for kpi_id in item.kpis)


def digests(items: Sequence[Item], subscribers: Sequence[Subscriber],
            owners: Mapping[str, str]) -> list[tuple[Subscriber, list[Item]]]:
    """Each subscriber who hears about anything, with what they hear about, in item order."""
    found = [(s, [i for i in items if hears(s, i, owners)]) for s in subscribers]
    return [(s, chosen) for s, chosen in found if chosen]
