"""Page data cached by snapshot id: a new snapshot is a new key, so nothing is ever stale.

Per-process memory by default (flask-caching's SimpleCache); a shared store for many workers
comes with production serving.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache

from dashboards import context
from warehouse.manifest import Snapshot

T = TypeVar("T")

cache = Cache()


def init_cache(server: Flask) -> None:
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 0,
                                   "CACHE_THRESHOLD": 2000})


def snapshot_cached(query: Callable[..., T]) -> Callable[..., tuple[Snapshot, T]]:
    """Wrap query(cursor, *args) so it answers (snapshot, result) from the current snapshot,
    computing each (snapshot, arguments) once per process."""

    @functools.wraps(query)
    def cached(*args: Any) -> tuple[Snapshot, T]:
        with context.reader().cursor() as (snapshot, cursor):
            key = _key(query, snapshot.id, args)
            found = cache.get(key)
            if found is None:
                found = (query(cursor, *args),)  # a tuple, so a None result is cached too
                cache.set(key, found)
            return snapshot, found[0]

    return cached


def _key(query: Callable[..., Any], snapshot_id: str, args: tuple[Any, ...]) -> str:
    text = f"{query.__module__}.{query.__qualname__}:{snapshot_id}:{args!r}"
    return "q:" + hashlib.sha256(text.encode()).hexdigest()

