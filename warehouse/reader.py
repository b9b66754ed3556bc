"""Read side of the warehouse, for web processes: the current snapshot, opened read-only.

Each process keeps one read-only connection per snapshot and hands out cursors, because a
DuckDB connection costs ~27 ms to open and its cache dies with it. Before each use the
manifest's stat is compared with the last one seen (a publish replaces the file, so its inode
changes); on a change the new snapshot is opened and the old connection is closed once its
last cursor is done.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.connect import open_read_only
from warehouse.manifest import Snapshot, manifest_path, read_manifest

log = logging.getLogger(__name__)


class NoSnapshotError(RuntimeError):
    """Nothing has been published yet."""


class UnknownSnapshotError(LookupError):
    """A snapshot asked for by id is not among those kept; the message lists those kept."""


@dataclass
class _Open:
    snapshot: Snapshot
    connection: duckdb.DuckDBPyConnection
    users: int = 0


class WarehouseReader:
    """Hands out cursors on the current snapshot of one warehouse folder."""

    def __init__(self, warehouse_dir: Path, memory_limit: str | None = None) -> None:
        self.warehouse_dir = warehouse_dir
        self._memory_limit = memory_limit  # DuckDB's, per snapshot open; None: its default
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._stat_key: tuple[int, int, int] | None = None
        self._current: Snapshot | None = None
        self._open: dict[str, _Open] = {}

    def snapshot(self) -> Snapshot | None:
        """The current snapshot, or None when nothing has been published."""
        with self._lock:
            self._refresh()
            return self._current

    @contextmanager
    def cursor(self, snapshot_id: str | None = None
               ) -> Iterator[tuple[Snapshot, duckdb.DuckDBPyConnection]]:
        """A cursor on the current snapshot (or on a kept one, by id), and that snapshot: one
        data version per use."""
        with self._lock:
            self._refresh()
            if self._current is None:
                raise NoSnapshotError("no snapshot has been published yet (run: python -m etl run)")
            wanted = self._current if snapshot_id in (None, self._current.id) \
                else self._kept(snapshot_id)
            entry = self._connection_for(wanted)
            entry.users += 1
            cursor = entry.connection.cursor()
        try:
            yield entry.snapshot, cursor
        finally:
            cursor.close()
            with self._lock:
                entry.users -= 1
                self._close_idle()

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one query on the current snapshot and fetch every row."""
        with self.cursor() as (_, cur):
            return cur.execute(sql, params or []).fetchall()

    def close(self) -> None:
        with self._lock:
            for entry in self._open.values():
                entry.connection.close()
            self._open.clear()

    def _refresh(self) -> None:
        if os.getpid() != self._pid:
            # A forked worker must not use its parent's DuckDB handles: forget them, open anew.
            self._pid, self._open, self._stat_key = os.getpid(), {}, None
        try:
            stat = manifest_path(self.warehouse_dir).stat()
            key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            key = None
        if key == self._stat_key and key is not None:
            return
        self._current = read_manifest(self.warehouse_dir).current
        self._stat_key = key
        self._close_idle()

    def _kept(self, snapshot_id: str) -> Snapshot:
        manifest = read_manifest(self.warehouse_dir)
        found = manifest.find(snapshot_id)
        if found is None or not found.path(self.warehouse_dir).exists():
            kept = ", ".join(s.id for s in manifest.snapshots) or "none"
            raise UnknownSnapshotError(f"snapshot {snapshot_id!r} is not kept (kept: {kept})")
        return found

    def _connection_for(self, snapshot: Snapshot) -> _Open:
        entry = self._open.get(snapshot.id)
        if entry is None:
            connection = open_read_only(snapshot.path(self.warehouse_dir), self._memory_limit)
            entry = self._open[snapshot.id] = _Open(snapshot, connection)
            log.info("opened snapshot %s read-only", snapshot.id)
        return entry

    def _close_idle(self) -> None:
        current_id = self._current.id if self._current else None
        for snapshot_id in [k for k, e in self._open.items() if k != current_id and e.users == 0]:
            self._open.pop(snapshot_id).connection.close()
            log.info("closed snapshot %s", snapshot_id)
