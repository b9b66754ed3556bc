"""The catalogue as DCAT-US JSON, the two versions US portals harvest during the transition:
1.1 (Project Open Data, `/data.json`) and 3.0 (`/dcat-us/3.0/data.json`).

Pure functions of the catalogue read from one snapshot, that snapshot (its id and publish time)
and the site's addresses. Each dataset's identifier is its page, the same in every snapshot;
its files and its rows API are its distributions, and its data dictionary is its Frictionless
data package.
"""

from __future__ import annotations

from typing import Any

from opendata.catalogue import FREQUENCIES
from opendata.exports import MEDIA_TYPES, ExportFile
from opendata.metadata import FORMAT_NAMES, Addresses, Catalogue, Dataset
from warehouse.manifest import Snapshot

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_CATALOG_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
DCAT_US_3 = "https://resources.data.gov/dcat-us/3.0.0"  # as data.gov names the version
IANA = "http://www.iana.org/assignments/media-types/"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
DATA_PACKAGE = "https://specs.frictionlessdata.io/data-package/"
OPENAPI_TYPE = "application/vnd.oai.openapi+json"
DICTIONARY_TYPE = "application/json"


def catalogue_title(catalogue: Catalogue) -> str:
    return f"{catalogue.publisher} open data"


def catalogue_description(catalogue: Catalogue, snapshot: Snapshot) -> str:
    return (f"Every dataset {catalogue.publisher} publishes, with its data dictionary, "
            f"downloads and API (data version {snapshot.id}).")


def api_description(dataset: Dataset) -> str:
    return (f'The rows of "{dataset.title}" as JSON, filtered, ordered and paged '
            "(Socrata SODA-style select, where, order, limit, offset).")


def pod_catalog(catalogue: Catalogue, snapshot: Snapshot, at: Addresses) -> dict[str, Any]:
    """DCAT-US 1.1 (Project Open Data) `data.json`."""
    return {"@context": POD_CONTEXT, "@id": at.pinned("/data.json"), "@type": "dcat:Catalog",
            "conformsTo": POD_SCHEMA, "describedBy": POD_CATALOG_SCHEMA,
            "dataset": [_pod_dataset(catalogue, snapshot, d, at) for d in catalogue.datasets]}


def _pod_dataset(catalogue: Catalogue, snapshot: Snapshot, dataset: Dataset,
                 at: Addresses) -> dict[str, Any]:
    distributions = [{
        "@type": "dcat:Distribution", "title": f"{dataset.title} ({FORMAT_NAMES[f.format]})",
        "format": FORMAT_NAMES[f.format], "mediaType": MEDIA_TYPES[f.format],
        "downloadURL": at.file(dataset.id, f.format),
        "describedBy": at.datapackage(dataset.id), "describedByType": DICTIONARY_TYPE,
    } for f in dataset.made]
    if dataset.made:  # with no data there are no rows to ask for either
        distributions.append({
            "@type": "dcat:Distribution", "title": f"{dataset.title} (API)",
            "description": api_description(dataset), "format": "API",
            "mediaType": "application/json", "accessURL": at.rows(dataset.id),
            "describedBy": at.openapi, "describedByType": OPENAPI_TYPE})
    return {
        "@type": "dcat:Dataset", "identifier": at.dataset_page(dataset.id),
        "title": dataset.title, "description": dataset.description,
        "keyword": list(dataset.keywords), "theme": [dataset.theme],
        "modified": snapshot.published_at,
        "publisher": {"@type": "org:Organization", "name": catalogue.publisher},
        "contactPoint": {"@type": "vcard:Contact", "fn": catalogue.contact_name,
                         "hasEmail": f"mailto:{catalogue.contact_email}"},
        "accessLevel": "public", "license": catalogue.licence_url,
        "accrualPeriodicity": FREQUENCIES[dataset.frequency],
        "landingPage": at.dataset_page(dataset.id),
        "describedBy": at.datapackage(dataset.id), "describedByType": DICTIONARY_TYPE,
        "distribution": distributions,
    }


