"""Page data cached by snapshot id: a new snapshot is a new key, so nothing is ever stale.

With DASHBOARD_REDIS_URL every web worker (on every machine) shares one cache in Redis, so a
query runs once per snapshot for the whole site; without it each process keeps its own in
memory (flask-caching's SimpleCache). A cache that cannot be reached is skipped, never an error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache
from redis.exceptions import RedisError

from config.settings import Settings
from dashboards import context
from warehouse.manifest import Snapshot

T = TypeVar("T")
log = logging.getLogger(__name__)

cache = Cache()

# Redis entries outlive their snapshot by at most a day, so old snapshots' keys clear
# themselves without a sweep; the current snapshot's are remade once a day at most.
REDIS_TIMEOUT = 24 * 3600
REDIS_WAIT = 0.5  # seconds: a Redis that does not answer costs a page this much, not a hang
_RETRY_AFTER = 10.0  # seconds between attempts while Redis is unreachable
_down_since: list[float] = []  # when Redis was last found unreachable (empty: it answers)


def init_cache(server: Flask, settings: Settings) -> None:
    if settings.redis_url:
        config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_DEFAULT_TIMEOUT": REDIS_TIMEOUT,
            "CACHE_KEY_PREFIX": key_prefix(settings),
            "CACHE_OPTIONS": {"socket_timeout": REDIS_WAIT,
                              "socket_connect_timeout": REDIS_WAIT},
        }
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 0,
                  "CACHE_THRESHOLD": 2000}
    cache.init_app(server, config=config)


def key_prefix(settings: Settings) -> str:
    """Where this city's keys start in a shared Redis (several cities may share one)."""
    return f"dashboard:{_digest(settings.city_name)[:8]}:"


def snapshot_cached(query: Callable[..., T]) -> Callable[..., tuple[Snapshot, T]]:
    """Wrap query(cursor, *args) so it answers (snapshot, result) from the current snapshot,
    computing each (snapshot, arguments) once per cache."""

    @functools.wraps(query)
    def cached(*args: Any) -> tuple[Snapshot, T]:
        with context.reader().cursor() as (snapshot, cursor):
            key = cache_key(query, snapshot.id, args)
            found = _get(key)
            if found is None:
                found = (query(cursor, *args),)  # a tuple, so a None result is cached too
                _set(key, found)
            return snapshot, found[0]

    return cached


def _get(key: str) -> Any:
    if _down_since and time.monotonic() - _down_since[0] < _RETRY_AFTER:
        return None
    try:
        found = cache.get(key)
    except RedisError as exc:
        _went_down(exc)
        return None
    if _down_since:
        _down_since.clear()
        log.warning("the page cache (Redis) answers again")
    return found


def _set(key: str, value: Any) -> None:
    if _down_since:
        return
    try:
        cache.set(key, value)
    except RedisError as exc:
        _went_down(exc)


def _went_down(exc: RedisError) -> None:
    # One line per outage, not one per request: pages are computed meanwhile.
    if not _down_since:
        log.warning("the page cache (Redis) cannot be reached, pages are computed without it: "
                    "%s", exc)
    _down_since[:] = [time.monotonic()]


def cache_key(query: Callable[..., Any], snapshot_id: str, args: tuple[Any, ...]) -> str:
    """The key of one query's answer for one snapshot and its arguments."""
    return "q:" + _digest(f"{query.__module__}.{query.__qualname__}:{snapshot_id}:{args!r}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
