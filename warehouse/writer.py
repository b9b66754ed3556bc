"""Write side of the warehouse, for the ETL: stage a new snapshot, verify it, publish it.

A run works on a copy of the current snapshot under staging/; only after the copy is closed,
reopened read-only and checked is it moved into snapshots/ and named by a new manifest. A run
that fails or is killed leaves at most a stale staging file, which the next run removes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.checksum import sha256_file
from warehouse.connect import open_read_only, open_read_write
from warehouse.manifest import (
    SNAPSHOT_DIR,
    Manifest,
    Snapshot,
    fsync_dir,
    read_manifest,
    write_manifest,
)

log = logging.getLogger(__name__)

STAGING_DIR = "staging"
DOWNLOADS_DIR = "downloads"  # downloads/<snapshot id>/: the files made at publish
LOCK_NAME = ".lock"


class WarehouseBusyError(RuntimeError):
    """Another ETL run or rollback holds the warehouse lock."""


class PublishError(RuntimeError):
    """A staged snapshot failed its checks and was not published."""


@contextmanager
def warehouse_lock(warehouse_dir: Path) -> Iterator[None]:
    """Hold the warehouse's exclusive lock (across processes) or raise WarehouseBusyError."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    with open(warehouse_dir / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusyError(
                f"another ETL run or rollback is using {warehouse_dir}; try again when it ends"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def clear_staging(warehouse_dir: Path) -> list[str]:
    """Remove what killed runs left in staging/ (call only while holding the lock)."""
    staging = warehouse_dir / STAGING_DIR
    removed = sorted(p.name for p in staging.glob("*")) if staging.exists() else []
    for name in removed:
        path = staging / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return removed


def staged_downloads(staged: Path) -> Path:
    """The folder beside a staging file where a run writes the snapshot's download files."""
    return staged.with_suffix(".downloads")


def downloads_dir(warehouse_dir: Path, snapshot_id: str) -> Path:
    """Where a published snapshot's download files are."""
    return warehouse_dir / DOWNLOADS_DIR / snapshot_id


def stage(warehouse_dir: Path, snapshot_id: str) -> Path:
    """Create the staging file for a new snapshot: a copy of the current one, or an empty file."""
    staging = warehouse_dir / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / f"{snapshot_id}.duckdb"
    current = read_manifest(warehouse_dir).current
    if current is not None:
        shutil.copyfile(current.path(warehouse_dir), path)
    return path


def open_staged(path: Path) -> duckdb.DuckDBPyConnection:
    return open_read_write(path)


def table_fingerprints(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Rows and an order-independent content checksum of every table.

    Reading every row is the point: DuckDB answers count(*) from metadata, so only a full read
    finds a damaged or truncated file.
    """
    names = connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "ORDER BY schema_name, table_name"
    ).fetchall()
    fingerprints = {}
    for schema, table in names:
        rows, checksum = connection.execute(
            f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{schema}"."{table}" AS t'
        ).fetchone()
        key = table if schema == "main" else f"{schema}.{table}"
        fingerprints[key] = {"rows": rows, "checksum": format(checksum, "x")}
    return fingerprints


def publish(
    warehouse_dir: Path,
    staged: Path,
    snapshot_id: str,
    run_id: str,
    expected_tables: dict[str, dict[str, Any]],
    retention: int,
) -> Snapshot:
    """Verify a closed staging file, move it into snapshots/ and make it current."""
    _verify(staged, expected_tables)
    files = staged_downloads(staged)
    if files.exists():
        # Before the manifest names the snapshot, so its files are there once it is current.
        downloads = downloads_dir(warehouse_dir, snapshot_id)
        downloads.parent.mkdir(parents=True, exist_ok=True)
        os.replace(files, downloads)
        fsync_dir(downloads.parent)
    final = warehouse_dir / SNAPSHOT_DIR / f"{snapshot_id}.duckdb"
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(staged, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, final)
    fsync_dir(final.parent)
    snapshot = Snapshot(
        id=snapshot_id,
        file=f"{SNAPSHOT_DIR}/{final.name}",
        published_at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=run_id,
        sha256=sha256_file(final),
        size=final.stat().st_size,
        tables=expected_tables,
    )
    manifest = read_manifest(warehouse_dir)
    # Publish order is rollback order; the newest (current) is always among the last N.
    kept = (*manifest.snapshots, snapshot)[-retention:]
    write_manifest(warehouse_dir, Manifest(current=snapshot, snapshots=kept))
    _delete_unlisted(warehouse_dir, kept)
    log.info("published snapshot %s (%d bytes, sha256 %s)", snapshot_id, snapshot.size,
             snapshot.sha256[:12])
    return snapshot


def rollback(warehouse_dir: Path, snapshot_id: str | None = None) -> Snapshot:
    """Make an earlier kept snapshot current (default: the one before the current one)."""
    manifest = read_manifest(warehouse_dir)
    if manifest.current is None:
        raise PublishError("nothing has been published yet, so there is nothing to roll back")
    target = manifest.find(snapshot_id) if snapshot_id else manifest.previous()
    if target is None:
        kept = ", ".join(s.id for s in manifest.snapshots) or "none"
        wanted = f"snapshot {snapshot_id}" if snapshot_id else "an earlier snapshot"
        raise PublishError(f"cannot roll back: {wanted} is not kept (kept: {kept})")
    if not target.path(warehouse_dir).exists():
        raise PublishError(f"cannot roll back: the file of snapshot {target.id} is missing")
    _verify(target.path(warehouse_dir), target.tables)
    write_manifest(warehouse_dir, replace(manifest, current=target))
    log.info("rolled back from snapshot %s to %s", manifest.current.id, target.id)
    return target


def _verify(path: Path, expected_tables: dict[str, dict[str, Any]]) -> None:
    """Reopen the file read-only and check every table reads back whole and unchanged."""
    try:
        connection = open_read_only(path)
    except duckdb.Error as exc:
        raise PublishError(f"snapshot file {path.name} cannot be opened: {exc}") from exc
    try:
        found = table_fingerprints(connection)
    except duckdb.Error as exc:
        raise PublishError(f"snapshot file {path.name} cannot be read: {exc}") from exc
    finally:
        connection.close()
    if found != expected_tables:
        raise PublishError(
            f"snapshot file {path.name} does not hold what was loaded: "
            f"expected {expected_tables}, found {found}"
        )


def _delete_unlisted(warehouse_dir: Path, kept: tuple[Snapshot, ...]) -> None:
    # Open readers keep using a deleted file (POSIX unlink semantics) until they switch.
    keep = {s.file for s in kept}
    for path in (warehouse_dir / SNAPSHOT_DIR).glob("*.duckdb"):
        if f"{SNAPSHOT_DIR}/{path.name}" not in keep:
            path.unlink()
            log.info("pruned snapshot file %s", path.name)
    # A download being served keeps its open file; only new requests see it gone.
    ids = {s.id for s in kept}
    for path in (warehouse_dir / DOWNLOADS_DIR).glob("*"):
        if path.is_dir() and path.name not in ids:
            shutil.rmtree(path)
            log.info("pruned download files of snapshot %s", path.name)

