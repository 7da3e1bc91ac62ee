"""The RDF registry documents: a DCAT-AP 3 catalogue and a VoID description."""

from __future__ import annotations

import datetime as dt

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from escape_kg.config import Settings
from escape_kg.rdf.namespaces import EKG
from escape_kg.registry.base import DUMPS, DatasetStatistics, RegistryURLs

__all__ = ["dcat_catalog", "void_description"]

VOID = Namespace("http://rdfs.org/ns/void#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# EU Publications Office authority tables and IANA media types (DCAT-AP 3 asks for these IRIs).
EU = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = URIRef(EU + "data-theme")
THEME = URIRef(EU + "data-theme/TECH")
LANGUAGE = URIRef(EU + "language/ENG")
PUBLIC = URIRef(EU + "access-right/PUBLIC")
STABLE = URIRef(EU + "planned-availability/STABLE")
ACADEMIA = URIRef("http://purl.org/adms/publishertype/Academia-ScientificOrganisation")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
IANA = "https://www.iana.org/assignments/media-types/"
# Licence IRI -> (name, ADMS licence type); other licences get no type.
LICENCES: dict[str, tuple[str, str]] = {
    "https://creativecommons.org/licenses/by/4.0/": (
        "Creative Commons Attribution 4.0 International",
        "http://purl.org/adms/licencetype/Attribution",
    ),
    "https://creativecommons.org/publicdomain/zero/1.0/": (
        "Creative Commons Zero v1.0 Universal",
        "http://purl.org/adms/licencetype/PublicDomain",
    ),
}


def _licence(g: Graph, settings: Settings) -> URIRef:
    iri = URIRef(settings.license)
    g.add((iri, RDF.type, DCTERMS.LicenseDocument))
    known = LICENCES.get(settings.license)
    if known is not None:
        g.add((iri, DCTERMS.type, _concept(g, URIRef(known[1]), known[1].rsplit("/", 1)[1])))
    return iri


def _in_scheme(g: Graph, iri: URIRef) -> URIRef:
    """State the code list an authority IRI belongs to (what DCAT-AP's vocabulary shapes
    check; the published code lists say the same)."""
    table, _, _ = str(iri).rpartition("/")
    scheme = table + "/1.0" if table.startswith("http://purl.org/adms/") else table
    g.add((iri, SKOS.inScheme, URIRef(scheme)))
    if scheme.endswith("/1.0"):  # the ADMS code lists: DCAT-AP checks they are schemes
        g.add((URIRef(scheme), RDF.type, SKOS.ConceptScheme))
        g.add((URIRef(scheme), DCTERMS.title, Literal(table.rsplit("/", 1)[1], lang="en")))
    return iri


def _concept(g: Graph, iri: URIRef, label: str) -> URIRef:
    _in_scheme(g, iri)
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    return iri


def _when(value: dt.date | dt.datetime) -> Literal:
    datatype = XSD.dateTime if isinstance(value, dt.datetime) else XSD.date
    return Literal(value.isoformat(), datatype=datatype)


def _document(g: Graph, iri: str) -> URIRef:
    node = URIRef(iri)
    g.add((node, RDF.type, FOAF.Document))
    return node


def dcat_catalog(stats: DatasetStatistics, settings: Settings, urls: RegistryURLs) -> Graph:
    """A DCAT-AP 3 catalogue: the catalogue, the dataset, its distributions (each dump,
    the SPARQL endpoint) and the endpoint as a data service.

    Objects are typed (dct:LicenseDocument, foaf:Document, skos:Concept...) so the
    description can be checked offline against DCAT-AP's class-range shapes.
    """
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD)):
        g.bind(prefix, ns)
    g.bind("dcatap", DCATAP)
    here = urls.catalog + "#"
    catalog, dataset, service = (
        URIRef(here + "catalog"),
        URIRef(urls.dataset),
        URIRef(here + "sparql"),
    )
    publisher, contact = URIRef(here + "publisher"), URIRef(here + "contact")
    licence = _licence(g, settings)
    landing = _document(g, urls.landing)
    theme = _concept(g, THEME, "Science and technology")
    keywords = [Literal(k, lang="en") for k in settings.keywords]
    title, description = (
        Literal(settings.title, lang="en"),
        Literal(settings.description, lang="en"),
    )

    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(settings.publisher_name)))
    g.add((publisher, DCTERMS.type, _concept(g, ACADEMIA, "Academia/Scientific organisation")))
    if settings.publisher_url:
        g.add((publisher, FOAF.homepage, _document(g, settings.publisher_url)))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal(settings.contact_name)))
    if settings.contact_email:
        g.add((contact, VCARD.hasEmail, URIRef("mailto:" + settings.contact_email)))
    g.add((_in_scheme(g, PUBLIC), RDF.type, DCTERMS.RightsStatement))
    g.add((SPARQL_PROTOCOL, RDF.type, DCTERMS.Standard))
    g.add((_in_scheme(g, LANGUAGE), RDF.type, DCTERMS.LinguisticSystem))
    g.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((THEME_SCHEME, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((theme, SKOS.inScheme, THEME_SCHEME))

    g.add((catalog, RDF.type, DCAT.Catalog))
    for node in (catalog, dataset):
        g.add((node, DCTERMS.title, title))
        g.add((node, DCTERMS.description, description))
        g.add((node, DCTERMS.publisher, publisher))
        g.add((node, DCAT.contactPoint, contact))
        g.add((node, DCTERMS.language, LANGUAGE))
        if stats.first_import is not None:
            g.add((node, DCTERMS.issued, _when(stats.first_import)))
        if stats.last_import is not None:
            g.add((node, DCTERMS.modified, _when(stats.last_import)))
    g.add((catalog, DCTERMS.license, licence))
    g.add((catalog, FOAF.homepage, landing))
    g.add((catalog, DCAT.themeTaxonomy, THEME_SCHEME))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCAT.landingPage, landing))
    g.add((dataset, DCAT.theme, theme))
    g.add((dataset, DCTERMS.accessRights, PUBLIC))
    for keyword in keywords:
        g.add((dataset, DCAT.keyword, keyword))
    if stats.first_meeting is not None and stats.last_meeting is not None:
        period = URIRef(here + "period")
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, _when(stats.first_meeting)))
        g.add((period, DCAT.endDate, _when(stats.last_meeting)))

    def distribution(key: str, name: str, access: str, file_type: str, note: str) -> URIRef:
        node = URIRef(here + key)
        fmt = URIRef(EU + "file-type/" + file_type)
        g.add((dataset, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, Literal(name, lang="en")))
        g.add((node, DCTERMS.description, Literal(note, lang="en")))
        g.add((node, DCAT.accessURL, URIRef(access)))
        g.add((node, DCTERMS.format, fmt))
        g.add((_in_scheme(g, fmt), RDF.type, DCTERMS.MediaTypeOrExtent))
        g.add((node, DCTERMS.license, licence))
        g.add((node, DCATAP.availability, _concept(g, STABLE, "Stable")))
        return node

    for dump in DUMPS:
        node = distribution(
            "dump-" + dump.path.rsplit(".", 1)[1],
            f"Dump ({dump.name})",
            urls.dump(dump),
            dump.file_type,
            f"Every named graph of the knowledge graph in one {dump.name} file.",
        )
        media = URIRef(IANA + dump.media_type)
        g.add((node, DCAT.downloadURL, URIRef(urls.dump(dump))))
        g.add((node, DCAT.mediaType, media))
        g.add((media, RDF.type, DCTERMS.MediaType))
    endpoint = distribution(
        "sparql-distribution",
        "SPARQL endpoint",
        urls.sparql,
        "SPARQLQ",
        "Query the knowledge graph with SPARQL 1.1 (read only).",
    )
    g.add((endpoint, DCAT.accessService, service))

    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal(settings.title + " (SPARQL endpoint)", lang="en")))
    g.add((service, DCTERMS.description, description))
    g.add((service, DCAT.endpointURL, URIRef(urls.sparql)))
    g.add((service, DCAT.endpointDescription, URIRef(urls.sparql)))
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.license, licence))
    g.add((service, DCTERMS.accessRights, PUBLIC))
    g.add((service, DCTERMS.publisher, publisher))
    g.add((service, DCAT.contactPoint, contact))
    g.add((service, DCAT.theme, theme))
    g.add((service, DCAT.landingPage, landing))
    for keyword in keywords:
        g.add((service, DCAT.keyword, keyword))
    return g


