"""The machine-readable catalogues over real ETL runs of the small sample city and a real
`python app.py`: DCAT-US 1.1 and 3.0 checked against their official JSON Schemas (vendored in
tests/fixtures/schemas, no network), DCAT-AP 3 parsed as Turtle and as JSON-LD, the Frictionless
data packages validated (and the permits CSV validated against the schema generated for it);
nothing internal or private in any of them; an earlier snapshot described as it was; refusals."""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import frictionless
import jsonschema
import pytest
import requests
import yaml
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from config.settings import load_settings
from opendata.catalogue import load_datasets
from opendata.exports import MEDIA_TYPES
from tests.helpers import ServerProcess, Workspace, free_port, write_sources

SCHEMAS = Path(__file__).parent / "fixtures" / "schemas"
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's closed one warns as pytest scans it
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
IANA = "http://www.iana.org/assignments/media-types/"
CATALOGUES = ["/data.json", "/dcat-us/3.0/data.json", "/catalog.ttl", "/catalog.jsonld",
              "/datapackage.json", "/api/v1/datasets/permits/datapackage.json"]
EARLY_PERMITS = 1_000  # rows of permits in the first snapshot
UNLOADED = {"id": "street_trees", "title": "Street trees", "theme": "environment",
            "description": "Every tree the city looks after.", "keywords": ["trees"],
            "frequency": "monthly", "table": "street_trees",  # a table no source loads
            "columns": [{"name": "species", "type": "string", "description": "Its species."}]}


def _offline(uri: str) -> Resource:
    raise LookupError(f"{uri} is not vendored in {SCHEMAS}: the tests use no network")


