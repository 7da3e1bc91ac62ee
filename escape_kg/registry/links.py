"""What crawlers read: schema.org Dataset JSON-LD and FAIR signposting links."""

from __future__ import annotations

from typing import Any

from escape_kg.config import Settings
from escape_kg.registry.base import DUMPS, DatasetStatistics, RegistryURLs

__all__ = ["schemaorg_dataset", "signposting_links"]

SCHEMA_HTTPS = "https://schema.org/"


def schemaorg_dataset(
    stats: DatasetStatistics, settings: Settings, urls: RegistryURLs
) -> dict[str, Any]:
    """The schema.org Dataset JSON-LD that dataset search engines read from the landing page."""
    organisation: dict[str, Any] = {"@type": "Organization", "name": settings.publisher_name}
    if settings.publisher_url:
        organisation["url"] = settings.publisher_url
    if settings.contact_email:
        organisation["contactPoint"] = {
            "@type": "ContactPoint",
            "name": settings.contact_name,
            "email": settings.contact_email,
            "contactType": "data steward",
        }
    doc: dict[str, Any] = {
        "@context": SCHEMA_HTTPS,
        "@type": "Dataset",
        "@id": urls.dataset,
        "name": settings.title,
        "description": settings.description,
        "url": urls.landing,
        "identifier": urls.dataset,
        "keywords": list(settings.keywords),
        "license": settings.license,
        "isAccessibleForFree": True,
        "creator": organisation,
        "publisher": organisation,
        "inLanguage": "en",
        "measurementTechnique": "Information extraction from meeting minutes, checked with SHACL",
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f"Dump ({dump.name})",
                "encodingFormat": dump.media_type,
                "contentUrl": urls.dump(dump),
            }
            for dump in DUMPS
        ],
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": settings.title,
            "url": urls.catalog,
        },
        "subjectOf": {"@type": "WebAPI", "name": "SPARQL endpoint", "url": urls.sparql},
    }
    if stats.first_meeting is not None and stats.last_meeting is not None:
        doc["temporalCoverage"] = f"{stats.first_meeting}/{stats.last_meeting}"
    if stats.first_import is not None:
        doc["datePublished"] = stats.first_import.date().isoformat()
    if stats.last_import is not None:
        doc["dateModified"] = stats.last_import.isoformat()
    return doc


def signposting_links(
    kind: str, urls: RegistryURLs, settings: Settings, *, resource: str | None = None
) -> list[str]:
    """FAIR signposting ``Link`` header values (https://signposting.org/FAIR/).

    ``kind`` "landing": the landing page (cite-as, describedby the catalogue and
    VoID, item each dump, license, type); "metadata": a description of the dataset
    such as /catalog (describes the landing page, cite-as, item, license, type);
    "resource": the page of one ``resource`` IRI (cite-as, collection, license).
    Raises ValueError for another kind.
    """
    licence = f'<{settings.license}>; rel="license"'
    items = [f'<{urls.dump(d)}>; rel="item"; type="{d.media_type}"' for d in DUMPS]
    if kind == "landing":
        return [
            f'<{urls.landing}>; rel="cite-as"',
            f'<{urls.catalog}>; rel="describedby"; type="text/turtle"; '
            'profile="http://data.europa.eu/r5r/"',
            f'<{urls.void}>; rel="describedby"; type="text/turtle"',
            *items,
            licence,
            f'<{SCHEMA_HTTPS}Dataset>; rel="type"',
            f'<{SCHEMA_HTTPS}AboutPage>; rel="type"',
        ]
    if kind == "metadata":
        return [
            f'<{urls.landing}>; rel="describes"',
            f'<{urls.landing}>; rel="cite-as"',
            *items,
            licence,
            f'<{SCHEMA_HTTPS}Dataset>; rel="type"',
        ]
    if kind == "resource" and resource is not None:
        return [f'<{resource}>; rel="cite-as"', f'<{urls.landing}>; rel="collection"', licence]
    raise ValueError(f"unknown signposting kind {kind!r} (landing, metadata, resource)")
