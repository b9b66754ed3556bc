"""The machine-readable catalogues, each built from the snapshot it describes:

- `/data.json`: DCAT-US 1.1 (Project Open Data);
- `/dcat-us/3.0/data.json`: DCAT-US 3.0;
- `/catalog.ttl` and `/catalog.jsonld`: DCAT-AP 3 (Turtle, JSON-LD);
- `/datapackage.json` and `/api/v1/datasets/<id>/datapackage.json`: Frictionless data packages.

`?snapshot=<id>` describes a kept earlier snapshot (its files' sizes and checksums, its
addresses pinned to it), and such an answer may be cached for a year. Before any publish they
answer 503, for an unknown snapshot or dataset 404, each with a JSON error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
from flask import Blueprint, Response, current_app, request

from opendata.api import PREFIX, NotFound, answer
from opendata.datapackage import catalogue_package, dataset_package
from opendata.dcat import dcat_us3_catalog, pod_catalog
from opendata.dcat_ap import JSONLD_CONTEXT, dcat_ap_graph
from opendata.files_route import no_dataset
from opendata.metadata import Addresses, Catalogue, read_catalogue
from warehouse.manifest import Snapshot
from warehouse.reader import WarehouseReader

JSON = "application/json"
Build = Callable[[Catalogue, Snapshot, Addresses], Any]


def metadata_routes(reader: WarehouseReader) -> Blueprint:
    """The blueprint serving the catalogue's metadata documents from reader's snapshots."""
    routes = Blueprint("catalogue_metadata", __name__)

    @routes.get("/data.json")
    def dcat_us_1_1() -> Response:
        return _serve(reader, pod_catalog, JSON)

    @routes.get("/dcat-us/3.0/data.json")
    def dcat_us_3_0() -> Response:
        return _serve(reader, dcat_us3_catalog, JSON)

    @routes.get("/catalog.ttl")
    def dcat_ap_turtle() -> Response:
        return _serve(reader, lambda catalogue, snapshot, at: dcat_ap_graph(
            catalogue, snapshot, at).serialize(format="turtle"), "text/turtle")

    @routes.get("/catalog.jsonld")
    def dcat_ap_jsonld() -> Response:
        return _serve(reader, lambda catalogue, snapshot, at: dcat_ap_graph(
            catalogue, snapshot, at).serialize(format="json-ld", context=JSONLD_CONTEXT),
            "application/ld+json")

    @routes.get("/datapackage.json")
    def whole_package() -> Response:
        return _serve(reader, catalogue_package, JSON)

    @routes.get(f"{PREFIX}/datasets/<dataset_id>/datapackage.json")
    def one_package(dataset_id: str) -> Response:
        return _serve(reader, lambda catalogue, snapshot, at: dataset_package(
            catalogue, snapshot, catalogue.datasets[0], at), JSON, dataset_id)

    return routes


def _serve(reader: WarehouseReader, build: Build, media_type: str,
           dataset_id: str | None = None) -> Response:
    """build(catalogue, snapshot, addresses) of the asked-for snapshot, as media_type."""
    def make(snapshot: Snapshot, cursor: duckdb.DuckDBPyConnection) -> Catalogue:
        found = read_catalogue(cursor, dataset_id)
        if found is None:
            raise NotFound(no_dataset(dataset_id, snapshot.id) if dataset_id
                           else f"snapshot {snapshot.id} publishes no datasets")
        return found

    def respond(snapshot: Snapshot, catalogue: Catalogue) -> Response:
        at = Addresses(request.host_url.rstrip("/"), request.args.get("snapshot") or None)
        body = build(catalogue, snapshot, at)
        text = body if isinstance(body, str) else current_app.json.dumps(body)
        return Response(text, mimetype=media_type)

    return answer(reader, make, respond)
