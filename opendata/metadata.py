"""The open-data catalogue of one snapshot, as the data pages (opendata/browse.py) and the
metadata documents (DCAT-US, DCAT-AP, Frictionless) read it: the public datasets with every file
publish tried to make for them, and the addresses that name them.

Everything comes from what publish wrote into the snapshot (`opendata.datasets` and
`opendata.files`, both from config/datasets.yaml), so every page and document describes one
data version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import duckdb

from opendata.api import CATALOGUE, PREFIX
from opendata.exports import FORMATS, ExportFile
from opendata.files_route import file_path

FORMAT_NAMES = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "XLSX"}


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    theme: str
    keywords: tuple[str, ...]
    frequency: str
    rows: int | None  # None: no data was loaded for it
    columns: tuple[dict[str, Any], ...]  # the public data dictionary, as publish recorded it
    files: tuple[ExportFile, ...]  # every one publish tried, made or not, in FORMATS order

    @property
    def made(self) -> tuple[ExportFile, ...]:
        """The files that were made, the ones to download."""
        return tuple(f for f in self.files if f.file_name is not None)

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats it can be downloaded in."""
        return tuple(f.format for f in self.made)

    def file(self, file_format: str) -> ExportFile | None:
        """The file made in file_format, if there is one."""
        return next((f for f in self.made if f.format == file_format), None)


@dataclass(frozen=True)
class Catalogue:
    publisher: str
    contact_name: str
    contact_email: str
    licence_id: str
    licence_title: str
    licence_url: str
    datasets: tuple[Dataset, ...]  # in the catalogue's order

    def dataset(self, dataset_id: object) -> Dataset | None:
        """The public dataset of that id, or None."""
        return next((d for d in self.datasets if d.id == dataset_id), None)


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


def read_catalogue(cursor: duckdb.DuckDBPyConnection,
                   dataset_id: str | None = None) -> Catalogue | None:
    """The public catalogue of the cursor's snapshot, or only dataset_id; None when there is no
    such public dataset. duckdb.CatalogException for a snapshot published before open data."""
    found = cursor.execute(CATALOGUE.format(and_id="AND dataset_id = ?" if dataset_id else ""),
                           [dataset_id] if dataset_id else []).fetchall()
    if not found:
        return None
    recorded = cursor.execute("SELECT dataset_id, format, file_name, bytes, sha256, note "
                              "FROM opendata.files").fetchall()
    files: dict[str, list[ExportFile]] = {}
    for owner, *described in recorded:
        files.setdefault(owner, []).append(ExportFile(*described))
    first = found[0]
    return Catalogue(
        publisher=first[6], contact_name=first[7], contact_email=first[8],
        licence_id=first[9], licence_title=first[10], licence_url=first[11],
        datasets=tuple(_dataset(row, files.get(row[0], [])) for row in found))


def _dataset(row: tuple, files: list[ExportFile]) -> Dataset:
    (dataset_id, title, description, theme, keywords, frequency, *_, rows, columns) = row
    return Dataset(dataset_id, title, description, theme, tuple(keywords), frequency, rows,
                   tuple(json.loads(columns)),
                   tuple(sorted(files, key=lambda f: FORMATS.index(f.format))))
