"""The EOSC resource profile payload (a Data Source) and its check against the required fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from escape_kg.config import Settings
from escape_kg.registry.base import DatasetStatistics, RegistryProblem, RegistryURLs
from escape_kg.registry.dcat import LICENCES

__all__ = ["EOSC_REQUIRED", "eosc_problems", "eosc_profile"]

# Our choices among the EOSC controlled vocabularies (resource-catalogue vocabularies/*.json):
# anyone may query the endpoint; a working prototype; it registers research entities
# (people, organisations, projects, meetings) of one field, astro-particle physics.
JURISDICTION = "ds_jurisdiction-global"
TRL = "trl-7"
CLASSIFICATION = "ds_classification-research_entity_registry"
PRODUCT_TYPES = (
    "ds_research_entity_type-researchers",
    "ds_research_entity_type-organizations",
    "ds_research_entity_type-projects",
    "ds_research_entity_type-other_research_products",
)

Check = Callable[[Any], bool]


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _emails(value: Any) -> bool:
    email = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and email.fullmatch(v) for v in value)
    )


def _vocabulary(prefix: str) -> Check:
    return lambda value: isinstance(value, str) and value.startswith(prefix) and value != prefix


def _vocabularies(prefix: str) -> Check:
    one = _vocabulary(prefix)
    return lambda value: isinstance(value, list) and bool(value) and all(one(v) for v in value)


# The fields the EOSC Profiles model marks Mandatory for a Data Source (EOSC Resource +
# Service + Data Source tables): field -> (what a valid value is, check, what fills it).
EOSC_REQUIRED: dict[str, tuple[str, Check, str]] = {
    "id": ("a non-empty identifier", _text, "ESCAPE_KG_PUBLIC_URL"),
    "name": ("a non-empty name", _text, "ESCAPE_KG_TITLE"),
    "description": ("a non-empty description", _text, "ESCAPE_KG_DESCRIPTION"),
    "publishingDate": ("an ISO 8601 date", _date, "import minutes with `escape-kg import`"),
    "type": ('"DataSource"', lambda v: v == "DataSource", "(fixed by escape-kg)"),
    "nodePID": (
        "an EOSC node id such as node-sandbox",
        _vocabulary("node-"),
        "ESCAPE_KG_EOSC_NODE",
    ),
    "publicContact": ("a list of email addresses", _emails, "ESCAPE_KG_CONTACT_EMAIL"),
    "webpage": ("an http(s) URL", _url, "ESCAPE_KG_LANDING_PAGE"),
    "jurisdiction": (
        "a ds_jurisdiction-* id",
        _vocabulary("ds_jurisdiction-"),
        "(fixed by escape-kg)",
    ),
    "trl": ("a trl-* id", _vocabulary("trl-"), "(fixed by escape-kg)"),
    "dataSourceClassification": (
        "a ds_classification-* id",
        _vocabulary("ds_classification-"),
        "(fixed by escape-kg)",
    ),
    "researchProductTypes": (
        "a list of ds_research_entity_type-* ids",
        _vocabularies("ds_research_entity_type-"),
        "(fixed by escape-kg)",
    ),
    "thematic": ("true or false", lambda v: isinstance(v, bool), "(fixed by escape-kg)"),
}


def eosc_profile(
    stats: DatasetStatistics, settings: Settings, urls: RegistryURLs
) -> dict[str, Any]:
    """The EOSC resource profile of the dataset as a Data Source, ready to submit to an
    EOSC resource catalogue (escape-kg never sends it anywhere).

    Missing settings leave their fields empty; ``eosc_problems`` names them.
    """
    licence = LICENCES.get(settings.license, (settings.license, ""))[0]
    return {
        "id": urls.dataset,
        "name": settings.title,
        "description": settings.description,
        "publishingDate": stats.first_import.date().isoformat() if stats.first_import else None,
        "type": "DataSource",
        "nodePID": settings.eosc_node,
        "publicContact": [settings.contact_email] if settings.contact_email else [],
        "url": [urls.landing, urls.sparql, urls.catalog],
        "webpage": urls.landing,
        "serviceProviders": [settings.publisher_name],
        "tags": list(settings.keywords),
        "scientificDomains": {
            "scientificDomain": "scientific_domain-natural_sciences",
            "scientificSubdomain": "scientific_subdomain-natural_sciences-physical_sciences",
        },
        "accessType": "access_type-virtual",
        "orderType": "order_type-open_access",
        "jurisdiction": JURISDICTION,
        "trl": TRL,
        "dataSourceClassification": CLASSIFICATION,
        "researchProductTypes": list(PRODUCT_TYPES),
        "thematic": True,
        "versionControl": False,
        "metadataLicense": {"licenseName": licence, "licenseURL": settings.license},
    }


def eosc_problems(payload: Mapping[str, Any]) -> list[RegistryProblem]:
    """Each mandatory field of ``payload`` that is missing or malformed, with what fixes it."""
    problems = []
    for name, (wanted, check, fix) in EOSC_REQUIRED.items():
        if check(payload.get(name)):
            continue
        message = f"EOSC profile field {name} must be {wanted}"
        if fix.startswith("ESCAPE_KG_"):
            problems.append(RegistryProblem(message, setting=fix))
        else:
            problems.append(RegistryProblem(message, hint=fix))
    return problems
