"""Frictionless data packages: one per dataset (`/api/v1/datasets/<id>/datapackage.json`) and
one for the whole catalogue (`/datapackage.json`).

Each resource is a dataset's CSV file, with its size and sha256 as made at publish and a Table
Schema built from the data dictionary, so `frictionless validate` can check the file against
its meaning (for a dataset no source has loaded yet, an empty table with that schema). Pure
functions of the catalogue read from one snapshot, that snapshot and the site's addresses.
"""

from __future__ import annotations

import re
from typing import Any

from opendata.dcat import catalogue_description, catalogue_title
from opendata.exports import MEDIA_TYPES
from opendata.metadata import Addresses, Catalogue, Dataset
from warehouse.manifest import Snapshot

MISSING = [""]  # an empty cell: no value, or a small count withheld (the field says which)


def dataset_package(catalogue: Catalogue, snapshot: Snapshot, dataset: Dataset,
                    at: Addresses) -> dict[str, Any]:
    """The data package of one dataset."""
    return {"profile": "tabular-data-package", "name": _name(dataset.id),
            "id": at.dataset_page(dataset.id), "title": dataset.title,
            "description": dataset.description, "homepage": at.dataset_page(dataset.id),
            "keywords": list(dataset.keywords), "created": snapshot.published_at,
            **_parties(catalogue), "resources": [_resource(dataset, at)]}


def catalogue_package(catalogue: Catalogue, snapshot: Snapshot, at: Addresses) -> dict[str, Any]:
    """One data package holding every dataset, a resource each."""
    return {"profile": "tabular-data-package", "name": _name(catalogue_title(catalogue)),
            "id": at.catalogue_page, "title": catalogue_title(catalogue),
            "description": catalogue_description(catalogue, snapshot),
            "homepage": at.catalogue_page, "created": snapshot.published_at,
            **_parties(catalogue),
            "resources": [_resource(d, at) for d in catalogue.datasets]}


def table_schema(dataset: Dataset) -> dict[str, Any]:
    """The dictionary as a Table Schema: types, descriptions, units, allowed values."""
    fields = []
    for column in dataset.columns:
        field = {"name": column["name"], "type": column["type"],
                 "description": column["description"]}
        if column.get("unit"):
            field["unit"] = column["unit"]  # a custom property: Table Schema has none for units
        if column.get("allowed"):
            field["constraints"] = {"enum": column["allowed"]}
        fields.append(field)
    return {"fields": fields, "missingValues": MISSING}


def _resource(dataset: Dataset, at: Addresses) -> dict[str, Any]:
    """The dataset's CSV file, or an empty table when no data was loaded for it."""
    described = {"profile": "tabular-data-resource", "name": _name(dataset.id),
                 "title": dataset.title, "description": dataset.description,
                 "schema": table_schema(dataset)}
    csv = dataset.file("csv")
    if csv is None:
        return {**described, "data": []}
    return {**described, "path": at.file(dataset.id, "csv"), "format": "csv",
            "mediatype": MEDIA_TYPES["csv"], "encoding": "utf-8", "bytes": csv.bytes,
            "hash": f"sha256:{csv.sha256}", "dialect": {"delimiter": ",", "header": True}}


def _parties(catalogue: Catalogue) -> dict[str, Any]:
    return {"licenses": [{"name": catalogue.licence_id, "path": catalogue.licence_url,
                          "title": catalogue.licence_title}],
            "contributors": [{"title": catalogue.publisher, "role": "publisher"},
                             {"title": catalogue.contact_name, "email": catalogue.contact_email,
                              "role": "maintainer"}]}


def _name(text: str) -> str:
    """A package or resource name as the spec allows: lower case, digits, `-`, `_`, `.`."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")
