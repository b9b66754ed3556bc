"""The open-data catalogue as the metadata documents read it (DCAT-US, DCAT-AP, Frictionless):
the public datasets of one snapshot with the files made for them, and the addresses that name
them.

Everything comes from what publish wrote into the snapshot (`opendata.datasets` and
`opendata.files`, both from config/datasets.yaml), so every document describes one data version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import duckdb

from opendata.api import CATALOGUE, PREFIX, NotFound
from opendata.exports import FORMATS
from opendata.files_route import file_path
from warehouse.manifest import Snapshot

FORMAT_NAMES = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "XLSX"}


@dataclass(frozen=True)
class File:
    format: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    theme: str
    keywords: tuple[str, ...]
    frequency: str
    rows: int | None
    columns: tuple[dict, ...]  # the public data dictionary, as publish recorded it
    files: tuple[File, ...]  # only those made, in FORMATS order

    def file(self, file_format: str) -> File | None:
        return next((f for f in self.files if f.format == file_format), None)


@dataclass(frozen=True)
class Catalogue:
    publisher: str
    contact_name: str
    contact_email: str
    licence_id: str
    licence_title: str
    licence_url: str
    snapshot_id: str
    published_at: str  # ISO 8601, UTC: when this data version was published
    datasets: tuple[Dataset, ...]


@dataclass(frozen=True)
class Addresses:
    """Absolute URLs on this site; with a pinned snapshot, those that serve data name it."""

    base: str  # scheme and host, no trailing slash
    snapshot_id: str | None = None  # None: the current snapshot

    def pinned(self, path: str) -> str:
        if self.snapshot_id is None:
            return self.base + path
        return f"{self.base}{path}?{urlencode({'snapshot': self.snapshot_id})}"

    @property
    def catalogue_page(self) -> str:
        return f"{self.base}/data"

    def dataset_page(self, dataset_id: str) -> str:
        """The dataset's page, which is also its identifier: the same in every snapshot."""
        return f"{self.base}/data/{dataset_id}"

    def theme(self, theme: str) -> str:
        return f"{self.base}/data?{urlencode({'theme': theme})}"

    def file(self, dataset_id: str, file_format: str) -> str:
        return self.pinned(file_path(dataset_id, file_format))

    def rows(self, dataset_id: str) -> str:
        return self.pinned(f"{PREFIX}/datasets/{dataset_id}/rows")

    def datapackage(self, dataset_id: str | None = None) -> str:
        return self.pinned(f"{PREFIX}/datasets/{dataset_id}/datapackage.json" if dataset_id
                           else "/datapackage.json")

    @property
    def api(self) -> str:
        return f"{self.base}{PREFIX}/"

    @property
    def openapi(self) -> str:
        return f"{self.base}{PREFIX}/openapi.json"


def read_catalogue(cursor: duckdb.DuckDBPyConnection, snapshot: Snapshot,
                   dataset_id: str | None = None) -> Catalogue:
    """The public catalogue of the cursor's snapshot, or only dataset_id (NotFound if it is not
    a public dataset there)."""
    found = cursor.execute(CATALOGUE.format(and_id="AND dataset_id = ?" if dataset_id else ""),
                           [dataset_id] if dataset_id else []).fetchall()
    if not found:
        raise NotFound(f"no public dataset {dataset_id[:100]!r} in snapshot {snapshot.id}: the "
                       f"list is at {PREFIX}/datasets" if dataset_id
                       else f"snapshot {snapshot.id} publishes no datasets")
    files: dict[str, list[File]] = {}
    for owner, fmt, size, digest in cursor.execute(
            "SELECT dataset_id, format, bytes, sha256 FROM opendata.files "
            "WHERE file_name IS NOT NULL").fetchall():
        files.setdefault(owner, []).append(File(fmt, size, digest))
    first = found[0]
    return Catalogue(
        publisher=first[6], contact_name=first[7], contact_email=first[8],
        licence_id=first[9], licence_title=first[10], licence_url=first[11],
        snapshot_id=snapshot.id, published_at=snapshot.published_at,
        datasets=tuple(_dataset(row, files.get(row[0], [])) for row in found))


def _dataset(row: tuple, files: list[File]) -> Dataset:
    (dataset_id, title, description, theme, keywords, frequency, *_, rows, columns) = row
    return Dataset(dataset_id, title, description, theme, tuple(keywords), frequency, rows,
                   tuple(json.loads(columns)),
                   tuple(sorted(files, key=lambda f: FORMATS.index(f.format))))