def pod_validator() -> jsonschema.Draft4Validator:
    """The official DCAT-US 1.1 schema as data.gov applies it to a city: bureauCode and
    programCode (OMB's codes for federal agencies) not required, as in its non-federal-v1.1
    schema (GSA/ckanext-datajson); every other rule as published."""
    docs = {path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in (SCHEMAS / "dcat-us-1.1").glob("*.json")}
    docs["dataset.json"]["required"] = [
        key for key in docs["dataset.json"]["required"] if key not in ("bureauCode", "programCode")]
    registry = Registry(retrieve=_offline).with_resources(
        (doc["id"].rstrip("#"), Resource(doc, DRAFT4)) for doc in docs.values())
    return jsonschema.Draft4Validator(docs["catalog.json"], registry=registry,
                                      format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def dcat_us3_validator() -> jsonschema.Draft7Validator:
    """The official DCAT-US 3.0 schema, with a dataset's keyword a list of words: the vendored
    version types it as one string, a bug upstream fixed (GSA/dcat-us#27, #49) with exactly
    this definition."""
    schema = json.loads((SCHEMAS / "dcat-us-3.0" / "dcat-us3.0-expanded-schema.json")
                        .read_text(encoding="utf-8"))
    schema["$defs"]["Dataset"]["properties"]["keyword"] = {
        "type": ["null", "array"], "items": {"type": "string", "minLength": 1}}
    return jsonschema.Draft7Validator(schema, registry=Registry(retrieve=_offline),
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
           ) -> Iterator[tuple[Workspace, ServerProcess, str]]:
    """Two snapshots, the first with only the first permits (its id returned too), and
    `python app.py` serving the second; the catalogue also lists a dataset with no data."""
    root = tmp_path_factory.mktemp("metadata")
    sources = write_sources(root / "config", small_sample)
    datasets = root / "config" / "datasets.yaml"
    config = yaml.safe_load(datasets.read_text(encoding="utf-8"))
    datasets.write_text(yaml.safe_dump({**config, "datasets": [*config["datasets"], UNLOADED]}),
                        encoding="utf-8")
    whole = sources.read_text(encoding="utf-8")
    early = root / "permits_early.csv"
    with (small_sample / "permits.csv").open(encoding="utf-8") as handle:
        early.write_text("".join(line for _, line in zip(range(EARLY_PERMITS + 1), handle,
                                                         strict=False)), encoding="utf-8")
    sources.write_text(whole.replace(f"{small_sample}/permits.csv", str(early)),
                       encoding="utf-8")
    workspace = Workspace(root=root, sample_dir=small_sample)
    workspace.etl("run")
    first = _manifest(workspace)["current"]
    sources.write_text(whole, encoding="utf-8")
    workspace.etl("run")
    server = ServerProcess([sys.executable, "app.py"], workspace.env, free_port())
    yield workspace, server, first
    server.stop()


def _manifest(workspace: Workspace) -> dict:
    return json.loads(workspace.manifest_text())


def snapshot(workspace: Workspace, snapshot_id: str | None = None) -> dict:
    """A kept snapshot's manifest entry (the current one by default)."""
    manifest = _manifest(workspace)
    wanted = snapshot_id or manifest["current"]
    return next(s for s in manifest["snapshots"] if s["id"] == wanted)


def read(workspace: Workspace, sql: str, snapshot_id: str | None = None) -> list[tuple]:
    """Rows straight from a snapshot file, read-only."""
    path = workspace.root / "data" / "warehouse" / snapshot(workspace, snapshot_id)["file"]
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def public_titles(workspace: Workspace, snapshot_id: str | None = None) -> dict[str, str]:
    return dict(read(workspace, "SELECT dataset_id, title FROM opendata.datasets "
                                "WHERE audience = 'public' ORDER BY position", snapshot_id))


def made_files(workspace: Workspace, snapshot_id: str | None = None
               ) -> dict[tuple[str, str], tuple[int, str]]:
    """(dataset, format) -> (bytes, sha256) of every public file made at publish."""
    return {(d, f): (size, digest) for d, f, size, digest in read(
        workspace, "SELECT f.dataset_id, f.format, f.bytes, f.sha256 FROM opendata.files AS f "
                   "JOIN opendata.datasets AS d USING (dataset_id) "
                   "WHERE d.audience = 'public' AND f.file_name IS NOT NULL", snapshot_id)}


def licence_url(workspace: Workspace) -> str:
    return read(workspace, "SELECT DISTINCT licence_url FROM opendata.datasets")[0][0]


def get_json(server: ServerProcess, path: str) -> dict:
    answer = server.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    return answer.json()


def test_data_json_is_valid_dcat_us_1_1_with_every_public_file(served):
    workspace, server, _ = served
    catalog = get_json(server, "/data.json")
    validator = pod_validator()
    assert list(validator.iter_errors(catalog)) == []
    assert catalog["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert catalog["@type"] == "dcat:Catalog" and catalog["@context"] and catalog["describedBy"]
    broken = copy.deepcopy(catalog)
    broken["dataset"][0]["contactPoint"]["hasEmail"] = "opendata at the city"
    assert not validator.is_valid(broken)  # the schema does check what it should

    titles, files = public_titles(workspace), made_files(workspace)
    by_id = {d["identifier"]: d for d in catalog["dataset"]}
    assert list(by_id) == [f"{server.url}/data/{i}" for i in titles]
    for dataset_id in {i for i, _ in files}:
        dataset = by_id[f"{server.url}/data/{dataset_id}"]
        assert dataset["title"] == titles[dataset_id]
        assert dataset["modified"] == snapshot(workspace)["published_at"]
        assert dataset["accessLevel"] == "public" and dataset["license"] == licence_url(workspace)
        assert dataset["contactPoint"]["hasEmail"].startswith("mailto:")
        assert dataset["describedBy"] == \
            f"{server.url}/api/v1/datasets/{dataset_id}/datapackage.json"
        downloads = {d["downloadURL"]: d["mediaType"] for d in dataset["distribution"]
                     if "downloadURL" in d}
        assert downloads == {f"{server.url}/api/v1/datasets/{i}.{f}": MEDIA_TYPES[f]
                             for i, f in files if i == dataset_id}
        (api,) = [d for d in dataset["distribution"] if "accessURL" in d]
        assert api["accessURL"] == f"{server.url}/api/v1/datasets/{dataset_id}/rows"
        assert api["mediaType"] == "application/json"
    permits = by_id[f"{server.url}/data/permits"]
    assert server.get(permits["describedBy"].removeprefix(server.url)).status_code == 200
    rows = requests.get(next(d["accessURL"] for d in permits["distribution"]
                             if "accessURL" in d), params={"limit": 1}, timeout=30)
    assert rows.status_code == 200 and len(rows.json()["rows"]) == 1


def test_dcat_us_3_is_valid_with_sizes_checksums_dictionary_and_the_api(served):
    workspace, server, _ = served
    catalog = get_json(server, "/dcat-us/3.0/data.json")
    validator = dcat_us3_validator()
    assert list(validator.iter_errors(catalog)) == []
    broken = copy.deepcopy(catalog)
    del broken["dataset"][0]["distribution"][0]["checksum"]["algorithm"]
    assert not validator.is_valid(broken)

    files, titles = made_files(workspace), public_titles(workspace)
    datasets = {d["@id"]: d for d in catalog["dataset"]}
    assert list(datasets) == [f"{server.url}/data/{i}" for i in titles]
    for (dataset_id, fmt), (size, digest) in files.items():
        url = f"{server.url}/api/v1/datasets/{dataset_id}.{fmt}"
        dataset = datasets[f"{server.url}/data/{dataset_id}"]
        (file,) = [d for d in dataset["distribution"] if d.get("downloadURL") == url]
        assert file["byteSize"] == str(size)
        assert file["checksum"] == {"@type": "Checksum", "checksumValue": digest,
                                    "algorithm": str(SPDX.checksumAlgorithm_sha256)}
        assert file["mediaType"] == IANA + MEDIA_TYPES[fmt]
    (service,) = catalog["service"]
    assert service["endpointURL"] == [f"{server.url}/api/v1/"]
    assert service["endpointDescription"] == [f"{server.url}/api/v1/openapi.json"]
    served_ids = [f"{server.url}/data/{i}" for i in titles if (i, "csv") in files]
    assert service["servesDataset"] == served_ids
    for dataset in (datasets[i] for i in served_ids):
        (api,) = [d for d in dataset["distribution"] if "accessURL" in d]
        assert api["accessService"] == [service["@id"]]
        dictionary = dataset["describedBy"]["downloadURL"]
        package = get_json(server, dictionary.removeprefix(server.url))
        assert package["resources"][0]["schema"]["fields"]


def test_dcat_ap_turtle_and_json_ld_are_one_graph_with_every_public_file(served):
    workspace, server, _ = served
    turtle, jsonld = server.get("/catalog.ttl"), server.get("/catalog.jsonld")
    assert turtle.status_code == jsonld.status_code == 200
    assert turtle.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert jsonld.headers["Content-Type"] == "application/ld+json"
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert isomorphic(graph, Graph().parse(data=jsonld.text, format="json-ld"))

    (catalog,) = graph.subjects(RDF.type, DCAT.Catalog)
    titles = public_titles(workspace)
    datasets = {URIRef(f"{server.url}/data/{i}"): title for i, title in titles.items()}
    assert set(graph.objects(catalog, DCAT.dataset)) == set(datasets)
    licence = URIRef(licence_url(workspace))
    for node, title in datasets.items():
        assert (node, RDF.type, DCAT.Dataset) in graph
        assert str(graph.value(node, DCTERMS.title)) == title
        contact = graph.value(node, DCAT.contactPoint)
        assert str(graph.value(contact, VCARD.hasEmail)).startswith("mailto:")
        publisher = graph.value(node, DCTERMS.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in graph and graph.value(publisher, FOAF.name)
    for (dataset_id, fmt), (size, digest) in made_files(workspace).items():
        url = URIRef(f"{server.url}/api/v1/datasets/{dataset_id}.{fmt}")
        distribution = graph.value(predicate=DCAT.downloadURL, object=url)
        assert (URIRef(f"{server.url}/data/{dataset_id}"), DCAT.distribution,
                distribution) in graph
        assert graph.value(distribution, DCAT.byteSize).toPython() == size
        checksum = graph.value(distribution, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(graph.value(checksum, SPDX.checksumValue)).lower() == digest
        assert graph.value(distribution, DCAT.mediaType) == URIRef(IANA + MEDIA_TYPES[fmt])
        assert graph.value(distribution, DCTERMS.license) == licence
    (service,) = graph.subjects(RDF.type, DCAT.DataService)
    assert graph.value(service, DCAT.endpointURL) == URIRef(f"{server.url}/api/v1/")
    assert set(graph.objects(service, DCAT.servesDataset)) == \
        {URIRef(f"{server.url}/data/{i}") for i, _ in made_files(workspace)}


def test_data_packages_are_valid_and_the_permits_csv_passes_its_own_schema(served):
    workspace, server, _ = served
    files = made_files(workspace)
    whole = get_json(server, "/datapackage.json")
    assert frictionless.Package.validate_descriptor(whole).valid
    assert [r["name"] for r in whole["resources"]] == list(public_titles(workspace))
    assert {r["name"]: (r["path"], r["bytes"], r["hash"]) for r in whole["resources"]
            if "path" in r} == {i: (f"{server.url}/api/v1/datasets/{i}.csv", size,
                                    f"sha256:{digest}")
                                for (i, f), (size, digest) in files.items() if f == "csv"}
    config = load_datasets(workspace.root / "config" / "datasets.yaml")
    for resource in whole["resources"]:
        described = config.find(resource["name"])
        fields = resource["schema"]["fields"]
        assert [(f["name"], f["type"]) for f in fields] == \
            [(c.name, c.type) for c in described.published]
        assert {f["name"]: f["constraints"]["enum"] for f in fields if "constraints" in f} == \
            {c.name: list(c.allowed) for c in described.published if c.allowed}
        assert {f["name"]: f["unit"] for f in fields if "unit" in f} == \
            {c.name: c.unit for c in described.published if c.unit}
    suppressed = next(f for r in whole["resources"] if r["name"] == "requests_by_district_type"
                      for f in r["schema"]["fields"] if f["name"] == "requests")
    assert "withheld" in suppressed["description"]

    package = get_json(server, "/api/v1/datasets/permits/datapackage.json")
    assert frictionless.Package.validate_descriptor(package).valid
    assert package["licenses"][0]["path"] == licence_url(workspace)
    (resource,) = package["resources"]
    assert resource == next(r for r in whole["resources"] if r["name"] == "permits")
    report = frictionless.validate(frictionless.Resource(resource))  # fetches the CSV
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])[:5]
    assert report.tasks[0].stats["rows"] == \
        read(workspace, "SELECT count(*) FROM opendata.permits")[0][0]


def test_nothing_internal_or_private_is_in_any_catalogue(served):
    workspace, server, _ = served
    config = load_datasets(workspace.root / "config" / "datasets.yaml")
    hidden = [text for d in config.datasets if d.audience == "internal"
              for text in (d.id, d.title, d.description)]
    hidden += [c.description for d in config.datasets for c in d.columns if c.private]
    assert hidden  # the sample has an internal dataset and private columns
    paths = CATALOGUES + [f"/api/v1/datasets/{i}/datapackage.json"
                          for i in public_titles(workspace)]
    for path in paths:
        text = server.get(path).text
        assert not [t for t in hidden if t in text], path
    requests_package = get_json(server, "/api/v1/datasets/service_requests/datapackage.json")
    names = {f["name"] for f in requests_package["resources"][0]["schema"]["fields"]}
    private = {c.name for c in config.find("service_requests").columns if c.private}
    assert private and not names & private


def test_an_earlier_snapshot_is_described_as_it_was(served):
    workspace, server, first = served
    then, now = made_files(workspace, first), made_files(workspace)
    assert then[("permits", "csv")] != now[("permits", "csv")]  # the runs differ
    pinned = f"?snapshot={first}"
    catalog = get_json(server, "/data.json" + pinned)
    published = snapshot(workspace, first)["published_at"]
    assert published != snapshot(workspace)["published_at"]
    assert {d["modified"] for d in catalog["dataset"]} == {published}
    urls = [d.get("downloadURL") or d["accessURL"] for dataset in catalog["dataset"]
            for d in dataset["distribution"]]
    assert urls and all(url.endswith(pinned) for url in urls)

    us3 = get_json(server, "/dcat-us/3.0/data.json" + pinned)
    assert dcat_us3_validator().is_valid(us3)
    sums = {(d["downloadURL"], d["checksum"]["checksumValue"]) for dataset in us3["dataset"]
            for d in dataset["distribution"] if "checksum" in d}
    assert sums == {(f"{server.url}/api/v1/datasets/{i}.{f}{pinned}", digest)
                    for (i, f), (_, digest) in then.items()}
    package = get_json(server, "/api/v1/datasets/permits/datapackage.json" + pinned)
    (resource,) = package["resources"]
    size, digest = then[("permits", "csv")]
    assert (resource["bytes"], resource["hash"]) == (size, f"sha256:{digest}")
    old = requests.get(resource["path"], timeout=30)  # the pinned address gives those bytes
    assert hashlib.sha256(old.content).hexdigest() == digest
    assert len(old.content.splitlines()) - 1 == \
        read(workspace, "SELECT count(*) FROM opendata.permits", first)[0][0] < EARLY_PERMITS + 1

    turtle = server.get("/catalog.ttl" + pinned)
    graph = Graph().parse(data=turtle.text, format="turtle")
    values = {str(v).lower() for v in graph.objects(None, SPDX.checksumValue)}
    assert values == {digest for _, digest in then.values()}
    for path in CATALOGUES:
        answer = server.get(path + pinned)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "public, max-age=31536000"
    assert server.get("/data.json").headers["Cache-Control"] == "no-cache"


def test_a_dataset_no_source_loads_is_listed_with_its_dictionary_and_nothing_to_fetch(served):
    _, server, _ = served
    page = f"{server.url}/data/{UNLOADED['id']}"
    pod = get_json(server, "/data.json")
    assert next(d for d in pod["dataset"] if d["identifier"] == page)["distribution"] == []
    us3 = get_json(server, "/dcat-us/3.0/data.json")
    dataset = next(d for d in us3["dataset"] if d["@id"] == page)
    assert dataset["distribution"] == []
    assert page not in us3["service"][0]["servesDataset"]
    package = get_json(server, dataset["describedBy"]["downloadURL"].removeprefix(server.url))
    assert frictionless.Package.validate_descriptor(package).valid
    (resource,) = package["resources"]
    assert resource["data"] == [] and "path" not in resource
    assert [f["name"] for f in resource["schema"]["fields"]] == \
        [c["name"] for c in UNLOADED["columns"]]
    graph = Graph().parse(data=server.get("/catalog.ttl").text, format="turtle")
    assert (URIRef(page), RDF.type, DCAT.Dataset) in graph
    assert list(graph.objects(URIRef(page), DCAT.distribution)) == []


@pytest.mark.parametrize("path", CATALOGUES)
def test_an_unknown_snapshot_answers_404_json(served, path):
    _, server, _ = served
    answer = server.get(f"{path}?snapshot=20000101T000000000Z")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert "snapshot '20000101T000000000Z' is not kept" in answer.json()["error"]


@pytest.mark.parametrize("dataset_id", ["quarantine_summary", "nothing"])
def test_no_package_for_an_internal_or_unknown_dataset(served, dataset_id):
    _, server, _ = served
    answer = server.get(f"/api/v1/datasets/{dataset_id}/datapackage.json")
    assert answer.status_code == 404
    assert f"no public dataset '{dataset_id}'" in answer.json()["error"]


def test_before_any_publish_every_catalogue_answers_503(tmp_path):
    from app import create_app

    client = create_app(load_settings({"DASHBOARD_DATA_DIR": str(tmp_path)})).test_client()
    for path in CATALOGUES:
        answer = client.get(path)
        assert answer.status_code == 503, path
        assert answer.get_json()["error"] == "no data has been published yet"
