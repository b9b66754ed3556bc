"""The manifest: a small JSON file naming the current snapshot and the ones kept for rollback.

It is only ever replaced whole (temp file, fsync, os.replace), so a reader sees the old or the
new manifest, never a half-written one.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
SNAPSHOT_DIR = "snapshots"
FORMAT = 1


class ManifestError(RuntimeError):
    """The manifest exists but cannot be read; the message names the file."""


@dataclass(frozen=True)
class Snapshot:
    id: str
    file: str  # relative to the warehouse folder
    published_at: str  # ISO 8601, UTC
    run_id: str
    sha256: str
    size: int
    # table name -> {"rows": count, "checksum": order-independent hash of the content}
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def path(self, warehouse_dir: Path) -> Path:
        return warehouse_dir / self.file


@dataclass(frozen=True)
class Manifest:
    current: Snapshot | None
    snapshots: tuple[Snapshot, ...]  # every kept snapshot, oldest first

    def find(self, snapshot_id: str) -> Snapshot | None:
        return next((s for s in self.snapshots if s.id == snapshot_id), None)

    def previous(self) -> Snapshot | None:
        """The snapshot published just before the current one."""
        if self.current is None:
            return None
        ids = [s.id for s in self.snapshots]
        index = ids.index(self.current.id) if self.current.id in ids else len(ids)
        return self.snapshots[index - 1] if index > 0 else None


EMPTY = Manifest(current=None, snapshots=())


def manifest_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / MANIFEST_NAME


def read_manifest(warehouse_dir: Path) -> Manifest:
    """The manifest as it is now; EMPTY when nothing has been published yet."""
    path = manifest_path(warehouse_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return EMPTY
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read the warehouse manifest {path}: {exc}") from exc
    try:
        snapshots = tuple(Snapshot(**entry) for entry in raw["snapshots"])
        current_id = raw["current"]
    except (KeyError, TypeError) as exc:
        raise ManifestError(f"the warehouse manifest {path} is malformed: {exc}") from exc
    current = next((s for s in snapshots if s.id == current_id), None)
    if current_id is not None and current is None:
        raise ManifestError(f"the warehouse manifest {path} names an unknown snapshot {current_id}")
    return Manifest(current=current, snapshots=snapshots)


def write_manifest(warehouse_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically and durably."""
    path = manifest_path(warehouse_dir)
    body = {
        "format": FORMAT,
        "current": manifest.current.id if manifest.current else None,
        "snapshots": [asdict(s) for s in manifest.snapshots],
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(warehouse_dir)


def fsync_dir(directory: Path) -> None:
    """Make a rename in this folder durable across a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
