"""Snapshots: retention, rollback, verification, and readers that follow each publish."""

import json
import re
import shutil
from pathlib import Path

import pytest

from warehouse.manifest import ManifestError, read_manifest
from warehouse.reader import NoSnapshotError, WarehouseReader
from warehouse.writer import PublishError, publish


def _warehouse(workspace) -> Path:
    return Path(workspace.env["DASHBOARD_DATA_DIR"]) / "warehouse"


def test_retention_keeps_the_last_n_snapshots_and_their_files(workspace):
    ids = [workspace.etl("run", DASHBOARD_SNAPSHOT_RETENTION="2").stdout.strip()
           for _ in range(3)]
    manifest = read_manifest(_warehouse(workspace))
    assert [s.id for s in manifest.snapshots] == ids[1:]
    assert manifest.current.id == ids[2]
    files = sorted(p.name for p in (_warehouse(workspace) / "snapshots").iterdir())
    assert files == [f"{i}.duckdb" for i in ids[1:]]


def test_rollback_makes_the_previous_snapshot_current_and_back_again_by_id(published):
    first = published.status()["current_snapshot"]
    second = published.etl("run").stdout.strip()
    assert published.etl("rollback").stdout.strip() == first
    assert published.status()["current_snapshot"] == first
    assert published.etl("rollback", second).stdout.strip() == second
    assert published.status()["current_snapshot"] == second


def test_rollback_refuses_what_it_cannot_do(published):
    only = published.status()["current_snapshot"]
    result = published.etl("rollback", check=False)
    assert result.returncode == 1
    assert "an earlier snapshot is not kept" in result.stderr
    result = published.etl("rollback", "20000101T000000000Z", check=False)
    assert result.returncode == 1
    assert f"snapshot 20000101T000000000Z is not kept (kept: {only})" in result.stderr


def test_a_reader_moves_to_a_new_snapshot_without_a_restart(published):
    reader = WarehouseReader(_warehouse(published))
    first = reader.snapshot().id
    with reader.cursor() as (snapshot, cursor):
        assert snapshot.id == first
        second = published.etl("run").stdout.strip()
        # A use that began on the old snapshot keeps reading it to the end.
        assert cursor.execute("SELECT count(*) FROM budget_lines").fetchone()[0] > 0
    with reader.cursor() as (snapshot, cursor):
        assert snapshot.id == second
        assert cursor.execute("SELECT run_id FROM meta.snapshot").fetchone()[0] == second
    assert list(reader._open) == [second]  # the old snapshot's connection was closed
    reader.close()


def test_a_reader_says_clearly_when_nothing_is_published(workspace, tmp_path):
    reader = WarehouseReader(tmp_path / "empty")
    assert reader.snapshot() is None
    with pytest.raises(NoSnapshotError, match="python -m etl run"), reader.cursor():
        pass


def test_a_corrupt_manifest_is_reported_with_its_path(published):
    path = _warehouse(published) / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(ManifestError, match=str(path)):
        read_manifest(_warehouse(published))
    path.write_text(json.dumps({"current": "x", "snapshots": []}))
    with pytest.raises(ManifestError, match="names an unknown snapshot x"):
        read_manifest(_warehouse(published))


def test_a_truncated_snapshot_file_is_never_published(published):
    warehouse = _warehouse(published)
    before = (warehouse / "manifest.json").read_text()
    current = read_manifest(warehouse).current
    staged = warehouse / "staging" / "20990101T000000000Z.duckdb"
    staged.parent.mkdir(exist_ok=True)
    shutil.copyfile(current.path(warehouse), staged)
    with open(staged, "r+b") as handle:
        handle.truncate(staged.stat().st_size // 2)
    with pytest.raises(PublishError, match=re.escape("20990101T000000000Z.duckdb")):
        publish(warehouse, staged, "20990101T000000000Z", "r", current.tables, retention=5)
    assert (warehouse / "manifest.json").read_text() == before


@pytest.mark.parametrize("lie", [{"rows": 1}, {"checksum": "0"}])
def test_a_snapshot_whose_tables_differ_from_what_was_loaded_is_never_published(published, lie):
    warehouse = _warehouse(published)
    current = read_manifest(warehouse).current
    staged = warehouse / "staging" / "20990101T000000000Z.duckdb"
    staged.parent.mkdir(exist_ok=True)
    shutil.copyfile(current.path(warehouse), staged)
    claimed = current.tables | {"budget_lines": current.tables["budget_lines"] | lie}
    with pytest.raises(PublishError, match="does not hold what was loaded"):
        publish(warehouse, staged, "20990101T000000000Z", "r", claimed, retention=5)
    assert read_manifest(warehouse).current == current


def test_the_reader_caps_duckdbs_memory_as_configured(published):
    reader = WarehouseReader(_warehouse(published), "96MB")
    with reader.cursor() as (_, cursor):
        (limit,) = cursor.execute("SELECT current_setting('memory_limit')").fetchall()[0]
    reader.close()
    assert limit in ("96.0 MB", "91.5 MiB")
