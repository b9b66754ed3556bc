"""Alert subscriptions, the channels alerts go to, and the deliveries made: read and changed
for the "My alerts" page (dashboards/internal/alerts.py) and for sending (alerts/deliver.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select

from appdb.db import sessions, utc
from appdb.models import AlertChannel, AlertDelivery, Subscription, User

KPI, DEPARTMENT = "kpi", "department"
KINDS = (KPI, DEPARTMENT)
EMAIL, WEBHOOK = "email", "webhook"
SENDING = "not finished: the sending process stopped"  # a claimed delivery's error until done


@dataclass(frozen=True)
class Channels:
    email: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class Subscriber:
    """An active user with at least one subscription, and where their alerts go."""

    user_id: int
    name: str
    role: str
    departments: tuple[str, ...]  # a manager's own departments
    kpis: frozenset[str]  # subscribed KPI ids
    subscribed_departments: frozenset[str]
    channels: Channels


@dataclass(frozen=True)
class Delivery:
    run_id: str
    channel: str
    at: datetime
    ok: bool
    error: str | None
    items: int


@dataclass(frozen=True)
class Overview:
    """One user's subscriptions, counted (for admins)."""

    name: str
    kpis: int
    departments: int
    email: bool
    webhook: bool


def subscribed(database_url: str, user_id: int) -> dict[str, list[str]]:
    """The user's subscribed keys by kind ("kpi": ids, "department": names), sorted."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    with sessions(database_url)() as session:
        for kind, key in session.execute(
                select(Subscription.kind, Subscription.key)
                .where(Subscription.user_id == user_id).order_by(Subscription.key)):
            found.setdefault(kind, []).append(key)
    return found


def replace_subscriptions(database_url: str, user_id: int, kind: str, keys: Iterable[str]
                          ) -> tuple[list[str], list[str]]:
    """Make the user's subscriptions of this kind exactly keys; return (added, removed)."""
    wanted = set(keys)
    with sessions(database_url).begin() as session:
        have = set(session.scalars(select(Subscription.key).where(
            Subscription.user_id == user_id, Subscription.kind == kind)))
        removed, added = sorted(have - wanted), sorted(wanted - have)
        if removed:
            session.execute(delete(Subscription).where(
                Subscription.user_id == user_id, Subscription.kind == kind,
                Subscription.key.in_(removed)))
        now = datetime.now(UTC)
        session.add_all(Subscription(user_id=user_id, kind=kind, key=key, created_at=now)
                        for key in added)
    return added, removed


def channels(database_url: str, user_id: int) -> Channels:
    with sessions(database_url)() as session:
        found = session.get(AlertChannel, user_id)
    return Channels(found.email, found.webhook_url) if found else Channels()


def set_channels(database_url: str, user_id: int, chosen: Channels) -> None:
    """Store where the user's alerts go (None: not by that channel)."""
    with sessions(database_url).begin() as session:
        found = session.get(AlertChannel, user_id)
        if found is None:
            session.add(AlertChannel(user_id=user_id, email=chosen.email,
                                     webhook_url=chosen.webhook_url))
        else:
            found.email, found.webhook_url = chosen.email, chosen.webhook_url


def subscribers(database_url: str) -> list[Subscriber]:
    """Every active user with a subscription, with their channels, by name."""
    with sessions(database_url)() as session:
        rows = session.execute(
            select(User, Subscription.kind, Subscription.key)
            .join(Subscription, Subscription.user_id == User.id)
            .where(User.active.is_(True)).order_by(User.name)).all()
        chosen = {c.user_id: Channels(c.email, c.webhook_url)
                  for c in session.scalars(select(AlertChannel))}
    users: dict[int, User] = {}
    keys: dict[int, dict[str, set[str]]] = {}
    for user, kind, key in rows:
        users[user.id] = user
        keys.setdefault(user.id, {k: set() for k in KINDS}).setdefault(kind, set()).add(key)
    return [Subscriber(u.id, u.name, u.role, tuple(u.departments or ()),
                       frozenset(keys[u.id][KPI]), frozenset(keys[u.id][DEPARTMENT]),
                       chosen.get(u.id, Channels())) for u in users.values()]


def claim_delivery(database_url: str, run_id: str, user_id: int, channel: str,
                   items: list[dict[str, Any]]) -> int | None:
    """Note a delivery about to be tried; None when this run already has one for this user and
    channel (so nothing is ever sent twice, even if the sending process died half way)."""
    with sessions(database_url).begin() as session:
        done = session.scalar(select(func.count()).select_from(AlertDelivery).where(
            AlertDelivery.run_id == run_id, AlertDelivery.user_id == user_id,
            AlertDelivery.channel == channel))
        if done:
            return None
        delivery = AlertDelivery(run_id=run_id, user_id=user_id, channel=channel,
                                 at=datetime.now(UTC), ok=False, error=SENDING, items=items)
        session.add(delivery)
        session.flush()
        return delivery.id


def finish_delivery(database_url: str, delivery_id: int, error: str | None) -> None:
    """Record how a claimed delivery went (error None: sent)."""
    with sessions(database_url).begin() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        delivery.ok, delivery.error, delivery.at = error is None, error, datetime.now(UTC)


def deliveries(database_url: str, user_id: int, limit: int = 20) -> list[Delivery]:
    """The user's latest deliveries, newest first."""
    with sessions(database_url)() as session:
        rows = session.scalars(select(AlertDelivery).where(AlertDelivery.user_id == user_id)
                               .order_by(AlertDelivery.id.desc()).limit(limit))
        return [Delivery(d.run_id, d.channel, utc(d.at), d.ok, d.error, len(d.items or []))
                for d in rows]


def overview(database_url: str) -> list[Overview]:
    """Each active user's subscriptions counted, by name (users without any included)."""
    with sessions(database_url)() as session:
        counts = {(user_id, kind): n for user_id, kind, n in session.execute(
            select(Subscription.user_id, Subscription.kind, func.count())
            .group_by(Subscription.user_id, Subscription.kind))}
        chosen = {c.user_id: c for c in session.scalars(select(AlertChannel))}
        users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
        return [Overview(u.name, counts.get((u.id, KPI), 0), counts.get((u.id, DEPARTMENT), 0),
                         bool(u.id in chosen and chosen[u.id].email),
                         bool(u.id in chosen and chosen[u.id].webhook_url)) for u in users]
