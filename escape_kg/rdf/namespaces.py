"""The one prefix map of escape-kg, shared by mapping, serialisation and queries."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

__all__ = [
    "DCAT",
    "DCTERMS",
    "EKG",
    "FABIO",
    "FRAPO",
    "OA",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SKOS",
    "XSD",
    "sparql_prologue",
]

ONTOLOGY_IRI = "https://w3id.org/escape-kg/ontology"
EKG = Namespace(ONTOLOGY_IRI + "#")
# schema.org's own RDF uses http://, and so do most consumers (Google, DCAT-AP).
SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
OA = Namespace("http://www.w3.org/ns/oa#")
FABIO = Namespace("http://purl.org/spar/fabio/")
FRAPO = Namespace("http://purl.org/cerif/frapo/")

PREFIXES: dict[str, str] = {
    "ekg": str(EKG),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "oa": str(OA),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "skos": str(SKOS),
    "fabio": str(FABIO),
    "frapo": str(FRAPO),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}


def sparql_prologue() -> str:
    """``PREFIX`` lines for every prefix in ``PREFIXES``, for user queries."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