def dcat_us3_catalog(catalogue: Catalogue, snapshot: Snapshot, at: Addresses) -> dict[str, Any]:
    """DCAT-US 3.0 JSON, with the API as a data service serving every dataset."""
    contact = _kind(catalogue)
    return {
        "@id": at.pinned("/dcat-us/3.0/data.json"), "@type": "Catalog",
        "conformsTo": DCAT_US_3, "title": catalogue_title(catalogue),
        "description": catalogue_description(catalogue, snapshot),
        "publisher": {"@type": "Agent", "name": catalogue.publisher},
        "contactPoint": [contact], "homepage": at.catalogue_page,
        "license": catalogue.licence_url, "modified": snapshot.published_at,
        "dataset": [_dcat_us3_dataset(catalogue, snapshot, d, at) for d in catalogue.datasets],
        "service": [{
            "@id": at.api, "@type": "DataService",
            "title": f"{catalogue.publisher} open data API",
            "description": "Every public dataset's rows, filtered and paged, as JSON.",
            "endpointURL": [at.api], "endpointDescription": [at.openapi],
            "servesDataset": [at.dataset_page(d.id) for d in catalogue.datasets if d.made],
            "publisher": {"@type": "Agent", "name": catalogue.publisher},
            "contactPoint": [contact], "license": catalogue.licence_url}],
    }


def _dcat_us3_dataset(catalogue: Catalogue, snapshot: Snapshot, dataset: Dataset,
                      at: Addresses) -> dict[str, Any]:
    distributions = [_dcat_us3_file(catalogue, dataset, f, at) for f in dataset.made]
    if dataset.made:
        distributions.append({
            "@id": at.rows(dataset.id), "@type": "Distribution",
            "title": f"{dataset.title} (API)", "description": api_description(dataset),
            "accessURL": at.rows(dataset.id), "accessService": [at.api],
            "mediaType": IANA + "application/json", "license": catalogue.licence_url})
    return {
        "@id": at.dataset_page(dataset.id), "@type": "Dataset",
        "identifier": [at.dataset_page(dataset.id)],
        "title": dataset.title, "description": dataset.description,
        # An array, as DCAT-US 3.0 means it (GSA/dcat-us#27); the vendored schema says string.
        "keyword": list(dataset.keywords), "theme": [at.theme(dataset.theme)],
        "modified": snapshot.published_at,
        "publisher": {"@type": "Organization", "name": catalogue.publisher,
                      "prefLabel": catalogue.publisher},
        "contactPoint": [_kind(catalogue)],
        "accrualPeriodicity": FREQUENCIES[dataset.frequency],
        "landingPage": at.dataset_page(dataset.id),
        "describedBy": {
            "@id": at.datapackage(dataset.id), "@type": "Distribution",
            "title": f'Data dictionary of "{dataset.title}" (Frictionless data package)',
            "downloadURL": at.datapackage(dataset.id),
            "mediaType": IANA + DICTIONARY_TYPE, "conformsTo": [DATA_PACKAGE]},
        "distribution": distributions,
    }


def _dcat_us3_file(catalogue: Catalogue, dataset: Dataset, file: ExportFile,
                   at: Addresses) -> dict[str, Any]:
    return {
        "@id": at.file(dataset.id, file.format), "@type": "Distribution",
        "title": f"{dataset.title} ({FORMAT_NAMES[file.format]})",
        "downloadURL": at.file(dataset.id, file.format),
        "mediaType": IANA + MEDIA_TYPES[file.format],
        "format": {"@type": "MediaType", "label": FORMAT_NAMES[file.format]},
        "byteSize": str(file.bytes),
        "checksum": {"@type": "Checksum", "algorithm": SHA256, "checksumValue": file.sha256},
        "describedBy": at.datapackage(dataset.id), "license": catalogue.licence_url,
    }


def _kind(catalogue: Catalogue) -> dict[str, str]:
    return {"@type": "Kind", "fn": catalogue.contact_name,
            "hasEmail": f"mailto:{catalogue.contact_email}"}
