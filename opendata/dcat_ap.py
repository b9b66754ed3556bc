"""The catalogue as DCAT-AP 3 RDF, for European portals: `/catalog.ttl` and `/catalog.jsonld`.

One rdflib graph, a pure function of the catalogue read from one snapshot, that snapshot and the
site's addresses; Turtle and JSON-LD are two serialisations of it. Frequencies and file types
use the EU vocabularies DCAT-AP recommends, media types IANA's URIs, checksums SPDX.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from opendata.dcat import (
    IANA,
    SHA256,
    api_description,
    catalogue_description,
    catalogue_title,
)
from opendata.exports import MEDIA_TYPES
from opendata.metadata import FORMAT_NAMES, Addresses, Catalogue, Dataset
from warehouse.manifest import Snapshot

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
EU_FREQUENCIES = {"hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY",
                  "monthly": "MONTHLY", "quarterly": "QUARTERLY", "yearly": "ANNUAL"}
EU_FILE_TYPES = {"csv": "CSV", "json": "JSON", "parquet": "PARQUET", "xlsx": "XLSX"}
PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "spdx": SPDX,
            "skos": SKOS, "xsd": XSD}
JSONLD_CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def dcat_ap_graph(catalogue: Catalogue, snapshot: Snapshot, at: Addresses) -> Graph:
    """The DCAT-AP 3 catalogue: datasets, distributions (one a file, one the rows API) and
    the API as a data service."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    node = URIRef(at.catalogue_page)
    publisher, contact, licence = _parties(graph, catalogue)
    service = URIRef(at.api)
    _describe(graph, node, DCAT.Catalog, title=catalogue_title(catalogue),
              description=catalogue_description(catalogue, snapshot))
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((node, DCTERMS.license, licence))
    graph.add((node, FOAF.homepage, node))
    graph.add((node, DCTERMS.modified, Literal(snapshot.published_at, datatype=XSD.dateTime)))
    graph.add((node, DCAT.service, service))
    for dataset in catalogue.datasets:
        dataset_node = _dataset(graph, snapshot, dataset, at, (publisher, contact, licence))
        graph.add((node, DCAT.dataset, dataset_node))
        if dataset.made:
            graph.add((service, DCAT.servesDataset, dataset_node))
    _describe(graph, service, DCAT.DataService, title=f"{catalogue.publisher} open data API",
              description="Every public dataset's rows, filtered and paged, as JSON.")
    graph.add((service, DCAT.endpointURL, service))
    graph.add((service, DCAT.endpointDescription, URIRef(at.openapi)))
    for predicate, value in ((DCTERMS.publisher, publisher), (DCAT.contactPoint, contact),
                             (DCTERMS.license, licence)):
        graph.add((service, predicate, value))
    return graph


def _parties(graph: Graph, catalogue: Catalogue) -> tuple[BNode, BNode, URIRef]:
    """The publisher, the contact point and the licence every dataset shares."""
    publisher, contact, licence = BNode(), BNode(), URIRef(catalogue.licence_url)
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(catalogue.publisher)))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(catalogue.contact_name)))
    graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{catalogue.contact_email}")))
    graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
    graph.add((licence, DCTERMS.title, Literal(catalogue.licence_title)))
    graph.add((licence, DCTERMS.identifier, Literal(catalogue.licence_id)))
    return publisher, contact, licence


def _dataset(graph: Graph, snapshot: Snapshot, dataset: Dataset, at: Addresses,
             parties: tuple[BNode, BNode, URIRef]) -> URIRef:
    publisher, contact, licence = parties
    node = URIRef(at.dataset_page(dataset.id))
    _describe(graph, node, DCAT.Dataset, title=dataset.title, description=dataset.description)
    graph.add((node, DCTERMS.identifier, Literal(at.dataset_page(dataset.id))))
    graph.add((node, DCTERMS.modified, Literal(snapshot.published_at, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((node, DCAT.landingPage, node))
    graph.add((node, DCTERMS.accrualPeriodicity,
               URIRef(f"{EU}frequency/{EU_FREQUENCIES[dataset.frequency]}")))
    graph.add((node, DCTERMS.accessRights, URIRef(f"{EU}access-right/PUBLIC")))
    for keyword in dataset.keywords:
        graph.add((node, DCAT.keyword, Literal(keyword)))
    theme = URIRef(at.theme(dataset.theme))
    graph.add((node, DCAT.theme, theme))
    graph.add((theme, RDF.type, SKOS.Concept))
    graph.add((theme, SKOS.prefLabel, Literal(dataset.theme)))
    for file in dataset.made:
        url = URIRef(at.file(dataset.id, file.format))
        _describe(graph, url, DCAT.Distribution,
                  title=f"{dataset.title} ({FORMAT_NAMES[file.format]})")
        graph.add((node, DCAT.distribution, url))
        graph.add((url, DCAT.accessURL, url))
        graph.add((url, DCAT.downloadURL, url))
        graph.add((url, DCAT.mediaType, URIRef(IANA + MEDIA_TYPES[file.format])))
        graph.add((url, DCTERMS.format, URIRef(f"{EU}file-type/{EU_FILE_TYPES[file.format]}")))
        graph.add((url, DCAT.byteSize, Literal(file.bytes, datatype=XSD.nonNegativeInteger)))
        graph.add((url, DCTERMS.license, licence))
        graph.add((url, DCTERMS.conformsTo, URIRef(at.datapackage(dataset.id))))
        checksum = BNode()
        graph.add((url, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, URIRef(SHA256)))
        graph.add((checksum, SPDX.checksumValue, Literal(file.sha256, datatype=XSD.hexBinary)))
    if dataset.made:
        rows = URIRef(at.rows(dataset.id))
        _describe(graph, rows, DCAT.Distribution, title=f"{dataset.title} (API)",
                  description=api_description(dataset))
        graph.add((node, DCAT.distribution, rows))
        graph.add((rows, DCAT.accessURL, rows))
        graph.add((rows, DCAT.accessService, URIRef(at.api)))
        graph.add((rows, DCAT.mediaType, URIRef(IANA + "application/json")))
        graph.add((rows, DCTERMS.license, licence))
    return node


def _describe(graph: Graph, node: URIRef, kind: URIRef, title: str,
              description: str | None = None) -> None:
    graph.add((node, RDF.type, kind))
    graph.add((node, DCTERMS.title, Literal(title)))
    if description:
        graph.add((node, DCTERMS.description, Literal(description)))