def void_description(stats: DatasetStatistics, settings: Settings, urls: RegistryURLs) -> Graph:
    """A VoID description of the dataset: sizes, class and property partitions,
    vocabularies, the SPARQL endpoint, the dumps and the IRI space."""
    g = Graph()
    g.bind("void", VOID)
    g.bind("dct", DCTERMS)
    ds = URIRef(urls.dataset)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal(settings.title, lang="en")))
    g.add((ds, DCTERMS.description, Literal(settings.description, lang="en")))
    g.add((ds, DCTERMS.license, URIRef(settings.license)))
    g.add((ds, FOAF.homepage, URIRef(urls.landing)))
    if stats.last_import is not None:
        g.add((ds, DCTERMS.modified, _when(stats.last_import)))
    counts = stats.counts
    for name, value in (
        ("triples", counts.triples),
        ("entities", counts.entities),
        ("distinctSubjects", counts.distinct_subjects),
        ("distinctObjects", counts.distinct_objects),
        ("classes", len(counts.classes)),
        ("properties", len(counts.properties)),
    ):
        g.add((ds, VOID[name], Literal(value)))
    for cls, count in counts.classes:
        part = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(count)))
    for prop, count in counts.properties:
        part = BNode()
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(count)))
    for vocabulary in counts.vocabularies:
        g.add((ds, VOID.vocabulary, URIRef(vocabulary)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(urls.sparql)))
    for dump in DUMPS:
        g.add((ds, VOID.dataDump, URIRef(urls.dump(dump))))
    g.add((ds, VOID.uriSpace, Literal(settings.base)))
    for example in stats.examples:
        g.add((ds, VOID.exampleResource, URIRef(example)))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/TriG")))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))
    g.add((ds, VOID.vocabulary, URIRef(str(EKG))))
    return g
