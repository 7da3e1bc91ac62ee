"""The SPARQL 1.1 Service Description of the endpoint.

See https://www.w3.org/TR/sparql11-service-description/.
"""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, Namespace, URIRef

from escape_kg.store import GRAPH_FORMATS, RESULT_FORMATS

__all__ = ["service_description"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
# W3C's IRIs for the formats results can be written in (https://www.w3.org/ns/formats/).
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}


def service_description(graphs: list[str], endpoint_url: str, *, updates: bool = False) -> Graph:
    """The SPARQL 1.1 Service Description of an endpoint serving the named graphs
    ``graphs`` (IRIs).

    It names the endpoint, the query language, every result format, the union
    default graph, and each named graph. Sizes are left to VoID
    (/.well-known/void): counting each graph means reading every quad, and clients
    ask for this description on first contact (a GET without a query).
    """
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    service = URIRef(endpoint_url)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if updates:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for fmt in [*RESULT_FORMATS, *GRAPH_FORMATS]:
        g.add((service, SD.resultFormat, FORMATS[FORMAT_IRIS[fmt]]))
    dataset, default = BNode(), BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    for iri in graphs:
        named, graph = BNode(), BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(iri)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
    return g
